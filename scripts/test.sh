#!/usr/bin/env bash
# The whole test command: install, static checks (ruff, mypy, import-linter), then the suite on
# embedded SQLite and on PostgreSQL. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-services.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";          ruff check src tests benchmarks
ruff format --check src tests benchmarks
echo "== mypy";          mypy src
echo "== import-linter"; lint-imports
echo "== tests on SQLite";     pytest --db=sqlite "$@"
echo "== tests on PostgreSQL"; pytest --db=postgres "$@"
