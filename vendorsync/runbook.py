"""The operations runbook: one entry per exception kind, written once.

Each entry says what the case means, why it matters (the chargeback or ledger risk), where the data
lives in Amazon, NetSuite and VendorSync, who owns it and how to fix it. The case page shows the entry
for its kind, and ``python manage.py runbook`` renders all of them to ``docs/operations.md`` for the
people running the business. ``tests/test_runbook.py`` fails when a kind has no entry or the committed
document is out of date, so adding a kind without its entry cannot pass CI.
"""

from __future__ import annotations

from dataclasses import dataclass

from vendorsync.models import ExceptionKind, Team, owner_for_kind


@dataclass(frozen=True)
class RunbookEntry:
    kind: str
    meaning: str
    why: str  # the chargeback or ledger risk
    amazon: str  # where the data lives in Amazon
    netsuite: str  # … in NetSuite
    vendorsync: str  # … in VendorSync
    fix: tuple[str, ...]  # steps, in order
    resolves: str  # what closes the case (by itself or by a person)

    @property
    def label(self) -> str:
        return ExceptionKind(self.kind).label

    @property
    def owner_label(self) -> str:
        return Team(owner_for_kind(self.kind)).label


_ORDERS_PAGE = "Orders → the purchase order (linked from the case)"
_SYNC_PAGE = "Settings → Sync runs and deliveries"

