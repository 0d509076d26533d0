#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 found on this machine and install the locked dependencies.
# Re-running is cheap: nothing is reinstalled unless pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12 python3.14 python3)
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* /usr/local/bin /usr/bin; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
    [ -x "$dir/python3.13" ] && candidates+=("$dir/python3.13")
    [ -x "$dir/python3.12" ] && candidates+=("$dir/python3.12")
  done
  for candidate in "${candidates[@]}"; do
    local path
    path=$(command -v "$candidate" 2>/dev/null || true)
    [ -n "$path" ] && is_ok "$path" && { echo "$path"; return 0; }
  done
  return 1
}

if [ -x .venv/bin/python ] && ! is_ok .venv/bin/python; then
  echo "Existing .venv is older than Python 3.12; recreating it."
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  PY=$(find_python) || { echo "VendorSync needs Python 3.12 or newer; none was found (set PYTHON=/path/to/python3.12)." >&2; exit 1; }
  echo "Creating .venv with $PY ($("$PY" --version))"
  "$PY" -m venv .venv
fi

stamp=.venv/.vendorsync-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "Installing dependencies (locked in constraints.txt)…"
  # Run pip from /tmp so a stray folder here is never mistaken for a package index.
  (cd /tmp && "$OLDPWD/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      -c "$OLDPWD/constraints.txt" -e "$OLDPWD[dev]")
  echo "$want" > "$stamp"
fi
