"""The numbers behind the search figures at their edges: which trials count as scored, where a promoted
trial's curve starts, how values are grouped, and when an effect size is reported at all."""

from __future__ import annotations

import numpy as np
import pytest

from emnist_tuner.figures import search_data as sd
from emnist_tuner.runfolder.trials import TrialRecord


def _r(trial_id, status="completed", score=None, **kw):
    return TrialRecord(trial_id, status, score, **kw)


def test_a_scored_trial_is_a_completed_one_with_a_score():
    records = [_r("0", score=0.5), _r("1", score=None), _r("2", "failed", score=0.4), _r("3", "running")]
    assert [r.trial_id for r in sd.completed(records)] == ["0"]


def test_trials_in_start_order_with_unknown_starts_last_by_id():
    records = [_r("3"), _r("1", started=50.0), _r("0"), _r("2", started=10.0), _r("4", started=0.0)]
    assert [r.trial_id for r in sd.in_start_order(records)] == ["4", "2", "1", "0", "3"]


def test_history_places_minutes_and_the_unscored_trials():
    records = [
        _r("0000", score=0.7, started=100.0, seconds=60.0),
        _r("0001", "failed", started=130.0),
        _r("0002", score=0.6, started=160.0, seconds=None),
        _r("0003", score=0.9, started=200.0, seconds=130.0),
        _r("0004", "completed", None, started=210.0),
    ]
    history = sd.optimization_history(records)
    assert history.trial_ids == ["0000", "0002", "0003"]
    assert history.order.tolist() == [0, 2, 3] and history.scores.tolist() == [0.7, 0.6, 0.9]
    assert history.best_so_far.tolist() == [0.7, 0.7, 0.9]
    assert history.minutes[0] == pytest.approx(1.0) and np.isnan(history.minutes[1])
    assert history.minutes[2] == pytest.approx((200 + 130 - 100) / 60)
    assert history.others == [(1, "failed", "0001"), (4, "completed", "0004")]


def test_history_of_a_run_without_timings_or_scores():
    history = sd.optimization_history([_r("0", score=0.5, seconds=3.0), _r("1", "failed")])
    assert np.isnan(history.minutes[0]) and history.others == [(1, "failed", "1")]
    empty = sd.optimization_history([_r("0", "failed")])
    assert empty.scores.tolist() == [] and empty.best_so_far.tolist() == []


def _log(*points):
    return [{"epoch": e, "val_accuracy": v} for e, v in points]


def test_a_promoted_curve_starts_at_the_parents_last_epoch_before_the_promotion():
    parent = _r("0000", score=0.8, epochs=3, trained=3, epoch_log=_log((0, 0.5), (1, 0.7), (2, 0.8)))
    child = _r("0001", score=0.9, epochs=9, initial_epoch=2, continued_from="0000", bracket=1, epoch_log=_log((2, 0.9)))
    curves = {c.trial_id: c for c in sd.learning_curves([parent, child])}
    assert curves["0001"].parent_point == (2, 0.7)  # epoch 2 (1-based) is where the child goes on
    assert curves["0001"].epochs == [3] and curves["0001"].val_accuracy == [0.9]
    assert (curves["0001"].status, curves["0001"].bracket, curves["0001"].parent) == ("completed", 1, "0000")
    assert curves["0000"].parent_point is None and curves["0000"].epochs == [1, 2, 3]


def test_a_promoted_curve_whose_parent_logged_no_epochs_starts_at_its_score():
    parent = _r("0000", score=0.8, epochs=3, trained=3, epoch_log=[{"epoch": 0, "val_accuracy": None}])
    child = _r("0001", score=0.9, epochs=9, initial_epoch=3, continued_from="0000", epoch_log=_log((3, 0.9)))
    curves = {c.trial_id: c for c in sd.learning_curves([parent, child])}
    assert curves["0001"].parent_point == (3, 0.8)
    assert "0000" in curves and curves["0000"].epochs == [3]  # from its score: no logged accuracy
    unscored = _r("0000", "failed", epochs=3)
    curves = {c.trial_id: c for c in sd.learning_curves([unscored, child])}
    assert curves["0001"].parent_point is None and "0000" not in curves


def test_trials_with_nothing_to_draw_are_skipped_not_the_end():
    records = [_r("0", "running", epochs=3), _r("1", score=0.5, epochs=None), _r("2", score=0.6, epochs=2, trained=2)]
    assert [c.trial_id for c in sd.learning_curves(records)] == ["2"]


