"""The numbers transfer and ablation report: mean ± sample std, and the paired t interval (checked
against scipy's own paired t test), including the edge cases a mutation run found untested."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from emnist_tuner.experiments.stats import MIN_PAIRS, mean_std, paired_interval, reported_interval, too_few_pairs


def test_mean_and_sample_std_of_a_few_folds():
    result = mean_std([0.90, 0.92, 0.97])
    assert result["mean"] == pytest.approx(0.93)
    assert result["std"] == pytest.approx(math.sqrt(((0.03**2) + (0.01**2) + (0.04**2)) / 2))  # n - 1
    assert result["values"] == [0.90, 0.92, 0.97] and all(type(v) is float for v in result["values"])


def test_one_value_has_no_spread_rather_than_nan():
    assert mean_std([0.95]) == {"mean": 0.95, "std": 0.0, "values": [0.95]}


def test_two_pairs_give_no_interval_three_give_scipys():
    assert paired_interval([0.01, 0.03]) == (None, None, None)  # one degree of freedom: MIN_PAIRS is 3
    low, high, p = paired_interval([0.01, 0.03, 0.025])
    reference = stats.ttest_1samp([0.01, 0.03, 0.025], 0.0)
    ci = reference.confidence_interval(0.95)
    assert (low, high, p) == (pytest.approx(ci.low), pytest.approx(ci.high), pytest.approx(reference.pvalue))


def test_interval_at_another_confidence_is_scipys():
    differences = [0.01, 0.02, -0.005, 0.03, 0.012]
    low, high, p = paired_interval(differences, confidence=0.8)
    reference = stats.ttest_1samp(differences, 0.0)
    ci = reference.confidence_interval(0.8)
    assert (low, high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert low < sum(differences) / 5 < high and p == pytest.approx(reference.pvalue)


def test_identical_differences_are_a_point_interval():
    # no spread: the mean itself, and a p value that says "certain" unless the difference is zero
    assert paired_interval([0.02, 0.02, 0.02]) == (pytest.approx(0.02), pytest.approx(0.02), 0.0)
    assert paired_interval([0.0, 0.0, 0.0]) == (0.0, 0.0, 1.0)


def test_two_values_have_a_spread():
    assert mean_std([0.90, 0.94])["std"] == pytest.approx(math.sqrt(2 * 0.02**2))


def test_a_saved_interval_is_shown_only_from_enough_pairs():
    three = {"folds": [0.01, 0.02, 0.03], "ci95": [0.005, 0.035]}
    assert reported_interval(three) == (0.005, 0.035) and MIN_PAIRS == 3
    assert reported_interval({**three, "folds": [0.01, 0.02]}) is None  # written before the rule
    assert reported_interval({"folds": [0.01, 0.02, 0.03], "ci95": None}) is None
    assert reported_interval({"folds": [0.01, 0.02, 0.03]}) is None


def test_the_reason_for_no_interval_names_the_pairs_and_the_option():
    assert too_few_pairs("folds", "--folds") == (
        "fewer than 3 folds, too few for an interval (two give one degree of freedom, an interval 12.7 "
        "standard errors wide); run with --folds 3 or more"
    )
