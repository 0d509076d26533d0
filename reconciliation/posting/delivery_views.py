"""The delivery side of a batch page: per-record status (live while posting), retry and reverse.

The region is the partial ``reconciliation/posting/delivery.html#delivery``: the batch page
includes it, and it re-fetches itself every two seconds while the batch is being posted, so
finance watches each record reach NetSuite without reloading. Retry and reverse are POSTs
(CSRF) that call the services in ``delivery`` and answer with the region re-rendered (htmx) or a
redirect (plain form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from reconciliation.posting import delivery
from reconciliation.posting_models import BatchKind, BatchStatus, EntryStatus, PostingBatch
from vendorsync.access import require_perm
from vendorsync.outbox.services import RESENDABLE

TEMPLATE = "reconciliation/posting/delivery.html"
LIVE = (BatchStatus.APPROVED, BatchStatus.POSTING)
# Statuses in which the batch page shows the delivery region (everything after approval).
SHOWN = (
    BatchStatus.APPROVED,
    BatchStatus.POSTING,
    BatchStatus.POSTED,
    BatchStatus.FAILED,
    BatchStatus.REVERSED,
)


def _batch(public_id: Any) -> PostingBatch:
    return get_object_or_404(
        PostingBatch.objects.select_related("reverses", "period", "approved_by", "prepared_by"),
        public_id=public_id,
    )


def delivery_context(batch: PostingBatch, user: Any, error: str = "") -> dict[str, Any]:
    """What the ``delivery`` partial needs; the batch page passes it into its own context."""
    entries = list(batch.entries.select_related("outbox_message").order_by("sequence"))
    may_prepare = delivery.has_role_permission(user, "prepare_postings")
    reversal = batch.reversals.order_by("-id").first() if batch.kind == BatchKind.POSTING else None
    return {
        "show_delivery": True,
        "batch": batch,
        "entries": entries,
        "posted_count": sum(1 for e in entries if e.status == EntryStatus.POSTED),
        "live": batch.status in LIVE,
        # Whatever stopped a record (a refusal, or the outbox giving up on its own), it can be resent.
        "can_retry": may_prepare
        and batch.status in (BatchStatus.FAILED, BatchStatus.POSTING)
        and any(
            e.status != EntryStatus.POSTED and e.outbox_message and e.outbox_message.state in RESENDABLE
            for e in entries
        ),
        "can_reverse": may_prepare
        and batch.kind == BatchKind.POSTING
        and batch.status == BatchStatus.POSTED
        and reversal is None,
        "reversal": reversal,
        "delivery_error": error,
    }


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def batch_delivery(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    if not request.htmx:
        return redirect(batch.get_absolute_url())
    return render(request, f"{TEMPLATE}#delivery", delivery_context(batch, request.user))


def _answer(
    request: HttpRequest, batch: PostingBatch, error: str = "", target: Any = None, done: str = ""
) -> HttpResponse:
    """htmx: the region re-rendered (or a redirect to a new batch); a plain form: message + redirect."""
    if request.htmx:
        if target is not None and not error:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target.get_absolute_url()
            return response
        batch.refresh_from_db()
        return render(request, f"{TEMPLATE}#delivery", delivery_context(batch, request.user, error))
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect((target or batch).get_absolute_url())


@require_POST
@require_perm("prepare_postings")
def batch_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    try:
        sent = delivery.batch_retry(batch=batch, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _answer(request, batch, " ".join(exc.messages))
    return _answer(
        request, batch, done=f"{sent} record{'s' if sent != 1 else ''} of {batch.number} sent again."
    )


@require_POST
@require_perm("prepare_postings")
def batch_reverse(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    try:
        reversal = delivery.batch_reverse(
            batch=batch, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _answer(request, batch, " ".join(exc.messages))
    return _answer(
        request, batch, target=reversal, done=f"Reversal {reversal.number} prepared: submit it for approval."
    )
