# The two commands a new user needs: `make demo` and `make test`.
# Each sets up what it needs first (scripts/setup.sh: venv, packages, servers).

VENV   := .venv
PY     := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:/usr/sbin:$(PATH)

.PHONY: setup test unit integration demo lint typecheck bench clean

setup:
	@bash scripts/setup.sh

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

unit: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

integration: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/integration

demo: setup
	$(PY) -m lab.demo

lint: setup
	$(VENV)/bin/ruff check failover cli lab tests infra stacks bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
