"""One JSON-ready outcome per remittance line: what ``automatch --json`` prints.

Each object names the line (document and payment number), its status (``auto``, ``suggested``,
``unmatched``), and for a match the rule, confidence, explanation and the invoices with the
amounts applied; alternatives (several suggestions for one line) follow in ``alternatives``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .types import MatchResult, RemittanceLineIn


def line_outcomes(lines: Iterable[RemittanceLineIn], result: MatchResult) -> list[dict[str, Any]]:
    """In the order of ``lines``; every line appears exactly once."""
    proposals = result.by_line()
    unmatched = {u.line_key: u for u in result.unmatched}
    out: list[dict[str, Any]] = []
    for line in lines:
        head = {"document_number": line.document_number, "payment_number": line.payment_number}
        found = proposals.get(line.key, ())
        if found:
            best, *others = found
            out.append(head | best.as_dict() | {"alternatives": [p.as_dict() for p in others]})
        else:
            missing = unmatched.get(line.key)
            out.append(
                head
                | {
                    "status": "unmatched",
                    "rule": None,
                    "confidence": 0.0,
                    "reason": str(missing.reason) if missing else "not_in_run",
                    "explanation": missing.explanation if missing else "the line was not given to the engine",
                    "flags": [],
                    "invoices": [],
                    "alternatives": [],
                }
            )
    return out