def test_pareto_front_with_equal_points_keeps_both_and_orders_by_score():
    front = sd.pareto_front([1.0, 1.0, 2.0, 2.0], [0.5, 0.5, 0.6, 0.4])
    assert front.tolist() == [0, 1, 2]
    assert sd.pareto_front([3.0, 1.0], [0.9, 0.9]).tolist() == [1]
    assert sd.pareto_front([], []).tolist() == []


def test_groups_of_few_or_non_numeric_values_are_the_values_themselves():
    assert sd._groups([1, 2, 2, None, 3, 4]) == ["1", "2", "2", "—", "3", "4"]  # four distinct values
    assert sd._groups(["adam", "sgd", None]) == ["adam", "sgd", "—"]
    assert sd._groups([True, False, True]) == ["True", "False", "True"]


def test_many_numeric_values_are_quartile_bins_with_inactive_apart():
    values = [1, 2, 3, 4, 5, 6, 7, 8, None]
    assert sd._groups(values) == ["q1", "q1", "q2", "q2", "q3", "q3", "q4", "q4", "—"]
    # a value equal to an edge goes to the bin above it
    assert sd._groups([1.0, 2.0, 3.0, 4.0, 5.0]) == ["q1", "q2", "q3", "q4", "q4"]
    mixed = [1, 2, 3, 4, 5, "x"]  # not all numeric: no bins
    assert sd._groups(mixed) == ["1", "2", "3", "4", "5", "x"]


def test_epsilon_squared_against_its_definition():
    groups = ["a"] * 3 + ["b"] * 4
    scores = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9]
    s = np.array(scores)
    total = ((s - s.mean()) ** 2).sum()
    between = 3 * (s[:3].mean() - s.mean()) ** 2 + 4 * (s[3:].mean() - s.mean()) ** 2
    within = (total - between) / (7 - 2)
    assert sd.epsilon_squared(groups, scores) == pytest.approx((between - within) / total)


def test_epsilon_squared_edges():
    assert sd.epsilon_squared(["a"] * 3 + ["b"] * 2, [0.1] * 5) is None  # one group large enough
    assert sd.epsilon_squared(["a"] * 3 + ["b"] * 3, [0.5] * 6) == 0.0  # nothing to explain
    assert sd.epsilon_squared(["a", "b", "a", "b", "a", "b"], [0.1, 0.2, 0.2, 0.1, 0.15, 0.15]) == 0.0  # noise: not < 0
    small = sd.epsilon_squared(["a"] * 3 + ["b"] * 3 + ["c"] * 2, [0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.5, 0.9])
    assert small == pytest.approx(1.0)  # the group of two is left out: a and b explain everything


def test_importance_lists_the_deciding_factor_first_and_leaves_out_what_cannot_be_judged():
    records = []
    for i in range(9):
        records.append(
            _r(
                f"{i:04d}",
                score=[0.5, 0.9][i % 2] + 0.001 * i,
                epochs=3,
                trained=3,
                hyperparameters={"bn": bool(i % 2), "opt": ["adam", "sgd", "rms"][i % 3], "once": i == 0},
            )
        )
    shares = sd.importance(records)
    names = [n for n, _ in shares]
    assert names[0] == "bn" and shares[0][1] > 0.9
    assert "once" not in names and sd.BUDGET not in names  # one trial with once=True; one budget only
    assert shares == sorted(shares, key=lambda item: -item[1])
    assert sd.importance(records[:3]) == []  # fewer than four completed trials


def test_importance_orders_equal_shares_by_name():
    records = [
        _r(f"{i}", score=[0.1, 0.9][i % 2], epochs=3, trained=3, hyperparameters={"b": i % 2, "a": i % 2})
        for i in range(8)
    ]
    shares = sd.importance(records)
    assert [n for n, _ in shares] == ["a", "b"] and shares[0][1] == shares[1][1]


def test_the_budget_is_a_factor():
    records = [_r(f"{i}", score=0.5 + 0.4 * (i % 2), epochs=[1, 3][i % 2], trained=[1, 3][i % 2]) for i in range(8)]
    assert sd.importance(records)[0][0] == sd.BUDGET


