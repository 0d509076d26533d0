"""Exception cases of orders out: raised with the exact reason, cleared when the cause is gone."""

from __future__ import annotations

from collections.abc import Sequence

from orders.outbound import validation
from orders.outbound_models import Invoice, Shipment
from vendorsync.models import ExceptionKind, Severity, Team
from vendorsync.services import exception_clear, exception_raise


def _subject(shipment: Shipment) -> dict[str, str]:
    return {"subject_type": "orders.shipment", "subject_id": str(shipment.public_id)}


def blocked_key(shipment: Shipment) -> str:
    return f"asn_blocked:{shipment.shipment_identifier}"


def divergence_key(shipment: Shipment) -> str:
    return f"asn_manifest_divergence:{shipment.shipment_identifier}"


def rejected_key(shipment: Shipment) -> str:
    return f"asn_rejected:{shipment.shipment_identifier}"


def sync_validation_cases(shipment: Shipment, problems: Sequence[validation.Problem]) -> None:
    """``asn_blocked`` for label/package problems, ``asn_manifest_divergence`` for contents; clear
    whichever no longer applies."""
    divergent = [p for p in problems if p.rule in validation.DIVERGENCE_RULES]
    blocking = [p for p in problems if p.rule not in validation.DIVERGENCE_RULES]
    where = f"ASN {shipment.shipment_identifier} (PO {shipment.purchase_order.number}, fulfilment " \
        f"{shipment.netsuite_fulfilment_number or shipment.netsuite_fulfilment_id})"  # fmt: skip
    for kind, key, found in (
        (ExceptionKind.ASN_BLOCKED, blocked_key(shipment), blocking),
        (ExceptionKind.ASN_MANIFEST_DIVERGENCE, divergence_key(shipment), divergent),
    ):
        if found:
            first = found[0]
            exception_raise(
                kind=kind,
                dedupe_key=key,
                message=f"{where} not sent: {first.message} [rule {first.rule}]"
                + (f" and {len(found) - 1} more problem(s)" if len(found) > 1 else ""),
                severity=Severity.HIGH,
                owner_team=Team.OPS,
                details={
                    "rerun_flow": "shipments",
                    "problems": validation.summarise(list(found))[:50],
                    "fulfilment": shipment.netsuite_fulfilment_id,
                    "container": first.container,
                    "rule": first.rule,
                },
                **_subject(shipment),
            )
        else:
            exception_clear(dedupe_key=key, note="Fulfilment corrected; the ASN passes every check.")


def raise_rejected(shipment: Shipment, error: str) -> None:
    exception_raise(
        kind=ExceptionKind.ASN_REJECTED,
        dedupe_key=rejected_key(shipment),
        message=f"Amazon rejected ASN {shipment.shipment_identifier} (PO {shipment.purchase_order.number}): {error[:400]}",
        severity=Severity.HIGH,
        owner_team=Team.OPS,
        details={"rerun_flow": "shipments", "error": error[:2000], "transaction_id": shipment.transaction_id},
        **_subject(shipment),
    )


def clear_rejected(shipment: Shipment) -> None:
    exception_clear(dedupe_key=rejected_key(shipment), note="Amazon accepted the shipment confirmation.")


def invoice_key(invoice: Invoice) -> str:
    return f"sync_failed:invoice:{invoice.external_id}"


def raise_invoice_failed(invoice: Invoice, error: str) -> None:
    exception_raise(
        kind=ExceptionKind.SYNC_FAILED,
        dedupe_key=invoice_key(invoice),
        message=f"Invoice {invoice.number or invoice.external_id} (PO {invoice.purchase_order.number}) "
        f"was refused: {error[:400]}",
        severity=Severity.HIGH,
        owner_team=Team.OPS,
        details={"rerun_flow": "invoices", "error": error[:2000]},
        subject_type="orders.invoice",
        subject_id=str(invoice.public_id),
        amount_at_risk=invoice.total,
    )


def clear_invoice_failed(invoice: Invoice) -> None:
    exception_clear(dedupe_key=invoice_key(invoice), note="Amazon accepted the invoice.")
