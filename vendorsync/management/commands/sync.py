"""``manage.py sync <flow>|all [--since ISO-8601] [--json]``: run sync flows now, in this process.

Each flow is recorded as a ``SyncRun`` and continues from its cursor; ``all`` runs every registered
flow in order. The exit status is non-zero when a flow failed, so a cron job or an operator notices.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vendorsync import flows
from vendorsync.models import SyncOutcome


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be an ISO-8601 date or time, not {value!r}.") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


class Command(BaseCommand):
    help = "Run one sync flow (or all of them) now and record it as a sync run."

    def add_arguments(self, parser: CommandParser) -> None:
        names = ", ".join(flow.name for flow in flows.all_flows())
        parser.add_argument("flow", help=f"A flow name or 'all' ({names}).")
        parser.add_argument("--since", help="Start from this ISO-8601 time instead of the flow's cursor.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per run.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _parse_since(options["since"])
        if options["flow"] == "all":
            names = [flow.name for flow in flows.all_flows()]
        else:
            try:
                names = [flows.get_flow(options["flow"]).name]
            except KeyError as exc:
                raise CommandError(exc.args[0]) from None
        results = []
        for name in names:
            try:
                run = flows.run_flow(name, since=since)
            except flows.FlowBusy as exc:
                raise CommandError(str(exc)) from None
            results.append(run)
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "flow": run.flow,
                            "outcome": run.outcome,
                            "counts": run.counts,
                            "cursor": run.cursor,
                            "error": run.error,
                            "started_at": run.started_at.isoformat(),
                            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                        }
                    )
                )
            else:
                counts = ", ".join(f"{key} {value}" for key, value in run.counts.items()) or "nothing to do"
                line = f"{run.flow}: {run.get_outcome_display().lower()} — {counts}"
                if run.error:
                    line += f" ({run.error})"
                self.stdout.write(line)
        failed = [run.flow for run in results if run.outcome == SyncOutcome.FAILED]
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)}.")
