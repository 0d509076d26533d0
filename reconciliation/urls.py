from django.urls import path

from reconciliation import views

app_name = "reconciliation"
urlpatterns = [path("", views.index, name="index")]
