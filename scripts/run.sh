#!/usr/bin/env bash
# `make run`: install, migrate, seed, then start the web server, a Celery worker and Celery beat.
# Embedded default: SQLite under var/ and kombu's filesystem broker (no external service).
# With DATABASE_URL and CELERY_BROKER_URL set it uses those instead. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

PY=.venv/bin/python
HOST=${VENDORSYNC_HOST:-127.0.0.1}
PORT=${VENDORSYNC_PORT:-8000}
mkdir -p var/log

$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo
echo "Seeding the Amazon and NetSuite simulators (first run only; details in var/log/seed.log)…"
$PY manage.py sandbox seed >var/log/seed.log

if ! $PY - "$HOST" "$PORT" <<'PYEOF'; then
import socket, sys
with socket.socket() as s:
    try:
        s.bind((sys.argv[1], int(sys.argv[2])))
    except OSError:
        sys.exit(1)
PYEOF
  echo "Port $PORT on $HOST is already in use (is VendorSync already running?). Stop that, or set VENDORSYNC_PORT." >&2
  exit 1
fi

pids=()
cleanup() {
  local rc=$1
  trap - INT TERM EXIT
  echo; echo "Stopping VendorSync…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
  exit "$rc"
}
trap 'cleanup 0' INT TERM   # Ctrl-C is how you stop it: not a failure
trap 'cleanup $?' EXIT

.venv/bin/celery -A vendorsync worker --loglevel=INFO --concurrency=2 --hostname="vendorsync@%h" \
  >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A vendorsync beat --loglevel=INFO --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)
$PY manage.py runserver "$HOST:$PORT" --noreload >var/log/web.log 2>&1 &
web=$!
pids+=($web)

for _ in $(seq 1 60); do
  kill -0 "$web" 2>/dev/null || { echo "The web server did not start; see var/log/web.log." >&2; exit 1; }
  if $PY - "$HOST" "$PORT" <<'PYEOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/healthz", timeout=1)
PYEOF
  sleep 0.5
done

password=${VENDORSYNC_DEMO_PASSWORD:-vendorsync-demo}
cat <<MSG

  VendorSync is running: http://$HOST:$PORT/
  Log in as finance, approver, ops or admin — password: $password
  Logs: var/log/web.log, var/log/worker.log, var/log/beat.log
  Press Ctrl-C to stop the web server, the worker and beat.

MSG
status=0
wait -n "${pids[@]}" || status=$?
# Ctrl-C ends the processes cleanly (0) or by the signal (>128); anything else is a crash.
if [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; then
  echo "A VendorSync process failed (exit $status); see var/log/. Stopping the others." >&2
  exit "$status"
fi
