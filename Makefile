# Two commands do all set-up on a fresh machine:
#   make run    -> venv, install, a quick real search (MNIST) and its leaderboard
#   make test   -> venv, install, lint (make lint), the docs site (make docs), the test suite; then test-jax
#   make docs   -> the documentation site (MkDocs, Material theme) from docs/ into site/, --strict: any warning
#                  (a broken link or anchor, a page missing from the nav) fails
#   make test-jax -> a second venv without TensorFlow (docs/guides/gpu.md: "Without TensorFlow"), the CLI with JAX
#   make mutants -> mutation testing of the modules that decide numbers (TESTING.md; not part of `make test`)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATASET ?= mnist
RUN_DIR ?= runs/quick-$(DATASET)
MUTANT_JOBS ?= 2
TEST_JOBS ?= 0
# The real data folder beside the repo is used when present; else files are downloaded to the cache.
EMNIST_TUNER_DATA ?= $(wildcard $(CURDIR)/../shared/data)
export EMNIST_TUNER_DATA

.PHONY: install run lint docs test test-jax mutants data clean

$(BIN)/emnist-tuner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cpu,dev,export,serve,mlflow]'
	touch $@

install: $(BIN)/emnist-tuner

# The TF-free environment: keras, keras-tuner and JAX, then this package without its dependencies.
JAX_VENV ?= .venv-jax
JAX_BIN := $(JAX_VENV)/bin
JAX_PACKAGES := keras keras-tuner==1.4.8 'jax[cpu]' six protobuf rich typer scipy numpy pillow matplotlib \
	pytest pytest-timeout

$(JAX_BIN)/emnist-tuner: pyproject.toml
	$(PYTHON) -m venv $(JAX_VENV)
	$(JAX_BIN)/pip install --quiet --upgrade pip
	$(JAX_BIN)/pip install --quiet $(JAX_PACKAGES)
	$(JAX_BIN)/pip install --quiet --no-deps -e .
	touch $@

run: install
	$(BIN)/emnist-tuner search --dataset $(DATASET) --profile quick --run-dir $(RUN_DIR) --download
	$(BIN)/emnist-tuner leaderboard $(RUN_DIR)

# ruff's rules and format, mypy's types (configs in pyproject.toml): any finding fails
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# mkdocs.yml says what is built; NO_MKDOCS_2_WARNING silences Material's banner about its successor
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# TEST_JOBS=2: two test processes (pytest-xdist), whose TensorFlow start-ups, subprocesses and waits overlap;
# tests/conftest.py keeps in one process what shares a costly fixture. 0 (the default): one process.
test: lint docs
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadgroup
	$(MAKE) --no-print-directory test-jax

# tests/test_jax_backend.py (marked jax; the run above skips it): search, train, retrain, predict, export
test-jax: $(JAX_BIN)/emnist-tuner
	KERAS_BACKEND=jax $(JAX_BIN)/python -m pytest -q -m jax tests/test_jax_backend.py

mutants: install
	nice -n 10 $(BIN)/python tools/mutants.py run --jobs $(MUTANT_JOBS)

data: install
	$(BIN)/emnist-tuner data

clean:
	rm -rf $(VENV) $(JAX_VENV) .pytest_cache .mypy_cache .ruff_cache mutants mutants.log site
