"""The runbook covers every exception kind, is shown on the case and is rendered to docs/operations.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from vendorsync import runbook
from vendorsync.models import ExceptionKind

DOC = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


@pytest.mark.parametrize("kind", ExceptionKind.values)
def test_every_kind_has_a_complete_entry(kind):
    entry = runbook.entry_for(kind)
    assert entry is not None, f"{kind} has no runbook entry in vendorsync/runbook.py"
    for field in ("meaning", "why", "amazon", "netsuite", "vendorsync", "resolves"):
        assert getattr(entry, field).strip(), f"{kind}: {field} is empty"
    assert entry.fix and all(step.strip() for step in entry.fix)


def test_the_coverage_check_names_a_kind_without_an_entry(monkeypatch):
    monkeypatch.delitem(runbook.ENTRIES, ExceptionKind.SYNC_FAILED)
    assert runbook.missing_kinds() == [ExceptionKind.SYNC_FAILED]
    with pytest.raises(CommandError, match="sync_failed"):
        call_command("runbook", "--check")


def test_the_committed_operations_document_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == runbook.render_markdown(), (
        "docs/operations.md is stale: run `python manage.py runbook --write`"
    )
    call_command("runbook", "--check")  # what CI can run on its own


def test_the_document_has_a_section_per_kind():
    text = runbook.render_markdown()
    for kind in ExceptionKind:
        assert f"## {kind.label}\n" in text and f"*Kind `{kind.value}` · owner:" in text
