#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 found on this machine and install the locked dependencies.
# Re-running is cheap: nothing is reinstalled unless pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# A Python that is new enough (used for the existing .venv).
is_recent() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
# A Python that can also build a venv with pip in it (Debian splits venv/ensurepip into python3-venv).
can_make_venv() { is_recent "$1" && "$1" -c 'import venv, ensurepip' >/dev/null 2>&1; }
# A usable .venv: recent enough and with a working pip (a `python -m venv` that failed midway leaves
# .venv/bin/python behind without pip).
venv_ok() { [ -x .venv/bin/python ] && is_recent .venv/bin/python && .venv/bin/python -m pip --version >/dev/null 2>&1; }

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
    [ -n "$path" ] && can_make_venv "$path" && { echo "$path"; return 0; }
  done
  return 1
}

if [ -e .venv ] && ! venv_ok; then
  echo "The existing .venv is unusable (older than Python 3.12, or without a working pip); recreating it."
  rm -rf .venv
fi
if [ ! -e .venv ]; then
  PY=$(find_python) || {
    echo "VendorSync needs Python 3.12 or newer with the venv and ensurepip modules; none was found." >&2
    echo "Set PYTHON=/path/to/python3.12 (on Debian/Ubuntu also install python3-venv)." >&2
    exit 1
  }
  echo "Creating .venv with $PY ($("$PY" --version))"
  # A build that fails (or is interrupted) is removed here or, at the latest, by venv_ok above on
  # the next run: a .venv without pip is never taken for a good one.
  if ! "$PY" -m venv .venv || ! venv_ok; then
    rm -rf .venv
    echo "Creating .venv with $PY failed (see above); removed the partial .venv." >&2
    exit 1
  fi
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
