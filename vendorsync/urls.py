from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("vendorsync.urls_core")),
    path("django-admin/", admin.site.urls),
]
