# Two commands do everything on a fresh machine: `make book` and `make test`.
# `make test PYTHON=python3.13` tests on another Python, in its own venv (.venv-python3.13).
PYTHON ?= python3
ifeq ($(PYTHON),python3)
VENV ?= .venv
else
VENV ?= .venv-$(notdir $(PYTHON))
endif
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NBVAL := $(PY) -m pytest --nbval chapters companion --sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

.PHONY: venv test test-lib test-notebooks test-portable test-browser binder book execute explorer-data bench parity lab cluster clean

venv: $(STAMP)

# The developer's set (requirements-dev.txt: the reader's requirements.txt plus tests and the book build).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || "$$(bash scripts/find_python.sh $(PYTHON))" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Every test: the library, the notebooks (strict nbval), the offline book build.
test: test-lib test-notebooks

## The library and book tests, both cores (browser tests and parity have their own targets).
test-lib: venv
	$(PY) -m pytest tests -q -n 2 --dist loadfile -p no:cacheprovider \
		--ignore=tests/browser --ignore-glob="tests/test_parity_*.py"

## Each chapter re-executed and compared output for output with what is stored (strict).
test-notebooks: venv
	$(NBVAL) -q -n 2 --dist loadscope

## The same strict nbval, against the same stored outputs, where machines differ: oneDNN capped to SSE4.1 (on
## one core), AVX (both cores busy), AVX2 and AVX-512, a temp dir with a space and a non-ASCII letter.
test-portable: venv
	bash scripts/test_portable.sh $(NBVAL) -q -n 2 --dist loadscope
	$(PY) -m pytest tests/test_notebooks.py -q -p no:cacheprovider -k totals

## Re-execute every chapter and store its outputs and widget state; retake chapter 7's TensorBoard screenshot.
## First the static explorer's grid (explorer-data: resumable, nothing to train when it is up to date).
execute: venv explorer-data
	$(PY) scripts/execute_notebooks.py chapters/[0-9][0-9]_*.ipynb companion/*.ipynb
	bash scripts/ensure_chromium.sh
	$(PY) scripts/tensorboard_screenshot.py

## Train the static explorer's grid (324 runs, 2 processes, resumable) into book_assets/explorer_grid.js.
explorer-data: venv
	$(PY) scripts/build_explorer_grid.py --workers 2

book: venv
	bash scripts/build_book.sh $(PY)

LEGACY_VENV ?= .venv-legacy
$(LEGACY_VENV)/.installed: tests/legacy/requirements-legacy.txt scripts/make_legacy_venv.sh
	LEGACY_VENV=$(LEGACY_VENV) bash scripts/make_legacy_venv.sh
	touch $@

## Parity with the real tf.estimator (TF 2.15 in a second venv): checkpoints both ways, files, events. Both cores,
## a test file per worker (a file's programs share one run of each engine).
parity: venv $(LEGACY_VENV)/.installed
	IRIS_PARITY=1 IRIS_LEGACY_PYTHON=$(LEGACY_VENV)/bin/python $(PY) -m pytest tests/test_parity_*.py -q -n 2 \
		--dist loadfile -p no:cacheprovider

## Real-browser tests: the built book offline in headless chromium, and the explorer live in Voila.
test-browser: book
	bash scripts/ensure_chromium.sh
	IRIS_BROWSER=1 IRIS_BOOK_HTML=_build/html $(PY) -m pytest tests/browser -q -n 2 --dist loadfile -p no:cacheprovider

## A simulated Binder start: clean clone, fresh venv from requirements.txt + runtime.txt, the first and the last
## chapter run (nbval runs them all; BINDER_CHAPTERS=all here too).
binder: venv
	IRIS_BINDER=1 $(PY) -m pytest tests/test_binder.py -q -p no:cacheprovider

## A loopback cluster (1 ps, the chief, WORKERS workers, an evaluator), each task its own process with its TF_CONFIG,
## training iris_lib.train_on_a_cluster into CLUSTER_DIR (chapter 13). Ctrl-C stops every task.
## --wait_for_workers: the chief starts once every worker has taken a step, so each trainer contributes.
WORKERS ?= 2
CLUSTER_DIR ?= _build/cluster
cluster: venv
	$(PY) -m iris_lib.cluster --workers $(WORKERS) --model_dir $(CLUSTER_DIR) \
		-- $(PY) -m iris_lib.train_on_a_cluster --wait_for_workers

## The chapters in JupyterLab (widgets and %tensorboard work).
lab: venv
	$(PY) -m jupyter lab chapters $(if $(filter 0,$(shell id -u)),--allow-root)

bench: venv
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_static_explorer.py

clean:
	rm -rf _build
