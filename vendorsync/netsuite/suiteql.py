"""SuiteQL helpers: the stable-order guard for paging, and money as Decimal.

Why the guard: REST SuiteQL pages by ``limit``/``offset``, re-running the query for every
page. Without an ``ORDER BY`` on a unique key the database may return rows in a different
order each time, so pages silently skip or repeat rows (reference §5, gotcha 13). A reconciler
that misses one open invoice is worse than one that fails loudly, so the client refuses such
queries unless the caller says the order does not matter.

The guard's rule (deliberately simple and conservative; it may refuse a query that is in fact
stable, never the other way round on the queries it understands):
- The *row source* is the first table (or subquery) of the top-level ``FROM`` clause; its name
  is its alias if it has one, else the table name. Rows of a join are assumed to be rows of
  that first source, so the query must be written with the row source first.
- An unqualified key column (``unique_key=("id",)``) must appear in the top-level ``ORDER BY``
  qualified with the row source's name (``ORDER BY tl.id``), or bare (``ORDER BY id``) only
  when the ``FROM`` clause has a single source (no ``JOIN``, no comma). So
  ``SELECT tl.id … FROM transactionline tl JOIN transaction t … ORDER BY t.id`` is refused:
  ``t.id`` repeats for every line of a transaction, and offset paging over it is unstable.
- If the top-level ``SELECT`` list names the key column of *another* alias (``SELECT tl.id
  … FROM transaction t, transactionline tl … ORDER BY t.id``), the rows are that alias's, not
  the row source's, and the query is refused as well.
- A qualified key column (``unique_key=("t.id", "tl.id")``) must appear in ``ORDER BY`` with
  exactly that qualifier, and the two checks above do not apply to it; use it when the unique
  key spans several aliases or the rule refuses a query you know to be stable.

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
_COLUMN = re.compile(r'^(?:"?([A-Za-z_][\w$]*)"?\.)?"?([A-Za-z_][\w$]*)"?$')
_FROM = re.compile(r"\bfrom\b", re.IGNORECASE)
# What ends a FROM clause at the top level.
_FROM_END = re.compile(
    r"\b(?:where|group\s+by|having|order\s+by|union|minus|intersect|fetch|offset|connect|start\s+with)\b",
    re.IGNORECASE,
)
_JOIN = re.compile(r"\bjoin\b", re.IGNORECASE)
_SELECT = re.compile(r"\bselect\b(?:\s+(?:distinct|all)\b)?", re.IGNORECASE)
# One SELECT item that is a plain qualified column, with an optional output alias.
_SELECTED_COLUMN = re.compile(
    r'^"?([A-Za-z_][\w$]*)"?\."?([A-Za-z_][\w$]*)"?(?:\s+(?:as\s+)?"?[A-Za-z_][\w$]*"?)?$', re.IGNORECASE
)
_IDENTIFIER = re.compile(r'"?([A-Za-z_][\w$]*)"?')
# Words that may follow a source in FROM but are not its alias.
_NOT_AN_ALIAS = frozenset(
    {"join", "inner", "left", "right", "full", "cross", "outer", "natural", "on", "using", "as"}
)


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


def _top_level(query: str) -> tuple[str, str]:
    """``(cleaned, masked)``: literals and comments blanked; masked also blanks nested parentheses.

    Both keep the query's length, so a position found in one is valid in the other.
    """
    cleaned = _STRING_LITERAL.sub(lambda m: "''".ljust(len(m.group())), query)
    cleaned = _BLOCK_COMMENT.sub(lambda m: " " * len(m.group()), cleaned)
    cleaned = _LINE_COMMENT.sub(lambda m: " " * len(m.group()), cleaned)
    return cleaned, _mask_nested(cleaned)


def ordered_terms(query: str) -> list[tuple[str | None, str]]:
    """``(qualifier, column)`` of each plain column term of the top-level ``ORDER BY``, lower-case.

    Only plain (optionally table-qualified) column terms are returned; an expression such as
    ``BUILTIN.DF(x)`` or a position (``ORDER BY 1``) is not a column and is skipped.
    """
    cleaned, masked = _top_level(query)
    matches = list(_ORDER_BY.finditer(masked))
    if not matches:
        return []
    tail_masked = masked[matches[-1].end() :]
    tail = cleaned[matches[-1].end() :]
    terms: list[tuple[str | None, str]] = []
    start = 0
    for index in [i for i, c in enumerate(tail_masked) if c == ","] + [len(tail)]:
        term = _DIRECTION.sub("", tail[start:index].strip()).strip()
        start = index + 1
        match = _COLUMN.match(term)
        if match:
            qualifier = match.group(1).lower() if match.group(1) else None
            terms.append((qualifier, match.group(2).lower()))
    return terms


def ordered_columns(query: str) -> list[str]:
    """Lower-case column names in the query's top-level ``ORDER BY`` (empty if it has none)."""
    return [column for _, column in ordered_terms(query)]


