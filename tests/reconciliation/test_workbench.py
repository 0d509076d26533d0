"""The matching workbench over HTTP: the page, the panel, decisions answered with only the changed
rows (out of band), permissions, and the query budget at 5,000 lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation import matching_services as ms
from reconciliation.models import (
    ImportBatch,
    LineMatchStatus,
    Match,
    MatchStatus,
    OpenInvoice,
    Remittance,
    RemittanceLine,
)

from .test_matching_services import invoice, world  # noqa: F401 - the shared scenario

D = Decimal


@pytest.fixture
def fiona(make_user, client):
    user = make_user("fiona", "finance")
    client.force_login(user)
    return user


def test_the_page_shows_totals_lines_and_the_panel_shows_the_why(client, fiona, world):  # noqa: F811
    remittance, invoices = world
    ms.remittance_automatch(remittances=[remittance])
    url = reverse("reconciliation:workbench", args=[remittance.public_id])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-total="unexplained" class="wb-open">70.00<' in html
    assert 'id="line-4"' in html and "REF-77" in html
    assert "js/workbench.js" in html and "<script>" not in html  # CSP: no inline script

    panel = client.get(reverse("reconciliation:workbench_line", args=[remittance.public_id, 4]))
    text = panel.content.decode()
    assert "amount only: invoice INV-3" in text and "Accept (a)" in text
    assert 'value="ns-INV-3"' in text  # a candidate invoice for a manual match

    only_open = client.get(url, {"show": "open"}, HTTP_HX_REQUEST="true").content.decode()
    assert "REF-77" in only_open and "INV-2SC" not in only_open and 'id="line-1"' not in only_open


def test_accepting_swaps_the_panel_the_changed_row_and_the_header(client, fiona, world):  # noqa: F811
    remittance, invoices = world
    ms.remittance_automatch(remittances=[remittance])
    suggestion = remittance.matches.get(status=MatchStatus.SUGGESTED, allocations__invoice=invoices["INV-3"])
    response = client.post(
        reverse("reconciliation:match_accept", args=[suggestion.public_id]),
        {"focus": "4"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("hx-swap-oob") == 2  # the header and the one changed row, nothing else
    assert '<template><tr id="line-4"' in html.replace("\n", "")
    assert 'data-total="unexplained" class="wb-open">20.00<' in html
    assert "Undo (u)" in html
    assert (
        RemittanceLine.objects.get(remittance=remittance, sequence=4).match_status == LineMatchStatus.MATCHED
    )

    # Accepting again is refused with a message, nothing changes.
    again = client.post(reverse("reconciliation:match_accept", args=[suggestion.public_id]), {"focus": "4"})
    assert "already accepted" in again.content.decode()


def test_manual_match_split_and_bulk_accept_over_http(client, fiona, world):  # noqa: F811
    remittance, invoices = world
    ms.remittance_automatch(remittances=[remittance])
    manual = reverse("reconciliation:manual_match", args=[remittance.public_id])
    response = client.post(
        manual,
        {
            "lines": ["4"],
            "invoices": ["ns-INV-5", "ns-INV-4"],
            "amount_ns-INV-5": "30.00",
            "amount_ns-INV-4": "20",
            "focus": "4",
        },
    )
    assert "Matched." in response.content.decode()
    split = Match.objects.get(rule="split")
    assert sorted(a.amount for a in split.allocations.all()) == [D("20.00"), D("30.00")]

    bad = client.post(
        manual, {"lines": ["5"], "invoices": ["ns-INV-3"], "amount_ns-INV-3": "abc", "focus": "5"}
    )
    assert "is not an amount" in bad.content.decode()

    ms.match_undo(match=split, actor=fiona)
    ms.remittance_automatch(remittances=[remittance])
    bulk = client.post(
        reverse("reconciliation:bulk_accept", args=[remittance.public_id]),
        {"min_confidence": "0.20", "show": "all"},
    )
    assert "1 suggestion(s) at or above 0.20 accepted" in bulk.content.decode(), bulk.content.decode()[-900:]


def test_people_who_only_view_cannot_match(client, make_user, world):  # noqa: F811
    remittance, _ = world
    ms.remittance_automatch(remittances=[remittance])
    client.force_login(make_user("adam", "finance_approver"))
    page = client.get(reverse("reconciliation:workbench", args=[remittance.public_id]))
    assert page.status_code == 200 and "Accept (a)" not in page.content.decode()
    suggestion = remittance.matches.filter(status=MatchStatus.SUGGESTED).first()
    assert client.post(reverse("reconciliation:match_accept", args=[suggestion.public_id])).status_code == 403
    assert Match.objects.get(pk=suggestion.pk).status == MatchStatus.SUGGESTED


def test_a_5000_line_remittance_stays_within_the_query_budget(
    client, fiona, gl, django_assert_max_num_queries
):
    batch = ImportBatch.objects.create(name="big.csv", door="command", checksum="x" * 64)
    remittance = Remittance.objects.create(
        payment_number="BIG",
        payment_date=date(2026, 11, 30),
        amount=D("50000.00"),
        source="csv",
        batch=batch,
        file_checksum="x" * 64,
        line_count=5000,
    )
    OpenInvoice.objects.bulk_create(
        OpenInvoice(
            netsuite_id=f"ns{i}",
            number=f"INV-{i}",
            date=date(2026, 11, 1),
            amount=D("10.00"),
            open_balance=D("10.00"),
            customer_id="1001",
        )
        for i in range(5000)
    )
    RemittanceLine.objects.bulk_create(
        RemittanceLine(
            remittance=remittance,
            sequence=i + 1,
            document_number=f"INV-{i}" if i % 5 else f"X-{i}",
            amount_paid=D("10.00"),
            invoice_amount=D("10.00"),
            line_type="invoice",
            status="ok",
        )
        for i in range(5000)
    )
    ms.remittance_automatch(remittances=[remittance])
    assert remittance.lines.filter(match_status=LineMatchStatus.MATCHED).count() == 4000
    url = reverse("reconciliation:workbench", args=[remittance.public_id])
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(15):
        assert (
            client.get(url, {"show": "open", "q": "X-", "page": "3"}, HTTP_HX_REQUEST="true").status_code
            == 200
        )
    with django_assert_max_num_queries(15):
        assert (
            client.get(reverse("reconciliation:workbench_line", args=[remittance.public_id, 1])).status_code
            == 200
        )
