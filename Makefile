# One entry point for people and CI. `make run` and `make test` create .venv when
# it is missing and install what they need, so a fresh machine needs only Python 3.11.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test lint bench load load-nginx bytecode clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# Bytecode for the package, written even where PYTHONDONTWRITEBYTECODE is set: without it
# every run of the headless command compiles careplan/ again (~35 ms of ~300). Up-to-date
# files are skipped, and Python ignores a .pyc whose source changed, so it is never stale.
bytecode: $(RUNTIME)
	$(BIN)/python -m compileall -q careplan

# demo-data migrates the database before anything else (deploy time): the app itself only
# checks the schema revision on its first page, and migrates only a database that is behind.
# The audit key is made once, on the first start, in a file only its owner reads (0600);
# the app does not start without one unless in demo mode.
run: export CAREPLAN_AUDIT_KEY_FILE ?= data/audit.key
run: $(RUNTIME) bytecode
	test -n "$$CAREPLAN_AUDIT_KEY" -o -f "$$CAREPLAN_AUDIT_KEY_FILE" || \
		$(BIN)/python -m careplan audit new-key "$$CAREPLAN_AUDIT_KEY_FILE"
	$(BIN)/python -m careplan migrate
	$(BIN)/python -m careplan demo-data --if-empty
	CAREPLAN_DEMO=$${CAREPLAN_DEMO:-1} $(BIN)/python -m streamlit run server.py \
		--server.address $(HOST) --server.port $(PORT)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(DEV) bytecode
	$(BIN)/python -m bench

# 30 clinicians signed in at once, each editing an intake over websockets (no browser) for
# 60 s; prints sign-in time, rerun percentiles, errors, saves/s and the server's memory,
# and fails if an acknowledged answer is not in the database (bench/load.py).
load: $(DEV) bytecode
	$(BIN)/python -m bench.load --sessions 30 --seconds 60

# The same through nginx (deploy/nginx.conf) in front of two app processes on one throwaway
# PostgreSQL database; also fails if a session's requests reached two processes. Needs Debian's
# nginx and postgresql (README "Two app processes behind nginx").
load-nginx: $(DEV) bytecode
	$(BIN)/python -m bench.load --sessions 30 --seconds 60 --processes 2 --proxy nginx --postgres

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
