#!/usr/bin/env bash
# `make test`: the whole suite. Honours DATABASE_URL and CELERY_BROKER_URL (PostgreSQL + Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests."
  exit 0
fi
exit "$rc"
