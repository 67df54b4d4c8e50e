# Two commands for a fresh machine: `make run` (the product) and `make test` (the tests).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system run chat train lint test bench bench-scaleout clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/setup-venv
	@scripts/setup-venv
	@touch $@

## system: the system packages the tests use (Chromium, PostgreSQL), installed if missing
system:
	@scripts/setup-system

## run: set up if needed, train if the Rasa data changed, serve on http://localhost:8000
run: setup
	@$(BIN)/cxbot run

## chat: talk to the assistant in this terminal
chat: setup
	@$(BIN)/cxbot chat

train: setup
	$(BIN)/cxbot train

## lint: ruff (rules and formatting), the import contracts in pyproject.toml, mypy on the core, sizes
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python scripts/check-sizes

## test: lint, then the whole test suite (trains the model it needs, cached in models/);
## `.venv/bin/python -m pytest -m unit` is the quick part (see the markers in pyproject.toml)
test: setup system lint
	$(BIN)/cxbot train
	$(BIN)/python -m pytest

## bench: NLU (HINT3, Banking77, CLINC150, own held-out), sentiment, speed and cost of one process;
## writes BENCHMARKS.md (about 12 min on 2 cores; `.venv/bin/python -m bench --quick` is the short
## smoke run); then the server's latency with 1,000 idle widget WebSockets open
## (bench/idle_sockets.py). Not part of it, each its own command with its section in BENCHMARKS.md:
## several replicas and the recovery after SIGKILL (`make bench-scaleout`), and the server's CPU per
## message against bare `rasa run` (`.venv/bin/python -m bench.profile_server --cpu`)
bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.idle_sockets --sockets 1000 --requests 40

## bench-scaleout: 50 customers on 1, 2, 3 replicas behind HAProxy (PostgreSQL + Redis), SQLite and
## bare Rasa; recovery after SIGKILL of a replica (about 7 min; needs postgresql, redis-server, haproxy)
bench-scaleout: setup system
	$(BIN)/python -m bench.scaleout

clean:
	rm -rf $(VENV) models data .pytest_cache
