"""Three 100,000-row XLSX exports at once, and how fast /healthz answers meanwhile.

Usage:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vendorsync_bench \\
    [BENCH_BROKER_URL=redis://127.0.0.1:6379/5] .venv/bin/python bench/exports.py \\
    [--rows 100000] [--port 8104] [--mode job|inline]

The PostgreSQL database named in BENCH_DATABASE_URL is DROPPED and recreated (never point it at
real data). The script seeds ``--rows`` audit events, starts the app under gunicorn (3 sync
workers, as docker-compose does) and a Celery worker (concurrency 2, as docker-compose does) on a
queue of its own, then:

1. one session fires three exports of the audit log (exactly ``--rows`` rows) at the same moment;
2. three users fire one export each at the same moment (three jobs for the worker);

while a sampler requests /healthz every 50 ms. Each client then polls its job's progress region
every second, as the page does, and downloads the file. It prints /healthz latency (p50/p95/max)
before and during each phase, the export requests' response times and the export durations.
``--mode inline`` sets VENDORSYNC_EXPORT_INLINE_ROWS above the row count: every export is built in
the request, as before export jobs existed (phase 1 only), for comparison.

Only loopback traffic; every process it starts is stopped at the end, and the run is bounded by
``--deadline`` seconds (default 600).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-password-123"
FILTER = {"action": "bench."}  # exactly the seeded rows, whatever the jobs themselves audit


def _recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclass
class Sampler:
    """Requests /healthz every ``interval`` seconds; keeps (start, latency) of each answer."""

    base: str
    interval: float = 0.05
    samples: list[tuple[float, float]] = field(default_factory=list)
    failures: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        # One client (its TLS context is built once); gunicorn's sync workers close each connection,
        # so every probe still opens a new one, as a load balancer's would.
        client = httpx.Client(trust_env=False, timeout=60)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                ok = client.get(f"{self.base}/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            latency = time.monotonic() - started
            (self.samples if ok else self.failures).append((started, latency))
            self._stop.wait(max(0.0, self.interval - latency))

    def stop(self) -> None:
        self._stop.set()

    def stats(self, start: float, end: float) -> str:
        """Answers to probes sent between ``start`` and ``end``; a failed probe (timeout, error) is
        counted apart, with the time it took to fail."""
        ordered = sorted(latency for at, latency in self.samples if start <= at <= end)
        failed = [latency for at, latency in self.failures if start <= at <= end]
        text = (
            "no answer"
            if not ordered
            else (
                f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.1f} ms "
                f"p95={ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000:.1f} ms "
                f"max={ordered[-1] * 1000:.1f} ms"
            )
        )
        if failed:
            text += f"; {len(failed)} probe(s) failed after up to {max(failed):.1f} s"
        return text


def _login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, trust_env=False, timeout=120)
    client.get("/login/")
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    return client


def _clone(client: httpx.Client) -> httpx.Client:
    """Another connection in the same session (same cookies)."""
    return httpx.Client(base_url=str(client.base_url), trust_env=False, timeout=120, cookies=client.cookies)


@dataclass
class Outcome:
    request_seconds: float = 0.0
    status: int = 0
    location: str = ""
    inline_bytes: int = 0
    ready_seconds: float = 0.0
    download_bytes: int = 0


def _export(client: httpx.Client, barrier: threading.Barrier, outcome: Outcome, deadline: float) -> None:
    barrier.wait()
    started = time.monotonic()
    response = client.get("/audit/", params={**FILTER, "export": "xlsx"})
    outcome.request_seconds = time.monotonic() - started
    outcome.status = response.status_code
    if response.status_code != 302:  # built in the request (inline mode), or failed (500: worker timeout)
        outcome.inline_bytes = len(response.content) if response.status_code == 200 else 0
        outcome.ready_seconds = outcome.request_seconds
        return
    outcome.location = response.headers["location"]
    # Poll the progress region as the page does (htmx, every second) until the download link shows.
    while time.monotonic() < deadline:
        partial = client.get(outcome.location, headers={"HX-Request": "true"})
        if "Download XLSX" in partial.text:
            break
        if "Failed" in partial.text:
            raise RuntimeError(f"export failed: {partial.text}")
        time.sleep(1)
    outcome.ready_seconds = time.monotonic() - started
    outcome.download_bytes = len(client.get(outcome.location + "download/").content)


def _phase(name: str, clients: list[httpx.Client], sampler: Sampler, deadline: float) -> dict[str, object]:
    barrier = threading.Barrier(len(clients))
    outcomes = [Outcome() for _ in clients]
    threads = [
        threading.Thread(target=_export, args=(client, barrier, outcome, deadline))
        for client, outcome in zip(clients, outcomes, strict=True)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic()))
    ended = time.monotonic()
    print(f"\n{name}: {ended - started:.1f} s from the three clicks to the last file in hand")
    print(f"  /healthz meanwhile: {sampler.stats(started, ended)}")
    for i, outcome in enumerate(outcomes, 1):
        if outcome.location:
            job = outcome.location.rstrip("/").rsplit("/", 1)[-1][:8]
            kind = f"job {job}, downloaded {outcome.download_bytes:,} bytes"
        else:
            kind = f"inline, {outcome.inline_bytes:,} bytes" if outcome.inline_bytes else "no file"
        print(
            f"  export {i}: request answered in {outcome.request_seconds * 1000:.0f} ms (HTTP {outcome.status}), "
            f"file ready after {outcome.ready_seconds:.1f} s ({kind})"
        )
    return {"started": started, "ended": ended, "outcomes": outcomes}


def _print_jobs(since: object) -> None:
    from vendorsync.models import ExportJob

    for job in ExportJob.objects.filter(created_at__gte=since).order_by("created_at"):
        queued = (job.started_at - job.created_at).total_seconds() if job.started_at else float("nan")
        built = (
            (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else 0
        )
        print(
            f"  job {str(job.public_id)[:8]} ({job.user.username}): {job.status}, {job.rows_done:,} rows, "
            f"{job.file_size:,} bytes; waited {queued:.1f} s for a worker, built in {built:.1f} s "
            f"({job.rows_done / built if built else 0:,.0f} rows/s)"
        )


def _wait_healthy(base: str, processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", trust_env=False, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the web server did not answer /healthz")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--mode", choices=("job", "inline"), default="job")
    parser.add_argument("--deadline", type=float, default=600)
    args = parser.parse_args()
    hard_deadline = time.monotonic() + args.deadline

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set BENCH_DATABASE_URL to a PostgreSQL database the bench may drop and recreate.")
    tmp = Path(tempfile.mkdtemp(prefix="vendorsync-bench-exports-"))
    queue = f"bench-exports-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "VENDORSYNC_VAR_DIR": str(tmp),
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "filesystem://"),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "VENDORSYNC_EXPORT_QUEUE": queue,
        "VENDORSYNC_EXPORT_MAX_ROWS": str(max(100_000, args.rows)),
        "VENDORSYNC_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "vendorsync.settings",
    }
    if args.mode == "inline":
        env["VENDORSYNC_EXPORT_INLINE_ROWS"] = str(args.rows + 1)
    os.environ.update(env)
    _recreate_postgres_database(url)

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.utils import timezone

    from vendorsync.models import AuditEvent
    from vendorsync.roles import ADMIN

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    now = timezone.now()
    batch = []
    for i in range(args.rows):
        batch.append(
            AuditEvent(
                at=now,
                actor_label="system",
                action=f"bench.event{i % 7}",
                subject_type="orders.purchaseorder",
                subject_id=f"PO-{i:07d}",
                after={"n": i},
                reason="=SUM(A1)" if i % 10 == 0 else "seeded by bench/exports.py",
            )
        )
        if len(batch) == 5_000:
            AuditEvent.objects.bulk_create(batch)
            batch.clear()
    AuditEvent.objects.bulk_create(batch)
    admin = Group.objects.get(name=ADMIN)
    for name in ("bench1", "bench2", "bench3"):
        User.objects.create_user(name, password=PASSWORD).groups.add(admin)
    print(
        f"mode: {args.mode}; database: PostgreSQL ({url.rsplit('/', 1)[-1]}); broker: "
        f"{env['CELERY_BROKER_URL'].split('://')[0]}; {args.rows:,} audit rows seeded in "
        f"{time.perf_counter() - started:.1f} s; var: {tmp}"
    )

    base = f"http://127.0.0.1:{args.port}"
    logs = {name: open(tmp / f"{name}.log", "wb") for name in ("web", "worker")}  # noqa: SIM115
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv of our own executables
            [str(VENV_BIN / "gunicorn"), "vendorsync.wsgi:application", "--bind", f"127.0.0.1:{args.port}"]
            + ["--workers", "3", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(  # noqa: S603 - fixed argv of our own executables
            [str(VENV_BIN / "celery"), "-A", "vendorsync", "worker", "-Q", queue, "--concurrency=2"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    ]
    sampler = Sampler(base)
    sampler_thread = threading.Thread(target=sampler.run, daemon=True)
    try:
        _wait_healthy(base, processes)
        time.sleep(3)  # let the Celery worker finish booting before the clock starts
        sampler_thread.start()
        time.sleep(3)
        baseline_end = time.monotonic()
        print(f"\n/healthz at rest: {sampler.stats(0, baseline_end)}")

        since = timezone.now()
        session = _login(base, "bench1")
        _phase(
            "Phase 1, one session, three exports at once",
            [session, _clone(session), _clone(session)],
            sampler,
            hard_deadline,
        )
        _print_jobs(since)
        if args.mode == "job" and time.monotonic() < hard_deadline:
            since = timezone.now()
            clients = [_login(base, name) for name in ("bench1", "bench2", "bench3")]
            _phase("Phase 2, three users, one export each at once", clients, sampler, hard_deadline)
            _print_jobs(since)
        time.sleep(1)
        print(f"\n/healthz over the whole run: {sampler.stats(baseline_end, time.monotonic())}")
    finally:
        sampler.stop()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in logs.values():
            handle.close()


if __name__ == "__main__":
    main()
