# `make run` and `make test` each set up .venv/ when missing (or when pyproject.toml/constraints.txt
# changed), then start the app / run the whole test suite.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/linreg

test: $(STAMP)
	$(PY) -m pytest -q

# For editing: the engine and the text (no app, no subprocesses, no browser), without the slow exploring
# and corpus tests. About a minute here; `make test` is the whole suite, as CI runs it.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" tests/core tests/tui/test_text.py

bench: $(STAMP)
	$(PY) benchmarks/engine_speed.py
	$(PY) benchmarks/large_epoch.py
	$(PY) benchmarks/chart_redraw.py

clean:
	rm -rf $(VENV) .pytest_cache
