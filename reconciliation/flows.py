"""Reconciliation's sync flows: GL accounts and A/R from NetSuite, remittances from Amazon.

* ``gl-accounts``: the chart of accounts (SuiteQL ``account``), for the deduction mapping.
* ``ar``: every invoice of the Amazon customer with its open balance (not only ours: finance
  reconciles against the ledger).
* ``remittances``: payments from Amazon's Finance Remittance API (reference §8.2), last 90 days or
  since the cursor; each payment imported once (by payment number).
* ``remittance-files``: the inbound folder (``VENDORSYNC_REMITTANCE_INBOX``). Files are grouped by
  name stem and one format per stem is read — 820, else CSV, else XLSX — so a payment delivered in
  three formats (as the simulator writes them) is imported once. A file already seen (checksum of
  an earlier batch, whatever its outcome) is skipped; files are never moved, the folder may be
  read-only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from reconciliation import services
from reconciliation.importers import api
from reconciliation.models import DeductionMapping, GLAccount, ImportBatch, ImportDoor, LineType, Remittance
from reconciliation.posting import periods
from vendorsync.connections import amazon_client, netsuite_client
from vendorsync.flows import FlowContext, FlowResult, register_flow
from vendorsync.models import Team
from vendorsync.services import audit_record

AR_QUERY = (
    "SELECT t.id, t.tranid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, t.foreigntotal, "
    "t.foreignamountunpaid, t.otherrefnum, BUILTIN.CF(t.status) AS status "
    "FROM transaction t WHERE t.type = 'CustInvc' AND t.entity = {customer} ORDER BY t.id"
)
# Other-charge items and the income account each books to: a credit memo codes a deduction to an
# account through such an item (posting, issue 11).
DEDUCTION_ITEMS_QUERY = (
    "SELECT id, incomeaccount FROM item WHERE itemtype = 'OthCharge' AND isinactive = 'F' ORDER BY id"
)
FORMAT_PREFERENCE = {".820": 0, ".edi": 0, ".x12": 0, ".csv": 1, ".xlsx": 2}

# Demo only (sandbox mode, empty mapping table): the simulated chart's deduction accounts by number.
SANDBOX_MAPPINGS = {
    LineType.TERMS_DISCOUNT: "4510",
    LineType.SHORTAGE: "4520",
    LineType.SHORTAGE_REVERSAL: "4520",
    LineType.SHORTAGE_REVISED: "4520",
    LineType.PRICE_CLAIM: "4530",
    LineType.PRICE_CLAIM_REVERSAL: "4530",
    LineType.COOP: "4540",
    LineType.CHARGEBACK: "4550",
    LineType.PRICE_PROTECTION: "4560",
    LineType.RETURN: "4570",
    LineType.PROVISION: "4580",
    LineType.PROVISION_REVERSAL: "4580",
}


@register_flow(
    "gl-accounts",
    label="GL accounts",
    description="NetSuite's chart of accounts, for coding deductions.",
    owner_team=Team.FINANCE,
    order=110,
    every_seconds=3600,
    freshness_seconds=86400,
)
def gl_accounts_flow(ctx: FlowContext) -> FlowResult:
    query = "SELECT id, acctnumber, acctname, fullname, accttype, isinactive FROM account ORDER BY id"
    with netsuite_client() as client:
        rows = list(client.suiteql(query))
        items = list(client.suiteql(DEDUCTION_ITEMS_QUERY))
    counts = services.gl_accounts_sync(rows=rows, items=items)
    if settings.SANDBOX and not DeductionMapping.objects.exists():
        counts["demo_mappings"] = _sandbox_mappings()
    return FlowResult(counts=counts)


def _sandbox_mappings() -> int:
    accounts = {a.number: a for a in GLAccount.objects.all()}
    created = 0
    for line_type, number in SANDBOX_MAPPINGS.items():
        if number in accounts:
            DeductionMapping.objects.create(
                line_type=line_type,
                gl_account=accounts[number],
                effective_from=date(2020, 1, 1),
                note="sandbox demo",
            )
            created += 1
    for line_type in SANDBOX_MAPPINGS:  # remittances the folder imported before this sync ran
        services.recode_lines(line_type=line_type, since=date(2020, 1, 1))
    audit_record(
        actor=None,
        action="deduction_mapping.seeded",
        subject_type=DeductionMapping._meta.label_lower,
        subject_id="sandbox",
        after={"mappings": created},
    )
    return created


@register_flow(
    "ar",
    label="A/R (NetSuite invoices)",
    description="Every NetSuite invoice of the Amazon customer with its open balance.",
    owner_team=Team.FINANCE,
    order=120,
    every_seconds=900,
)
def ar_flow(ctx: FlowContext) -> FlowResult:
    customer = str(int(settings.NETSUITE_AMAZON_CUSTOMER_ID))  # an integer id, safe in the query text
    query = AR_QUERY.format(customer=customer)
    with netsuite_client() as client:
        rows = list(client.suiteql(query, unique_key=("t.id", "id")))
    return FlowResult(counts=services.open_invoices_sync(rows=rows, customer_id=customer))


@register_flow(
    "remittances",
    label="Remittances (Amazon API)",
    description="Payments from Amazon's Finance Remittance API, each imported once.",
    owner_team=Team.FINANCE,
    order=130,
    every_seconds=3600,
    freshness_seconds=86400 * 2,
)
def remittances_flow(ctx: FlowContext) -> FlowResult:
    end = timezone.now()
    if ctx.since:
        start = ctx.since
    elif ctx.cursor:
        start = datetime.fromisoformat(ctx.cursor) - timedelta(days=7)  # late-arriving payments
    else:
        start = end - timedelta(days=89)
    start = max(start, end - timedelta(days=89))
    known = set(Remittance.objects.values_list("payment_number", flat=True))
    counts = {"payments": 0, "imported": 0, "already_imported": 0, "refused": 0}
    partial = False
    marketplace = settings.AMAZON_MARKETPLACE_ID
    with amazon_client() as client:
        token = None
        headers = []
        while True:
            page = client.get_remittances(
                marketplace_id=marketplace, start_date=start, end_date=end, next_token=token
            )
            headers += page.get("remittances") or []
            token = page.get("nextToken")
            if not token:
                break
        for header in headers:
            counts["payments"] += 1
            if header.get("remittanceStatus") != "SUCCESSFUL":
                continue
            if str(header.get("paymentNumber")) in known:
                counts["already_imported"] += 1
                continue
            items, line_token = [], None
            while True:
                detail = client.get_remittance(
                    str(header["uniquePaymentId"]),
                    marketplace_id=marketplace,
                    next_token_for_line_items=line_token,
                )
                items += detail.get("remittanceItems") or []
                line_token = detail.get("nextTokenForLineItems")
                if not line_token:
                    break
            data = api.canonical_bytes(detail["remittanceHeader"], items)
            name = f"Amazon API payment {header.get('paymentNumber')}"
            batch = services.remittance_import(
                data=data,
                name=name,
                door=ImportDoor.API,
                parsed=lambda h=detail["remittanceHeader"], i=items: api.read(h, i),
                rerun_flow="remittances",
            )
            counts[_outcome(batch)] += 1
            partial = partial or batch.status == "refused"
    return FlowResult(counts=counts, cursor=end.astimezone(UTC).isoformat(), partial=partial)


def _outcome(batch: ImportBatch) -> str:
    return {"imported": "imported", "already_imported": "already_imported"}.get(batch.status, "refused")


def _pick_files(folder: Path) -> list[Path]:
    """One file per name stem, preferring 820 over CSV over XLSX; oldest name first."""
    chosen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        rank = FORMAT_PREFERENCE.get(path.suffix.lower())
        if rank is None or not path.is_file():
            continue
        best = chosen.get(path.stem)
        if best is None or rank < FORMAT_PREFERENCE[best.suffix.lower()]:
            chosen[path.stem] = path
    return [chosen[stem] for stem in sorted(chosen)]


@register_flow(
    "remittance-files",
    label="Remittance files (inbound folder)",
    description="Vendor Central exports and 820s dropped in the inbound folder.",
    owner_team=Team.FINANCE,
    order=135,
    every_seconds=300,
    freshness_seconds=86400,
)
def remittance_files_flow(ctx: FlowContext) -> FlowResult:
    folder = Path(settings.REMITTANCE_INBOX)
    counts = {"files": 0, "imported": 0, "already_imported": 0, "refused": 0, "skipped": 0}
    if not folder.is_dir():
        return FlowResult(counts=counts)
    seen = set(ImportBatch.objects.filter(door=ImportDoor.FOLDER).values_list("name", "checksum"))
    partial = False
    for path in _pick_files(folder):
        counts["files"] += 1
        data = path.read_bytes()
        if (path.name, services.checksum(data)) in seen:
            counts["skipped"] += 1
            continue
        batch = services.remittance_import(
            data=data, name=path.name, door=ImportDoor.FOLDER, rerun_flow="remittance-files"
        )
        counts[_outcome(batch)] += 1
        partial = partial or batch.status == "refused"
    return FlowResult(counts=counts, partial=partial, error="some files were refused" if partial else "")


@register_flow(
    "periods",
    label="Accounting periods",
    description="NetSuite's monthly accounting periods and whether each is closed or A/R-locked.",
    owner_team=Team.FINANCE,
    order=115,
    every_seconds=3600,
    freshness_seconds=86400,
)
def periods_flow(ctx: FlowContext) -> FlowResult:
    with netsuite_client() as client:
        rows = list(client.suiteql(periods.PERIODS_QUERY))
    return FlowResult(counts=periods.periods_sync(rows=rows))
