"""Posting URLs, included under ``reconciliation/postings/`` in the ``reconciliation`` namespace."""

from django.urls import path

from reconciliation.posting import views

urlpatterns = [
    path("", views.batches, name="posting_batches"),
    path("new/", views.candidates, name="posting_candidates"),
    path("build/", views.build, name="posting_build"),
    path("periods/", views.period_list, name="posting_periods"),
    path("periods/configure/", views.period_configure, name="posting_period_configure"),
    path("periods/<uuid:public_id>/lock/", views.period_lock, name="posting_period_lock"),
    path("periods/<uuid:public_id>/unlock/", views.period_unlock, name="posting_period_unlock"),
    path("<uuid:public_id>/", views.batch_detail, name="posting_batch_detail"),
    path("<uuid:public_id>/submit/", views.batch_submit, name="posting_batch_submit"),
    path("<uuid:public_id>/rebuild/", views.batch_rebuild, name="posting_batch_rebuild"),
    path("<uuid:public_id>/approve/", views.batch_approve, name="posting_batch_approve"),
    path("<uuid:public_id>/reject/", views.batch_reject, name="posting_batch_reject"),
]
