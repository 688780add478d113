# The two commands: `make demo` and `make test`. Both bootstrap the toolchain first (idempotent).
VENV := .venv
PY := $(VENV)/bin/python
BOOTSTRAP_STAMP := $(VENV)/.bootstrap-stamp

.PHONY: demo test lint typecheck pytest bench bootstrap lock clean

bootstrap $(BOOTSTRAP_STAMP): scripts/bootstrap requirements/*.txt pyproject.toml
	bash scripts/bootstrap

demo: $(BOOTSTRAP_STAMP)
	$(PY) scripts/demo.py

test: $(BOOTSTRAP_STAMP) lint typecheck pytest

lint: $(BOOTSTRAP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(BOOTSTRAP_STAMP)
	$(VENV)/bin/mypy

pytest: $(BOOTSTRAP_STAMP)
	$(PY) -m pytest

bench: $(BOOTSTRAP_STAMP)
	$(PY) scripts/bench.py

# Re-pin requirements/ha-integrations.txt and constraints.txt from the HA release's manifests.
lock:
	python3 scripts/lock_requirements.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo/.run
