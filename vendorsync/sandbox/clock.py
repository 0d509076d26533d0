"""Simulated time shared by both simulators: real time plus an offset that `sandbox advance` moves.

The offset lives in a small JSON file beside the simulators' own databases so the web process,
the worker and `manage.py sandbox serve` all see the same simulated day.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings


def sandbox_dir() -> Path:
    path = Path(settings.VAR_DIR) / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


class SimClock:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or sandbox_dir() / "clock.json"

    def offset(self) -> timedelta:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return timedelta(0)
        return timedelta(seconds=float(data.get("offset_seconds", 0)))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def advance(self, *, days: int = 0, seconds: float = 0) -> datetime:
        offset = self.offset() + timedelta(days=days, seconds=seconds)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
        tmp.replace(self.path)
        return datetime.now(UTC) + offset
