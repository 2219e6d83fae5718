# Two commands do all set-up on a fresh machine:
#   make build   — venv + Python packages + JVM jars, then `sqlingest build` on the demo project
#   make test    — the same set-up, then the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test test-unit test-integration cluster-test compile jars venv system-deps lint bench clean distclean services services-stop

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,registry,hive,observe,connect]'
	@touch $@

venv: $(STAMP)

jars: $(STAMP)
	$(BIN)/python -m sqlingest.jvm >/dev/null

# Debian packages some tests need (a private PostgreSQL is started by the tests themselves).
system-deps:
	@bash scripts/system-deps.sh

# PostgreSQL, a PostgreSQL-backed Hive Metastore, Nessie and Kafka on loopback, for the production-like targets
# (`python -m sqlingest.services start|stop|status|logs [names…]`;
#  then: set -a; . .sqlingest/services.env; set +a; .venv/bin/sqlingest build --target nessie)
services: jars system-deps
	PYTHON=$(BIN)/python scripts/services.sh start

services-stop:
	PYTHON=$(BIN)/python scripts/services.sh stop

compile: $(STAMP)
	$(BIN)/sqlingest compile

build: jars
	$(BIN)/sqlingest build

# Both cores: one pytest worker per core, each test file on one worker (a file's fixtures are built once); the
# slowest tests are listed at the end.
# (the cluster tests are `make cluster-test`: the suite is over its time budget without them)
test: jars system-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=30 -m 'not cluster'

# A Spark standalone cluster (master + two one-core workers) and a Spark Connect server, started and stopped by the
# tests' own service code; the demo built on the cluster equals the local build (docs/cluster.md).
cluster-test: jars system-deps
	$(BIN)/python -m pytest -q -m cluster --durations=0 tests/integration/test_cluster.py

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-integration: jars system-deps
	$(BIN)/python -m pytest -q -m 'not cluster' tests/integration

# ruff (its default rule set) and mypy (strict defs): both clean on main
lint: $(STAMP)
	$(BIN)/ruff check sqlingest tests bench
	$(BIN)/mypy sqlingest

bench: jars
	$(BIN)/python bench/run.py

clean:
	rm -rf .sqlingest target .pytest_cache

distclean: clean
	rm -rf $(VENV)
