# Two commands do all set-up on a fresh machine:
#   make run    -> venv, install, a quick real search and its leaderboard
#   make test   -> venv, install, the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_DIR ?= runs/quick-mnist
DATA_ARG := $(if $(EMNIST_TUNER_DATA),--data-dir $(EMNIST_TUNER_DATA),)

.PHONY: install run test data clean

$(BIN)/emnist-tuner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cpu,dev]'
	touch $@

install: $(BIN)/emnist-tuner

run: install
	$(BIN)/emnist-tuner data $(DATA_ARG)

test: install
	$(BIN)/python -m pytest -q

data: install
	$(BIN)/emnist-tuner data $(DATA_ARG)

clean:
	rm -rf $(VENV) .pytest_cache
