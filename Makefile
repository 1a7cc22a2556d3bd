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

# The suite in two passes: everything but the `serial` tests on JOBS pytest-xdist workers (each of one CPU
# thread: tests/conftest.py), then the serial ones alone (wall-clock bounds, signals, timing scripts, the
# browser). Both passes run; either one failing fails the target. 8.2 min as one pass here, 4.5 in two (measured).
JOBS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) -m "not serial"; a=$$?; $(PY) -m pytest -q -m serial; b=$$?; \
	    [ $$a -eq 0 ] && [ $$b -eq 0 ]

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
