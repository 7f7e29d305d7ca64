# Two commands do everything on a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test book execute bench parity clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

test: venv
	$(PY) -m pytest tests -q

book: venv
	bash scripts/build_book.sh $(PY)

execute: venv
	$(PY) scripts/execute_notebooks.py

bench: venv
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf _build
