"""SuiteQL helpers: the stable-order guard for paging, and money as Decimal.

Why the guard: REST SuiteQL pages by ``limit``/``offset``, re-running the query for every
page. Without an ``ORDER BY`` on a unique key the database may return rows in a different
order each time, so pages silently skip or repeat rows (reference §5, gotcha 13). A reconciler
that misses one open invoice is worse than one that fails loudly, so the client refuses such
queries unless the caller says the order does not matter.

Why the Decimal helper: SuiteQL returns every value as a string (reference §5). Rows stay as
the dicts NetSuite sent; callers convert the money columns they use with ``to_decimal`` or
``decimal_fields`` and never go through float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_DIRECTION = re.compile(r"\s+(?:asc|desc)?\s*(?:nulls\s+(?:first|last))?\s*$", re.IGNORECASE)
_COLUMN = re.compile(r'^(?:"?[A-Za-z_][\w$]*"?\.)?"?([A-Za-z_][\w$]*)"?$')


def _mask_nested(sql: str) -> str:
    """Blank out everything inside parentheses so only top-level clauses remain visible."""
    out: list[str] = []
    depth = 0
    for char in sql:
        if char == "(":
            depth += 1
            out.append(" ")
        elif char == ")":
            depth = max(0, depth - 1)
            out.append(" ")
        else:
            out.append(char if depth == 0 else " ")
    return "".join(out)


def ordered_columns(query: str) -> list[str]:
    """Lower-case column names in the query's top-level ``ORDER BY`` (empty if it has none).

    Only plain (optionally table-qualified) column terms are returned; an expression such as
    ``BUILTIN.DF(x)`` or a position (``ORDER BY 1``) is not a column and is skipped.
    """
    # Literals and comments are replaced by blanks of the same length so positions line up.
    cleaned = _STRING_LITERAL.sub(lambda m: "''".ljust(len(m.group())), query)
    cleaned = _BLOCK_COMMENT.sub(lambda m: " " * len(m.group()), cleaned)
    cleaned = _LINE_COMMENT.sub(lambda m: " " * len(m.group()), cleaned)
    masked = _mask_nested(cleaned)
    matches = list(_ORDER_BY.finditer(masked))
    if not matches:
        return []
    tail_masked = masked[matches[-1].end() :]
    tail = cleaned[matches[-1].end() :]
    columns: list[str] = []
    start = 0
    for index in [i for i, c in enumerate(tail_masked) if c == ","] + [len(tail)]:
        term = _DIRECTION.sub("", tail[start:index].strip()).strip()
        start = index + 1
        match = _COLUMN.match(term)
        if match:
            columns.append(match.group(1).lower())
    return columns


def require_stable_order(query: str, unique_key: Iterable[str] = ("id",)) -> None:
    """Raise ``ValueError`` unless the top-level ``ORDER BY`` names every ``unique_key`` column.

    ``unique_key`` is the set of columns that identify a row of the result: ``("id",)`` for
    records, e.g. ``("transaction", "id")`` for transaction lines. Matching is by column
    name, ignoring the table alias.
    """
    key = [column.lower() for column in unique_key]
    if not key:
        raise ValueError("unique_key must name at least one column")
    ordered = ordered_columns(query)
    missing = [column for column in key if column not in ordered]
    if missing:
        raise ValueError(
            "SuiteQL paging needs a stable order: add ORDER BY on the unique key "
            f"({', '.join(key)}) — missing {', '.join(missing)}; "
            "or pass unordered_ok=True if skipped or repeated rows are acceptable."
        )


def to_decimal(value: str | int | Decimal | None) -> Decimal | None:
    """A SuiteQL/record value as ``Decimal``; ``None``/``""`` → ``None``.

    Floats are refused: by the time a float exists the cent may already be wrong.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"refusing to convert {type(value).__name__} {value!r} to money; pass a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    else:
        raise TypeError(f"cannot convert {type(value).__name__} to Decimal")
    if not result.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return result


def decimal_fields(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """A copy of ``row`` with the named columns converted by ``to_decimal`` (missing ones skipped)."""
    converted = dict(row)
    for name in names:
        if name in converted:
            converted[name] = to_decimal(converted[name])
    return converted
