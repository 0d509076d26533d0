"""SuiteQL over the simulator's sqlite mirror tables, after a small documented translation.

This is not a SQL engine: the query text runs on sqlite once these NetSuite/Oracle-isms are
rewritten (string literals are left untouched):

* ``BUILTIN.CF(x.status)``  -> ``x.type || ':' || x.status``  (e.g. ``'SalesOrd:B'``)
* ``BUILTIN.DF(x.status)``  -> the status display name (``'Pending Fulfillment'``)
* ``BUILTIN.DF(x.entity|customer|item|account|location|subsidiary)`` -> that record's name;
  ``BUILTIN.DF(anything else)`` -> the value itself
* ``FETCH FIRST n ROWS ONLY`` -> ``LIMIT n``; ``NVL(`` -> ``IFNULL(``; ``SYSDATE`` /
  ``CURRENT_DATE`` -> the simulated date; ``TO_DATE(s, fmt)`` and ``TO_CHAR(d, fmt)`` for the
  formats ``YYYY-MM-DD`` and ``MM/DD/YYYY``; the table name ``transaction`` is quoted for sqlite.

Only one ``SELECT`` (or ``WITH``) statement is accepted, and an sqlite authorizer limits reads
to the mirror tables, so nothing can be written and the private tables stay hidden. Results
follow NetSuite: lowercase column names, every value a string, null columns omitted, unnamed
expressions called ``expr1``, ``expr2``...; dates are ISO ``YYYY-MM-DD`` (real NetSuite uses
the user's date format, so portable queries wrap dates in ``TO_CHAR(d, 'YYYY-MM-DD')``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .errors import NSError
from .records import STATUS_NAMES
from .store import SUITEQL_TABLES, Store

MAX_LIMIT = 1000
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NAME_OF = {
    "entity": "(SELECT companyname FROM customer WHERE id = {0})",
    "customer": "(SELECT companyname FROM customer WHERE id = {0})",
    "item": "(SELECT itemid FROM item WHERE id = {0})",
    "account": "(SELECT fullname FROM account WHERE id = {0})",
    "location": '(SELECT name FROM "location" WHERE id = {0})',
    "subsidiary": "(SELECT name FROM subsidiary WHERE id = {0})",
}
_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y"}


def invalid(detail: str) -> NSError:
    return NSError.one(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. {detail}",
        errorQueryParam="q",
    )


def _df(match: re.Match[str]) -> str:
    expr = match.group(1)
    prefix, _, column = expr.rpartition(".")
    owner = f"{prefix}." if prefix else ""
    if column.lower() == "status":
        return f"ns_status_name({owner}type, {expr})"
    template = _NAME_OF.get(column.lower())
    return template.format(expr) if template else expr


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"BUILTIN\.CF\(\s*((?:\w+\.)?)status\s*\)", re.I), r"(\1type || ':' || \1status)"),
    (re.compile(r"BUILTIN\.DF\(\s*([\w.]+)\s*\)", re.I), _df),
    (re.compile(r"FETCH\s+(?:FIRST|NEXT)\s+(\d+)\s+ROWS?\s+ONLY", re.I), r"LIMIT \1"),
    (re.compile(r"\bNVL\s*\(", re.I), "IFNULL("),
    (re.compile(r"\b(?:SYSDATE|CURRENT_DATE)\b", re.I), "ns_sysdate()"),
    (re.compile(r"\bTO_DATE\s*\(", re.I), "ns_to_date("),
    (re.compile(r"\bTO_CHAR\s*\(", re.I), "ns_to_char("),
    (re.compile(r'(?<!["\w])transaction(?!["\w])', re.I), '"transaction"'),
]


def translate(query: str) -> str:
    literals: list[str] = []

    def stash(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f"\x00{len(literals) - 1}\x00"

    text = _LITERAL.sub(stash, query.strip()).rstrip(";").strip()
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.S).strip()
    if ";" in text:
        raise invalid("Only one statement is allowed.")
    if not re.match(r"(SELECT|WITH)\b", text, re.I):
        raise invalid("Only SELECT queries are supported.")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], text)


def _to_date(value: Any, fmt: str = "YYYY-MM-DD") -> str | None:
    if value is None:
        return None
    try:
        return datetime.strptime(str(value)[:10], _FORMATS[fmt.upper()]).date().isoformat()  # noqa: DTZ007 - a date
    except (KeyError, ValueError):
        raise sqlite3.DataError(f"TO_DATE: cannot parse {value!r} as {fmt!r}") from None


def _to_char(value: Any, fmt: str = "YYYY-MM-DD") -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10]).strftime(_FORMATS[fmt.upper()])
    except (KeyError, ValueError):
        return str(value)


def install_functions(conn: sqlite3.Connection, today: Callable[[], date]) -> None:
    conn.create_function(
        "ns_status_name", 2, lambda t, s: STATUS_NAMES.get(t or "", {}).get(s or "", s), deterministic=True
    )
    conn.create_function("ns_sysdate", 0, lambda: today().isoformat())
    conn.create_function("ns_to_date", -1, _to_date, deterministic=True)
    conn.create_function("ns_to_char", -1, _to_char, deterministic=True)


def _authorizer(action: int, arg1: str | None, *_: Any) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in SUITEQL_TABLES:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def as_text(value: Any) -> str:
    if isinstance(value, float):  # NUMERIC arithmetic in sqlite; give back a clean decimal string
        number = Decimal(repr(value))
        if number.as_tuple().exponent < -8:  # type: ignore[operator]
            number = number.quantize(Decimal("1e-8"))
        return format(number.normalize(), "f")
    return str(value)


def run(store: Store, query: str, limit: int, offset: int) -> tuple[list[dict[str, str]], int]:
    sql = translate(query)
    limited = re.search(r"\blimit\b", sql, re.I) is not None
    # The text is the caller's own query, run read-only under the authorizer; paging values are bound.
    page_sql = f"SELECT * FROM ({sql}) LIMIT ? OFFSET ?" if limited else f"{sql} LIMIT ? OFFSET ?"  # noqa: S608
    with store.lock:
        store.conn.set_authorizer(_authorizer)
        try:
            total = store.conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0]  # noqa: S608 - read-only
            cursor = store.conn.execute(page_sql, (limit, offset))
            rows = cursor.fetchall()
            names = []
            for index, column in enumerate(cursor.description, start=1):
                name = column[0].lower()
                names.append(name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else f"expr{index}")
        except sqlite3.Error as exc:
            raise invalid(f"Search error occurred: {exc}.") from None
        finally:
            store.conn.set_authorizer(None)
    items = [{n: as_text(v) for n, v in zip(names, row, strict=True) if v is not None} for row in rows]
    return items, total
