"""Reads that several pages share."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from vendorsync.models import ExceptionCase, SyncRun


def team_overview(*, team: str, flow_prefix: str) -> dict[str, Any]:
    """A team's open exceptions by kind, its most recent cases and its flows' latest sync runs."""
    open_cases = ExceptionCase.objects.open().filter(owner_team=team)
    labels = dict(ExceptionCase._meta.get_field("kind").choices)
    by_kind = [
        {"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "n": row["n"]}
        for row in open_cases.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    ]
    return {
        "team": team,
        "open_total": sum(row["n"] for row in by_kind),
        "by_kind": by_kind,
        "recent": list(open_cases.select_related("assignee")[:10]),
        "runs": list(SyncRun.objects.filter(flow__startswith=flow_prefix)[:10]),
    }
