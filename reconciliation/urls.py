from django.urls import path

from reconciliation import views

app_name = "reconciliation"
urlpatterns = [
    path("", views.remittances, name="index"),
    path("remittances/", views.remittances, name="remittances"),
    path("remittances/<uuid:public_id>/", views.remittance_detail, name="remittance_detail"),
    path("deductions/", views.deductions, name="deductions"),
    path("imports/", views.imports, name="imports"),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("mappings/", views.mappings, name="mappings"),
    path("rules/", views.rules, name="rules"),
    path("rules/add/", views.rule_add, name="rule_add"),
    path("rules/<uuid:public_id>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/headers/", views.header_mapping_save, name="header_mapping_save"),
    path("rules/headers/<int:pk>/delete/", views.header_mapping_delete, name="header_mapping_delete"),
]
