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
if $PY manage.py help sandbox >/dev/null 2>&1; then
  $PY manage.py sandbox seed
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping VendorSync…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
  exit 0
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A vendorsync worker --loglevel=INFO --concurrency=2 --hostname="vendorsync@%h" \
  >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A vendorsync beat --loglevel=INFO --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)
$PY manage.py runserver "$HOST:$PORT" --noreload >var/log/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
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
wait -n "${pids[@]}" || true
sleep 1  # on Ctrl-C every process exits together; let the trap report that instead
echo "A VendorSync process exited on its own; see var/log/. Stopping the others." >&2
