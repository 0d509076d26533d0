"""Remittance import: every format and door, malformed files, duplicates, revisions, checks."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from openpyxl import Workbook

from reconciliation import services
from reconciliation.importers import parse
from reconciliation.importers.base import parse_amount, parse_date
from reconciliation.models import (
    ImportBatch,
    ImportDoor,
    ImportStatus,
    LineStatus,
    OpenInvoice,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)
from vendorsync.models import ExceptionCase, ExceptionKind

HEADER = "Payment Number,Payment Date,Payment Amount,Payment Currency,Invoice Number,Invoice Date,Transaction Description,Invoice Amount,Terms Discount Taken,Amount Paid\n"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode(encoding)


GOOD = csv_bytes(
    'P100,11/30/2026,"1,180.00",USD,INV-A1,11/01/2026,Invoice payment,"1,224.49",24.49,"1,200.00"',
    'P100,11/30/2026,"1,180.00",USD,INV-A1SC,11/30/2026,Shortage claim,(20.00),0.00,(20.00)',
)


def run(data: bytes, name: str = "file.csv", **kwargs) -> ImportBatch:
    return services.remittance_import(
        data=data, name=name, door=kwargs.pop("door", ImportDoor.COMMAND), **kwargs
    )


def nothing_written() -> bool:
    return not Remittance.objects.exists() and not RemittanceLine.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("(12.34)", "-12.34"),
        ("-12.34", "-12.34"),
        ("12.34-", "-12.34"),
        ("$1,234.56", "1234.56"),
        ("-$5.00", "-5.00"),
        ("€ 5", "5.00"),
        ("USD 7.10", "7.10"),
    ],
)
def test_amounts_are_read_in_every_common_spelling(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["12.345", "abc", "1.2.3", ""])
def test_a_bad_amount_is_an_error(raw):
    with pytest.raises(ValueError):
        parse_amount(raw)


@pytest.mark.parametrize(
    "raw", ["2026-11-30", "11/30/2026", "30-Nov-2026", "Nov 30, 2026", "20261130", "2026-11-30T00:00:00Z"]
)
def test_dates_are_read_in_common_formats(raw):
    assert parse_date(raw) == date(2026, 11, 30)


@pytest.mark.django_db
def test_a_csv_is_imported_in_one_piece_with_its_lines_classified_and_coded(gl):
    batch = run(GOOD)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    remittance = Remittance.objects.get()
    assert (remittance.payment_number, remittance.amount, remittance.drift) == ("P100", Decimal("1180.00"), 0)
    invoice, shortage = remittance.lines.order_by("sequence")
    assert (invoice.line_type, invoice.discount, invoice.discount_gl_account.number) == (
        "invoice",
        Decimal("24.49"),
        "4510",
    )
    assert (shortage.line_type, shortage.base_invoice_number, shortage.gl_account.number) == (
        "shortage",
        "INV-A1",
        "4520",
    )
    assert shortage.status == LineStatus.CODED
    assert batch.summary["lines_by_type"] == {"invoice": 1, "shortage": 1}


@pytest.mark.django_db
def test_utf8_bom_and_windows_1252_files_are_read(gl):
    bom = b"\xef\xbb\xbf" + csv_bytes(
        "P1,2026-11-30,10.00,USD,INV-1,2026-11-01,Caf\u00e9 invoice,10.00,0,10.00"
    )
    cp = csv_bytes(
        "P2,2026-11-30,10.00,USD,INV-2,2026-11-01,Invoice \u20ac payment,10.00,0,10.00", encoding="cp1252"
    )
    assert run(bom, "bom.csv").status == ImportStatus.IMPORTED
    assert run(cp, "cp.csv").status == ImportStatus.IMPORTED
    assert RemittanceLine.objects.get(document_number="INV-2").description == "Invoice \u20ac payment"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name", "needle"),
    [
        (
            csv_bytes(
                "P1,2026-11-30,1,USD,INV-1,,x,1,0,1",
                header="Payment Number,Payment Date,Payment Amount,Currency,Invoice Number,Invoice Date,Description,Invoice Amount,Discount,Amount Paid,Mystery\n",
            ),
            "h.csv",
            "Mystery",
        ),
        (
            csv_bytes("P1,2026-11-30,1,USD", header="Payment Number,Payment Date,Payment Amount,Currency\n"),
            "m.csv",
            "missing required column",
        ),
        (
            csv_bytes("P1,2026-11-30,10.00,USD,INV-1,2026-11-01,x,10.00,0,ten"),
            "a.csv",
            "row 2, column 'Amount Paid'",
        ),
        (
            csv_bytes("P1,31/31/2026,10.00,USD,INV-1,2026-11-01,x,10.00,0,10.00"),
            "d.csv",
            "row 2, column 'Payment Date'",
        ),
        (HEADER.encode("utf-16"), "u16.csv", "UTF-16"),
    ],
    ids=["bad-header", "missing-column", "bad-amount", "bad-date", "wrong-encoding"],
)
def test_a_malformed_spreadsheet_is_refused_naming_the_row_and_column_and_nothing_is_written(
    gl, data, name, needle
):
    batch = run(data, name)
    assert batch.status == ImportStatus.REFUSED
    assert needle in " ".join(_error_texts(batch))
    assert nothing_written()


def _error_texts(batch: ImportBatch) -> list[str]:
    out = []
    for e in batch.errors:
        where = ", ".join(
            x
            for x in [f"row {e['row']}" if e["row"] else "", f"column {e['column']!r}" if e["column"] else ""]
            if x
        )
        out.append(f"{where}: {e['message']}")
    return out


@pytest.mark.django_db
def test_one_bad_row_refuses_the_whole_file(gl):
    data = csv_bytes(
        "P1,2026-11-30,10.00,USD,INV-1,2026-11-01,x,10.00,0,10.00",
        "P2,2026-11-30,10.00,USD,INV-2,2026-11-01,x,10.00,0,oops",
    )
    batch = run(data)
    assert batch.status == ImportStatus.REFUSED and nothing_written()
    assert batch.errors[0]["row"] == 3


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_xlsx_formula_is_read_as_its_value_never_evaluated(gl):
    header = [
        "Payment Number",
        "Payment Date",
        "Payment Amount",
        "Currency",
        "Invoice Number",
        "Invoice Date",
        "Description",
        "Invoice Amount",
        "Discount",
        "Amount Paid",
    ]
    data = _xlsx(
        [
            header,
            ["P9", date(2026, 11, 30), 10, "USD", "INV-9", date(2026, 11, 1), '=HYPERLINK("x")', 10, 0, 10],
        ]
    )
    batch = run(data, "f.xlsx")
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    # openpyxl wrote no cached value for the formula: data_only gives None, never the formula text.
    assert RemittanceLine.objects.get().description in ("", "None")


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_before_openpyxl_reads_it(gl):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    batch = run(buffer.getvalue(), "bomb.xlsx")
    assert batch.status == ImportStatus.REFUSED and "zip bomb" in batch.errors[0]["message"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_macro_workbook_is_refused(gl):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/vbaProject.bin", b"macro")
    batch = run(buffer.getvalue(), "m.xlsx")
    assert batch.status == ImportStatus.REFUSED and "macros" in batch.errors[0]["message"]
    assert run(_xlsx([["Payment Number"]]), "m.xlsm").status == ImportStatus.REFUSED
    assert nothing_written()


def _820(lines: list[str], amount: str = "190.00") -> bytes:
    body = [
        "ST*820*0001",
        f"BPR*C*{amount}*C*ACH*CTX*01*021000021*DA*1*1**01*026009593*DA*2*20261130",
        "TRN*1*820001",
        "N1*PR*AMAZON.COM SERVICES LLC",
        "ENT*1",
        *lines,
    ]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [
        "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*VSYNC          *261130*0600*U*00401*000000001*0*T*>",
        "GS*RA*AMAZON*VSYNC*20261130*0600*1*X*004010",
        *body,
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return "".join(s + "~\n" for s in segments).encode()


@pytest.mark.django_db
def test_an_820_is_imported_and_a_truncated_one_refused(gl):
    data = _820(["RMR*IV*INV-7**200.00*200.00", "DTM*003*20261101", "RMR*IV*INV-7SC**-10.00*-10.00"])
    batch = run(data, "p.820")
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert dict(RemittanceLine.objects.values_list("document_number", "line_type")) == {
        "INV-7": "invoice",
        "INV-7SC": "shortage",
    }
    Remittance.objects.all().delete()
    ImportBatch.objects.all().delete()
    RemittanceLine.objects.all().delete()
    truncated = data[: data.index(b"SE*")]
    refused = run(truncated, "t.820")
    assert refused.status == ImportStatus.REFUSED and refused.errors
    assert nothing_written()


@pytest.mark.django_db
def test_the_same_file_twice_is_refused_by_checksum(gl):
    assert run(GOOD).status == ImportStatus.IMPORTED
    again = run(GOOD, "copy.csv")
    assert again.status == ImportStatus.REFUSED and "already imported" in again.errors[0]["message"]
    assert Remittance.objects.count() == 1


@pytest.mark.django_db
def test_a_known_payment_is_refused_unless_imported_as_a_revision_which_supersedes_it(gl):
    run(GOOD)
    changed = GOOD.replace(b"(20.00),0.00,(20.00)", b"(20.00),0.00,(20.00) ").replace(
        b"1,180.00", b"1,180.00"
    )
    refused = run(changed, "changed.csv")
    assert refused.status == ImportStatus.REFUSED and "revision" in refused.errors[0]["message"]
    revised = run(changed, "changed.csv", revision=True)
    assert revised.status == ImportStatus.IMPORTED
    old, new = Remittance.objects.order_by("revision")
    assert (old.status, new.revision, new.supersedes_id) == (RemittanceStatus.SUPERSEDED, 2, old.pk)


@pytest.mark.django_db
def test_a_revision_of_a_posted_payment_is_refused_and_raises_settlement_drift(gl):
    run(GOOD)
    Remittance.objects.update(status=RemittanceStatus.POSTED)
    refused = run(GOOD.replace(b"Shortage claim", b"Shortage claim!"), "rev.csv", revision=True)
    assert refused.status == ImportStatus.REFUSED and "posted" in refused.errors[0]["message"]
    case = ExceptionCase.objects.get(kind=ExceptionKind.SETTLEMENT_DRIFT)
    assert "after it was posted" in case.message
    assert Remittance.objects.count() == 1


@pytest.mark.django_db
def test_lines_that_do_not_add_up_to_the_payment_raise_settlement_drift_with_the_difference(gl):
    data = GOOD.replace(b'"1,180.00"', b'"1,200.00"')
    batch = run(data)
    remittance = Remittance.objects.get()
    assert remittance.drift == Decimal("20.00") and batch.summary["payments"][0]["drift"] == "20.00"
    case = ExceptionCase.objects.get(kind=ExceptionKind.SETTLEMENT_DRIFT)
    assert case.amount_at_risk == Decimal("20.00") and case.details["difference"] == "20.00"


@pytest.mark.django_db
def test_a_line_paying_more_than_its_netsuite_invoice_is_flagged(gl):
    OpenInvoice.objects.create(
        netsuite_id="1",
        number="INV-A1",
        amount=Decimal("1000.00"),
        open_balance=Decimal("1000.00"),
        customer_id="1001",
    )
    run(GOOD)
    line = RemittanceLine.objects.get(document_number="INV-A1")
    assert line.status == LineStatus.OVERPAID
    case = ExceptionCase.objects.get(dedupe_key__contains="overpaid")
    assert case.kind == ExceptionKind.SETTLEMENT_DRIFT and "INV-A1" in case.message


@pytest.mark.django_db
def test_an_unknown_line_raises_unmatched_remittance_line(gl):
    data = csv_bytes("P5,2026-11-30,-3.00,USD,ZZTOP-77,2026-11-30,Mystery,-3.00,0,-3.00")
    run(data)
    line = RemittanceLine.objects.get()
    assert (line.line_type, line.status) == ("unknown", LineStatus.UNKNOWN)
    case = ExceptionCase.objects.get(kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE)
    assert case.subject_id == str(line.remittance.public_id) and "ZZTOP-77" in case.message


@pytest.mark.django_db
def test_the_command_prints_json_and_exits_non_zero_when_refused(gl, tmp_path):
    path = tmp_path / "pay.csv"
    path.write_bytes(GOOD)
    out = io.StringIO()
    call_command("import_remittance", str(path), "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["payments"] == [
        {
            "payment_number": "P100",
            "payment_date": "2026-11-30",
            "amount": "1180.00",
            "currency": "USD",
            "line_count": 2,
            "lines_total": "1180.00",
            "drift": "0.00",
        }
    ]
    assert payload["lines_by_type"] == {"invoice": 1, "shortage": 1}
    with pytest.raises(CommandError, match="already imported"):
        call_command("import_remittance", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_parse_reports_several_payments_in_one_file(gl):
    data = csv_bytes(
        "P1,2026-11-30,10.00,USD,INV-1,2026-11-01,x,10.00,0,10.00",
        "P2,2026-12-01,5.00,USD,INV-2,2026-11-01,x,5.00,0,5.00",
    )
    parsed = parse(data, "two.csv")
    assert [(p.payment_number, p.amount, len(p.lines)) for p in parsed.payments] == [
        ("P1", Decimal("10.00"), 1),
        ("P2", Decimal("5.00"), 1),
    ]


def test_line_references_are_checked_once_per_row_and_a_vanished_one_refuses(gl):
    """Lines carry no database foreign keys (they cost a check per line); the import checks instead."""
    from reconciliation.models import ClassificationRule, GLAccount

    account = gl["4520"]
    rule = ClassificationRule.objects.first()
    with transaction.atomic():
        services._lock_line_references({GLAccount: {account.pk, None}, ClassificationRule: {rule.pk}})
    with pytest.raises(services._Refusal) as refused, transaction.atomic():
        services._lock_line_references({GLAccount: {account.pk, 987654}})
    assert refused.value.code == "changed_meanwhile"
    assert "[987654] was deleted while the file was being imported" in str(refused.value.errors[0])


def test_an_account_coding_lines_still_cannot_be_deleted(gl):
    from django.db.models import ProtectedError

    assert run(GOOD).status == "imported"
    account = RemittanceLine.objects.exclude(gl_account=None).first().gl_account
    with pytest.raises(ProtectedError) as protected:
        account.delete()
    assert any(isinstance(o, RemittanceLine) for o in protected.value.protected_objects)


def test_plain_amounts_with_fewer_decimals_read_as_cents(gl):
    """The row reader's fast path for plain amounts gives the same values as the general parser."""
    from reconciliation.importers import parse

    parsed = parse(
        csv_bytes(
            "P7,11/30/2026,1214.5,USD,INV-P1,11/01/2026,Invoice payment,1240,25.5,1214.5",
            'P7,11/30/2026,1214.5,USD,INV-P2,11/01/2026,Invoice payment,"1,000.1",-0.1,7',
        ),
        "p.csv",
    )
    first, second = parsed.payments[0].lines
    assert (first.amount_paid, first.invoice_amount, first.discount) == (
        Decimal("1214.50"),
        Decimal("1240.00"),
        Decimal("25.50"),
    )
    assert str(first.amount_paid) == "1214.50" and str(second.amount_paid) == "7.00"
    assert (second.invoice_amount, second.discount) == (Decimal("1000.10"), Decimal("-0.10"))
    assert parsed.payments[0].amount == Decimal("1214.50")


