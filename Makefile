# Two commands do all set-up on a fresh machine:
#   make run    -> venv, install, a quick real search (MNIST) and its leaderboard
#   make test   -> venv, install, lint (make lint), the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATASET ?= mnist
RUN_DIR ?= runs/quick-$(DATASET)
# The real data folder beside the repo is used when present; else files are downloaded to the cache.
EMNIST_TUNER_DATA ?= $(wildcard $(CURDIR)/../shared/data)
export EMNIST_TUNER_DATA

.PHONY: install run lint test data clean

$(BIN)/emnist-tuner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cpu,dev,export]'
	touch $@

install: $(BIN)/emnist-tuner

run: install
	$(BIN)/emnist-tuner search --dataset $(DATASET) --profile quick --run-dir $(RUN_DIR) --download
	$(BIN)/emnist-tuner leaderboard $(RUN_DIR)

# ruff's rules and format, mypy's types (configs in pyproject.toml): any finding fails
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

data: install
	$(BIN)/emnist-tuner data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
