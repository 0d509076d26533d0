"""Delivery of approved posting batches to NetSuite, through the outbox; retry and reversal.

Why it is shaped this way (issue 11, DESIGN.md §4 "Cash application" 7, netsuite-rest.md §13.4):

- **Credits before the payment that applies them.** A customer payment names the credit memos,
  journals and re-bill invoices it applies by their NetSuite *internal* ids, which exist only once
  those records are posted. So approval (``batch_dispatch``) enqueues every record except the
  payment; the payment is enqueued by ``entry_mark_posted`` in the same transaction that records
  the last of them, with its references resolved to internal ids. A batch whose credits failed
  never sends its payment.
- **Exactly once.** Every record is written with ``PUT …/eid:<external id>`` built from our own ids;
  the relay looks a record up by that external id before any retry after an unknown outcome
  (``handlers.lookup_entry``), and an entry already posted is never sent again (``batch_retry``
  re-sends only what is not posted).
- **Outcomes.** ``entry_mark_posted`` / ``entry_mark_failed`` are the only writers of an entry's
  delivery state. A refusal (4xx) puts the entry in review and raises ``posting_failed`` for
  finance; the batch goes ``posting`` → ``posted`` once every entry is posted, or ``failed`` while
  one waits for a person.
- **Reversal, never an edit.** NetSuite's REST API has no void for customer payments or credit
  memos (voiding is a UI / SuiteScript ``transaction.void`` action; REST's record actions do not
  include it), and an edit of a posted record would rewrite history. ``batch_reverse`` therefore
  prepares a reversal batch of new, balanced journal entries — one per posted record, undoing its
  general-ledger effect — which goes through the same maker-checker approval and the same delivery.
  When it is posted, the batch it reverses becomes ``reversed``; its records stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reconciliation.posting.periods import describe_closed
from reconciliation.posting_models import (
    AccountingPeriod,
    BatchKind,
    BatchStatus,
    EntryPurpose,
    EntryStatus,
    PostingBatch,
    PostingEntry,
    RecordType,
)
from vendorsync import roles
from vendorsync.models import ExceptionKind, Severity, Team
from vendorsync.outbox.services import RESENDABLE, outbox_enqueue, outbox_resend
from vendorsync.services import audit_record, exception_clear, exception_raise

OPERATIONS = {
    RecordType.CREDIT_MEMO: "posting.credit_memo",
    RecordType.JOURNAL_ENTRY: "posting.journal_entry",
    RecordType.CUSTOMER_PAYMENT: "posting.customer_payment",
    RecordType.INVOICE: "posting.invoice",
}
TARGET = "netsuite"
# Sublists of a customer payment whose lines name the documents it applies.
_APPLY_SUBLISTS = ("apply", "credit")
# NetSuite's seeded receivables and bank accounts, used by a reversal when a payload leaves them to
# NetSuite's defaults (the simulator and the seeded chart of accounts use the same ids).
DEFAULT_RECEIVABLE_ACCOUNT = "120"
DEFAULT_BANK_ACCOUNT = "110"


def posting_failed_key(entry: PostingEntry) -> str:
    return f"posting_failed:{entry.external_id}"


def has_role_permission(user: Any, codename: str) -> bool:
    """The permission through one of the user's roles. A superuser gets no bypass: money duties
    follow roles only (``user.has_perm`` is always true for a superuser)."""
    return any(codename in roles.ROLE_PERMISSIONS[role] for role in roles.roles_of(user))


def _require(user: Any, codename: str, action: str) -> None:
    if not has_role_permission(user, codename):
        raise PermissionDenied(f"Your role may not {action}.")


def _is_payment(entry: PostingEntry) -> bool:
    return entry.record_type == RecordType.CUSTOMER_PAYMENT


# --- Dispatch -------------------------------------------------------------------------------------


def _enqueue(entry: PostingEntry, payload: dict[str, Any]) -> None:
    entry.outbox_message = outbox_enqueue(
        target=TARGET,
        operation=OPERATIONS[entry.record_type],
        external_key=entry.external_id,
        payload=payload,
    )
    entry.status = EntryStatus.QUEUED
    entry.error = ""
    entry.save(update_fields=["outbox_message", "status", "error"])


def resolve_references(payload: dict[str, Any], netsuite_ids: dict[str, str]) -> dict[str, Any]:
    """The payment body with every ``{"externalId": X}`` document of the batch replaced by ``{"id": …}``.

    Raises ``ValueError`` for a reference to a record of the batch that has no NetSuite id yet:
    the payment must never be sent before what it applies exists.
    """
    body = dict(payload)
    for sublist in _APPLY_SUBLISTS:
        container = body.get(sublist)
        if not isinstance(container, dict) or not isinstance(container.get("items"), list):
            continue
        lines = []
        for line in container["items"]:
            line = dict(line)
            doc = line.get("doc")
            if isinstance(doc, dict) and "id" not in doc and "externalId" in doc:
                key = str(doc["externalId"])
                if key in netsuite_ids:
                    if not netsuite_ids[key]:
                        raise ValueError(f"{key} is not posted yet; the payment cannot apply it")
                    line["doc"] = {"id": netsuite_ids[key]}
            lines.append(line)
        body[sublist] = {**container, "items": lines}
    return body


def referenced_keys(payload: dict[str, Any]) -> set[str]:
    """External ids of the documents a payment body applies or credits by ``{"externalId": …}``."""
    keys = set()
    for sublist in _APPLY_SUBLISTS:
        for line in (payload.get(sublist) or {}).get("items", []):
            doc = line.get("doc") if isinstance(line, dict) else None
            if isinstance(doc, dict) and "id" not in doc and doc.get("externalId"):
                keys.add(str(doc["externalId"]))
    return keys


def _advance(batch: PostingBatch) -> None:
    """With the batch row locked: send each payment once everything it applies is posted; settle the status."""
    entries = list(batch.entries.order_by("sequence"))
    netsuite_ids = {e.external_id: e.netsuite_id if e.status == EntryStatus.POSTED else "" for e in entries}
    for payment in (e for e in entries if _is_payment(e) and e.status == EntryStatus.PENDING):
        needed = referenced_keys(payment.payload)
        if all(netsuite_ids.get(key) for key in needed if key in netsuite_ids):
            _enqueue(payment, resolve_references(payment.payload, netsuite_ids))
    before = batch.status
    if all(e.status == EntryStatus.POSTED for e in entries):
        batch.status = BatchStatus.POSTED
    elif any(e.status == EntryStatus.NEEDS_REVIEW for e in entries):
        batch.status = BatchStatus.FAILED
    else:
        batch.status = BatchStatus.POSTING
    if batch.status == before:
        return
    batch.save(update_fields=["status"])
    audit_record(
        actor=None,
        action=f"posting.batch_{batch.status}",
        subject=batch,
        before={"status": before},
        after={"status": batch.status},
    )
    if batch.status == BatchStatus.POSTED and batch.kind == BatchKind.REVERSAL and batch.reverses_id:
        original = PostingBatch.objects.select_for_update().get(pk=batch.reverses_id)
        if original.status != BatchStatus.REVERSED:
            previous = original.status
            original.status = BatchStatus.REVERSED
            original.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="posting.batch_reversed",
                subject=original,
                before={"status": previous},
                after={"status": original.status, "reversal": batch.number},
            )


def batch_dispatch(*, batch: PostingBatch) -> int:
    """Enqueue an approved batch's records (the payment waits for its credits); batch → ``posting``.

    Runs inside the approving transaction (``batch_approve``), so the approval and its deliveries
    commit together or not at all. Returns how many messages were enqueued.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batch_dispatch runs inside the transaction that approves the batch")
    batch = PostingBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (BatchStatus.APPROVED, BatchStatus.POSTING):
        raise ValidationError(
            f"{batch.number} is {batch.get_status_display().lower()}; only an approved batch is sent."
        )
    queued_before = batch.entries.filter(status=EntryStatus.QUEUED).count()
    for entry in batch.entries.filter(status=EntryStatus.PENDING).order_by("sequence"):
        if not _is_payment(entry):
            _enqueue(entry, entry.payload)
    if batch.status == BatchStatus.APPROVED:
        batch.status = BatchStatus.POSTING
        batch.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="posting.batch_dispatched",
            subject=batch,
            before={"status": BatchStatus.APPROVED},
            after={"status": batch.status},
        )
    _advance(batch)  # a batch whose only record is its payment sends the payment now
    return batch.entries.filter(status=EntryStatus.QUEUED).count() - queued_before