@pytest.mark.django_db
def test_rule_blocks_skipped_by_their_prefilter_classify_as_rule_by_rule():
    """The classifier skips a run of rules when one combined regex finds nothing; the result must be
    the first matching rule in order, as if each rule were tried (the seeded table plus awkward ones)."""
    from reconciliation.classification import Classifier, _prefilter, compile_rules
    from reconciliation.models import ClassificationRule

    ClassificationRule.objects.create(
        order=1, field="document_number", pattern=r"(?i)^zz(?P<base>\d+)$", line_type="return"
    )
    ClassificationRule.objects.create(order=2, field="document_number", pattern=r"(x)\1", line_type="coop")
    rules = compile_rules()
    classifier = Classifier(rules, {"88001"})
    texts = [
        "INV-1SCRSC",
        "INV-1-SCR",
        "INV-1SC",
        "INV-1PCR",
        "INV-1(PC)",
        "12345678VCBSINV",
        "IPAPUS1234567",
        "123-PROVISION FOR RECEIVABLESR",
        "1234-12345678",
        "88001",
        "INV-9",
        "ZZ12",
        "axxb",
        "Q-1",
        "",
    ]
    for text in texts:
        expected = ("unknown", None)
        for rule in rules:
            if rule.field == "known_invoice":
                if text in {"88001"}:
                    expected = (rule.line_type, rule.id)
                    break
            elif rule.field == "document_number" and text and rule.regex.search(text):
                expected = (rule.line_type, rule.id)
                break
        line_type, _, rule_id = classifier.values(text, "", "")
        assert (line_type, rule_id) == expected, text
    assert classifier.values("ZZ12", "", "")[1] == "12"
    assert _prefilter([r"(x)\1", "y"]) is None  # back-references: no prefilter


