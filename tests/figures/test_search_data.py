"""The numbers behind the search figures: each checked against its definition."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from emnist_tuner.figures import search_data as sd
from emnist_tuner.runfolder.trials import ranked, read_trials


def test_pareto_front_is_exactly_the_non_dominated_points():
    rng = np.random.default_rng(3)
    for _ in range(50):
        costs = rng.integers(1, 8, 12).astype(float)  # ties on purpose
        scores = rng.integers(0, 6, 12) / 10
        front = set(sd.pareto_front(costs, scores).tolist())
        for i in range(12):
            dominated = any(
                costs[j] <= costs[i] and scores[j] >= scores[i] and (costs[j] < costs[i] or scores[j] > scores[i])
                for j in range(12)
            )
            assert (i in front) == (not dominated)


def test_pareto_front_is_cheapest_first_and_rising():
    costs, scores = [5, 1, 3, 2, 8], [0.9, 0.5, 0.8, 0.4, 0.85]
    front = sd.pareto_front(costs, scores).tolist()
    assert front == [1, 2, 0]


def test_history_is_monotone_and_ends_at_the_leaderboards_best(search_run):
    records = read_trials(search_run)
    history = sd.optimization_history(records)
    assert list(history.trial_ids) == ["0000", "0001", "0002", "0003", "0004", "0005", "0006"]
    assert np.all(np.diff(history.best_so_far) >= 0)
    assert history.best_so_far[-1] == ranked(records)[0].score == 0.85
    assert history.best_so_far.tolist() == [0.60, 0.72, 0.72, 0.72, 0.85, 0.85, 0.85]
    # the failed trial and the one a killed search left running are shown, as what they are
    assert [(status, tid) for _, status, tid in history.others] == [("failed", "0007"), ("interrupted", "0008")]
    assert history.minutes[0] == pytest.approx(10 / 60)


def test_learning_curves_continue_the_parent_at_the_promotion(search_run):
    curves = {c.trial_id: c for c in sd.learning_curves(read_trials(search_run))}
    promoted = curves["0004"]
    assert promoted.parent == "0001" and promoted.epochs == [2, 3]
    assert promoted.parent_point == (1, 0.72)  # the parent's epoch 1, where the child starts
    assert curves["0005"].epochs == [1, 2, 3] and curves["0005"].parent_point is None
    assert "0007" not in curves  # failed before any epoch


def test_learning_curves_of_a_run_without_epoch_logs_are_one_point_per_trial(search_run):
    records = read_trials(search_run)
    for r in records:
        r.epoch_log = []
    curves = {c.trial_id: c for c in sd.learning_curves(records)}
    assert curves["0004"].epochs == [3] and curves["0004"].val_accuracy == [0.85]
    assert curves["0004"].parent_point == (1, 0.72)


def test_epsilon_squared_of_a_deciding_factor_and_of_noise():
    groups = ["a"] * 6 + ["b"] * 6
    scores = [0.5] * 6 + [0.9] * 6
    assert sd.epsilon_squared(groups, scores) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    noise = [sd.epsilon_squared(list(rng.permutation(groups)), rng.normal(0.8, 0.05, 12)) for _ in range(30)]
    assert np.mean(noise) < 0.15  # the correction keeps noise near zero (plain eta² averages 1/11 ≈ 0.09 and up)


def test_values_tried_by_fewer_than_three_trials_do_not_count():
    assert sd.epsilon_squared(["a", "a", "a", "b", "b"], [0.5, 0.5, 0.5, 0.9, 0.9]) is None
    share = sd.epsilon_squared(["a"] * 3 + ["b"] * 3 + ["c"], [0.5] * 3 + [0.9] * 3 + [0.1])
    assert share == pytest.approx(1.0)  # "c" (one trial) is left out


def test_importance_ranks_what_decides_the_score(search_run):
    records = read_trials(search_run)
    shares = dict(sd.importance(records))
    # relu trials score 0.60-0.85, elu ones 0.52-0.58: activation explains most; epochs is a factor too
    assert set(shares) == {"activation", "conv_blocks", "epochs"}
    assert max(shares, key=shares.get) == "activation" and shares["activation"] > 0.4


def test_effects_group_scores_by_value(search_run):
    groups = dict(sd.effects(read_trials(search_run), "activation"))
    assert sorted(groups["relu"]) == [0.60, 0.70, 0.72, 0.85] and sorted(groups["elu"]) == [0.52, 0.55, 0.58]


def test_quartile_bins_for_many_numeric_values():
    labels = sd._groups([0.001 * i for i in range(1, 13)] + [None])
    assert labels[-1] == "—" and set(labels[:-1]) == {"q1", "q2", "q3", "q4"}
    assert all(a <= b for a, b in itertools.pairwise(labels[:-1]))
