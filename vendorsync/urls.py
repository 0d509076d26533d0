from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("vendorsync.urls_core")),
    path("orders/", include("orders.urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("django-admin/", admin.site.urls),
]
