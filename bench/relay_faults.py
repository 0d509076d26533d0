"""Fault rehearsals of the outbox relay, with figures: the real relay in Celery worker processes,
the real ``NetSuiteClient`` over HTTP to the NetSuite simulator, PostgreSQL and Redis.

Usage:
  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vendorsync_relay_bench \\
  CELERY_BROKER_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/relay_faults.py [--lease 30] [--sweep 30]

The database named in BENCH_DATABASE_URL is DROPPED and recreated first (never point it at real
data). Prints per scenario: messages, where they ended, review cases, write requests per message
(max; the budget is OUTBOX_MAX_ATTEMPTS), writes the simulator ran beyond the first per key,
duplicate records, and for the kill: seconds from the kill until the last stranded message was sent.

``--lease`` is the relay lease (production default 30 s); after the kill the rescuing worker is
nudged only every ``--sweep`` seconds, as beat does in production (30 s). Retry backoff is cut to
0.2 s so the retry scenarios take seconds, not hours; that changes when retries happen, not how
many writes they make.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=int, default=30, help="relay lease seconds (production: 30)")
    parser.add_argument("--sweep", type=float, default=30.0, help="beat's relay sweep after the kill (30)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        sys.exit("Set BENCH_DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://… (see the docstring).")
    os.environ["DATABASE_URL"] = url
    os.environ["VENDORSYNC_VAR_DIR"] = tmp = tempfile.mkdtemp(prefix="vendorsync-relay-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    _recreate_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from vendorsync.sandbox import relaylab

    call_command("migrate", verbosity=0)
    relaylab.WORKER_SETTINGS["VENDORSYNC_OUTBOX_LEASE_SECONDS"] = str(args.lease)
    relaylab.register_lab_handler()
    lab = relaylab.ServedNetSuite(Path(tmp) / "netsuite.sqlite3")
    env = {**lab.env(), "DATABASE_URL": url}
    workers = [relaylab.Worker(env, name="bench-main"), relaylab.Worker(env, name="bench-second")]
    results = []
    try:
        scenarios = [
            lambda: relaylab.kill_worker_mid_batch(lab, workers[0], env, n=100, rescue_every=args.sweep),
            lambda: relaylab.write_then_504(lab, workers[0], n=10),
            lambda: relaylab.throttled_bursts(lab, workers[0], n=50),
            lambda: relaylab.server_errors(lab, workers[0], n=50),
            lambda: relaylab.wrong_credentials(lab, workers[0], n=30),
            lambda: relaylab.two_relays(lab, workers, n=100),
        ]
        for scenario in scenarios:
            lab.reset()
            results.append(scenario())
            print_row(results[-1])
    finally:
        for worker in workers:
            worker.stop()
            relaylab.purge(worker.queue)
        relaylab.purge("celery")
        lab.close()
    print(
        f"\nlease {args.lease} s, sweep after the kill {args.sweep:g} s, backoff base 0.2 s, write budget 8"
    )


def print_row(r) -> None:  # noqa: ANN001 - relaylab.Outcome, imported after django.setup()
    recovery = f"{r.recovery_seconds:.1f} s" if r.recovery_seconds is not None else "—"
    stranded = f", {r.stranded} stranded" if r.stranded else ""
    print(
        f"{r.name}: {r.messages} messages -> {dict(sorted(r.states.items()))}, cases {r.cases} ({r.open_cases} open); "
        f"write requests max/message {r.write_requests_max}, writes ran max/message {r.writes_ran_max}, "
        f"repeat writes {r.repeat_writes}, duplicate records {r.duplicate_records}, "
        f"missing {r.missing_records}; recovery {recovery}{stranded}; {r.seconds:.1f} s"
        + (f" ({'; '.join(r.notes)})" if r.notes else ""),
        flush=True,
    )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"total {time.monotonic() - started:.0f} s")
