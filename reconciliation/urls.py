from django.urls import include, path

from reconciliation import views, workbench_views
from reconciliation.posting import delivery_views

app_name = "reconciliation"
urlpatterns = [
    path("", views.remittances, name="index"),
    path("remittances/", views.remittances, name="remittances"),
    path("remittances/<uuid:public_id>/", views.remittance_detail, name="remittance_detail"),
    path("remittances/<uuid:public_id>/workbench/", workbench_views.workbench, name="workbench"),
    path(
        "remittances/<uuid:public_id>/workbench/lines/<int:sequence>/",
        workbench_views.line_panel,
        name="workbench_line",
    ),
    path("remittances/<uuid:public_id>/workbench/manual/", workbench_views.manual_match, name="manual_match"),
    path(
        "remittances/<uuid:public_id>/workbench/bulk-accept/", workbench_views.bulk_accept, name="bulk_accept"
    ),
    path("remittances/<uuid:public_id>/workbench/automatch/", workbench_views.rerun, name="automatch"),
    path("matches/<uuid:public_id>/accept/", workbench_views.match_accept, name="match_accept"),
    path("matches/<uuid:public_id>/reject/", workbench_views.match_reject, name="match_reject"),
    path("matches/<uuid:public_id>/undo/", workbench_views.match_undo, name="match_undo"),
    path("matches/<uuid:public_id>/write-off/", workbench_views.match_write_off, name="match_write_off"),
    path("deductions/", views.deductions, name="deductions"),
    path("imports/", views.imports, name="imports"),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("mappings/", views.mappings, name="mappings"),
    path("rules/", views.rules, name="rules"),
    path("rules/add/", views.rule_add, name="rule_add"),
    path("rules/<uuid:public_id>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/headers/", views.header_mapping_save, name="header_mapping_save"),
    path("rules/headers/<int:pk>/delete/", views.header_mapping_delete, name="header_mapping_delete"),
    path("postings/", include("reconciliation.posting.urls")),
    # Posting delivery (issue 11): per-record status, retry, reversal.
    path("postings/<uuid:public_id>/delivery/", delivery_views.batch_delivery, name="posting_batch_delivery"),
    path("postings/<uuid:public_id>/retry/", delivery_views.batch_retry, name="posting_batch_retry"),
    path("postings/<uuid:public_id>/reverse/", delivery_views.batch_reverse, name="posting_batch_reverse"),
]
