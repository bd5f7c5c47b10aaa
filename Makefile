# The two commands a new user needs: `make demo` and `make test`.
# Each sets up what it needs first (scripts/setup.sh: venv, packages, servers).

VENV   := .venv
PY     := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:/usr/sbin:$(PATH)

.PHONY: setup lock test unit integration demo lint typecheck bench clean

setup:
	@bash scripts/setup.sh

# Re-resolve requirements.lock after changing pyproject.toml: versions already
# locked stay unless the new bounds exclude them; UPGRADE=1 takes the newest.
# It does not install anything (uv comes with the dev tools; `make setup` then
# installs the new lock).
LOCK_FLAGS := --generate-hashes --python-version 3.11 --extra dev --extra infra --extra octodns \
              --custom-compile-command "make lock"
lock:
	@command -v uv >/dev/null || { echo "make lock: uv not found; run 'make setup' first" >&2; exit 3; }
	uv pip compile --quiet $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) \
	    pyproject.toml -o requirements.lock

# make test runs every property test's full count, on two workers (the suite
# waits on servers more than it computes), and names its 20 slowest tests;
# unit and integration, for development, a tenth of each count (tests/hypo.py).
test: setup
	HYPOTHESIS_PROFILE=full $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist worksteal --durations=20

unit: setup
	HYPOTHESIS_PROFILE=dev $(PY) -m pytest -q -p no:cacheprovider tests/unit

integration: setup
	HYPOTHESIS_PROFILE=dev $(PY) -m pytest -q -p no:cacheprovider tests/integration

demo: setup
	$(PY) -m lab.demo

lint: setup
	$(VENV)/bin/ruff check failover cli lab tests infra stacks bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

bench:
	@bash scripts/setup.sh --bench
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