# --- Outcomes (called by the outbox handlers) -----------------------------------------------------


def entry_mark_posted(*, entry: PostingEntry, netsuite_id: str, how: str = "") -> PostingEntry:
    """Record that NetSuite holds the entry's record (idempotent); may send the batch's payment."""
    with transaction.atomic():
        batch = PostingBatch.objects.select_for_update().get(pk=entry.batch_id)
        entry = PostingEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == EntryStatus.POSTED:
            return entry
        before = {"status": entry.status}
        entry.status = EntryStatus.POSTED
        entry.netsuite_id = netsuite_id[:30]
        entry.posted_at = timezone.now()
        entry.error = ""
        entry.save(update_fields=["status", "netsuite_id", "posted_at", "error"])
        audit_record(
            actor=None,
            action="posting.entry_posted",
            subject=entry,
            before=before,
            after={"status": entry.status, "netsuite_id": entry.netsuite_id},
            reason=how,
        )
        exception_clear(
            dedupe_key=posting_failed_key(entry),
            note=f"{entry.external_id} is posted in NetSuite ({netsuite_id}).",
        )
        _advance(batch)
        return entry


def entry_mark_failed(*, entry: PostingEntry, error: str, refused: bool = True) -> PostingEntry:
    """The entry needs a person: in review, its batch ``failed``; a refusal raises ``posting_failed``.

    ``refused``: NetSuite answered 4xx (or we refused to send, e.g. a locked period). Other give-ups
    (credentials, retries exhausted) already have the outbox's own case; the entry records the error.
    """
    with transaction.atomic():
        batch = PostingBatch.objects.select_for_update().get(pk=entry.batch_id)
        entry = PostingEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == EntryStatus.POSTED:
            return entry  # posted meanwhile (e.g. found by external id): nothing failed
        before = {"status": entry.status}
        entry.status = EntryStatus.NEEDS_REVIEW
        entry.error = error[:4000]
        entry.save(update_fields=["status", "error"])
        audit_record(
            actor=None,
            action="posting.entry_failed",
            subject=entry,
            before=before,
            after={"status": entry.status},
            reason=error[:1000],
        )
        if refused:
            exception_raise(
                kind=ExceptionKind.POSTING_FAILED,
                dedupe_key=posting_failed_key(entry),
                owner_team=Team.FINANCE,
                severity=Severity.HIGH,
                subject_type="reconciliation.postingbatch",
                subject_id=str(batch.public_id),
                message=f"{batch.number}: NetSuite refused {entry.get_record_type_display().lower()} "
                f"{entry.external_id} ({entry.amount}): {error[:400]}",
                details={"batch": batch.number, "external_id": entry.external_id, "error": error[:2000]},
                amount_at_risk=entry.amount,
            )
        _advance(batch)
        return entry


