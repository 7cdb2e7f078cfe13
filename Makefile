.PHONY: run test serve

run:  ## the main job on embedded defaults (SQLite under ./var): schema, reference data, API + console on 127.0.0.1:8000
	bash scripts/bootstrap.sh
	.venv/bin/yibao serve

test:  ## the whole test suite on SQLite and PostgreSQL, with ruff, mypy and import-linter
	bash scripts/test.sh
