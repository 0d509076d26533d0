from django.urls import include, path

from reconciliation import views, workbench_views
from reconciliation.analytics import views as analytics_views
from reconciliation.close import views as close_views
from reconciliation.disputes import views as dispute_views
from reconciliation.posting import delivery_views
from reconciliation.profitability import views as profitability_views
from reconciliation.shortage import views as shortage_views

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
    path(
        "remittances/<uuid:public_id>/workbench/lines/<int:sequence>/shortage/",
        shortage_views.line_evidence,
        name="workbench_shortage",
    ),
    path("deductions/", views.deductions, name="deductions"),
    path("shortages/", shortage_views.shortages, name="shortages"),
    path("shortages/pack/", shortage_views.pack, name="shortage_pack"),
    path("shortages/<uuid:public_id>/", shortage_views.shortage_detail, name="shortage_detail"),
    path("disputes/", dispute_views.dispute_list, name="disputes"),
    path("disputes/open/", dispute_views.dispute_open, name="dispute_open"),
    path("disputes/recoveries/", dispute_views.dispute_match, name="dispute_match"),
    path("disputes/<uuid:public_id>/", dispute_views.dispute_detail, name="dispute_detail"),
    path("disputes/<uuid:public_id>/update/", dispute_views.dispute_update, name="dispute_update"),
    path(
        "disputes/<uuid:public_id>/recovery/", dispute_views.dispute_recovery_add, name="dispute_recovery_add"
    ),
    path("close/", close_views.close_index, name="close_index"),
    path("close/<uuid:public_id>/", close_views.close_page, name="close"),
    path("close/<uuid:public_id>/lock/", close_views.close_lock, name="close_lock"),
    path("analytics/", analytics_views.analytics_page, name="analytics"),
    path("profitability/", profitability_views.profitability_page, name="profitability"),
    path("profitability/lines/", profitability_views.profitability_lines, name="profitability_lines"),
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
