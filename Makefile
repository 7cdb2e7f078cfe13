.PHONY: run test serve

run:  ## the main job on embedded defaults: a synthetic region of 20,000 insured enrolled and settled (SQLite var/demo.db), summary and reports in var/demo
	bash scripts/bootstrap.sh
	.venv/bin/yibao demo

serve:  ## API + console on 127.0.0.1:8000 (YIBAO_DATABASE_URL=sqlite:///var/demo.db opens the demo's database)
	bash scripts/bootstrap.sh
	.venv/bin/yibao serve

test:  ## the whole test suite on SQLite and PostgreSQL, with ruff, mypy and import-linter
	bash scripts/test.sh
