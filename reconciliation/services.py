"""Reconciliation state changes: importing remittances, coding deductions, ledger data, mappings.

Every door (upload, command, inbound folder, Amazon API) ends in :func:`remittance_import`, which
writes a whole file in ONE transaction: every payment and line of it, or nothing (the batch row
then records why, naming rows and columns). Checks made on the way in:

* the same file (SHA-256) is refused once imported; a payment number already imported is refused
  unless the import is a revision, which supersedes the earlier version while nothing of it is
  posted (a posted one refuses the revision and raises ``settlement_drift``);
* Σ lines = payment amount per payment, else ``settlement_drift`` with the difference;
* an invoice line settling more than its invoice (NetSuite's amount when ``sync ar`` knows it,
  else the line's own invoice amount) is marked ``overpaid`` and raises ``settlement_drift``;
* each line is classified by the rule table; ``unknown`` raises ``unmatched_remittance_line``;
* each deduction (and each terms discount) is coded by the mapping in force on the line's date;
  none in force → ``unmapped_deduction_code`` (there is no catch-all account).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from reconciliation.classification import Classifier, MappingTable, MappingVersion, compile_rules
from reconciliation.importers import ImportRefused, ParsedFile, RowError, detect_format, parse
from reconciliation.models import (
    DEDUCTION_TYPES,
    ClassificationRule,
    DeductionMapping,
    GLAccount,
    ImportBatch,
    ImportStatus,
    LineStatus,
    LineType,
    OpenInvoice,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)
from vendorsync.models import ExceptionCase, ExceptionKind, Severity
from vendorsync.roles import perm
from vendorsync.services import audit_record, exception_clear, exception_raise

ZERO = Decimal("0.00")
Progress = Callable[[float], None] | None


def _require(actor: Any, codename: str) -> None:
    """The system (actor None: flows, beat) may act; a person needs the permission."""
    if actor is not None and not actor.has_perm(perm(codename)):
        raise PermissionDenied("Your role cannot do this.")


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Import -------------------------------------------------------------------------------------


class _Refusal(Exception):
    def __init__(
        self, errors: list[RowError], code: str, after: list[Callable[[], None]] | None = None
    ) -> None:
        self.errors = errors
        self.code = code
        self.after = after or []


def import_batch_create(
    *,
    name: str,
    door: str,
    data: bytes,
    actor: Any = None,
    revision: bool = False,
    keep_content: bool = False,
) -> ImportBatch:
    """Record an import before its work starts (the upload page polls this row)."""
    _require(actor, "prepare_postings")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            name=name[:255],
            door=door,
            checksum=checksum(data),
            size=len(data),
            revision=revision,
            content=data if keep_content else None,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="remittance_import.queued",
            subject=batch,
            after={"name": batch.name, "door": door},
        )
    return batch


def _set_progress(batch: ImportBatch, value: float) -> None:
    # Outside the import transaction (autocommit), so the upload page sees it while parsing runs.
    ImportBatch.objects.filter(pk=batch.pk).update(progress=max(0, min(99, int(value))))


# Progress is a committed UPDATE (the page polls it): at most one per this many seconds while a
# file is read, since one per 2,000 rows cost a commit each — a second of a 100,000-line import.
PROGRESS_EVERY_SECONDS = 0.5


def _progress_writer(batch: ImportBatch, *, start: float, span: float) -> Callable[[float], None]:
    last = [time.monotonic()]

    def write(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            _set_progress(batch, start + fraction * span)

    return write


def remittance_import(
    *,
    data: bytes,
    name: str,
    door: str,
    fmt: str = "auto",
    actor: Any = None,
    revision: bool = False,
    batch: ImportBatch | None = None,
    parsed: ParsedFile | Callable[[], ParsedFile] | None = None,
    rerun_flow: str = "",
) -> ImportBatch:
    """Import one file (or one API payment: ``parsed``, or a function parsing it) through ``door``.

    Returns its batch.

    Never raises for bad input: the batch comes back ``refused`` with ``errors`` (row, column,
    message) and nothing else written, or ``imported`` with its ``summary``.
    """
    _require(actor, "prepare_postings")
    if batch is None:
        batch = import_batch_create(name=name, door=door, data=data, actor=actor, revision=revision)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, progress=1)
    try:
        if len(data) > settings.REMITTANCE_MAX_BYTES:
            raise _Refusal(
                [
                    RowError(
                        None,
                        "",
                        f"the file is {len(data):,} bytes; the limit is {settings.REMITTANCE_MAX_BYTES:,}",
                    )
                ],
                "too_large",
            )
        digest = checksum(data)
        earlier = (
            ImportBatch.objects.filter(checksum=digest, status=ImportStatus.IMPORTED)
            .exclude(pk=batch.pk)
            .first()
        )
        if earlier is not None:
            raise _Refusal(
                [
                    RowError(
                        None,
                        "",
                        f"this file was already imported on {earlier.created_at:%Y-%m-%d %H:%M} ({earlier.name})",
                    )
                ],
                "already_imported" if door in ("folder", "api") else "duplicate_file",
            )
        if callable(parsed):
            try:
                parsed = parsed()
            except ImportRefused as exc:
                raise _Refusal(exc.errors, exc.code) from None
        if parsed is None:
            fmt = detect_format(data, name) if fmt == "auto" else fmt
            ImportBatch.objects.filter(pk=batch.pk).update(format=fmt)
            try:
                parsed = parse(data, name, fmt, progress=_progress_writer(batch, start=5, span=55))
            except ImportRefused as exc:
                raise _Refusal(exc.errors, exc.code) from None
        _set_progress(batch, 60)
        numbers = Counter(p.payment_number for p in parsed.payments)
        repeated = [n for n, c in numbers.items() if c > 1]
        if repeated:
            raise _Refusal(
                [RowError(None, "", f"payment {n} appears twice in the file") for n in repeated], "bad_rows"
            )
        _write(parsed, batch=batch, digest=digest, actor=actor, revision=revision, rerun_flow=rerun_flow)
    except _Refusal as refusal:
        with transaction.atomic():
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportStatus.ALREADY_IMPORTED
                if refusal.code == "already_imported"
                else ImportStatus.REFUSED,
                errors=[e.as_json() for e in refusal.errors[:200]],
                summary={"code": refusal.code, "format": fmt},
                progress=100,
                content=None,
                finished_at=timezone.now(),
            )
            batch.refresh_from_db()
            audit_record(
                actor=actor,
                action="remittance_import.refused",
                subject=batch,
                after={"code": refusal.code, "errors": [str(e) for e in refusal.errors[:20]]},
            )
        for follow_up in refusal.after:
            follow_up()
        return batch
    batch.refresh_from_db()
    from reconciliation.tasks import queue_automatch  # the one matching hook (issue 10): every door ends here

    queue_automatch(batch)
    return batch


def _live_remittances(numbers: Iterable[str]) -> dict[str, Remittance]:
    return {
        r.payment_number: r
        for r in Remittance.objects.select_for_update()
        .filter(payment_number__in=list(numbers))
        .exclude(status=RemittanceStatus.SUPERSEDED)
    }


def remittance_is_posted(remittance: Remittance) -> bool:
    """Anything of it posted to NetSuite (posting batches set these statuses; a later issue)."""
    return (
        remittance.status == RemittanceStatus.POSTED
        or remittance.lines.filter(status=LineStatus.POSTED).exists()
    )


@dataclass
class _Context:
    classifier: Classifier
    mappings: MappingTable
    invoices: dict[str, Decimal]  # NetSuite invoice number -> amount


def _context() -> _Context:
    invoices = dict(OpenInvoice.objects.values_list("number", "amount"))
    return _Context(Classifier(compile_rules(), set(invoices)), MappingTable.load(), invoices)


def _write(
    parsed: ParsedFile, *, batch: ImportBatch, digest: str, actor: Any, revision: bool, rerun_flow: str
) -> dict[str, Any]:
    context = _context()
    deferred: list[Callable[[], None]] = []
    with transaction.atomic():
        live = _live_remittances(p.payment_number for p in parsed.payments)
        errors: list[RowError] = []
        for payment in parsed.payments:
            existing = live.get(payment.payment_number)
            if existing is None:
                continue
            if not revision:
                same = existing.amount == payment.amount and existing.line_count == len(payment.lines)
                errors.append(
                    RowError(
                        payment.row,
                        "",
                        f"payment {payment.payment_number} was already imported on {existing.imported_at:%Y-%m-%d}"
                        f" ({existing.get_source_display()}); import the file as a revision to replace it",
                    )
                )
                if same and len(parsed.payments) == 1 and batch.door in ("folder", "api"):
                    # The same payment through another door (its 820 after its CSV, the API after
                    # the folder): not a problem, just nothing to do.
                    raise _Refusal(errors, "already_imported")
            elif remittance_is_posted(existing):
                errors.append(
                    RowError(
                        payment.row,
                        "",
                        f"payment {payment.payment_number} is already posted; a revision cannot replace it",
                    )
                )
                deferred.append(_posted_revision_drift(existing, payment.amount))
        if errors:
            raise _Refusal(errors, "known_payment", deferred)

        summary: dict[str, Any] = {"format": parsed.format, "payments": [], "warnings": parsed.warnings}
        by_type: Counter[str] = Counter()
        totals: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
        references: defaultdict[type, set[int | None]] = defaultdict(set)
        raised = 0
        for payment in parsed.payments:
            previous = live.get(payment.payment_number)
            if previous is not None:
                previous.status = RemittanceStatus.SUPERSEDED
                previous.save(update_fields=["status"])
                _resolve_superseded_cases(previous, revision=previous.revision + 1)
            lines_total = payment.lines_total
            remittance = Remittance.objects.create(
                payment_number=payment.payment_number,
                revision=(previous.revision + 1) if previous else 1,
                supersedes=previous,
                unique_payment_id=payment.unique_payment_id,
                payment_date=payment.payment_date,
                amount=payment.amount,
                currency=payment.currency,
                payment_method=payment.payment_method[:20],
                payee_code=payment.payee_code[:40],
                source=parsed.format,
                batch=batch,
                file_checksum=digest,
                line_count=len(payment.lines),
                lines_total=lines_total,
                drift=payment.amount - lines_total,
            )
            lines = [
                _build_line(remittance, sequence, line, context)
                for sequence, line in enumerate(payment.lines, start=1)
            ]
            _insert_lines(lines)
            for line in lines:
                by_type[line.line_type] += 1
                totals[line.line_type] += line.amount_paid
                references[GLAccount].add(line.gl_account_id)
                references[GLAccount].add(line.discount_gl_account_id)
                references[DeductionMapping].add(line.mapping_id)
                references[ClassificationRule].add(line.rule_id)
            raised += _raise_line_exceptions(remittance, lines, rerun_flow)
            drift_key = f"{ExceptionKind.SETTLEMENT_DRIFT}:{remittance.payment_number}"
            if remittance.drift:
                exception_raise(
                    kind=ExceptionKind.SETTLEMENT_DRIFT,
                    dedupe_key=drift_key,
                    message=(
                        f"Payment {remittance.payment_number}: lines add up to {lines_total} {remittance.currency}, "
                        f"the payment is {remittance.amount} (difference {remittance.drift})."
                    ),
                    subject_type=Remittance._meta.label_lower,
                    subject_id=str(remittance.public_id),
                    details=_details(
                        rerun_flow,
                        payment_amount=str(remittance.amount),
                        lines_total=str(lines_total),
                        difference=str(remittance.drift),
                    ),
                    severity=Severity.HIGH,
                    amount_at_risk=abs(remittance.drift),
                )
                raised += 1
            elif previous is not None:
                exception_clear(
                    dedupe_key=drift_key, note=f"Revision {remittance.revision} adds up to the payment."
                )
            audit_record(
                actor=actor,
                action="remittance.imported" if previous is None else "remittance.revised",
                subject=remittance,
                before={"revision": previous.revision, "amount": str(previous.amount)} if previous else None,
                after={
                    "payment_number": remittance.payment_number,
                    "amount": str(remittance.amount),
                    "lines": remittance.line_count,
                    "drift": str(remittance.drift),
                    "batch": str(batch.public_id),
                },
            )
            summary["payments"].append(
                {
                    "payment_number": remittance.payment_number,
                    "payment_date": remittance.payment_date.isoformat(),
                    "amount": str(remittance.amount),
                    "currency": remittance.currency,
                    "line_count": remittance.line_count,
                    "lines_total": str(lines_total),
                    "drift": str(remittance.drift),
                    "revision": remittance.revision,
                    "public_id": str(remittance.public_id),
                }
            )
        _lock_line_references(references)
        summary["lines_by_type"] = dict(sorted(by_type.items()))
        summary["totals_by_type"] = {k: str(v) for k, v in sorted(totals.items())}
        summary["exceptions"] = raised
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.IMPORTED,
            format=parsed.format,
            summary=summary,
            errors=[],
            progress=100,
            content=None,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="remittance_import.imported",
            subject_type=ImportBatch._meta.label_lower,
            subject_id=str(batch.public_id),
            after={"payments": len(parsed.payments), "lines": sum(by_type.values())},
        )
    return summary


def _resolve_superseded_cases(previous: Remittance, *, revision: int) -> int:
    """Resolve the replaced version's open cases (auto), saying which revision superseded it.

    Its drift case is left to the drift check below (cleared when the revision adds up, raised
    again when it does not). A problem the revision still has is raised again for the revision.
    """
    drift_key = f"{ExceptionKind.SETTLEMENT_DRIFT}:{previous.payment_number}"
    keys = (
        ExceptionCase.objects.open()
        .filter(subject_type=Remittance._meta.label_lower, subject_id=str(previous.public_id))
        .exclude(dedupe_key=drift_key)
        .values_list("dedupe_key", flat=True)
    )
    note = f"Superseded by revision {revision} of payment {previous.payment_number}."
    return sum(exception_clear(dedupe_key=key, note=note) is not None for key in list(keys))


def _details(rerun_flow: str, **values: Any) -> dict[str, Any]:
    return values | ({"rerun_flow": rerun_flow} if rerun_flow else {})


def _posted_revision_drift(existing: Remittance, new_amount: Decimal) -> Callable[[], None]:
    def raise_it() -> None:
        exception_raise(
            kind=ExceptionKind.SETTLEMENT_DRIFT,
            dedupe_key=f"{ExceptionKind.SETTLEMENT_DRIFT}:revision:{existing.payment_number}",
            message=(
                f"A revision of payment {existing.payment_number} arrived after it was posted "
                f"(posted {existing.amount}, revision {new_amount}); the revision was not applied."
            ),
            subject_type=Remittance._meta.label_lower,
            subject_id=str(existing.public_id),
            details={"posted_amount": str(existing.amount), "revision_amount": str(new_amount)},
            severity=Severity.HIGH,
            amount_at_risk=abs(new_amount - existing.amount),
        )

    return raise_it


@dataclass(slots=True)
class _Line:
    """A line being imported: plain attributes (building 100,000 model instances is the slow part)."""

    remittance_id: int
    sequence: int
    source_row: int | None
    document_number: str
    document_date: date | None
    invoice_amount: Decimal | None
    discount: Decimal
    amount_paid: Decimal
    description: str
    purchase_order: str
    adjustment_code: str
    line_type: str
    base_invoice_number: str
    rule_id: int | None
    status: str
    gl_account_id: int | None = None
    mapping_id: int | None = None
    discount_gl_account_id: int | None = None


_LINE_COLUMNS = [f.name for f in fields(_Line)]


_TYPE_OIDS: dict[tuple[str, ...], list[int]] = {}


def _column_type_oids(cursor: Any, table: str, columns: list[str]) -> list[int]:
    # Binary COPY needs each value sent as its column's exact type (int4 vs int8, numeric, date…).
    # Built-in type ids never change, so they are read once per process.
    key = (table, *columns)
    if key in _TYPE_OIDS:
        return _TYPE_OIDS[key]
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attname = ANY(%s)",
        [table, columns],
    )
    oids = dict(cursor.fetchall())
    _TYPE_OIDS[key] = [int(oids[column]) for column in columns]
    return _TYPE_OIDS[key]


def _insert_lines(lines: list[_Line]) -> None:
    """Insert in the import's transaction: binary COPY on PostgreSQL, batched INSERTs elsewhere.

    Binary, because PostgreSQL then skips parsing every number and date out of text (a third of
    the COPY's time for 100,000 lines).
    """
    if connection.vendor == "postgresql":
        table = RemittanceLine._meta.db_table
        names = [RemittanceLine._meta.get_field(name).column for name in _LINE_COLUMNS]
        getter = attrgetter(*_LINE_COLUMNS)
        with connection.cursor() as cursor:
            types = _column_type_oids(cursor, table, names)
            sql = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"  # noqa: S608 - our names
            with cursor.cursor.copy(sql) as copy:
                copy.set_types(types)
                for line in lines:
                    copy.write_row(getter(line))
        return
    RemittanceLine.objects.bulk_create(
        (RemittanceLine(**{name: getattr(line, name) for name in _LINE_COLUMNS}) for line in lines),
        batch_size=2000,
    )


def _lock_line_references(references: dict[type, set[int | None]]) -> None:
    """Check that every account, mapping and rule the lines name exists, and keep it until commit.

    Stands in for the database foreign keys ``RemittanceLine`` does without (PostgreSQL checked them
    once per line; this is once per distinct row, a handful per import). On PostgreSQL the rows are
    locked ``FOR KEY SHARE``, as a foreign-key check does, so they cannot be deleted before the
    import commits; SQLite has one writer at a time. A row gone since the import read its tables
    refuses the import (nothing is written).
    """
    for model, ids in references.items():
        wanted = sorted(i for i in ids if i is not None)
        if not wanted:
            continue
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {model._meta.db_table} WHERE id = ANY(%s) FOR KEY SHARE",  # noqa: S608 - our name
                    [wanted],
                )
                found = {row[0] for row in cursor.fetchall()}
        else:
            found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise _Refusal(
                [
                    RowError(
                        None,
                        "",
                        f"{model._meta.verbose_name} {missing[:5]} was deleted while the file was being imported; "
                        "import it again",
                    )
                ],
                "changed_meanwhile",
            )


def _build_line(remittance: Remittance, sequence: int, parsed: Any, context: _Context) -> _Line:
    line_type, base, rule_id = context.classifier.values(
        parsed.document_number, parsed.description, parsed.adjustment_code
    )
    line = _Line(
        remittance.pk,
        sequence,
        parsed.row,
        parsed.document_number[:100],
        parsed.document_date,
        parsed.invoice_amount,
        parsed.discount,
        parsed.amount_paid,
        parsed.description,
        parsed.purchase_order,
        parsed.adjustment_code,
        line_type,
        base[:100],
        rule_id,
        LineStatus.OK,
    )
    if line.line_type == LineType.UNKNOWN:
        line.status = LineStatus.UNKNOWN
        return line
    if line.line_type == LineType.INVOICE:
        reference = context.invoices.get(line.document_number, line.invoice_amount)
        if reference is not None and line.amount_paid + line.discount > reference:
            line.status = LineStatus.OVERPAID  # kept by code_line: flagged, never silently accepted
    code_line(line, context.mappings, when=line.document_date or remittance.payment_date)
    return line


def code_line(line: Any, table: MappingTable, *, when: date) -> None:
    """Set the GL account(s) of one line from the mapping in force on ``when`` (in memory)."""
    line.gl_account_id = line.mapping_id = line.discount_gl_account_id = None
    unmapped = False
    if line.line_type in DEDUCTION_TYPES:
        version = table.lookup(line.line_type, line.adjustment_code, when)
        if version is None:
            unmapped = True
        else:
            line.gl_account_id, line.mapping_id = version.gl_account_id, version.id
    if line.discount:
        version = table.lookup(LineType.TERMS_DISCOUNT, "", when)
        if version is None:
            unmapped = True
        else:
            line.discount_gl_account_id = version.gl_account_id
    if line.status in (LineStatus.POSTED, LineStatus.UNKNOWN, LineStatus.OVERPAID):
        return
    if unmapped:
        line.status = LineStatus.UNMAPPED
    elif line.line_type in DEDUCTION_TYPES or line.discount:
        line.status = LineStatus.CODED
    else:
        line.status = LineStatus.OK


def _unmapped_key(remittance: Remittance, line_type: str) -> str:
    return f"{ExceptionKind.UNMAPPED_DEDUCTION_CODE}:{remittance.payment_number}:{line_type}"


def _raise_line_exceptions(remittance: Remittance, lines: list[_Line], rerun_flow: str) -> int:
    raised = 0
    unmapped: defaultdict[str, list[_Line]] = defaultdict(list)
    for line in lines:
        if line.status == LineStatus.UNKNOWN:
            exception_raise(
                kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE,
                dedupe_key=f"{ExceptionKind.UNMATCHED_REMITTANCE_LINE}:{remittance.payment_number}:{line.document_number}",
                message=(
                    f"Payment {remittance.payment_number}: line {line.document_number} ({line.amount_paid}) matches "
                    "no classification rule and no NetSuite invoice."
                ),
                subject_type=Remittance._meta.label_lower,
                subject_id=str(remittance.public_id),
                details=_details(
                    rerun_flow, document_number=line.document_number, description=line.description
                ),
                amount_at_risk=abs(line.amount_paid),
            )
            raised += 1
        elif line.status == LineStatus.OVERPAID:
            exception_raise(
                kind=ExceptionKind.SETTLEMENT_DRIFT,
                dedupe_key=f"{ExceptionKind.SETTLEMENT_DRIFT}:overpaid:{remittance.payment_number}:{line.document_number}",
                message=(
                    f"Payment {remittance.payment_number} settles {line.amount_paid + line.discount} on invoice "
                    f"{line.document_number}, more than the invoice amount."
                ),
                subject_type=Remittance._meta.label_lower,
                subject_id=str(remittance.public_id),
                details=_details(rerun_flow, amount_paid=str(line.amount_paid), discount=str(line.discount)),
                amount_at_risk=line.amount_paid,
            )
            raised += 1
        elif line.status == LineStatus.UNMAPPED:
            unmapped[line.line_type if line.line_type in DEDUCTION_TYPES else LineType.TERMS_DISCOUNT].append(
                line
            )
    for line_type, group in unmapped.items():
        exception_raise(
            kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE,
            dedupe_key=_unmapped_key(remittance, line_type),
            message=(
                f"Payment {remittance.payment_number}: {len(group)} {LineType(line_type).label} line(s) have no GL "
                "mapping in force on their date; the remittance cannot be posted until one is added."
            ),
            subject_type=Remittance._meta.label_lower,
            subject_id=str(remittance.public_id),
            details=_details(
                rerun_flow, line_type=line_type, documents=[line.document_number for line in group[:50]]
            ),
            amount_at_risk=abs(sum((line.amount_paid for line in group), ZERO)),
        )
        raised += 1
    return raised


def remittance_blockers(remittance: Remittance) -> list[str]:
    """Why a batch holding this remittance cannot be approved (empty = nothing blocks it)."""
    reasons = []
    unmapped = remittance.lines.filter(status=LineStatus.UNMAPPED).count()
    if unmapped:
        reasons.append(f"{unmapped} line(s) have no GL mapping")
    if remittance.drift:
        reasons.append(f"lines differ from the payment by {remittance.drift}")
    return reasons


# --- Mappings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingChange:
    line_type: str
    adjustment_code: str
    gl_account: GLAccount
    effective_from: date
    note: str = ""


def _proposed_table(change: MappingChange) -> MappingTable:
    versions = []
    for m in DeductionMapping.objects.all():
        end = m.effective_to
        if (
            m.line_type == change.line_type
            and m.adjustment_code == change.adjustment_code
            and m.effective_to is None
            and m.effective_from < change.effective_from
        ):
            end = change.effective_from - timedelta(days=1)
        versions.append(
            MappingVersion(m.pk, m.line_type, m.adjustment_code, m.gl_account_id, m.effective_from, end)
        )
    versions.append(
        MappingVersion(
            None, change.line_type, change.adjustment_code, change.gl_account.pk, change.effective_from, None
        )
    )
    return MappingTable(versions)


def _validate_change(change: MappingChange) -> DeductionMapping | None:
    if change.line_type not in DEDUCTION_TYPES:
        raise ValidationError(f"{change.line_type} is not a deduction type.")
    if not change.gl_account.active:
        raise ValidationError(f"GL account {change.gl_account} is inactive in NetSuite.")
    same_key = DeductionMapping.objects.filter(
        line_type=change.line_type, adjustment_code=change.adjustment_code
    )
    if same_key.filter(effective_from__gte=change.effective_from).exists():
        raise ValidationError(
            "A version of this mapping already starts on or after that date; choose a later effective date."
        )
    return same_key.filter(effective_to__isnull=True).first()


def mapping_change(*, actor: Any, change: MappingChange) -> DeductionMapping:
    """Add a new version of a deduction mapping (admins only); recode the lines it now covers.

    The version in force is ended the day before; lines not yet posted whose date falls in the new
    version's period are recoded, and ``unmapped_deduction_code`` cases they fix are resolved.
    """
    if actor is None or not actor.has_perm(perm("manage_mappings")):
        raise PermissionDenied("Only administrators change GL mappings.")
    with transaction.atomic():
        current = _validate_change(change)
        before = None
        if current is not None:
            before = {
                "gl_account": str(current.gl_account),
                "effective_from": current.effective_from.isoformat(),
            }
            current.effective_to = change.effective_from - timedelta(days=1)
            current.save(update_fields=["effective_to"])
        mapping = DeductionMapping.objects.create(
            line_type=change.line_type,
            adjustment_code=change.adjustment_code,
            gl_account=change.gl_account,
            effective_from=change.effective_from,
            changed_by=actor,
            note=change.note[:200],
        )
        audit_record(
            actor=actor,
            action="deduction_mapping.changed",
            subject=mapping,
            before=before,
            after={
                "line_type": mapping.line_type,
                "adjustment_code": mapping.adjustment_code,
                "gl_account": str(change.gl_account),
                "effective_from": mapping.effective_from.isoformat(),
            },
            reason=change.note,
        )
        _recode(change.line_type, change.effective_from, actor)
    return mapping


def recode_lines(*, line_type: str, since: date, actor: Any = None) -> int:
    """Recode unposted lines of ``line_type`` dated ``since`` or later with the mappings as they are now."""
    with transaction.atomic():
        return _recode(line_type, since, actor)


def _affected_lines(line_type: str, since: date):  # noqa: ANN202 - a queryset
    lines = (
        RemittanceLine.objects.select_related("remittance")
        .exclude(remittance__status__in=[RemittanceStatus.SUPERSEDED, RemittanceStatus.POSTED])
        .exclude(status__in=[LineStatus.POSTED, LineStatus.UNKNOWN])
    )
    if line_type == LineType.TERMS_DISCOUNT:
        lines = lines.exclude(discount=0)
    else:
        lines = lines.filter(line_type=line_type)
    return lines.filter(remittance__payment_date__gte=since - timedelta(days=400))


def _key_type(line: Any) -> str:
    """Which ``unmapped_deduction_code`` case a line belongs to (its type, or the terms discount)."""
    return line.line_type if line.line_type in DEDUCTION_TYPES else LineType.TERMS_DISCOUNT


def _recode(line_type: str, since: date, actor: Any) -> int:
    table = MappingTable.load()
    changed = []
    touched: defaultdict[int, set[str]] = defaultdict(set)
    for line in _affected_lines(line_type, since):
        when = line.document_date or line.remittance.payment_date
        if when < since:
            continue
        before = (line.gl_account_id, line.discount_gl_account_id, line.status)
        code_line(line, table, when=when)
        if (line.gl_account_id, line.discount_gl_account_id, line.status) != before:
            changed.append(line)
            touched[line.remittance_id].add(_key_type(line))
    RemittanceLine.objects.bulk_update(
        changed, ["gl_account", "mapping", "discount_gl_account", "status"], batch_size=1000
    )
    still_unmapped: defaultdict[int, set[str]] = defaultdict(set)
    for line in RemittanceLine.objects.filter(remittance_id__in=touched, status=LineStatus.UNMAPPED).only(
        "remittance_id", "line_type"
    ):
        still_unmapped[line.remittance_id].add(_key_type(line))
    for remittance in Remittance.objects.filter(pk__in=touched):
        for key_type in touched[remittance.pk] - still_unmapped[remittance.pk]:
            exception_clear(
                dedupe_key=_unmapped_key(remittance, key_type), note="Mapping added; the lines are coded."
            )
    if changed:
        audit_record(
            actor=actor,
            action="remittance_lines.recoded",
            subject_type=RemittanceLine._meta.label_lower,
            subject_id=line_type,
            after={"lines": len(changed), "since": since.isoformat()},
        )
    return len(changed)


@dataclass(frozen=True)
class Move:
    line: RemittanceLine
    amount: Decimal
    from_account: GLAccount | None
    to_account: GLAccount | None


def mapping_dry_run(*, change: MappingChange, last: int = 20) -> list[Move]:
    """How the last ``last`` remittances' lines would be coded under ``change``: the lines that move.

    Reads only; nothing is saved. Each move names the line, the amount and both accounts.
    """
    _validate_change(change)
    current, proposed = MappingTable.load(), _proposed_table(change)
    remittances = list(
        Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED).order_by("-payment_date", "-id")[:last]
    )
    lines = RemittanceLine.objects.filter(remittance__in=remittances).select_related("remittance")
    if change.line_type == LineType.TERMS_DISCOUNT:
        lines = lines.exclude(discount=0)
    else:
        lines = lines.filter(line_type=change.line_type)
    accounts = {a.pk: a for a in GLAccount.objects.all()}
    moves = []
    for line in lines:
        when = line.document_date or line.remittance.payment_date
        code = line.adjustment_code
        was = current.lookup(change.line_type, code, when)
        will = proposed.lookup(change.line_type, code, when)
        was_id = was.gl_account_id if was else None
        will_id = will.gl_account_id if will else None
        if was_id != will_id:
            amount = line.discount if change.line_type == LineType.TERMS_DISCOUNT else line.amount_paid
            moves.append(Move(line, amount, accounts.get(was_id), accounts.get(will_id)))
    return moves


# --- Ledger data from NetSuite ------------------------------------------------------------------


def gl_accounts_sync(
    *, rows: list[dict[str, str]], items: list[dict[str, str]] | None = None, actor: Any = None
) -> dict[str, int]:
    """Upsert GL accounts from SuiteQL rows (id, acctnumber, acctname, accttype, isinactive).

    ``items`` (id, incomeaccount of active other-charge items) give each account the item a credit
    memo books to it through; the lowest item id wins when several share an account. ``None``
    leaves the accounts' items as they are.
    """
    now = timezone.now()
    created = updated = 0
    item_of: dict[str, str] = {}
    for item in sorted(items or [], key=lambda row: int(row["id"]), reverse=True):
        if item.get("incomeaccount"):
            item_of[str(item["incomeaccount"])] = str(item["id"])
    with transaction.atomic():
        existing = {a.netsuite_id: a for a in GLAccount.objects.all()}
        for row in rows:
            values = {
                "number": row.get("acctnumber") or "",
                "name": (row.get("fullname") or row.get("acctname") or "")[:200],
                "account_type": row.get("accttype") or "",
                "active": (row.get("isinactive") or "F") != "T",
            }
            if items is not None:
                values["deduction_item_id"] = item_of.get(str(row["id"]), "")
            account = existing.get(str(row["id"]))
            if account is None:
                GLAccount.objects.create(netsuite_id=str(row["id"]), synced_at=now, **values)
                created += 1
            elif any(getattr(account, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(account, key, value)
                account.synced_at = now
                account.save()
                updated += 1
        if created or updated:
            audit_record(
                actor=actor,
                action="gl_accounts.synced",
                subject_type=GLAccount._meta.label_lower,
                subject_id="netsuite",
                after={"created": created, "updated": updated},
            )
    return {"accounts": len(rows), "created": created, "updated": updated}


def open_invoices_sync(*, rows: list[dict[str, str]], customer_id: str, actor: Any = None) -> dict[str, int]:
    """Upsert the Amazon customer's NetSuite invoices (every one: finance reconciles to the ledger)."""
    now = timezone.now()
    existing = {i.netsuite_id: i for i in OpenInvoice.objects.all()}
    new, changed = [], []
    for row in rows:
        values = {
            "number": row.get("tranid") or "",
            "date": date.fromisoformat(row["trandate"][:10]) if row.get("trandate") else None,
            "amount": Decimal(row.get("foreigntotal") or "0").quantize(Decimal("0.01")),
            "open_balance": Decimal(row.get("foreignamountunpaid") or "0").quantize(Decimal("0.01")),
            "purchase_order": (row.get("otherrefnum") or "")[:40],
            "customer_id": customer_id,
            "status": row.get("status") or "",
        }
        invoice = existing.get(str(row["id"]))
        if invoice is None:
            new.append(OpenInvoice(netsuite_id=str(row["id"]), synced_at=now, **values))
        elif any(getattr(invoice, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(invoice, key, value)
            invoice.synced_at = now
            changed.append(invoice)
    with transaction.atomic():
        OpenInvoice.objects.bulk_create(new, batch_size=1000)
        OpenInvoice.objects.bulk_update(
            changed,
            [
                "number",
                "date",
                "amount",
                "open_balance",
                "purchase_order",
                "customer_id",
                "status",
                "synced_at",
            ],
            batch_size=1000,
        )
        if new or changed:
            audit_record(
                actor=actor,
                action="open_invoices.synced",
                subject_type=OpenInvoice._meta.label_lower,
                subject_id=customer_id,
                after={"created": len(new), "updated": len(changed)},
            )
    return {"invoices": len(rows), "created": len(new), "updated": len(changed)}


# --- Header mappings ----------------------------------------------------------------------------


def header_mapping_save(*, actor: Any, header: str, field: str) -> Any:
    """Map a spreadsheet column header to a field (admins); a new layout needs no code."""
    from reconciliation.importers.tabular import normalise_header
    from reconciliation.models import HeaderMapping

    if actor is None or not actor.has_perm(perm("manage_mappings")):
        raise PermissionDenied("Only administrators change header mappings.")
    name = normalise_header(header)
    if not name:
        raise ValidationError("The header is empty.")
    with transaction.atomic():
        existing = HeaderMapping.objects.filter(header=name).first()
        before = {"field": existing.field} if existing else None
        mapping, _ = HeaderMapping.objects.update_or_create(
            header=name, defaults={"field": field, "changed_at": timezone.now()}
        )
        audit_record(
            actor=actor,
            action="header_mapping.saved",
            subject_type=HeaderMapping._meta.label_lower,
            subject_id=name,
            before=before,
            after={"field": field},
        )
    return mapping


def header_mapping_delete(*, actor: Any, mapping: Any) -> None:
    if actor is None or not actor.has_perm(perm("manage_mappings")):
        raise PermissionDenied("Only administrators change header mappings.")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="header_mapping.deleted",
            subject_type=mapping._meta.label_lower,
            subject_id=mapping.header,
            before={"field": mapping.field},
        )
        mapping.delete()


# --- Classification rules -----------------------------------------------------------------------


def classification_rule_add(
    *, actor: Any, order: int, field: str, pattern: str, line_type: str, note: str = ""
) -> Any:
    """Add a rule (admins). It applies to lines imported from now on; imported lines keep their type."""
    import re

    from reconciliation.models import ClassificationRule, RuleField

    if actor is None or not actor.has_perm(perm("manage_mappings")):
        raise PermissionDenied("Only administrators change classification rules.")
    if field != RuleField.KNOWN_INVOICE:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(f"Not a valid regular expression: {exc}") from None
    with transaction.atomic():
        rule = ClassificationRule.objects.create(
            order=order, field=field, pattern=pattern, line_type=line_type, note=note[:200]
        )
        audit_record(
            actor=actor,
            action="classification_rule.added",
            subject=rule,
            after={"order": order, "field": field, "pattern": pattern, "line_type": line_type},
        )
    return rule


def classification_rule_toggle(*, actor: Any, rule: Any) -> Any:
    """Switch a rule on or off (admins); rules are never deleted, so old classifications stay explained."""
    if actor is None or not actor.has_perm(perm("manage_mappings")):
        raise PermissionDenied("Only administrators change classification rules.")
    with transaction.atomic():
        before = {"active": rule.active}
        rule.active = not rule.active
        rule.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action="classification_rule.toggled",
            subject=rule,
            before=before,
            after={"active": rule.active},
        )
    return rule
