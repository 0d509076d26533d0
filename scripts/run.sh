#!/usr/bin/env bash
# `make run`: install, migrate, seed, then start the web server, a Celery worker and Celery beat.
# Embedded default: SQLite under var/ and kombu's filesystem broker (no external service).
# With DATABASE_URL and CELERY_BROKER_URL set it uses those instead. Ctrl-C stops everything
# (exit 0); a process that dies on its own stops the others and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

PY=.venv/bin/python
HOST=${VENDORSYNC_HOST:-127.0.0.1}
PORT=${VENDORSYNC_PORT:-8000}
mkdir -p var/log

# Refuse a busy port before touching anything. SO_REUSEADDR, as the web server itself uses, so a
# port left in TIME_WAIT by the previous run is free; a listening socket still makes bind fail.
port_status=0
$PY - "$HOST" "$PORT" <<'PYEOF' || port_status=$?
import errno, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(address)
except OSError as exc:
    if exc.errno != errno.EADDRINUSE:
        print(f"Cannot serve on {host}:{port}: {exc.strerror or exc}.", file=sys.stderr)
        sys.exit(2)
    sys.exit(1)
PYEOF
if [ "$port_status" -eq 1 ]; then
  echo "Port $PORT on $HOST is already in use (is VendorSync already running?). Stop that, or set VENDORSYNC_PORT." >&2
  exit 1
elif [ "$port_status" -ne 0 ]; then
  exit 1
fi

$PY manage.py migrate --noinput -v 0
if [ "${VENDORSYNC_ENV:-development}" = development ]; then
  # --reset: the demo users get the password printed below even if an earlier run (or another
  # VENDORSYNC_DEMO_PASSWORD) set a different one. Development only.
  $PY manage.py seed_demo --reset
else
  $PY manage.py seed_demo
fi
echo "Seeding the Amazon and NetSuite simulators (first run only; details in var/log/seed.log)…"
$PY manage.py sandbox seed >var/log/seed.log

pids=()
names=()
stopping=0
cleanup() {
  local rc=$1 pid
  trap - EXIT
  trap '' INT TERM HUP  # a second Ctrl-C must not leave the processes behind
  # Output may go to a pipe whose reader Ctrl-C has already ended (`make run | tee run.log`):
  # a failed echo must not end this function (SIGPIPE, set -e) before the processes are stopped.
  trap '' PIPE
  { echo; echo "Stopping VendorSync…"; } 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give them 20 s (the worker finishes its current tasks on SIGTERM), then force.
  for _ in $(seq 1 40); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "Process $pid did not stop; killing it." >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
  echo "Stopped." 2>/dev/null || true
  exit "$rc"
}
# Ctrl-C (or a TERM) is how you stop it: not a failure. The flag, not an exit status, tells it
# apart from a process killed by a signal of its own (the OOM killer's SIGKILL, a segfault).
# A closed terminal (SIGHUP) stops it too.
trap 'stopping=1; cleanup 0' INT TERM HUP
trap 'cleanup $?' EXIT

start() {  # start NAME LOG COMMAND...
  local name=$1 log=$2; shift 2
  # In a session of its own: the terminal's Ctrl-C and hang-up reach this script only, which stops
  # each process in order. (A Celery worker that gets SIGHUP restarts itself — a worker left behind
  # when the terminal closed; one that gets SIGINT next to our TERM turns a warm stop into a cold one.)
  if command -v setsid >/dev/null; then
    setsid "$@" >"$log" 2>&1 &
  else  # (macOS has no setsid: the processes share the terminal's signals as before)
    "$@" >"$log" 2>&1 &
  fi
  pids+=($!)
  names+=("$name")
}
start "the Celery worker" var/log/worker.log \
  .venv/bin/celery -A vendorsync worker --loglevel=INFO --concurrency=2 --hostname="vendorsync@%h"
start "Celery beat" var/log/beat.log .venv/bin/celery -A vendorsync beat --loglevel=INFO --pidfile=
start "the web server" var/log/web.log $PY manage.py runserver "$HOST:$PORT" --noreload
web=${pids[-1]}

healthy=0
for _ in $(seq 1 60); do
  kill -0 "$web" 2>/dev/null || { echo "The web server did not start; see var/log/web.log." >&2; exit 1; }
  if $PY - "$HOST" "$PORT" <<'PYEOF' 2>/dev/null; then
import sys, urllib.request
host = f"[{sys.argv[1]}]" if ":" in sys.argv[1] else sys.argv[1]
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an http_proxy
direct.open(f"http://{host}:{sys.argv[2]}/healthz", timeout=1)
PYEOF
    healthy=1
    break
  fi
  sleep 0.5
done
if [ "$healthy" -ne 1 ]; then
  echo "The web server did not answer http://$HOST:$PORT/healthz within 30 s; see var/log/web.log." >&2
  exit 1
fi

password=${VENDORSYNC_DEMO_PASSWORD:-vendorsync-demo}
cat <<MSG

  VendorSync is running: http://$HOST:$PORT/
  Log in as finance, approver, ops or admin — password: $password
  Logs: var/log/web.log, var/log/worker.log, var/log/beat.log
  Press Ctrl-C to stop the web server, the worker and beat.

MSG
status=0
wait -n "${pids[@]}" || status=$?
# Ctrl-C runs the trap above (which exits 0); reaching this line means a process ended by itself.
[ "$stopping" -eq 1 ] && exit 0
died="A VendorSync process"
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || { died=${names[$i]}; break; }
done
if [ "$status" -gt 128 ]; then
  how="was killed by signal $((status - 128))$([ "$status" -eq 137 ] && echo ' (SIGKILL: out of memory?)')"
else
  how="stopped unexpectedly (exit $status)"
fi
echo "${died^} $how; see var/log/. Stopping the others." >&2
[ "$status" -eq 0 ] && status=1
exit "$status"
