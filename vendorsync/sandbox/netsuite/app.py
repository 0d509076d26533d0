"""The WSGI face of the simulator: NetSuite's REST record API and SuiteQL endpoint.

A plain WSGI callable with a small regex router (no framework), so it runs in-process through
``httpx.WSGITransport`` in tests and behind ``manage.py sandbox serve`` (mounted at
``/netsuite``). Every request passes, in order: TBA signature check (401 ``INVALID_LOGIN``),
the account concurrency limit (429 ``CONCURRENCY_LIMIT_EXCEEDED``), injected faults, then the
handler. Responses copy NetSuite's shapes: 204 + ``Location`` on create/upsert/transform,
``links`` everywhere, RFC 7807-style error bodies.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..clock import SimClock
from ..common import TransportFaults, read_body, respond
from .auth import Credentials, TbaVerifier, request_url
from .errors import CONCURRENCY_DETAIL, NSError, not_found, user_error
from .records import CANONICAL, RECORD_FIELDS, RECORD_TYPES, SUBLISTS, Records
from .store import Store, dumps, loads
from .suiteql import MAX_LIMIT, install_functions, run

DEFAULT_CONCURRENCY_LIMIT = 5
_TYPES = {name.lower(): name for name in RECORD_TYPES}
_RECORD = re.compile(r"^/services/rest/record/v1/([^/]+)(?:/([^/]+)(?:/(!transform/)?([^/]+))?)?/?$")
_SUITEQL = "/services/rest/query/v1/suiteql"
Response = tuple[int, list[tuple[str, str]], bytes]


@dataclass(kw_only=True)
class Faults(TransportFaults):
    """Failure modes to rehearse against; mutable so a running app can be switched live.

    ``error_rate`` fails a request before any work is done; ``latency_seconds`` is spent while
    the request holds a concurrency slot; a 429 burst answers ``CONCURRENCY_LIMIT_EXCEEDED``.
    """

    timeout: bool = False  # do the work, then answer 504: the write happened but the response is lost
    # Only writes time out (reads answer normally): how a gateway timeout on a slow write looks to a
    # client that then looks the record up.
    timeout_writes_only: bool = False
    # Hold the answer to a write that succeeded for this long (the record is committed first): the
    # window in which a worker can die after NetSuite accepted a record and before it recorded it.
    hang_after_write_seconds: float = 0.0


def default_store_path() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "sandbox" / "netsuite.sqlite3"


def open_records(store_path: Path | str | None) -> Records:
    path = Path(store_path) if store_path is not None else default_store_path()
    store = Store(path)
    records = Records(store, SimClock(path.parent / "clock.json"))
    install_functions(store.conn, records.today)
    return records


class NetSuiteApp:
    def __init__(
        self,
        records: Records,
        credentials: Credentials,
        faults: Faults,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    ) -> None:
        self.records = records
        records.enforce_periods = True  # API clients meet NetSuite's period rules
        self.store = records.store
        self.verifier = TbaVerifier(credentials)
        self.faults = faults
        self.concurrency_limit = concurrency_limit
        self._slots_lock = threading.Lock()
        self._in_flight = 0
        self._rng = random.Random(faults.seed)

    def close(self) -> None:
        self.store.close()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self.handle(environ)
        except NSError as error:
            status, body = error.status, dumps(error.body()).encode()
            headers = [("Content-Type", "application/vnd.oracle.resource+json; type=error")]
        return respond(start_response, status, body, headers)

    def handle(self, environ: dict[str, Any]) -> Response:
        method = environ["REQUEST_METHOD"].upper()
        raw = read_body(environ)
        url = request_url(environ)
        form = (
            raw.decode()
            if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
            else None
        )
        self.verifier.verify(method, url, environ.get("HTTP_AUTHORIZATION", ""), form)
        with self._slots_lock:
            if self.faults.burst_429 > 0 or self._in_flight >= self.concurrency_limit:
                self.faults.burst_429 = max(0, self.faults.burst_429 - 1)
                raise NSError.one(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)
            self._in_flight += 1
            failing = self.faults.error_rate > 0 and self._rng.random() < self.faults.error_rate
        try:
            if self.faults.latency_seconds:
                time.sleep(self.faults.latency_seconds)
            if failing:
                raise NSError.one(self.faults.status_5xx, "UNEXPECTED_ERROR", "An unexpected error occurred.")
            base = url.split("/services/rest/", 1)[0]
            if method in ("POST", "PUT", "PATCH") and _strict_names(environ):
                check_field_names(environ.get("PATH_INFO", ""), raw)
            result = self.dispatch(method, environ.get("PATH_INFO", ""), environ, raw, base)
            is_write = method != "GET" and environ.get("PATH_INFO", "").rstrip("/") != _SUITEQL
            if self.faults.hang_after_write_seconds and is_write:
                time.sleep(self.faults.hang_after_write_seconds)
            if self.faults.timeout and not (self.faults.timeout_writes_only and method == "GET"):
                raise NSError.one(
                    504, "UNEXPECTED_ERROR", "The request timed out before a response was sent."
                )
            return result
        finally:
            with self._slots_lock:
                self._in_flight -= 1

    # -- routing ---------------------------------------------------------------------------------
    def dispatch(self, method: str, path: str, environ: dict[str, Any], raw: bytes, base: str) -> Response:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path.rstrip("/") == _SUITEQL:
            if method != "POST":
                raise NSError.one(405, "INVALID_REQUEST", "SuiteQL queries are sent with POST.")
            return self.suiteql(environ, query, _json(raw), base)
        match = _RECORD.match(path)
        if not match:
            raise NSError.one(404, "INVALID_URL", f"The URL path {path} is not a valid REST resource.")
        rtype = _TYPES.get(match.group(1).lower())
        key, transform, tail = match.group(2), match.group(3), match.group(4)
        if rtype is None:
            raise NSError.one(404, "INVALID_RCRD_TYPE", f"Record type '{match.group(1)}' does not exist.")
        records = self.records
        if key is None:
            if method == "GET":
                return self.collection(rtype, query, base)
            if method == "POST":
                return self.created(base, rtype, records.create(rtype, _json(raw) or {}))
        elif transform:
            if method == "POST":
                to_type = _TYPES.get(tail.lower())
                if to_type is None:
                    raise NSError.one(404, "INVALID_RCRD_TYPE", f"Record type '{tail}' does not exist.")
                new_id = records.transform(rtype, records.resolve_id(rtype, key), to_type, _json(raw) or {})
                return self.created(base, to_type, new_id)
        elif tail is not None:
            if method == "GET":
                rid = records.resolve_id(rtype, key)
                if tail not in SUBLISTS.get(rtype, ()):
                    raise not_found(f"Sub-resource '{tail}' does not exist on {rtype}.")
                return _ok(
                    records.render_sublist(rtype, rid, records.load(rtype, rid), tail, base), "collection"
                )
        elif method == "GET":
            rid = records.resolve_id(rtype, key)
            expand = query.get("expandSubResources", "").lower() == "true"
            return _ok(records.render(rtype, rid, base, expand=expand), "singular")
        elif method == "PATCH":
            rid = records.resolve_id(rtype, key)
            replace = {part.strip() for part in query.get("replace", "").split(",") if part.strip()}
            records.update(rtype, rid, _json(raw) or {}, replace)
            return 204, [], b""
        elif method == "PUT":
            if not key.startswith("eid:"):
                raise user_error(
                    "Upsert (PUT) needs an external ID: PUT /{recordType}/eid:{externalId}.",
                    code="INVALID_PARAMETER",
                )
            return self.created(base, rtype, records.upsert(rtype, key[4:], _json(raw) or {}))
        elif method == "DELETE":
            records.delete(rtype, records.resolve_id(rtype, key))
            return 204, [], b""
        raise NSError.one(405, "INVALID_REQUEST", f"Method {method} is not allowed on {path}.")

    def created(self, base: str, rtype: str, rid: int) -> Response:
        return 204, [("Location", self.records.href(base, rtype, rid))], b""

    def collection(self, rtype: str, query: dict[str, str], base: str) -> Response:
        limit, offset = _paging(query)
        ids, total = self.store.ids(rtype, limit, offset)
        items = [
            {"links": [{"rel": "self", "href": self.records.href(base, rtype, i)}], "id": str(i)} for i in ids
        ]
        href = f"{base}/services/rest/record/v1/{rtype}"
        return _ok(_page(href, items, total, limit, offset), "collection")

    def suiteql(self, environ: dict[str, Any], query: dict[str, str], payload: Any, base: str) -> Response:
        if "transient" not in environ.get("HTTP_PREFER", "").lower():
            raise NSError.one(
                400,
                "INVALID_HEADER",
                "SuiteQL queries over REST require the header 'Prefer: transient'.",
                errorHeader="Prefer",
            )
        text = payload.get("q") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise user_error('The request body must be {"q": "<SuiteQL query>"}.', "q", "INVALID_PARAMETER")
        limit, offset = _paging(query)
        rows, total = run(self.store, text, limit, offset)
        items = [{"links": [], **row} for row in rows]
        return _ok(_page(f"{base}{_SUITEQL}", items, total, limit, offset), "collection")


def _strict_names(environ: dict[str, Any]) -> bool:
    """``X-NetSuite-PropertyNameValidation: Error`` (NetSuite's default is Warning: unknown names ignored)."""
    return environ.get("HTTP_X_NETSUITE_PROPERTYNAMEVALIDATION", "").strip().lower() == "error"


def _unknown_names(
    body: dict[str, Any], path: str = "", allowed: frozenset[str] | None = None, rtype: str = ""
) -> list[tuple[str, str]]:
    """(name, path) of every body or sublist-line field the simulated account does not have.

    References (``{"id": …}``) and sublist containers (``{"items": [...]}``) are structure, not
    fields; their own keys are not checked, but the fields of each sublist line are. The posting
    records (``RECORD_FIELDS``) are checked against their own field lists, so a field that only
    another record has is still refused on them; other records against every field known here.
    """
    own = RECORD_FIELDS.get(rtype, {})
    found: list[tuple[str, str]] = []
    for key, value in body.items():
        where = f"{path}{key}"
        name = CANONICAL.get(key.lower())
        if name is None or (allowed is not None and name not in allowed):
            found.append((key, where))
            continue
        if isinstance(value, dict) and isinstance(value.get("items"), list):
            for index, line in enumerate(value["items"]):
                if isinstance(line, dict):
                    found += _unknown_names(line, f"{where}.items[{index}].", own.get(name) if own else None)
    return found


def check_field_names(path: str, raw: bytes) -> None:
    """Refuse unknown field names as NetSuite does under strict validation: 400 NONEXISTENT_FIELD."""
    payload = _json(raw)
    if not isinstance(payload, dict) or "/services/rest/record/" not in path:
        return
    match = _RECORD.match(path)
    rtype = (match.group(4) if match and match.group(3) else match.group(1)) if match else "record"
    canonical_type = _TYPES.get(rtype.lower(), "")
    unknown = _unknown_names(
        payload, allowed=RECORD_FIELDS.get(canonical_type, {}).get(""), rtype=canonical_type
    )
    if unknown:
        raise NSError(
            400,
            [
                {
                    "detail": f"Invalid Field Name: {name}. The field {name} does not exist on the {rtype} record "
                    "(X-NetSuite-PropertyNameValidation: Error).",
                    "o:errorCode": "NONEXISTENT_FIELD",
                    "o:errorPath": where,
                }
                for name, where in unknown
            ],
        )


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except ValueError:
        raise NSError.one(
            400,
            "INVALID_CONTENT",
            "The request could not be understood by the server due to malformed syntax.",
        ) from None


def _paging(query: dict[str, str]) -> tuple[int, int]:
    values = {}
    for name, default, low, high in (("limit", MAX_LIMIT, 1, MAX_LIMIT), ("offset", 0, 0, None)):
        text = query.get(name, str(default))
        if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
            raise NSError.one(
                400,
                "INVALID_PARAMETER",
                f"Invalid value for query parameter {name}: {text!r}. "
                + (f"The maximum is {high}." if high else ""),
                errorQueryParam=name,
            )
        values[name] = int(text)
    return values["limit"], values["offset"]


def _page(href: str, items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    has_more = offset + len(items) < total
    links = [{"rel": "self", "href": f"{href}?limit={limit}&offset={offset}"}]
    if offset > 0:
        links.append({"rel": "previous", "href": f"{href}?limit={limit}&offset={max(0, offset - limit)}"})
    if has_more:
        links.append({"rel": "next", "href": f"{href}?limit={limit}&offset={offset + limit}"})
    links.append({"rel": "first", "href": f"{href}?limit={limit}&offset=0"})
    last = max(0, (total - 1) // limit * limit)
    links.append({"rel": "last", "href": f"{href}?limit={limit}&offset={last}"})
    return {"links": links, "count": len(items), "hasMore": has_more, "items": items, "offset": offset,
            "totalResults": total}  # fmt: skip


def _ok(body: dict[str, Any], kind: str) -> Response:
    return 200, [("Content-Type", f"application/vnd.oracle.resource+json; type={kind}")], dumps(body).encode()
