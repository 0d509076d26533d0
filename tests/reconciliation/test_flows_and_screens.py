"""Round trip with the simulator, the sync flows, classification, mappings and the finance pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from reconciliation import services
from reconciliation.classification import Classifier, compile_rules
from reconciliation.importers import parse
from reconciliation.models import (
    DeductionMapping,
    GLAccount,
    ImportBatch,
    ImportDoor,
    ImportStatus,
    LineStatus,
    OpenInvoice,
    Remittance,
    RemittanceLine,
)
from reconciliation.tasks import import_remittance
from vendorsync import flows
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind
from vendorsync.sandbox.amazon.remittance import edi_820

from .test_import import GOOD


@pytest.mark.django_db
def test_every_file_the_simulator_writes_reads_back_and_ties_to_its_totals(simulator):
    truth = {r.payment_number: r for r in simulator.remittances()}
    files = simulator.remittance_files()
    assert {f.format for f in files} == {"csv", "xlsx", "820"}
    for file in files:
        parsed = parse(file.path.read_bytes(), file.path.name)
        (payment,) = parsed.payments
        expected = truth[file.payment_number]
        assert (payment.payment_number, payment.payment_date, payment.amount) == (
            expected.payment_number,
            expected.payment_date,
            expected.amount,
        ), file.path.name
        assert payment.lines_total == expected.amount
        assert [(line.document_number, line.amount_paid, line.discount) for line in payment.lines] == [
            (line.document_number, line.amount_paid, line.discount) for line in expected.lines
        ]


@pytest.mark.django_db
def test_the_folder_imports_each_payment_once_and_a_second_poll_does_nothing(sandbox, simulator):
    run = flows.run_flow("remittance-files")
    payments = {r.payment_number: r.amount for r in simulator.remittances()}
    assert run.counts["imported"] == len(payments), run.counts
    assert dict(Remittance.objects.values_list("payment_number", "amount")) == payments
    assert set(ImportBatch.objects.values_list("format", flat=True)) == {"edi820"}
    again = flows.run_flow("remittance-files")
    assert again.counts["skipped"] == len(payments) and Remittance.objects.count() == len(payments)


@pytest.mark.django_db
def test_sync_remittances_reads_the_finance_api_and_ties_to_the_simulator(sandbox, simulator):
    run = flows.run_flow("remittances")
    truth = {r.payment_number: r for r in simulator.remittances()}
    assert run.outcome == "succeeded", run.error
    assert run.counts["imported"] == len(truth)
    for remittance in Remittance.objects.all():
        expected = truth[remittance.payment_number]
        assert (remittance.amount, remittance.drift, remittance.line_count) == (
            expected.amount,
            0,
            len(expected.lines),
        )
        assert remittance.source == "api"
    # The folder afterwards brings nothing new: the same payments are recognised, not refused.
    folder = flows.run_flow("remittance-files")
    assert folder.counts["already_imported"] == len(truth) and folder.counts["refused"] == 0


@pytest.mark.django_db
def test_sync_ar_and_gl_accounts_pull_the_ledger(sandbox):
    gl = flows.run_flow("gl-accounts")
    ar = flows.run_flow("ar")
    assert gl.outcome == ar.outcome == "succeeded", (gl.error, ar.error)
    assert GLAccount.objects.filter(number="4520", name__icontains="Shortage").exists()
    assert ar.counts["invoices"] == OpenInvoice.objects.count() > 0
    assert OpenInvoice.objects.filter(number__startswith="INV-").count() == OpenInvoice.objects.count()
    assert flows.run_flow("ar").counts["created"] == 0  # idempotent


@pytest.mark.django_db
def test_the_whole_sandbox_demo_codes_every_line(sandbox, simulator):
    for name in ("gl-accounts", "ar", "remittance-files"):
        flows.run_flow(name)
    statuses = set(RemittanceLine.objects.values_list("status", flat=True))
    assert statuses <= {LineStatus.OK, LineStatus.CODED}, statuses
    assert not ExceptionCase.objects.filter(kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "description", "expected", "base"),
    [
        ("INV-1001", "", "invoice", ""),
        ("INV-1001SC", "", "shortage", "INV-1001"),
        ("INV-1001-SC", "", "shortage", "INV-1001"),
        ("INV-1001SCR", "", "shortage_reversal", "INV-1001"),
        ("INV-1001SCRSC", "", "shortage_revised", "INV-1001"),
        ("INV-1001PC", "", "price_claim", "INV-1001"),
        ("INV-1001PCR", "", "price_claim_reversal", "INV-1001"),
        ("12345678VCBSINV", "", "chargeback", ""),
        ("1234-56789012", "", "coop", ""),
        ("IPAPUS1234567", "", "price_protection", ""),
        ("123456789-PROVISION FOR RECEIVABLES", "", "provision", ""),
        ("123456789-PROVISION FOR RECEIVABLESR", "", "provision_reversal", ""),
        ("RA-88", "Return to vendor (RTV)", "return", ""),
        ("QP-1", "Quick pay discount", "terms_discount", ""),
        ("X-1", "Something else", "unknown", ""),
    ],
)
def test_the_seeded_rule_table_classifies_amazon_document_numbers(document, description, expected, base):
    result = Classifier(compile_rules(), set()).classify(document_number=document, description=description)
    assert (result.line_type, result.base_invoice_number) == (expected, base)


@pytest.mark.django_db
def test_a_known_netsuite_invoice_is_an_invoice_whatever_its_numbering():
    assert Classifier(compile_rules(), {"88001"}).classify(document_number="88001").line_type == "invoice"
    assert Classifier(compile_rules(), set()).classify(document_number="88001").line_type == "unknown"


@pytest.mark.django_db
def test_bare_and_full_820_deductions_classify_the_same(gl, simulator):
    remittance = next(r for r in simulator.remittances() if any(line.amount_paid < 0 for line in r.lines))
    created = datetime(2026, 11, 30, 6, tzinfo=UTC)
    full = edi_820(remittance, control_number=1, created=created, bare=False).encode()
    bare = edi_820(remittance, control_number=2, created=created, bare=True).encode()
    assert b"ADX*" in full and b"ADX*" not in bare
    kinds = []
    for data in (full, bare):
        (payment,) = parse(data, "x.820").payments
        classifier = Classifier(compile_rules(), set())
        kinds.append(
            [
                classifier.classify(
                    document_number=line.document_number, adjustment_code=line.adjustment_code
                ).line_type
                for line in payment.lines
            ]
        )
    assert kinds[0] == kinds[1] and "unknown" not in kinds[0]


@pytest.mark.django_db
def test_the_mapping_in_force_on_a_line_date_codes_it(gl, personas):
    admin = personas["admin"]
    services.mapping_change(
        actor=admin,
        change=services.MappingChange("shortage", "", gl["4599"], date(2026, 11, 15), "split shortages"),
    )
    old, new = DeductionMapping.objects.filter(line_type="shortage").order_by("effective_from")
    assert (old.effective_to, new.effective_to) == (date(2026, 11, 14), None)
    early = GOOD.replace(b"INV-A1SC,11/30/2026", b"INV-A1SC,11/10/2026")
    services.remittance_import(data=early, name="early.csv", door=ImportDoor.COMMAND)
    late = GOOD.replace(b"P100", b"P200")
    services.remittance_import(data=late, name="late.csv", door=ImportDoor.COMMAND)
    coded = dict(
        RemittanceLine.objects.filter(line_type="shortage").values_list(
            "remittance__payment_number", "gl_account__number"
        )
    )
    assert coded == {"P100": "4520", "P200": "4599"}
    assert AuditEvent.objects.filter(action="deduction_mapping.changed", actor=admin).exists()


@pytest.mark.django_db
def test_an_unmapped_deduction_raises_and_a_new_mapping_codes_it_and_clears_the_case(gl, personas):
    DeductionMapping.objects.filter(line_type="shortage").delete()
    services.remittance_import(data=GOOD, name="g.csv", door=ImportDoor.COMMAND)
    line = RemittanceLine.objects.get(line_type="shortage")
    assert line.status == LineStatus.UNMAPPED and line.gl_account is None
    case = ExceptionCase.objects.get(kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE)
    assert services.remittance_blockers(line.remittance)
    services.mapping_change(
        actor=personas["admin"], change=services.MappingChange("shortage", "", gl["4520"], date(2026, 1, 1))
    )
    line.refresh_from_db()
    case.refresh_from_db()
    assert (line.status, line.gl_account.number, case.status) == (LineStatus.CODED, "4520", "resolved")


@pytest.mark.django_db
def test_the_dry_run_shows_which_lines_move_and_saves_nothing(gl):
    services.remittance_import(data=GOOD, name="g.csv", door=ImportDoor.COMMAND)
    change = services.MappingChange("shortage", "", gl["4599"], date(2026, 11, 1))
    moves = services.mapping_dry_run(change=change, last=5)
    assert [
        (m.line.document_number, m.amount, m.from_account.number, m.to_account.number) for m in moves
    ] == [("INV-A1SC", Decimal("-20.00"), "4520", "4599")]
    assert DeductionMapping.objects.filter(line_type="shortage").count() == 1
    assert RemittanceLine.objects.get(line_type="shortage").gl_account.number == "4520"


@pytest.mark.django_db
def test_only_admins_change_mappings(gl, personas, client):
    change = services.MappingChange("shortage", "", gl["4599"], date(2026, 11, 1))
    with pytest.raises(PermissionDenied):
        services.mapping_change(actor=personas["finance"], change=change)
    client.force_login(personas["finance"])
    form = {
        "line_type": "shortage",
        "gl_account": gl["4599"].pk,
        "effective_from": "2026-11-01",
        "last": 5,
        "action": "save",
    }
    assert client.post(reverse("reconciliation:mappings"), form).status_code == 403
    client.force_login(personas["admin"])
    response = client.post(
        reverse("reconciliation:mappings"), form | {"action": "dry_run"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"Dry run" in response.content
    assert DeductionMapping.objects.filter(line_type="shortage").count() == 1
    assert client.post(reverse("reconciliation:mappings"), form).status_code == 302
    assert DeductionMapping.objects.filter(line_type="shortage").count() == 2


@pytest.mark.django_db
def test_an_upload_runs_in_the_worker_and_the_page_shows_progress_then_the_result(
    gl, personas, client, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(import_remittance, "delay", lambda *args: queued.append(args))
    client.force_login(personas["finance"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reconciliation:imports"), {"file": SimpleUploadedFile("pay.csv", GOOD), "format": "auto"}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and queued == [(batch.pk, "auto")]
    page = client.get(batch.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert b"<progress" in page.content and b'hx-trigger="every 1s"' in page.content
    import_remittance(batch.pk, "auto")  # what the worker runs
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED and batch.content is None
    page = client.get(batch.get_absolute_url())
    assert b"P100" in page.content and b"every 1s" not in page.content


@pytest.mark.django_db
def test_an_upload_needs_the_finance_role(personas, client):
    client.force_login(personas["ops"])
    assert client.get(reverse("reconciliation:imports")).status_code == 403


@pytest.mark.django_db
def test_finance_lists_keep_a_query_budget_and_export(gl, personas, client, django_assert_max_num_queries):
    for n in range(5):
        services.remittance_import(
            data=GOOD.replace(b"P100", f"P{n}".encode()), name=f"{n}.csv", door=ImportDoor.COMMAND
        )
    client.force_login(personas["finance"])
    for name, shows in (
        ("remittances", b"P4"),
        ("deductions", b"INV-A1SC"),
        ("imports", b"4.csv"),
        ("mappings", b"4520"),
    ):
        with django_assert_max_num_queries(14):
            response = client.get(reverse(f"reconciliation:{name}"))
        assert response.status_code == 200 and shows in response.content, name
    shortages = client.get(reverse("reconciliation:deductions") + "?line_type=shortage&min_amount=10")
    assert shortages.content.count(b"INV-A1SC") == 5
    none = client.get(reverse("reconciliation:deductions") + "?line_type=chargeback")
    assert b"INV-A1SC" not in none.content and b"No deductions match" in none.content
    remittance = Remittance.objects.first()
    with django_assert_max_num_queries(14):
        assert client.get(remittance.get_absolute_url()).status_code == 200
    export = client.get(reverse("reconciliation:deductions") + "?export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.django_db
def test_remittances_imported_before_the_first_gl_sync_are_coded_by_it_in_the_sandbox(sandbox):
    flows.run_flow("remittance-files")
    assert RemittanceLine.objects.filter(status=LineStatus.UNMAPPED).exists()
    assert ExceptionCase.objects.open().filter(kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE).exists()
    flows.run_flow("gl-accounts")
    assert not RemittanceLine.objects.filter(status=LineStatus.UNMAPPED).exists()
    assert not ExceptionCase.objects.open().filter(kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE).exists()


@pytest.mark.django_db
def test_admins_add_classification_rules_and_header_columns_that_the_next_import_uses(gl, personas, client):
    from reconciliation.models import ClassificationRule, HeaderMapping

    client.force_login(personas["finance"])
    assert client.post(reverse("reconciliation:rule_add"), {}).status_code == 403
    client.force_login(personas["admin"])
    bad = {"order": 5, "field": "document_number", "pattern": "([", "line_type": "chargeback"}
    client.post(reverse("reconciliation:rule_add"), bad)
    assert not ClassificationRule.objects.filter(order=5).exists()
    rule = {
        "order": 5,
        "field": "document_number",
        "pattern": r"^ZZTOP-\d+$",
        "line_type": "chargeback",
        "note": "x",
    }
    assert client.post(reverse("reconciliation:rule_add"), rule).status_code == 302
    client.post(
        reverse("reconciliation:header_mapping_save"), {"header": "Net Paid (USD)", "field": "amount_paid"}
    )
    HeaderMapping.objects.filter(header="amount paid").delete()
    data = GOOD.replace(b"Amount Paid", b"Net Paid (USD)").replace(b"INV-A1SC", b"ZZTOP-77")
    batch = services.remittance_import(data=data, name="new-layout.csv", door=ImportDoor.COMMAND)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert RemittanceLine.objects.get(document_number="ZZTOP-77").line_type == "chargeback"
    actions = set(AuditEvent.objects.filter(actor=personas["admin"]).values_list("action", flat=True))
    assert {"classification_rule.added", "header_mapping.saved"} <= actions


@pytest.mark.django_db
def test_deductions_age_into_buckets_with_totals_by_type(gl, personas, client):
    from datetime import timedelta

    from django.utils import timezone

    from reconciliation import selectors

    today = timezone.localdate()
    rows = [(f"INV-{age}SC", today - timedelta(days=age), "-10.00") for age in (5, 40, 75, 120)] + [
        ("99887766VCBSINV", today - timedelta(days=40), "-2.50")
    ]
    header = "Payment Number,Payment Date,Payment Amount,Invoice Number,Invoice Date,Amount Paid\n"
    body = "".join(
        f"P1,{today:%m/%d/%Y},-42.50,{doc},{when:%m/%d/%Y},{amount}\n" for doc, when, amount in rows
    )
    services.remittance_import(data=(header + body).encode(), name="aging.csv", door=ImportDoor.COMMAND)
    totals = selectors.deduction_totals(selectors.deductions())
    assert [(a["bucket"], a["total"]) for a in totals["aging"]] == [
        ("0-30", Decimal("-10.00")),
        ("31-60", Decimal("-12.50")),
        ("61-90", Decimal("-10.00")),
        ("90+", Decimal("-10.00")),
    ]
    assert {(t["line_type"], t["lines"], t["total"]) for t in totals["by_type"]} == {
        ("shortage", 4, Decimal("-40.00")),
        ("chargeback", 1, Decimal("-2.50")),
    }
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:deductions") + "?age=31-60")
    assert (
        b"INV-40SC" in page.content and b"99887766VCBSINV" in page.content and b"INV-5SC" not in page.content
    )
