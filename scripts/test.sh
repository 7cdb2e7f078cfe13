#!/usr/bin/env bash
# The whole test command: install, static checks (ruff, mypy, import-linter), then the suite on
# embedded SQLite and on PostgreSQL. The two database passes run side by side (each is one Python
# process and the machine has two cores); their output is printed when both are done. Exits
# non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-services.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";          ruff check src tests benchmarks
ruff format --check src tests benchmarks
echo "== mypy";          mypy src
echo "== import-linter"; lint-imports

logs=$(mktemp -d)
started=$(date +%s)
echo "== tests on SQLite and on PostgreSQL, side by side"
pytest --db=sqlite "$@" > "$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
pytest --db=postgres "$@" > "$logs/postgres.log" 2>&1 &
postgres_pid=$!
status=0
wait "$sqlite_pid" || status=1
echo "== tests on SQLite (done after $(( $(date +%s) - started )) s)"
cat "$logs/sqlite.log"
wait "$postgres_pid" || status=1
echo "== tests on PostgreSQL (done after $(( $(date +%s) - started )) s)"
cat "$logs/postgres.log"
rm -rf "$logs"
exit "$status"
