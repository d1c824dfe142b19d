# Two commands do everything on a fresh machine (Python >= 3.11, make):
#   make demo   run qualdsl on the bundled example policies
#   make test   run the test suite (what CI runs)
# Both create .venv and install the project into it first; `make test` also
# makes .venv-dbt (dbt-venv below) for the dbt build test.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# dbt gets a venv of its own: dbt-core 1.x pins pathspec<0.13 and mypy (the
# test extra) needs pathspec>=1.0, so pip cannot put both in one (docs/sql.md).
DBT_VENV  := .venv-dbt
DBT       := $(DBT_VENV)/bin/dbt
DBT_STAMP := $(DBT_VENV)/.installed

.PHONY: demo test bench clean dbt-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,duckdb,parquet,serve,postgres,spark]'
	touch $(STAMP)

# The dbt extra of pyproject.toml, with duckdb pinned to exactly .venv's: one
# DuckDB version writes and reads the test's database file (a DuckDB before 2.0
# cannot open a file 2.0 wrote). Remade only when .venv or pyproject.toml is.
$(DBT_STAMP): pyproject.toml $(STAMP)
	$(PYTHON) -m venv $(DBT_VENV)
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dbt"], sep="\n")' > $(DBT_VENV)/requirements.txt
	$(BIN)/python -c 'from importlib.metadata import version; print("duckdb==" + version("duckdb"))' >> $(DBT_VENV)/requirements.txt
	$(DBT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DBT_VENV)/bin/python -m pip install --quiet -r $(DBT_VENV)/requirements.txt
	touch $(DBT_STAMP)

dbt-venv: $(DBT_STAMP)

demo: $(STAMP)
	$(BIN)/qualdsl check policies/
	$(BIN)/qualdsl eval policies/saas_inbound.qual --lead policies/saas_inbound.lead.json --as-of 2026-11-01 --format text
	$(BIN)/qualdsl eval policies/saas_inbound.qual --leads policies/saas_inbound.leads.jsonl --as-of 2026-11-01 --format json
	$(BIN)/qualdsl test policies/
	$(BIN)/qualdsl lint policies/
	$(BIN)/qualdsl score policies/xeducation.qual policies/data/xeducation_leads.csv --id-field "Prospect ID" --as-of 2026-11-01 -o /tmp/qualdsl-demo-xeducation.parquet --no-progress
	$(BIN)/qualdsl score policies/xeducation.qual policies/data/xeducation_leads.csv --id-field "Prospect ID" --as-of 2026-11-01 -o /tmp/qualdsl-demo-xeducation-duckdb.parquet --engine duckdb --no-progress
	$(BIN)/qualdsl compile policies/saas_inbound.qual --target sql --pretty > /tmp/qualdsl-demo-saas_inbound.sql
	$(BIN)/qualdsl backtest policies/xeducation.qual --leads policies/data/xeducation_sample.csv --outcome Converted --as-of 2026-11-01 --format html -o /tmp/qualdsl-demo-backtest.html
	@echo "demo outputs in /tmp/qualdsl-demo-*"

test: $(STAMP) $(DBT_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/qualdsl check policies/
	$(BIN)/qualdsl lint policies/
	$(BIN)/qualdsl fmt --check policies/
	QUALDSL_DBT=$(CURDIR)/$(DBT) $(BIN)/python -m pytest -q -m ""  # every test, slow ones included (tests/budget.py)
	$(BIN)/qualdsl test policies/ --min-coverage 100

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/batch_score.py
	$(BIN)/python benchmarks/serve_bench.py

clean:
	rm -rf $(VENV) $(DBT_VENV) .pytest_cache