def period_refusal(batch: PostingBatch) -> str:
    """Why nothing of ``batch`` may be sent now (its period is locked or closed), or ``""``."""
    period = AccountingPeriod.objects.select_related("locked_by").for_date(batch.posting_date)
    if period is None or not period.closed:
        return ""
    return describe_closed(period)


def reversal_blockers(batch: PostingBatch) -> list[tuple[str, str, str]]:
    """Why a reversal batch cannot be submitted or approved: ``(code, message, url)`` each.

    A reversal holds no remittance; it needs the batch it reverses to be still posted (not reversed
    by another), reversing journals that balance, and an open period on its posting date.
    """
    found: list[tuple[str, str, str]] = []
    original = batch.reverses
    if original is None or original.status != BatchStatus.POSTED:
        state = original.get_status_display().lower() if original else "missing"
        found.append(("not_posted", f"The batch this reverses is {state}, not posted.", ""))
    entries = list(batch.entries.order_by("sequence"))
    if not entries:
        found.append(("empty", "The reversal holds no record.", ""))
    for entry in entries:
        lines = (entry.payload or {}).get("line", {}).get("items", [])
        debits = sum((_money(line.get("debit") or 0) for line in lines), Decimal(0))
        credits = sum((_money(line.get("credit") or 0) for line in lines), Decimal(0))
        if debits != credits or not lines:
            found.append(("unbalanced", f"{entry.external_id}: debits {debits} ≠ credits {credits}.", ""))
    periods_url = reverse("reconciliation:posting_periods")
    period = AccountingPeriod.objects.select_related("locked_by").for_date(batch.posting_date)
    if period is None:
        found.append(
            ("no_period", f"No accounting period covers the posting date {batch.posting_date}.", periods_url)
        )
    elif period.closed:
        found.append(("period_locked", describe_closed(period), f"{periods_url}#period-{period.public_id}"))
    return found