def test_continuous_means_more_than_four_numeric_values_among_the_scored_trials():
    def recs(values):
        return [_r(f"{i}", score=0.5, hyperparameters={"x": v}) for i, v in enumerate(values)]

    assert sd.is_continuous(recs([0.1, 0.2, 0.3, 0.4, 0.5]), "x")
    assert not sd.is_continuous(recs([0.1, 0.2, 0.3, 0.4, None]), "x")
    assert not sd.is_continuous(recs([1, 2, 3, 4, "5"]), "x")
    assert not sd.is_continuous(recs([1, 2, 3, 4, 4, 4]), "x")
    records = recs([0.1, 0.2, 0.3, 0.4, 0.5])
    records[0].status = "failed"
    assert not sd.is_continuous(records, "x")


def test_effects_group_scores_in_value_order_with_labels():
    records = [
        _r("0", score=0.1, hyperparameters={"x": 10}),
        _r("1", score=0.2, hyperparameters={"x": 2}),
        _r("2", score=0.3, hyperparameters={}),
        _r("3", score=0.4, hyperparameters={"x": 2}),
        _r("4", score=0.5, hyperparameters={"x": 0.123456}),
        _r("5", score=0.6, hyperparameters={"x": "same"}),
        _r("6", "failed", hyperparameters={"x": 99}),
    ]
    assert sd.effects(records, "x") == [
        ("0.123", [0.5]),
        ("2", [0.2, 0.4]),
        ("10", [0.1]),
        ("same", [0.6]),
        ("—", [0.3]),
    ]
    budget = [_r("0", score=0.1, epochs=9, trained=9), _r("1", score=0.2, epochs=3, trained=3)]
    assert sd.effects(budget, sd.BUDGET) == [("3", [0.2]), ("9", [0.1])]
    assert sd._label(True) == "True" and sd._label(0.5) == "0.5"


def test_a_start_at_time_zero_is_a_start():
    records = [_r("b", started=0.5), _r("a", started=0.0)]
    assert [r.trial_id for r in sd.in_start_order(records)] == ["a", "b"]


def test_an_empty_front_still_indexes():
    front = sd.pareto_front([], [])
    assert front.dtype.kind == "i" and np.array([])[front].tolist() == []


def test_epsilon_squared_of_three_groups_against_its_definition():
    groups = ["a"] * 3 + ["b"] * 3 + ["c"] * 4
    s = np.array([0.1, 0.2, 0.15, 0.5, 0.6, 0.55, 0.3, 0.35, 0.2, 0.3])
    means = {g: s[[x == g for x in groups]].mean() for g in "abc"}
    total = ((s - s.mean()) ** 2).sum()
    between = sum(groups.count(g) * (means[g] - s.mean()) ** 2 for g in "abc")
    expected = (between - 2 * (total - between) / (10 - 3)) / total
    assert sd.epsilon_squared(groups, s.tolist()) == pytest.approx(expected)


def test_equal_scores_explain_nothing_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sd.epsilon_squared(["a"] * 3 + ["b"] * 3, [0.5] * 6) == 0.0


def test_importance_is_largest_first_whatever_the_names():
    records = [
        _r(f"{i}", score=0.5 + 0.4 * (i % 2) + 0.01 * (i % 3), hyperparameters={"units": i % 2, "act": i % 3})
        for i in range(12)
    ]
    assert [n for n, _ in sd.importance(records)][:2] == ["units", "act"]


def test_a_tie_with_the_budget_is_broken_by_name():
    records = [
        _r(
            f"{i}",
            score=[0.1, 0.9][i % 2],
            epochs=[1, 3][i % 2],
            trained=[1, 3][i % 2],
            hyperparameters={"zoom": i % 2},
        )
        for i in range(8)
    ]
    assert [n for n, _ in sd.importance(records)] == [sd.BUDGET, "zoom"]


def test_a_failed_parent_gives_no_starting_point():
    parent = _r("0000", "failed", epochs=9, initial_epoch=3)  # ended where it started: epoch 3, no score
    child = _r("0001", score=0.9, epochs=9, initial_epoch=3, continued_from="0000", epoch_log=_log((3, 0.9)))
    curves = {c.trial_id: c for c in sd.learning_curves([parent, child])}
    assert curves["0001"].parent_point is None


def test_text_values_are_in_alphabetical_order():
    records = [
        _r("0", score=0.1, hyperparameters={"opt": "sgd"}),
        _r("1", score=0.2, hyperparameters={"opt": "adam"}),
        _r("2", score=0.3, hyperparameters={"opt": "rms"}),
    ]
    assert [label for label, _ in sd.effects(records, "opt")] == ["adam", "rms", "sgd"]