def row_source(query: str) -> tuple[str | None, bool]:
    """``(name, joined)`` of the top-level ``FROM`` clause's first source (see module docstring).

    ``name`` is the alias if given, else the table name, lower-case; None for an unaliased
    subquery or a query without ``FROM``. ``joined`` is True when the clause has more than one
    source (a ``JOIN`` or a comma).
    """
    _, masked = _top_level(query)
    found = _FROM.search(masked)
    if found is None:
        return None, False
    clause = masked[found.end() :]
    end = _FROM_END.search(clause)
    if end is not None:
        clause = clause[: end.start()]
    joined = bool(_JOIN.search(clause)) or "," in clause
    first = re.split(r",|\bjoin\b", clause, maxsplit=1, flags=re.IGNORECASE)[0]
    # "table", "table alias", "table AS alias", "(subquery) alias" (masked to blanks): the
    # last identifier before the first JOIN keyword or comma names the source.
    words = [m.group(1).lower() for m in _IDENTIFIER.finditer(first)]
    words = [w for w in words if w not in _NOT_AN_ALIAS]
    return (words[-1] if words else None), joined


def selected_columns(query: str) -> list[tuple[str, str]]:
    """``(qualifier, column)`` of each qualified plain column in the top-level ``SELECT`` list."""
    cleaned, masked = _top_level(query)
    select = _SELECT.search(masked)
    found = _FROM.search(masked, select.end()) if select else None
    if select is None or found is None:
        return []
    listed_masked = masked[select.end() : found.start()]
    listed = cleaned[select.end() : found.start()]
    columns: list[tuple[str, str]] = []
    start = 0
    for index in [i for i, c in enumerate(listed_masked) if c == ","] + [len(listed)]:
        match = _SELECTED_COLUMN.match(listed[start:index].strip())
        start = index + 1
        if match:
            columns.append((match.group(1).lower(), match.group(2).lower()))
    return columns


def require_stable_order(query: str, unique_key: Iterable[str] = ("id",)) -> None:
    """Raise ``ValueError`` unless the top-level ``ORDER BY`` covers ``unique_key`` of the row source.

    ``unique_key`` is the set of columns that identify a row of the result: ``("id",)`` for
    records, e.g. ``("transaction", "id")`` for transaction lines, or qualified names
    (``("t.id", "tl.id")``) when the key spans aliases. The rule is in the module docstring.
    """
    key = [column.strip().lower() for column in unique_key]
    if not key:
        raise ValueError("unique_key must name at least one column")
    terms = ordered_terms(query)
    source, joined = row_source(query)
    selected = selected_columns(query)
    missing: list[str] = []
    for column in key:
        if "." in column:
            qualifier, _, name = column.rpartition(".")
            if (qualifier, name) not in terms:
                missing.append(column)
            continue
        others = sorted({f"{q}.{name}" for q, name in selected if name == column and q != source})
        if others:
            raise ValueError(
                f"SuiteQL paging needs a stable order: the query selects {', '.join(others)} but its "
                f"row source (the first table of FROM) is {source!r}, so ORDER BY on {source}.{column} "
                "does not identify the rows. Put the table whose rows you page first in FROM, or "
                'name the key with its alias (unique_key=("tl.id",)); '
                "or pass unordered_ok=True if skipped or repeated rows are acceptable."
            )
        if any(name == column and (q == source if q else not joined) for q, name in terms):
            continue
        missing.append(f"{source}.{column}" if source else column)
    if missing:
        hint = (
            f" (the row source is {source!r}, the first table of FROM; a key column of another "
            "alias does not identify the rows)"
            if joined and source
            else ""
        )
        raise ValueError(
            "SuiteQL paging needs a stable order: add ORDER BY on the unique key "
            f"({', '.join(key)}) — missing {', '.join(missing)}{hint}; "
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
