"""The time budget inside a search worker: the oracle hands out no trial after the deadline (also a distributed
chief's), and ``--time-budget-hard`` stops a trial at the first epoch end past it; a larger ``--iterations``
raises the saved oracle's iterations on reload."""

from __future__ import annotations

import time

import keras_tuner as kt
import numpy as np
import pytest

from emnist_tuner import api
from emnist_tuner.hyperband.growth import budget_callbacks
from emnist_tuner.hyperband.oracle import RunOracle
from emnist_tuner.runfolder.budget import DEADLINE_ENV


def _oracle(tmp_path, **kwargs) -> RunOracle:
    oracle = RunOracle(objective=kt.Objective("val_accuracy", "max"), max_epochs=2, factor=2, seed=1, **kwargs)
    oracle._set_project_dir(str(tmp_path), "tuner")
    hp = kt.HyperParameters()
    hp.Int("units", 1, 100)
    oracle.update_space(hp)
    return oracle


def test_no_trial_starts_after_the_deadline_but_a_running_one_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv(DEADLINE_ENV, repr(time.time() + 3600))
    oracle = _oracle(tmp_path)
    running = oracle.create_trial("a")
    assert running.status == "RUNNING"
    oracle.deadline = time.time() - 1  # the budget is spent
    assert oracle.create_trial("b").status == "STOPPED" and "b" not in oracle.tuner_ids
    assert oracle.create_trial("a") is running  # the tuner holding a trial still gets it
    assert list(oracle.trials) == [running.trial_id]  # nothing recorded for the refused tuner
    monkeypatch.delenv(DEADLINE_ENV)
    assert _oracle(tmp_path / "other").deadline is None


def test_a_larger_iterations_continues_the_saved_schedule(tmp_path):
    first = _oracle(tmp_path, hyperband_iterations=1)
    first.save()
    again = _oracle(tmp_path, hyperband_iterations=3)
    again.reload()
    assert again.hyperband_iterations == 3
    fewer = _oracle(tmp_path, hyperband_iterations=1)
    fewer.reload()  # (refused earlier by the config check; the oracle keeps what it saved)
    assert fewer.hyperband_iterations == 3


def _fit(callbacks, epochs=4) -> int:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.zeros((8, 2)), np.zeros(8), epochs=epochs, verbose=0, callbacks=callbacks)
    return len(history.history["loss"])


@pytest.mark.parametrize("hard", [True, False])
def test_a_hard_budget_stops_the_trial_at_the_first_epoch_end_past_the_deadline(hard):
    config = api.search_config("synthetic", time_budget=60, time_budget_hard=hard)
    events: list[dict] = []
    past = {DEADLINE_ENV: repr(time.time() - 1)}
    callbacks = budget_callbacks(config, events.append, past)
    assert _fit(callbacks) == (1 if hard else 4)
    assert events == ([{"event": "budget_stop", "epoch": 1}] if hard else [])
    future = {DEADLINE_ENV: repr(time.time() + 3600)}
    assert _fit(budget_callbacks(config, events.append, future)) == 4