ENTRIES: dict[str, RunbookEntry] = {
    entry.kind: entry
    for entry in [
        RunbookEntry(
            kind=ExceptionKind.SKU_ASIN_GAP,
            meaning="A purchase-order line names an ASIN or vendor SKU that maps to no NetSuite item.",
            why="The PO cannot become a sales order, so it is neither acknowledged nor shipped on time: "
            "Amazon's on-time acknowledgement and fill-rate chargebacks follow, and the line is lost sales.",
            amazon="Vendor Central → Orders → the PO's line (ASIN, vendor SKU, EAN).",
            netsuite="Lists → Items: the item whose SKU/UPC should match.",
            vendorsync=f"{_ORDERS_PAGE}; Items → cross-references.",
            fix=(
                "Find the NetSuite item for the ASIN (by UPC/EAN or vendor SKU).",
                "Add the cross-reference (vendor code + ASIN or vendor SKU → item) in VendorSync.",
                "Press Re-run: the items sync revalidates the PO and the case closes by itself.",
            ),
            resolves="Automatically, when the PO revalidates with every line mapped.",
        ),
        RunbookEntry(
            kind=ExceptionKind.PRICE_DISCREPANCY,
            meaning="Amazon's net cost on a PO line differs from the NetSuite cost beyond the tolerance.",
            why="Invoicing at our price against Amazon's PO cost makes Amazon short-pay the invoice and "
            "raise a price claim (…PC) that lands as a deduction in the remittance.",
            amazon="Vendor Central → Orders → the PO line's net cost; Costs → cost change requests.",
            netsuite="The item's price level for the Amazon customer.",
            vendorsync=_ORDERS_PAGE,
            fix=(
                "Decide which price is right (a pending cost change, a promotion, a data-entry error).",
                "Fix the NetSuite price or ask Amazon to correct the PO cost; press Re-run (the items sync).",
                "If the difference is accepted, resolve the case with the reason.",
            ),
            resolves="Automatically when the costs agree; otherwise by a person with a reason.",
        ),
        RunbookEntry(
            kind=ExceptionKind.PO_NOT_MAPPED,
            meaning="Creating the NetSuite sales order for an Amazon PO failed.",
            why="Without a sales order nothing is picked, acknowledged from stock or invoiced; the PO "
            "ages toward acknowledgement and ship-window chargebacks.",
            amazon="Vendor Central → Orders → the PO.",
            netsuite="Transactions → Sales Orders, searched by the external id AMZ-PO-<PO number>.",
            vendorsync=f"{_ORDERS_PAGE}; {_SYNC_PAGE} → Deliveries for the sales-order message.",
            fix=(
                "Read the NetSuite error on the case (customer, subsidiary, item or field).",
                "Fix the master data in NetSuite (or the vendor-code mapping in VendorSync).",
                "Press Re-run; the delivery is idempotent by external id, so it never creates two orders.",
            ),
            resolves="Automatically when the sales order exists in NetSuite.",
        ),
        RunbookEntry(
            kind=ExceptionKind.ACK_FAILED,
            meaning="Amazon rejected or failed the acknowledgement transaction for a PO.",
            why="An unacknowledged PO counts against the on-time acknowledgement rate and Amazon may "
            "cancel it or charge back; quantities Amazon expects may not match what we ship.",
            amazon="Vendor Central → Orders → the PO's acknowledgement status; the transaction status API.",
            netsuite="The sales order's committed and backordered quantities.",
            vendorsync=f"{_ORDERS_PAGE} → Acknowledgements (the transaction id and Amazon's errors).",
            fix=(
                "Read Amazon's error (unknown line, quantity above ordered, bad reason code).",
                "Correct the line decisions and press Re-run to submit the acknowledgement again.",
            ),
            resolves="Automatically when Amazon accepts an acknowledgement for the PO.",
        ),
        RunbookEntry(
            kind=ExceptionKind.ACK_OVERDUE,
            meaning="No acknowledgement was accepted within 24 hours of the PO's creation.",
            why="Late acknowledgements are an operational chargeback and Amazon may cancel the PO.",
            amazon="Vendor Central → Orders → POs awaiting acknowledgement.",
            netsuite="Item availability used to decide accept / backorder / reject.",
            vendorsync=_ORDERS_PAGE,
            fix=(
                "Check why the acknowledgement did not go: the sales order (po_not_mapped), "
                "item mapping (sku_asin_gap) or the acknowledgements sync.",
                "Fix that cause, then press Re-run to acknowledge now.",
            ),
            resolves="Automatically when an accepted acknowledgement is recorded.",
        ),
        RunbookEntry(
            kind=ExceptionKind.ASN_BLOCKED,
            meaning="The packed fulfilment fails ASN validation (SSCC check digit or duplicate, weight, "
            "container codes, cartons not summing to the fulfilment, quantity above accepted).",
            why="An inaccurate ASN is charged back per carton or shipment and slows receiving at the FC, "
            "which later shows as shortage claims.",
            amazon="Vendor Central → Shipments (after submission).",
            netsuite="The item fulfilment and its packages (SSCC, weight, contents).",
            vendorsync=f"{_ORDERS_PAGE} → Shipments: the validation result names the carton and field.",
            fix=(
                "Correct the packages on the NetSuite fulfilment (label, weight, contents).",
                "Press Re-run: the shipments sync rebuilds and revalidates the ASN before anything is sent.",
                "If it keeps happening, ask the NetSuite administrator for the fulfilment guard script "
                "(see 'NetSuite-side guard' at the end of this runbook).",
            ),
            resolves="Automatically when the rebuilt ASN validates.",
        ),
        RunbookEntry(
            kind=ExceptionKind.ASN_REJECTED,
            meaning="Amazon rejected the shipment confirmation (ASN) we sent.",
            why="Without an accepted ASN the delivery is received blind: ASN-accuracy chargebacks and "
            "shortage claims follow.",
            amazon="Vendor Central → Shipments → the submission's status and errors.",
            netsuite="The item fulfilment the ASN was built from.",
            vendorsync=f"{_ORDERS_PAGE} → Shipments (transmission status and Amazon's errors).",
            fix=(
                "Read Amazon's rejection reason; correct the fulfilment or shipment data.",
                "Press Re-run to resubmit the corrected ASN.",
            ),
            resolves="Automatically when a resubmission is accepted.",
        ),
        RunbookEntry(
            kind=ExceptionKind.ASN_MANIFEST_DIVERGENCE,
            meaning="ASN quantities differ from the fulfilment or the packed cartons.",
            why="Amazon receives against the ASN; a divergence becomes a shortage claim or an overage "
            "we are never paid for.",
            amazon="Vendor Central → Shipments and later the receiving discrepancy report.",
            netsuite="The item fulfilment and its packages.",
            vendorsync=f"{_ORDERS_PAGE} → Shipments → containers and their items.",
            fix=(
                "Recount or correct the cartons' contents in NetSuite.",
                "Press Re-run to rebuild the ASN from the corrected fulfilment.",
            ),
            resolves="Automatically when ASN, fulfilment and cartons agree.",
        ),
        RunbookEntry(
            kind=ExceptionKind.PO_EXPIRING,
            meaning="A PO's ship window closes soon and lines are still unshipped.",
            why="Shipping after the window is refused or charged back; closing lines late leaves "
            "backorders Amazon no longer wants.",
            amazon="Vendor Central → Orders → ship window.",
            netsuite="The sales order's open lines and backorders.",
            vendorsync=_ORDERS_PAGE,
            fix=("Ship what can make the window, or decide to close the lines before it ends.",),
            resolves="Automatically when the lines are shipped or closed.",
        ),
        RunbookEntry(
            kind=ExceptionKind.PO_EXPIRED_OPEN_LINES,
            meaning="A PO's ship window has closed with lines still open.",
            why="Open lines after the window keep stock committed and make the invoice and ASN disagree "
            "with what Amazon will accept.",
            amazon="Vendor Central → Orders → the closed PO.",
            netsuite="The sales order lines still open or backordered.",
            vendorsync=_ORDERS_PAGE,
            fix=(
                "Close the unshipped lines in NetSuite (or let the PO-window sync close them).",
                "Press Re-run to run the PO-window sync again.",
            ),
            resolves="Automatically when no line is open any more.",
        ),
        RunbookEntry(
            kind=ExceptionKind.SETTLEMENT_DRIFT,
            meaning="A remittance's lines do not add up to its payment, or it does not tie to the "
            "invoices it pays.",
            why="Posting a payment that does not tie leaves unexplained variance in the ledger; the month "
            "cannot close cleanly.",
            amazon="Vendor Central → Payments → the remittance (payment number).",
            netsuite="The customer's open invoices and any payment already applied.",
            vendorsync="Reconciliation → the remittance and its lines.",
            fix=(
                "Compare the imported lines with the Vendor Central remittance (a missing page, a "
                "rounding line, a duplicate import).",
                "Re-import the corrected file, or resolve with the explanation.",
            ),
            resolves="When the difference is explained or the remittance is re-imported.",
        ),
        RunbookEntry(
            kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE,
            meaning="No invoice was found for a remittance line.",
            why="Cash that is not applied leaves the invoice open and the receivable overstated.",
            amazon="Vendor Central → Payments → the remittance line (document number).",
            netsuite="Open invoices of the Amazon customer.",
            vendorsync="Reconciliation → the matching workbench.",
            fix=(
                "Search the invoice by number, PO or amount in the workbench and match it by hand.",
                "If there is no invoice, write the line off with a reason.",
            ),
            resolves="When the line is matched or written off.",
        ),
        RunbookEntry(
            kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE,
            meaning="A deduction's code has no GL-account mapping in force on its date.",
            why="VendorSync never posts to a catch-all account: the batch cannot be approved until every "
            "charge has an account.",
            amazon="Vendor Central → Payments → the deduction line and its code.",
            netsuite="Chart of accounts: the account the charge belongs to.",
            vendorsync="Reconciliation → deduction mappings.",
            fix=(
                "Agree with accounting which GL account the code belongs to.",
                "An admin adds the mapping (effective from the deduction's date); re-run the remittances step.",
            ),
            resolves="Automatically when a mapping covers the deduction's date.",
        ),
        RunbookEntry(
            kind=ExceptionKind.POSTING_FAILED,
            meaning="NetSuite rejected a record of an approved posting batch.",
            why="The batch is half-posted until the record goes through; the ledger does not tie to the "
            "payment.",
            amazon="—",
            netsuite="The customer payment, credit memo or journal named by the external id.",
            vendorsync=f"Reconciliation → Postings → the batch (linked from the case): each record's status "
            f"and NetSuite's error; {_SYNC_PAGE} → Deliveries.",
            fix=(
                "Read NetSuite's error on the record (closed or A/R-locked period, missing account or item, "
                "wrong subsidiary).",
                "Fix the cause in NetSuite (or unlock the period in VendorSync), then press “Retry what is "
                "not posted” on the batch: records already posted are never sent again, and each failed one "
                "is looked up by its external id first.",
                "The customer payment is sent only after every credit it applies is posted.",
            ),
            resolves="Automatically when the record is posted.",
        ),
        RunbookEntry(
            kind=ExceptionKind.DISPUTABLE_SHORTAGE,
            meaning="A shortage claim (…SC or revised …SCRSC) contradicts our own cartons: the ASN Amazon "
            "accepted for the invoice's shipment, every container with a valid SSCC-18, shows more units "
            "shipped than Amazon says it received. The case carries the disputable amount (provable units "
            "× invoiced cost, never more than the claim).",
            why="An undisputed shortage claim is lost revenue; Amazon only accepts disputes within its "
            "dispute window, and wants the proof (ASN, SSCCs, BOL, proof of delivery).",
            amazon="Vendor Central → Payments → Invoices → Review/Dispute Shortages (the claim); the PO's "
            "received quantities (getPurchaseOrdersStatus).",
            netsuite="The invoice and the item fulfilment (packages) behind it.",
            vendorsync="Reconciliation → Shortage claims → the claim (linked from the case): shipped vs "
            "received vs claimed per PO line and every carton; the workbench shows the same panel.",
            fix=(
                "Open the claim and check the cartons, weights and BOL against the carrier's proof of delivery.",
                "Download the evidence pack (XLSX) and file the dispute in Vendor Central (or open it in "
                "VendorSync's disputes, which resolves this case).",
                "If the claim is right after all, resolve the case with the reason.",
            ),
            resolves="By itself when the verdict turns to accept (e.g. Amazon's received quantity catches up "
            "or the ASN turns out not accepted); when the dispute is opened; or by a person with a reason.",
        ),
        RunbookEntry(
            kind=ExceptionKind.SYNC_FAILED,
            meaning="A sync flow has not succeeded within its freshness threshold.",
            why="Nothing that flow brings in is current: POs, acknowledgements or remittances wait, and "
            "every other check built on them is blind.",
            amazon="SP-API status and the account's API credentials.",
            netsuite="The integration record and token (TBA) of the account.",
            vendorsync=f"{_SYNC_PAGE} → the flow's last error.",
            fix=(
                "Read the last error of the flow (credentials, a rate limit, an outage, a bad record).",
                "Fix the cause and press Re-run.",
            ),
            resolves="Automatically when the flow succeeds again.",
        ),
        RunbookEntry(
            kind=ExceptionKind.OUTBOX_NEEDS_REVIEW,
            meaning="A write to NetSuite or Amazon could not be delivered and waits for a person.",
            why="The business change (a sales order, an acknowledgement, a posting) exists in VendorSync "
            "but not in the other system.",
            amazon="The target record, when the delivery writes to Amazon.",
            netsuite="The record with the delivery's external id.",
            vendorsync=f"{_SYNC_PAGE} → Deliveries, filtered to the message.",
            fix=(
                "Read the delivery's last error; check in the target system whether the record exists.",
                "Fix the cause, then send the delivery again from the deliveries page.",
            ),
            resolves="When the delivery is sent.",
        ),
    ]
}


