"""Payment runs: remittance files in three formats whose lines always sum to the payment."""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pyx12.x12file import X12Reader

from vendorsync.sandbox.amazon import CSV_COLUMNS, AmazonSimulator
from vendorsync.sandbox.clock import SimClock

# Reference §10.2 document-number patterns, most specific first.
PATTERNS = (
    r"^INV-\w+SCRSC$",
    r"^INV-\w+SCR$",
    r"^INV-\w+SC$",
    r"^INV-\w+PC$",
    r"^\d+VCBSINV$",
    r"^IPAPUS\d{7}$",
    r"^\d+-PROVISION FOR RECEIVABLESR?$",
    r"^\d{4}-\d{8}$",
    r"^INV-\w{8}$",
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> AmazonSimulator:
    path = tmp_path_factory.mktemp("amazon")
    simulator = AmazonSimulator(path / "amazon.sqlite3", clock=SimClock(path / "clock.json"))
    simulator.seed(days=30)
    return simulator


def test_seeding_is_idempotent_and_leaves_history_and_work_to_do(seeded):
    before = seeded.status()
    assert seeded.seed(days=30)["purchase_orders"] == before["purchase_orders"]
    assert before["purchase_orders"]["New"] > 10
    assert before["remittances"] >= 3


def test_each_remittance_sums_exactly_in_csv_xlsx_and_820(seeded):
    remittances = {r.payment_number: r for r in seeded.remittances()}
    files = seeded.remittance_files()
    assert {f.format for f in files} == {"csv", "xlsx", "820"}
    for file in files:
        remittance = remittances[file.payment_number]
        assert remittance.amount > 0
        if file.format == "csv":
            with file.path.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
            assert tuple(rows[0]) == CSV_COLUMNS
            assert {Decimal(r["Payment Amount"]) for r in rows} == {remittance.amount}
            assert sum(Decimal(r["Amount Paid"]) for r in rows) == remittance.amount
            for row in rows:
                invoice, discount = Decimal(row["Invoice Amount"]), Decimal(row["Terms Discount Taken"])
                assert invoice - discount == Decimal(row["Amount Paid"])
        elif file.format == "xlsx":
            sheet = load_workbook(file.path, read_only=True, data_only=True).active
            header, *rows = list(sheet.iter_rows(values_only=True))
            assert header == CSV_COLUMNS
            paid = [Decimal(str(row[CSV_COLUMNS.index("Amount Paid")])) for row in rows]
            assert sum(paid) == remittance.amount
        else:
            with X12Reader(str(file.path)) as reader:
                segments = list(reader)
                reader.cleanup()
                assert reader.pop_errors() == []
            bpr = next(s for s in segments if s.get_seg_id() == "BPR")
            rmr04 = [Decimal(s.get_value("RMR04")) for s in segments if s.get_seg_id() == "RMR"]
            assert sum(rmr04) == Decimal(bpr.get_value("BPR02")) == remittance.amount
            trn = next(s for s in segments if s.get_seg_id() == "TRN")
            assert trn.get_value("TRN02") == remittance.payment_number


def test_remittance_lines_use_amazons_document_number_patterns(seeded):
    lines = [line for r in seeded.remittances() for line in r.lines]
    for line in lines:
        assert any(re.match(p, line.document_number) for p in PATTERNS), line.document_number
        assert line.amount_paid == line.invoice_amount - line.discount
        assert line.amount_paid.as_tuple().exponent == -2
    invoices = [line for line in lines if re.match(r"^INV-\w{8}$", line.document_number)]
    assert any(line.discount > 0 for line in invoices)  # 2% terms discount taken
    assert any(line.invoice_amount < 0 for line in lines)


def test_short_receipts_come_back_as_shortage_claims(seeded):
    simulator = seeded
    with simulator.store.tx() as db:
        short = db.execute("SELECT count(*) FROM receipts WHERE received < shipped").fetchone()[0]
        claimed = db.execute("SELECT count(*) FROM receipts WHERE claimed_by IS NOT NULL").fetchone()[0]
    assert short > 0
    documents = [line.document_number for r in simulator.remittances() for line in r.lines]
    assert claimed == 0 or any(d.endswith("SC") for d in documents)


def test_advancing_pays_the_remaining_invoices_on_their_due_dates(tmp_path):
    clock = SimClock(tmp_path / "clock.json")
    simulator = AmazonSimulator(tmp_path / "amazon.sqlite3", clock=clock)
    simulator.seed(days=20)
    before = len(simulator.remittances())
    clock.advance(days=20)
    assert len(simulator.catch_up()) == 20
    after = simulator.remittances()
    assert len(after) > before
    assert simulator.status()["invoices"].get("open", 0) == 0
    assert all(r.payment_date > clock.now().date() - timedelta(days=60) for r in after)