# --- Retry ----------------------------------------------------------------------------------------


def batch_retry(*, batch: PostingBatch, user: Any, reason: str = "") -> int:
    """Send again what of ``batch`` is not posted and waits for a person; returns how many.

    Each is looked up by its external id first when its last outcome was unknown, so a record
    that did reach NetSuite is recorded, not written twice. Posted entries are never touched.
    """
    _require(user, "prepare_postings", "retry a posting")
    with transaction.atomic():
        batch = PostingBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in (BatchStatus.FAILED, BatchStatus.POSTING):
            raise ValidationError(
                f"{batch.number} is {batch.get_status_display().lower()}: nothing to retry."
            )
        refusal = period_refusal(batch)
        if refusal:
            raise ValidationError(f"{refusal} Unlock it before retrying.")
        waiting = [
            e
            for e in batch.entries.select_related("outbox_message").order_by("sequence")
            if e.status != EntryStatus.POSTED
            and e.outbox_message is not None
            and e.outbox_message.state in RESENDABLE
        ]
        if not waiting:
            raise ValidationError(f"{batch.number} has no failed record to send again.")
        outbox_resend(
            messages=[e.outbox_message for e in waiting],
            actor=user,
            reason=reason.strip() or f"Retry of {batch.number} by {user.get_username()}.",
        )
        PostingEntry.objects.filter(pk__in=[e.pk for e in waiting]).update(status=EntryStatus.QUEUED)
        audit_record(
            actor=user,
            action="posting.batch_retried",
            subject=batch,
            before={"status": batch.status},
            after={"resent": [e.external_id for e in waiting]},
            reason=reason,
        )
        _advance(batch)
        return len(waiting)


# --- Reversal -------------------------------------------------------------------------------------


def _ref_id(value: Any, default: str) -> str:
    if isinstance(value, dict) and value.get("id"):
        return str(value["id"])
    return default


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def reversing_lines(entry: PostingEntry, customer: str) -> list[dict[str, Any]]:
    """The journal lines that undo the general-ledger effect of a posted ``entry``.

    - journal entry: the same lines, debits and credits swapped;
    - credit memo (Dr deduction account, Cr A/R): Dr A/R (customer), Cr the deduction account;
    - re-bill invoice (Dr A/R, Cr deduction account): Dr the deduction account, Cr A/R (customer);
    - customer payment (Dr bank, Cr A/R): Dr A/R (customer), Cr the bank account.
    """
    payload = entry.payload or {}
    receivable = {"account": {"id": _ref_id(payload.get("arAcct"), DEFAULT_RECEIVABLE_ACCOUNT)}}
    entity = {"entity": {"id": customer}}
    amount = _money(entry.amount)
    if entry.record_type == RecordType.JOURNAL_ENTRY:
        lines = []
        for line in (payload.get("line") or {}).get("items", []):
            swapped = {
                k: v for k, v in line.items() if k in ("account", "entity", "memo", "department", "class")
            }
            if line.get("debit") not in (None, "", 0):
                swapped["credit"] = _money(line["debit"])
            if line.get("credit") not in (None, "", 0):
                swapped["debit"] = _money(line["credit"])
            lines.append(swapped)
        return lines
    if entry.record_type == RecordType.CUSTOMER_PAYMENT:
        bank = _ref_id(payload.get("account"), DEFAULT_BANK_ACCOUNT)
        return [
            {**receivable, "debit": amount, **entity},
            {"account": {"id": bank}, "credit": amount},
        ]
    if entry.gl_account is None:
        raise ValidationError(f"{entry.external_id} names no GL account; it cannot be reversed by a journal.")
    account = {"account": {"id": entry.gl_account.netsuite_id}}
    if entry.record_type == RecordType.CREDIT_MEMO:
        return [{**receivable, "debit": amount, **entity}, {**account, "credit": amount}]
    if entry.record_type == RecordType.INVOICE:
        return [{**account, "debit": amount}, {**receivable, "credit": amount, **entity}]
    raise ValidationError(f"{entry.external_id}: a {entry.record_type} cannot be reversed.")