def entry_for(kind: str) -> RunbookEntry | None:
    return ENTRIES.get(kind)


def missing_kinds() -> list[str]:
    """Kinds that have no runbook entry (must be empty; a test checks it)."""
    return [kind for kind in ExceptionKind.values if kind not in ENTRIES]


def render_markdown() -> str:
    """The whole runbook as Markdown, in catalogue order (what ``docs/operations.md`` holds)."""
    lines = [
        "# Operations runbook",
        "",
        "<!-- Generated by `python manage.py runbook` from vendorsync/runbook.py; edit that file, not this one. -->",
        "",
        "One entry per exception kind: what it means, why it matters, where the data lives, who owns",
        "it and how to fix it. The same text is shown on each case in the app.",
        "",
    ]
    for kind in ExceptionKind.values:
        entry = ENTRIES[kind]
        lines += [
            f"## {entry.label}",
            "",
            f"*Kind `{kind}` · owner: {entry.owner_label}*",
            "",
            f"**What it means.** {entry.meaning}",
            "",
            f"**Why it matters.** {entry.why}",
            "",
            "**Where the data lives.**",
            "",
            f"- Amazon: {entry.amazon}",
            f"- NetSuite: {entry.netsuite}",
            f"- VendorSync: {entry.vendorsync}",
            "",
            "**How to fix it.**",
            "",
            *[f"{n}. {step}" for n, step in enumerate(entry.fix, start=1)],
            "",
            f"**When it closes.** {entry.resolves}",
            "",
        ]
    lines += NETSUITE_GUARD
    return "\n".join(lines)


