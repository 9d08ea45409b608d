# Tongban — the two commands that matter: `make dev` (run it all) and `make test`.
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: help install proto dev down status test test-fast lint bench-kafka bench-intake \
        bench-routing bench-window bench-results bench-e2e deploy-check clean

help:
	@echo "make dev        start Kafka, PostgreSQL, every service and the gateway (127.0.0.1)"
	@echo "make down       stop everything make dev started"
	@echo "make status     what runs, where, and its log"
	@echo "make test       the whole test suite (starts its own engines)"
	@echo "make test-fast  the unit tests only: pure rules, no engine (under a minute)"
	@echo "make lint       ruff and mypy"
	@echo "make proto      regenerate gen/ from protos/"
	@echo "make deploy-check  compose, Dockerfiles and k8s overlays validated offline"
	@echo "make bench-kafka | bench-intake | bench-routing | bench-window | bench-results | bench-e2e"

install:
	@bash tools/bootstrap.sh

proto: install
	$(PY) tools/gen_protos.py

dev: install
	$(PY) -m tools.stack up

down:
	@$(PY) -m tools.stack down

status:
	@$(PY) -m tools.stack status

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m unit -q

lint: install
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy services gateway cli tools bench deploycheck

deploy-check: install
	$(PY) -m deploycheck.check

bench-kafka: install
	$(PY) -m bench.kafka

bench-intake: install
	$(PY) -m bench.intake

bench-routing: install
	$(PY) -m bench.routing

bench-window: install
	$(PY) -m bench.window

bench-results: install
	$(PY) -m bench.results

bench-e2e: install
	$(PY) -m bench.e2e

clean:
	@$(PY) -m tools.stack clean
