"""The sync-flow registry and runner: cursors, failures, due flows, the command and "Sync now"."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from vendorsync import flows
from vendorsync.models import SyncOutcome, SyncRun, Team


@pytest.fixture
def demo_flows():
    """Only two throw-away flows are registered during the test; the real ones come back afterwards."""
    seen: list[flows.FlowContext] = []

    def counting(context: flows.FlowContext) -> flows.FlowResult:
        seen.append(context)
        cursor = int(context.cursor or 0)
        return flows.FlowResult(counts={"items": 2}, cursor=str(cursor + 2))

    def failing(context: flows.FlowContext) -> flows.FlowResult:
        raise RuntimeError("NetSuite said no")

    saved = dict(flows._FLOWS)
    flows._FLOWS.clear()  # the apps' real flows would otherwise run in `sync all`
    flows.register_flow("t-count", label="Counting", description="counts", order=1, every_seconds=60)(
        counting
    )
    flows.register_flow(
        "t-fail", label="Failing", description="fails", owner_team=Team.FINANCE, order=2, every_seconds=60
    )(failing)
    yield seen
    flows._FLOWS.clear()
    flows._FLOWS.update(saved)


@pytest.mark.django_db
def test_a_flow_continues_from_the_cursor_of_its_last_successful_run(demo_flows):
    first = flows.run_flow("t-count")
    second = flows.run_flow("t-count")
    assert (first.outcome, first.cursor, first.counts) == (SyncOutcome.SUCCEEDED, "2", {"items": 2})
    assert [context.cursor for context in demo_flows] == ["", "2"]
    assert second.cursor == "4"


@pytest.mark.django_db
def test_a_failing_flow_is_recorded_with_its_error_and_keeps_the_last_good_cursor(demo_flows):
    run = flows.run_flow("t-fail")
    assert run.outcome == SyncOutcome.FAILED
    assert "RuntimeError: NetSuite said no" in run.error
    assert flows.last_cursor("t-fail") == ""


@pytest.mark.django_db
def test_after_flow_steps_follow_good_runs_only_and_never_fail_the_flow(demo_flows):
    followed: list[str] = []

    def follow(run: SyncRun) -> None:
        followed.append(f"{run.flow}:{run.outcome}")

    def broken(run: SyncRun) -> None:
        raise RuntimeError("follower bug")

    saved = dict(flows._AFTER)
    try:
        flows.after_flow("t-count", broken)
        flows.after_flow("t-count", follow)
        flows.after_flow("t-count", follow)  # registering twice runs it once
        flows.after_flow("t-fail", follow)
        assert flows.run_flow("t-count").outcome == SyncOutcome.SUCCEEDED
        assert flows.run_flow("t-fail").outcome == SyncOutcome.FAILED
    finally:
        flows._AFTER.clear()
        flows._AFTER.update(saved)
    assert followed == ["t-count:succeeded"]


@pytest.mark.django_db
def test_a_second_run_of_a_busy_flow_is_refused(demo_flows):
    SyncRun.objects.create(flow="t-count")  # running, started now
    with pytest.raises(flows.FlowBusy):
        flows.run_flow("t-count")


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_worker_does_not_block_the_flow_for_ever(demo_flows, settings):
    SyncRun.objects.create(
        flow="t-count", started_at=timezone.now() - timedelta(seconds=settings.TASK_TIME_LIMIT * 3)
    )
    assert flows.run_flow("t-count").outcome == SyncOutcome.SUCCEEDED


@pytest.mark.django_db
def test_due_flows_are_those_whose_interval_has_passed(demo_flows):
    now = timezone.now()
    SyncRun.objects.create(flow="t-count", started_at=now - timedelta(seconds=10))
    SyncRun.objects.create(flow="t-fail", started_at=now - timedelta(seconds=61))
    names = {flow.name for flow in flows.due_flows(now=now)}
    assert "t-fail" in names and "t-count" not in names


@pytest.mark.django_db
def test_a_flow_due_just_after_a_sweep_runs_at_that_sweep_not_the_next(demo_flows, settings):
    settings.SYNC_SWEEP_SECONDS = 30
    now = timezone.now()
    SyncRun.objects.create(flow="t-count", started_at=now - timedelta(seconds=58))  # due in 2 s
    SyncRun.objects.create(flow="t-fail", started_at=now - timedelta(seconds=40))  # due in 20 s
    names = {flow.name for flow in flows.due_flows(now=now)}
    assert names == {"t-count"}


@pytest.mark.django_db
def test_sync_all_runs_every_flow_in_order_and_fails_when_one_failed(demo_flows, capsys):
    with pytest.raises(CommandError, match="Failed: t-fail"):
        call_command("sync", "all", "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    ours = [line for line in lines if line["flow"].startswith("t-")]
    assert [line["flow"] for line in ours] == ["t-count", "t-fail"]
    assert ours[0]["counts"] == {"items": 2} and ours[1]["outcome"] == "failed"


@pytest.mark.django_db
def test_sync_refuses_an_unknown_flow_and_a_bad_since(demo_flows):
    with pytest.raises(CommandError, match="Unknown flow 'nope'"):
        call_command("sync", "nope")
    with pytest.raises(CommandError, match="--since must be an ISO-8601"):
        call_command("sync", "t-count", "--since", "yesterday")


@pytest.mark.django_db
def test_since_is_given_to_the_flow(demo_flows):
    call_command("sync", "t-count", "--since", "2026-11-01")
    assert demo_flows[-1].since == timezone.datetime(2026, 11, 1, tzinfo=timezone.UTC)


@pytest.mark.django_db
def test_sync_now_is_for_the_flows_owner_team_and_admins(demo_flows, personas, client, monkeypatch):
    queued: list[tuple] = []
    from vendorsync import tasks

    monkeypatch.setattr(tasks.run_flow, "delay", lambda *args: queued.append(args))
    client.force_login(personas["ops"])
    assert client.post(reverse("sync_flow_now", args=["t-count"])).status_code == 302
    assert client.post(reverse("sync_flow_now", args=["t-fail"])).status_code == 403  # a finance flow
    client.force_login(personas["finance"])
    assert client.post(reverse("sync_flow_now", args=["t-fail"])).status_code == 302
    client.force_login(personas["admin"])
    assert client.post(reverse("sync_flow_now", args=["t-count"])).status_code == 302
    client.force_login(personas["approver"])
    assert client.post(reverse("sync_flow_now", args=["t-count"])).status_code == 403
    assert queued == [("t-count", personas["ops"].pk), ("t-fail", personas["finance"].pk)] + [
        ("t-count", personas["admin"].pk)
    ]


@pytest.mark.django_db
def test_the_sync_page_lists_the_flows_with_their_last_result(demo_flows, personas, client):
    flows.run_flow("t-count")
    client.force_login(personas["ops"])
    page = client.get(reverse("sync_runs")).content.decode()
    assert "Counting" in page and "items 2" in page and "Sync now" in page
    part = client.get(reverse("sync_runs") + "?part=flows", HTTP_HX_REQUEST="true").content.decode()
    assert "Counting" in part and "<h1>" not in part
