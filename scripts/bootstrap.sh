#!/usr/bin/env bash
# Creates .venv and installs yibao with its development tools from the package index (once per
# change of pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "Installing yibao and its tools into .venv (log: .venv/pip.log)"
  # The venv's own pip (23.2 with Python 3.11) installs every wheel the project needs; upgrading pip
  # first only costs a download and a reinstall on a clean clone.
  if ! .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]' > .venv/pip.log 2>&1; then
    grep -v "is ignored" .venv/pip.log | tail -n 40
    echo "FATAL: installing the project failed" >&2
    exit 1
  fi
  touch .venv/.installed
fi
