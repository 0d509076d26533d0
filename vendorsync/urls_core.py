from django.contrib.auth import views as auth_views
from django.urls import path

from vendorsync import account_views, export_views, views
from vendorsync.outbox import views as outbox_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/set/<uidb64>/<token>/",
        account_views.SetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/bulk/", views.exceptions_bulk, name="exceptions_bulk"),
    path("exceptions/<uuid:public_id>/", views.exception_detail, name="exception_detail"),
    path("exceptions/<uuid:public_id>/rerun/", views.exception_rerun, name="exception_rerun"),
    path(
        "exceptions/<uuid:public_id>/rerun-status/",
        views.exception_rerun_status,
        name="exception_rerun_status",
    ),
    path(
        "exceptions/<uuid:public_id>/<str:action>/",
        views.exception_action,
        name="exception_action",
    ),
    path("sync/", views.sync_runs, name="sync_runs"),
    path("sync/flows/<str:name>/run/", views.sync_flow_now, name="sync_flow_now"),
    path("sync/outbox/<uuid:public_id>/requeue/", outbox_views.outbox_requeue, name="outbox_requeue"),
    path("sync/outbox/resend/", outbox_views.outbox_resend_filtered, name="outbox_resend_filtered"),
    path("audit/", views.audit_log, name="audit_log"),
    path("integration-audit/", views.integration_audit, name="integration_audit"),
    path("settings/", views.settings_page, name="settings"),
    path("exports/", export_views.my_exports, name="my_exports"),
    path("exports/<uuid:public_id>/", export_views.export_detail, name="export_detail"),
    path("exports/<uuid:public_id>/download/", export_views.export_download, name="export_download"),
]
