"""The Hyperband schedule and the run config."""

from __future__ import annotations

import json

import pytest

from emnist_tuner.errors import ConfigError, RunError
from emnist_tuner.hyperband.schedule import docstring_estimate, hyperband_schedule, total_epochs, total_trials
from emnist_tuner.runfolder.configs import SearchConfig, load_config


def test_schedule_of_the_quick_profile():
    rounds = hyperband_schedule(max_epochs=9, factor=3)
    assert [(r.bracket, r.round, r.trials, r.new_epochs) for r in rounds] == [
        (2, 0, 9, 1),
        (2, 1, 3, 2),
        (2, 2, 1, 6),
        (1, 0, 5, 3),
        (1, 1, 2, 6),
        (0, 0, 3, 9),
    ]
    assert total_trials(rounds) == 23 and total_epochs(rounds) == 75
    assert total_epochs(rounds) > 2 * docstring_estimate(9, 3)  # the docstring's estimate is far too low


def test_schedule_repeats_per_iteration():
    one, two = hyperband_schedule(2, 2, 1), hyperband_schedule(2, 2, 2)
    assert total_trials(two) == 2 * total_trials(one) == 10
    assert {r.iteration for r in two} == {0, 1}


def test_profile_values_and_overrides():
    quick = SearchConfig.from_profile("mnist", "quick")
    assert (quick.max_epochs, quick.factor, quick.subset) == (9, 3, 10_000)
    full = SearchConfig.from_profile("mnist", "full", max_epochs=12)
    assert full.max_epochs == 12 and full.subset is None and full.factor == 3


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(factor=1), "--factor must be at least 2"),
        (dict(max_epochs=0), "--max-epochs must be at least 1"),
        (dict(subset=3), "--subset must be at least 10"),
        (dict(batch_size=-1), "--batch-size must be at least 1"),
        (dict(seed=-1), "--seed must be between 0 and 2\\*\\*32 - 1"),
    ],
)
def test_bad_values_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        SearchConfig.from_profile("mnist", "quick", **overrides)


def test_unknown_profile_and_dataset():
    with pytest.raises(ConfigError, match="unknown profile 'fast'; known: quick, full"):
        SearchConfig.from_profile("mnist", "fast")
    with pytest.raises(ConfigError, match="unknown dataset 'letters'"):
        SearchConfig.from_profile("letters", "quick")


def test_config_round_trip_and_differences(tmp_path):
    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=2, factor=2)
    config.save(tmp_path)
    loaded = load_config(tmp_path)
    assert loaded == config
    other = SearchConfig.from_profile("synthetic", "quick", max_epochs=4, factor=2, trials_per_worker=2)
    assert loaded.differences(other) == [
        "--max-epochs: the run has 2, the command gives 4"
    ]  # trials_per_worker is not identity


def test_damaged_or_missing_config(tmp_path):
    with pytest.raises(RunError, match=r"not a run folder \(no config.json\)"):
        load_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RunError, match="config.json is damaged"):
        load_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"dataset": "mnist", "bogus": 1}))
    assert load_config(tmp_path).dataset == "mnist"  # unknown keys from other versions are ignored