@pytest.mark.django_db
def test_a_revision_resolves_the_old_versions_cases_and_raises_what_it_still_has(gl):
    first = csv_bytes(
        "P9,11/30/2026,80.00,USD,INV-R1,11/01/2026,Invoice payment,100.00,0.00,100.00",
        "P9,11/30/2026,80.00,USD,WHAT-IS-THIS,11/20/2026,Mystery,(10.00),0.00,(10.00)",
        "P9,11/30/2026,80.00,USD,WHO-KNOWS,11/20/2026,Mystery,(10.00),0.00,(10.00)",
    )
    run(first)
    old = Remittance.objects.get()
    assert ExceptionCase.objects.open().filter(subject_id=str(old.public_id)).count() == 2
    # The revision drops one unknown line and keeps the other (and adds up as before).
    revised = csv_bytes(
        "P9,11/30/2026,90.00,USD,INV-R1,11/01/2026,Invoice payment,100.00,0.00,100.00",
        "P9,11/30/2026,90.00,USD,WHO-KNOWS,11/20/2026,Mystery,(10.00),0.00,(10.00)",
    )
    assert run(revised, "revised.csv", revision=True).status == ImportStatus.IMPORTED
    new = Remittance.objects.get(revision=2)
    gone = ExceptionCase.objects.get(dedupe_key__endswith=":P9:WHAT-IS-THIS")
    assert gone.status == "resolved" and gone.auto_resolved
    assert gone.resolution_note == "Superseded by revision 2 of payment P9."
    still = ExceptionCase.objects.open().get(dedupe_key__endswith=":P9:WHO-KNOWS")
    assert still.subject_id == str(new.public_id)  # raised again, about the revision
    assert not ExceptionCase.objects.open().filter(subject_id=str(old.public_id)).exists()


