# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
# the Lambda Python runtime `make lambda` builds for (3.11 runs on Amazon Linux 2, 3.12+ on AL2023)
PYTHON_VERSION ?= 3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: help install demo demo-athena test test-clock test-athena-faults test-athena-faults-full athena-functional faults lint bench bench-dbt bench-lambda lambda clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@echo "installing into $(VENV) (first time: a few minutes; pinned by requirements.lock)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python -c requirements.lock -e '.[dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its dev tools

# the demo's run ids carry the day (UTC) each sweep ran, read back from the sweeps' result
# lines (kept in ./warehouse/.demo-runs: a sweep may end after midnight); the variant re-runs
# the baseline grid
DEMO_RUNS := ./warehouse/.demo-runs
DEMO_PAIR := $$(sed -n 's/^\(sir-baseline-[0-9]\{8\}\):.*/\1/p' $(DEMO_RUNS) | tail -n 1) \
	$$(sed -n 's/^\(sir-baseline-substeps-[0-9]\{8\}\):.*/\1/p' $(DEMO_RUNS) | tail -n 1)

demo: $(STAMP) ## reference sweep into ./warehouse, build the marts, print a summary, draw the report, compare two runs
	@mkdir -p ./warehouse
	$(BIN)/ara sweep --root ./warehouse > $(DEMO_RUNS) && cat $(DEMO_RUNS)
	$(BIN)/ara sweep --root ./warehouse --variant substeps --quiet >> $(DEMO_RUNS) \
		&& tail -n 1 $(DEMO_RUNS)
	test -f profiles.yml || cp profiles.example.yml profiles.yml
	ARA_DUCKDB_PATH=./warehouse/analytics.duckdb $(BIN)/dbt build --target local \
		--vars '{warehouse_root: ./warehouse}'
	$(BIN)/ara summary --duckdb ./warehouse/analytics.duckdb
	@# the page's path is printed once, on the "report written" line (stdout repeats it for scripts)
	@$(BIN)/ara report --duckdb ./warehouse/analytics.duckdb --out ./warehouse/report > /dev/null
	@set -- $(DEMO_PAIR); \
		echo "$(BIN)/ara compare $$1 $$2 --duckdb ./warehouse/analytics.duckdb --metric peak_infected"; \
		$(BIN)/ara compare "$$1" "$$2" --duckdb ./warehouse/analytics.duckdb --metric peak_infected && \
		$(BIN)/ara report --duckdb ./warehouse/analytics.duckdb --out ./warehouse/report \
			--compare "$$1" "$$2" > /dev/null
	@echo "open them in a browser (docs/report.md, docs/compare.md)"

demo-athena: $(STAMP) ## the Athena path offline: local endpoint, bootstrap, sweep, dbt build --target athena
	@test -f profiles.yml || cp profiles.example.yml profiles.yml
	@set -euo pipefail; work=$$(mktemp -d); \
	$(BIN)/ara athena local --port 0 > $$work/env 2> $$work/endpoint.log & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf $$work' EXIT; \
	for i in $$(seq 100); do grep -q ARA_ATHENA_DATA_DIR $$work/env 2>/dev/null && break; \
		kill -0 $$pid 2>/dev/null || { cat $$work/endpoint.log; exit 1; }; sleep 0.2; done; \
	. $$work/env; echo "local Athena endpoint on $$AWS_ENDPOINT_URL (S3, Glue, Athena)"; \
	$(BIN)/ara athena bootstrap; \
	$(BIN)/ara sweep --root "$$ARA_ROOT"; \
	$(BIN)/ara athena repair; \
	$(BIN)/dbt build --target athena --target-path "$$work/target" --log-path "$$work/logs"; \
	echo "each run's status, read from dim_runs through the endpoint:"; \
	$(BIN)/dbt show --target athena --target-path "$$work/target" --log-path "$$work/logs" \
		--quiet --output json --limit 100 --inline "select run_id, run_status, planned_point_count, \
		observed_point_count from {{ ref('dim_runs') }} order by run_id"; \
	echo "stopping the local Athena endpoint (its data was in memory)"

test: $(STAMP) ## the test suite but the Athena fault walks (timestamp tests once more under a non-UTC zone)
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not athena_faults" --durations=25   # 2 workers, a file each
	TZ=America/New_York $(BIN)/pytest -q tests/test_export.py tests/test_validation.py \
		-k "timestamp or midnight or aware or next_day"

test-clock: $(STAMP) ## the whole suite again, clock 400 days ahead (Debian's faketime), last test first
	@command -v faketime >/dev/null || { echo "test-clock needs faketime (apt-get install faketime)"; exit 1; }
	ARA_TEST_ORDER=reverse faketime '+400 days' $(BIN)/pytest -q -n 2 --dist loadfile \
		-m "not athena_faults" --durations=10

faults: $(STAMP) ## the fault suite, heavier: 30 SIGKILLs per root, 1000 examples per property
	ARA_FAULT_KILLS=30 ARA_FAULT_EXAMPLES=1000 $(BIN)/pytest -q tests/test_faults_*.py

test-athena-faults: $(STAMP) ## Athena builds failed once at each kind of statement, 20 builds compacted, last test first (CI)
	ARA_TEST_ORDER=reverse ARA_ATHENA_COMPACTION_BUILDS=20 $(BIN)/pytest -q -n 2 --dist loadfile \
		-m athena_faults --durations=10

FAULT_STRIDE ?= 1
test-athena-faults-full: $(STAMP) ## the Athena fault walks at every FAULT_STRIDE-th statement (1: every one; hours)
	ARA_ATHENA_FAULT_STRIDE=$(FAULT_STRIDE) ARA_ATHENA_COMPACTION_BUILDS=20 $(BIN)/pytest -q -n 2 \
		--dist loadfile -m athena_faults --durations=10

athena-functional: $(STAMP) ## dbt-athena's own functional suite on the local endpoint (slow; ARGS='--out f.md -- -k hive')
	$(BIN)/python tools/athena_functional.py $(ARGS)

lint: $(STAMP) ## ruff, mypy and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check exporter local_athena tests benchmarks examples tools
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models
	cd exporter/athena/sql && ../../../$(BIN)/sqlfluff lint .   # Athena DDL: its own nested .sqlfluff

bench: $(STAMP) ## shard writer vs the fair floor, memory, incremental dbt builds (docs/benchmarks.md)
	$(BIN)/python benchmarks/bench_shard_write.py --repeat 5
	$(MAKE) --no-print-directory bench-dbt

bench-dbt: $(STAMP) ## dbt: incremental build at 25 vs 1,000 distinct runs, one-run query, 1M points end to end
	$(BIN)/python benchmarks/bench_dbt.py --repeat 3

bench-lambda: $(STAMP) ## Lambda cold start: import + first shard write from the unzipped package
	$(BIN)/python benchmarks/bench_lambda_cold_start.py --repeat 5

lambda: $(STAMP) ## worker zips for AWS Lambda (x86_64, arm64) in dist/lambda; PYTHON_VERSION=3.12
	$(BIN)/python tools/build_lambda.py --python-version $(PYTHON_VERSION)

clean: ## remove the venv, dbt's output and dist/ (exported data in ./warehouse is kept)
	rm -rf $(VENV) target logs dbt_packages dist