# Orders out (issue 8): the guard that stops bad package data at its source. It runs inside
# NetSuite, so it is the account administrator's to install; VendorSync checks again regardless.
NETSUITE_GUARD = [
    "## NetSuite-side guard: no fulfilment ships without weights and SSCCs",
    "",
    "VendorSync checks every fulfilment while it is still picked or packed (the `fulfilments` sync) and",
    "again before the ASN is sent, but the cheapest fix is to stop a bad fulfilment from being marked",
    "Shipped at all. That is a NetSuite script, installed by the account's administrator (not by",
    "VendorSync):",
    "",
    "1. Customization → Scripting → Scripts → New: a *User Event* script (SuiteScript 2.1) deployed on",
    "   *Item Fulfillment*, event types Create and Edit, executing for all roles.",
    "2. In `beforeSubmit`, when `shipstatus` is `C` (Shipped) and the customer is an Amazon vendor code",
    "   (external id `AMZ-VC-…`), loop over the `package` sublist and throw an error (which blocks the",
    "   save and shows the message to the warehouse user) when a package has no `packageweight` > 0,",
    "   when `packagecartonnumber` is not 18 digits (or 20 starting `00`) with a valid GS1 mod-10 check",
    "   digit, or when two packages of the fulfilment carry the same SSCC.",
    "3. Optionally require `custrecord_container_type` (carton/pallet) and, for pallets, that cartons",
    "   name their pallet in `custrecord_parent_sscc`; package contents go in `packagedescr` as",
    "   `SKU x units` or in `custrecord_contents`.",
    "4. Test in the sandbox account with a package without weight: the save must fail with the message.",
    "",
    "The script cannot see SSCCs used by earlier shipments; VendorSync's `sscc_duplicate` rule covers",
    "that, and an `asn_blocked` case names the carton and the rule whenever a check fails.",
    "",
]
