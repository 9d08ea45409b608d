# Tongban — the two commands that matter: `make dev` (run it all) and `make test`.
PY := .venv/bin/python
# the machine's Python runs the installer (there is no .venv before it)
SYSPY := $(shell command -v python3.11 || command -v python3)
export PYTHONPATH := $(CURDIR)

.PHONY: help install install-tools install-test proto dev down status test test-fast lint \
        bench-kafka bench-intake \
        bench-routing bench-window bench-results bench-e2e bench-finder deploy-check clean

help:
	@echo "make dev        start Kafka, PostgreSQL, every service and the gateway (127.0.0.1)"
	@echo "make down       stop everything make dev started"
	@echo "make status     what runs, where, and its log"
	@echo "make test       the whole test suite (starts its own engines)"
	@echo "make test-fast  the unit tests only: pure rules, no engine (under a minute)"
	@echo "make lint       ruff and mypy"
	@echo "make proto      regenerate gen/ from protos/"
	@echo "make deploy-check  compose, Dockerfiles and k8s overlays validated offline"
	@echo "make bench-kafka | bench-intake | bench-routing | bench-window | bench-results | bench-e2e | bench-finder"

# what each command needs, installed if missing (tools/bootstrap.py): `make dev` only what
# the running stack needs; the tests and CI also the test engines
install:
	@$(SYSPY) -m tools.bootstrap dev

install-tools:
	@$(SYSPY) -m tools.bootstrap tools

install-test:
	@$(SYSPY) -m tools.bootstrap test

proto: install-tools
	$(PY) tools/gen_protos.py

dev: install
	$(PY) -m tools.stack up

down:
	@$(PY) -m tools.stack down

status:
	@$(PY) -m tools.stack status

test: install-test
	$(PY) -m pytest

test-fast: install-tools
	$(PY) -m pytest -m unit -q

lint: install-tools
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy services gateway cli tools bench deploycheck

deploy-check: install-test
	$(PY) -m deploycheck.check

bench-kafka: install-tools
	$(PY) -m bench.kafka

bench-intake: install-tools
	$(PY) -m bench.intake

bench-routing: install-tools
	$(PY) -m bench.routing

bench-window: install-tools
	$(PY) -m bench.window

bench-results: install-tools
	$(PY) -m bench.results

bench-e2e: install-tools
	$(PY) -m bench.e2e

bench-finder: install-tools
	$(PY) -m bench.finder

clean:
	@$(PY) -m tools.stack clean
