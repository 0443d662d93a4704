# Two commands do all set-up on a fresh machine:
#   make run    -> venv, install, a quick real search (MNIST) and its leaderboard
#   make test   -> venv, install, the test suite
#   make mutants -> mutation testing of the modules that decide numbers (TESTING.md; not part of `make test`)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATASET ?= mnist
RUN_DIR ?= runs/quick-$(DATASET)
MUTANT_JOBS ?= 2
# The real data folder beside the repo is used when present; else files are downloaded to the cache.
EMNIST_TUNER_DATA ?= $(wildcard $(CURDIR)/../shared/data)
export EMNIST_TUNER_DATA

.PHONY: install run test mutants data clean

$(BIN)/emnist-tuner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cpu,dev,export]'
	touch $@

install: $(BIN)/emnist-tuner

run: install
	$(BIN)/emnist-tuner search --dataset $(DATASET) --profile quick --run-dir $(RUN_DIR) --download
	$(BIN)/emnist-tuner leaderboard $(RUN_DIR)

test: install
	$(BIN)/python -m pytest -q

mutants: install
	nice -n 10 $(BIN)/python tools/mutants.py run --jobs $(MUTANT_JOBS)

data: install
	$(BIN)/emnist-tuner data

clean:
	rm -rf $(VENV) .pytest_cache mutants mutants.log