def _customer_of(batch: PostingBatch, entries: Iterable[PostingEntry]) -> str:
    if batch.customer_id:
        return batch.customer_id
    for entry in entries:
        for key in ("customer", "entity"):
            value = (entry.payload or {}).get(key)
            if isinstance(value, dict) and value.get("id"):
                return str(value["id"])
    raise ValidationError(f"{batch.number} names no NetSuite customer; it cannot be reversed.")


def batch_reverse(*, batch: PostingBatch, user: Any, reason: str) -> PostingBatch:
    """Prepare a reversal of a posted batch: a draft batch of reversing journals, one per record.

    The reversal is submitted and approved like any batch (a second person approves it), then
    delivered the same way; once posted, ``batch`` becomes ``reversed``. Nothing posted is edited.
    """
    _require(user, "prepare_postings", "prepare a reversal")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the batch is reversed.")
    with transaction.atomic():
        batch = PostingBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.kind != BatchKind.POSTING or batch.status != BatchStatus.POSTED:
            raise ValidationError(
                f"Only a posted batch can be reversed; {batch.number} is {batch.get_status_display().lower()}."
            )
        live = batch.reversals.exclude(status=BatchStatus.REVERSED).first()
        if live is not None:
            raise ValidationError(
                f"{batch.number} already has a reversal, {live.number} ({live.get_status_display().lower()})."
            )
        entries = list(batch.entries.select_related("gl_account").order_by("sequence"))
        customer = _customer_of(batch, entries)
        today = timezone.localdate()
        reversal = PostingBatch.objects.create(
            kind=BatchKind.REVERSAL,
            reverses=batch,
            status=BatchStatus.DRAFT,
            style=batch.style,
            period=AccountingPeriod.objects.for_date(today),
            posting_date=today,
            customer_id=customer,
            currency=batch.currency,
            prepared_by=user,
            payment_total=batch.payment_total,
            applied_total=batch.applied_total,
            credits_total=batch.credits_total,
            discount_total=batch.discount_total,
        )
        rows = []
        for sequence, entry in enumerate((e for e in entries if e.status == EntryStatus.POSTED), start=1):
            external_id = f"VS-RB{reversal.pk}-{sequence}"
            payload = {
                "externalId": external_id,
                "tranDate": today.isoformat(),
                "memo": f"Reverses {entry.external_id} (NetSuite {entry.netsuite_id}) of {batch.number}: {reason}"[
                    :999
                ],
                "approved": True,
                "line": {"items": reversing_lines(entry, customer)},
            }
            rows.append(
                PostingEntry(
                    batch=reversal,
                    sequence=sequence,
                    record_type=RecordType.JOURNAL_ENTRY,
                    purpose=EntryPurpose.REVERSAL,
                    external_id=external_id,
                    description=f"Reverses {entry.get_record_type_display().lower()} {entry.external_id}"[
                        :255
                    ],
                    payload=_jsonable(payload),
                    amount=entry.amount,
                    remittance_line=entry.remittance_line,
                    gl_account=entry.gl_account,
                )
            )
        if not rows:
            raise ValidationError(f"{batch.number} has no posted record to reverse.")
        PostingEntry.objects.bulk_create(rows)
        audit_record(
            actor=user,
            action="posting.reversal_prepared",
            subject=reversal,
            after={"reverses": batch.number, "entries": len(rows)},
            reason=reason,
        )
        audit_record(
            actor=user,
            action="posting.reversal_requested",
            subject=batch,
            after={"reversal": reversal.number},
            reason=reason,
        )
        return reversal


def _jsonable(value: Any) -> Any:
    """Money as exact decimal strings (JSON in the database; NetSuite reads numbers from strings)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
