"""The exception queue: team views, filters, sorting, bulk actions, assigning, re-running the failed step."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vendorsync import flows, services
from vendorsync.models import AuditEvent, ExceptionCase, Team


def _raise(key: str, kind: str = "asn_blocked", **kwargs) -> ExceptionCase:
    case, _ = services.exception_raise(
        kind=kind, dedupe_key=key, message=kwargs.pop("message", key), **kwargs
    )
    return case


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(response) -> set[str]:
    return {row.record.dedupe_key for row in response.context["table"].page.object_list}


@pytest.fixture
def eager_celery(monkeypatch):
    """Run the queued re-run in the calling thread: only the broker is bypassed; task and flow are real.

    (Celery's own eager mode would fire the worker's connection-closing signals inside the test's
    transaction, which PostgreSQL tests cannot survive.)
    """
    from vendorsync import tasks

    monkeypatch.setattr(tasks.rerun_case_step, "delay", lambda *args: tasks.rerun_case_step(*args))


@pytest.fixture
def fixing_flow():
    """A tiny flow whose run finds the cause gone and clears the case (as real flows do)."""
    saved = dict(flows._FLOWS)

    def fix(context: flows.FlowContext) -> flows.FlowResult:
        cleared = services.exception_clear(dedupe_key="asn:fixable", note="Fulfilment corrected; ASN valid.")
        return flows.FlowResult(counts={"cleared": 1 if cleared else 0})

    flows.register_flow("t-fix", label="Test shipments", description="clears", every_seconds=60)(fix)
    yield
    flows._FLOWS.clear()
    flows._FLOWS.update(saved)


@pytest.mark.parametrize(
    ("persona", "query"),
    [
        ("ops", "status=unresolved&owner_team=ops"),
        ("finance", "status=unresolved&owner_team=finance"),
        ("approver", "status=unresolved&owner_team=finance"),
        ("admin", "status=unresolved"),
    ],
)
def test_each_team_starts_from_its_own_unresolved_cases(personas, persona, query):
    response = _client(personas[persona]).get(reverse("exceptions"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('exceptions')}?{query}"


def test_filters_by_kind_team_status_age_assignee_and_amount(personas, make_user):
    ops, bob = personas["ops"], make_user("bob", "ops")
    old = _raise("asn:old", amount_at_risk=Decimal("500.00"))
    ExceptionCase.objects.filter(pk=old.pk).update(first_seen_at=timezone.now() - timedelta(days=10))
    mine = _raise("price:mine", kind="price_discrepancy", amount_at_risk=Decimal("40.00"))
    services.exception_assign(case=mine, actor=ops, assignee=ops)
    bobs = _raise("price:bob", kind="price_discrepancy")
    services.exception_assign(case=bobs, actor=ops, assignee=bob)
    _raise("drift:1", kind="settlement_drift", amount_at_risk=Decimal("900.00"))
    done = _raise("asn:done")
    services.exception_resolve(case=done, actor=ops, note="fixed")
    client = _client(ops)

    def listed(**query) -> set[str]:
        return _listed(client.get(reverse("exceptions"), query))

    assert listed(status="unresolved") == {"asn:old", "price:mine", "price:bob", "drift:1"}
    assert listed(status="resolved") == {"asn:done"}
    assert listed(status="in_progress") == {"price:mine", "price:bob"}
    assert listed(status="unresolved", owner_team="finance") == {"drift:1"}
    assert listed(status="unresolved", kind="price_discrepancy") == {"price:mine", "price:bob"}
    assert listed(status="unresolved", age="gt7d") == {"asn:old"}
    assert listed(status="unresolved", age="lt1d") == {"price:mine", "price:bob", "drift:1"}
    assert listed(status="unresolved", assignee="me") == {"price:mine"}
    assert listed(status="unresolved", assignee="bob") == {"price:bob"}
    assert listed(status="unresolved", assignee="none") == {"asn:old", "drift:1"}
    assert listed(status="unresolved", amount_min="100") == {"asn:old", "drift:1"}
    today = timezone.localdate()
    assert listed(status="", opened_to=str(today - timedelta(days=5))) == {"asn:old"}
    assert listed(status="", opened_from=str(today)) == {"price:mine", "price:bob", "drift:1", "asn:done"}


def test_sorts_by_amount_with_cases_without_one_last_and_by_age(personas):
    _raise("a", amount_at_risk=Decimal("10.00"))
    _raise("b")
    _raise("c", amount_at_risk=Decimal("300.00"))
    ExceptionCase.objects.filter(dedupe_key="a").update(first_seen_at=timezone.now() - timedelta(days=3))
    client = _client(personas["ops"])

    def order(sort: str) -> list[str]:
        response = client.get(reverse("exceptions"), {"status": "unresolved", "sort": sort})
        return [row.record.dedupe_key for row in response.context["table"].page.object_list]

    assert order("-amount_at_risk") == ["c", "a", "b"]
    assert order("amount_at_risk") == ["a", "c", "b"]
    assert order("-age")[0] == "a"  # oldest first
    assert order("age")[-1] == "a"


def test_bulk_assign_resolve_and_dismiss(personas, make_user):
    ops, bob = personas["ops"], make_user("bob", "ops")
    cases = [_raise(f"asn:{i}") for i in range(3)]
    client = _client(ops)
    url = reverse("exceptions_bulk")
    ids = [str(c.public_id) for c in cases]
    back = reverse("exceptions") + "?status=unresolved&owner_team=ops"
    page = client.get(back).content.decode()
    assert f'name="case" value="{ids[0]}" form="bulk"' in page and 'id="bulk"' in page  # rows feed the form

    response = client.post(url, {"case": ids[:2], "action": "assign", "assignee": "bob", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert set(ExceptionCase.objects.filter(assignee=bob).values_list("dedupe_key", flat=True)) == {
        "asn:0",
        "asn:1",
    }
    assert AuditEvent.objects.filter(action="exception.assigned", actor=ops).count() == 2

    client.post(url, {"case": ids[2:], "action": "dismiss", "note": "  "})
    assert ExceptionCase.objects.get(pk=cases[2].pk).status == "open"  # a dismissal needs a reason
    client.post(url, {"case": ids[2:], "action": "dismiss", "note": "Duplicate of a carrier issue"})
    assert ExceptionCase.objects.get(pk=cases[2].pk).status == "dismissed"

    client.post(url, {"case": ids[:2], "action": "resolve", "note": "Labels reprinted"})
    assert set(
        ExceptionCase.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)
    ) == {
        "resolved",
        "dismissed",
    }


def test_a_bulk_action_changes_all_selected_cases_or_none(personas):
    ops_case = _raise("asn:x")
    finance_case = _raise("drift:x", kind="settlement_drift")
    client = _client(personas["finance"])
    response = client.post(
        reverse("exceptions_bulk"),
        {"case": [str(finance_case.public_id), str(ops_case.public_id)], "action": "resolve", "note": "ok"},
        follow=True,
    )
    assert "Nothing was changed" in response.content.decode()
    assert ExceptionCase.objects.get(pk=finance_case.pk).status == "open"
    assert ExceptionCase.objects.get(pk=ops_case.pk).status == "open"


def test_finance_cannot_work_ops_cases_unless_also_ops(personas, make_user):
    case = _raise("asn:perm")
    finance = personas["finance"]
    assert (
        _client(finance).post(reverse("exception_action", args=[case.public_id, "take"])).status_code == 403
    )
    both = make_user("both", "finance", "ops")
    assert _client(both).post(reverse("exception_action", args=[case.public_id, "take"])).status_code == 302
    assert ExceptionCase.objects.get(pk=case.pk).assignee == both


def test_a_case_goes_only_to_a_colleague_who_can_work_its_team(personas, make_user):
    ops, bob = personas["ops"], make_user("bob", "ops")
    case = _raise("asn:assign")
    client = _client(ops)
    page = client.get(case.get_absolute_url()).content.decode()
    assert '<option value="bob">bob</option>' in page
    assert '<option value="fin">' not in page  # finance cannot work an ops case: not offered

    client.post(reverse("exception_action", args=[case.public_id, "assign"]), {"assignee": "fin"})
    assert ExceptionCase.objects.get(pk=case.pk).assignee is None
    client.post(reverse("exception_action", args=[case.public_id, "assign"]), {"assignee": "bob"})
    case.refresh_from_db()
    assert case.assignee == bob and case.status == "in_progress"
    assert "Assigned to bob" in client.get(case.get_absolute_url()).content.decode()


def test_occurrences_are_counted_and_a_case_that_clears_says_so(personas):
    for _ in range(3):
        case = _raise("asn:again", message="Carton 3 has no weight")
    assert case.occurrences == 3 and ExceptionCase.objects.count() == 1
    services.exception_clear(dedupe_key="asn:again", note="Fulfilment corrected; ASN valid.")
    page = _client(personas["ops"]).get(case.get_absolute_url()).content.decode()
    assert "by itself, when its cause cleared: Fulfilment corrected; ASN valid." in page
    assert "3 times" in page and "UTC" in page


def test_the_detail_page_links_the_subject_and_shows_the_runbook(personas):
    other = _raise("asn:subject")
    case = _raise("asn:linked", subject_type="vendorsync.exceptioncase", subject_id=str(other.public_id))
    review = _raise(
        "outbox:1", kind="outbox_needs_review", subject_type="vendorsync.outboxmessage", subject_id="abc"
    )
    client = _client(personas["ops"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert f'href="{other.get_absolute_url()}"' in page
    assert "Runbook: ASN blocked" in page and "How to fix it" in page
    page = client.get(review.get_absolute_url()).content.decode()
    assert f'href="{reverse("sync_runs")}?message=abc"' in page
    assert "Open the delivery to send it again" in page


def test_re_running_the_failed_step_resolves_the_case(personas, fixing_flow, eager_celery):
    case = _raise("asn:fixable", details={"rerun_flow": "t-fix"})
    client = _client(personas["ops"])
    assert "Re-run: Test shipments sync" in client.get(case.get_absolute_url()).content.decode()
    response = client.post(reverse("exception_rerun", args=[case.public_id]), follow=True)
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved
    page = response.content.decode()
    assert "Resolved" in page and "Re-run of the failed step requested" in page
    event = AuditEvent.objects.get(action="exception.rerun_requested")
    assert event.actor == personas["ops"] and event.after == {"flow": "t-fix"}


def test_only_the_owning_team_may_re_run_and_only_a_registered_step(personas, fixing_flow):
    case = _raise("asn:fixable", details={"rerun_flow": "t-fix"})
    assert (
        _client(personas["finance"]).post(reverse("exception_rerun", args=[case.public_id])).status_code
        == 403
    )
    stray = _raise("asn:stray", details={"rerun_flow": "no-such-flow"})
    response = _client(personas["ops"]).post(reverse("exception_rerun", args=[stray.public_id]), follow=True)
    page = response.content.decode()
    assert "no step to re-run" in page and "is not a registered sync flow here" in page
    assert not AuditEvent.objects.filter(action="exception.rerun_requested").exists()


def test_the_rerun_panel_polls_until_the_run_finishes(personas, fixing_flow, monkeypatch):
    from vendorsync import tasks

    queued = []
    monkeypatch.setattr(tasks.rerun_case_step, "delay", lambda *args: queued.append(args))
    case = _raise("asn:fixable", details={"rerun_flow": "t-fix"})
    client = _client(personas["ops"])
    client.post(reverse("exception_rerun", args=[case.public_id]))
    assert queued == [(str(case.public_id), personas["ops"].pk)]
    status_url = reverse("exception_rerun_status", args=[case.public_id])
    waiting = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting
    tasks.rerun_case_step(*queued[0])  # the worker runs it
    done = client.get(status_url, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"  # resolved: reload the page


def test_filtering_with_unchanged_values_adds_no_history_entry(personas):
    client = _client(personas["ops"])
    url = reverse("exceptions")
    same = client.get(
        url,
        {"status": "open", "owner_team": "ops", "kind": "", "q": ""},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/exceptions/?status=open&owner_team=ops",
        },
    )
    assert same["HX-Push-Url"] == "false"
    changed = client.get(
        url,
        {"status": "resolved", "owner_team": "ops"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/exceptions/?status=open&owner_team=ops",
        },
    )
    assert "HX-Push-Url" not in changed


def test_a_full_page_shows_the_filter_controls_the_address_asks_for(personas):
    html = (
        _client(personas["ops"])
        .get(reverse("exceptions"), {"status": "resolved", "owner_team": "finance"})
        .content.decode()
    )
    assert '<option value="resolved" selected>' in html and '<option value="finance" selected>' in html


def test_queue_first_page_has_a_bounded_number_of_queries(personas, make_user, django_assert_max_num_queries):
    users = [make_user(f"op{i}", "ops") for i in range(3)]
    for i in range(120):
        case = _raise(
            f"k{i}",
            kind=["asn_blocked", "price_discrepancy", "settlement_drift"][i % 3],
            amount_at_risk=Decimal(i),
        )
        if i % 4 == 0 and case.owner_team == Team.OPS:
            services.exception_assign(case=case, actor=users[0], assignee=users[i % 3])
    client = _client(personas["ops"])
    for query in (
        {"status": "unresolved", "owner_team": "ops"},
        {"status": "unresolved", "sort": "-amount_at_risk"},
    ):
        with django_assert_max_num_queries(12):
            response = client.get(reverse("exceptions"), query)
        assert response.status_code == 200 and len(response.context["table"].page.object_list) == 50


def test_static_files_and_the_favicon_are_served_without_debug(client, settings):
    settings.DEBUG = False
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/js/app.js").status_code == 200
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