@pytest.mark.django_db
def test_a_file_of_several_payments_audits_each_remittance_and_keeps_rows_together_or_apart(gl):
    from vendorsync.models import AuditEvent

    rows = [
        'P300,11/30/2026,"1,180.00",USD,INV-A1,11/01/2026,Invoice payment,"1,224.49",24.49,"1,200.00"',
        'P300,11/30/2026,"1,180.00",USD,INV-A1SC,11/30/2026,Shortage claim,(20.00),0.00,(20.00)',
        "P301,11/30/2026,10.00,USD,INV-B1,11/01/2026,Invoice payment,10.00,0.00,10.00",
        # P300 again after P301, its payment cells spelled differently: still the same payment.
        "P300,11/30/2026,1180.00,usd,INV-A2,11/01/2026,Invoice payment,0.00,0.00,0.00",
        "P301,12/01/2026,10.00,USD,INV-B2,11/01/2026,Invoice payment,1.00,0.00,1.00",
    ]
    refused = run(csv_bytes(*rows))
    # The last row's payment date disagrees with P301's first row, even right after a clean row.
    assert refused.status == ImportStatus.REFUSED
    assert [(e["row"], e["column"]) for e in refused.errors] == [(6, "Payment Date")]
    assert nothing_written()
    batch = run(csv_bytes(*rows[:4]))
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    remittances = {r.payment_number: r for r in Remittance.objects.all()}
    assert {n: r.line_count for n, r in remittances.items()} == {"P300": 3, "P301": 1}
    assert list(remittances["P300"].lines.order_by("sequence").values_list("source_row", flat=True)) == [
        2,
        3,
        5,
    ]
    audited = AuditEvent.objects.filter(action="remittance.imported")
    assert sorted(audited.values_list("subject_id", flat=True)) == sorted(
        str(r.public_id) for r in remittances.values()
    )
    assert {e.after["payment_number"]: e.after["lines"] for e in audited} == {"P300": 3, "P301": 1}
