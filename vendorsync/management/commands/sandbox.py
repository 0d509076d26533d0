"""``manage.py sandbox serve|seed|advance|status``: run and steer the Amazon and NetSuite simulators.

``seed`` runs ``vendorsync.sandbox.world.seed``: master data, Amazon's history, and the same
history booked in NetSuite (sales orders ``AMZ-PO-<PO>``, fulfilments, invoices), idempotently.
``serve`` mounts the Amazon simulator under ``/amazon`` and the NetSuite simulator under
``/netsuite`` on one threaded wsgiref server, and prints the
environment variables that point VendorSync at them. ``advance`` moves the shared SimClock one
day at a time so each day's simulation (new POs, receipts, payment runs) happens in order.
Fault injection for ``serve`` comes from ``SANDBOX_AMAZON_*`` variables (see ``Faults.from_env``),
plus ``SANDBOX_AMAZON_TOKEN_TTL`` and ``SANDBOX_AMAZON_TRANSACTION_DELAY`` (seconds).
"""

from __future__ import annotations

import json
import os
import shlex
import socketserver
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vendorsync.sandbox import netsuite, world
from vendorsync.sandbox.amazon import AmazonSimulator, Faults, make_app
from vendorsync.sandbox.clock import SimClock
from vendorsync.sandbox.common import WSGIApp


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - wsgiref's signature
        if os.environ.get("SANDBOX_ACCESS_LOG"):
            super().log_message(format, *args)


def build_app(amazon: WSGIApp, netsuite_app: WSGIApp) -> WSGIApp:
    """Dispatch by path prefix, moving the prefix to SCRIPT_NAME as WSGI mounting does."""
    mounts = {"/amazon": amazon, "/netsuite": netsuite_app}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, target in mounts.items():
            if path == prefix or path.startswith(prefix + "/"):
                environ = environ | {
                    "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + prefix,
                    "PATH_INFO": path[len(prefix) :] or "/",
                }
                return target(environ, start_response)
        body = json.dumps({"errors": [{"code": "NotFound", "message": f"Nothing is mounted at {path}."}]})
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [body.encode()]

    return app


class Command(BaseCommand):
    help = "Run and steer the Amazon and NetSuite simulators (serve, seed, advance, status)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        serve = actions.add_parser("serve", help="Serve /amazon and /netsuite over HTTP.")
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=8001)
        serve.add_argument("--no-seed", action="store_true", help="Do not seed an empty simulator first.")
        seed = actions.add_parser(
            "seed", help="Seed ~30 days of history in both simulators, telling one story (idempotent)."
        )
        seed.add_argument("--days", type=int, default=30)
        advance = actions.add_parser("advance", help="Move the simulated clock forward day by day.")
        advance.add_argument("--days", type=int, default=1)
        actions.add_parser("status", help="Show the simulated date and what the simulators hold.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def do_seed(self, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(world.seed(days=options["days"]), indent=2))

    def do_advance(self, options: dict[str, Any]) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        clock, amazon = SimClock(), AmazonSimulator()
        for _ in range(options["days"]):
            day: date = clock.advance(days=1).date()
            amazon.catch_up()  # a seeded simulator also fills days that passed in real time
            amazon.simulate_day(day)  # no-op when catch_up already did it
            netsuite.simulate_day(day)
            self.stdout.write(f"simulated {day.isoformat()}")
        self.stdout.write(f"simulated now: {clock.now().isoformat(timespec='seconds')}")

    def do_status(self, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(AmazonSimulator().status(), indent=2))

    @staticmethod
    def connection_env(base: str) -> dict[str, str]:
        """The environment that points VendorSync's real connectors at a served sandbox."""
        from vendorsync.sandbox.amazon import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

        return {
            "VENDORSYNC_SANDBOX": "0",
            "AMAZON_SPAPI_ENDPOINT": f"{base}/amazon",
            "AMAZON_LWA_TOKEN_URL": f"{base}/amazon/auth/o2/token",
            "AMAZON_LWA_CLIENT_ID": DEMO_CLIENT_ID,
            "AMAZON_LWA_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "AMAZON_LWA_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
            "NETSUITE_BASE_URL": f"{base}/netsuite",
            "NETSUITE_ACCOUNT_ID": netsuite.ACCOUNT_ID,
            "NETSUITE_CONSUMER_KEY": netsuite.CONSUMER_KEY,
            "NETSUITE_CONSUMER_SECRET": netsuite.CONSUMER_SECRET,
            "NETSUITE_TOKEN_ID": netsuite.TOKEN_ID,
            "NETSUITE_TOKEN_SECRET": netsuite.TOKEN_SECRET,
        }

    def do_serve(self, options: dict[str, Any]) -> None:
        ttl = float(os.environ.get("SANDBOX_AMAZON_TOKEN_TTL", "3600"))
        delay = float(os.environ.get("SANDBOX_AMAZON_TRANSACTION_DELAY", "20"))
        faults = Faults.from_env()
        if faults.timeout and not faults.timeout_sleep_seconds:
            faults.timeout_sleep_seconds = 65.0  # over a socket a timeout is a slow answer, not an exception
        amazon = make_app(faults=faults, token_ttl_seconds=ttl, transaction_delay_seconds=delay)
        if not options["no_seed"]:
            self.stdout.write("Seeding the simulators (first run only)...")
            world.seed(amazon=amazon.simulator)
        host, port = options["host"], options["port"]
        server = make_server(
            host, port, build_app(amazon, netsuite.make_app()), ThreadingWSGIServer, QuietHandler
        )
        base = f"http://{host}:{server.server_port}"
        self.stdout.write(
            "Sandbox listening. Point VendorSync at it with (the simulators' demo credentials):"
        )
        for name, value in self.connection_env(base).items():
            self.stdout.write(f"  export {name}={shlex.quote(value)}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
