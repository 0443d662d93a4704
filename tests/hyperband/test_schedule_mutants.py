"""The Hyperband schedule printed before a search: every round's trial count, the epochs each trial
reaches and trains in it, per iteration, and the docstring's estimate it is compared with."""

from __future__ import annotations

import math

import pytest

from emnist_tuner.hyperband.schedule import Round, docstring_estimate, hyperband_schedule, total_epochs, total_trials


def test_every_round_of_two_iterations_of_the_quick_profile():
    rounds = hyperband_schedule(max_epochs=9, factor=3, iterations=2)
    one = [
        (2, 0, 9, 1, 1),
        (2, 1, 3, 3, 2),
        (2, 2, 1, 9, 6),
        (1, 0, 5, 3, 3),
        (1, 1, 2, 9, 6),
        (0, 0, 3, 9, 9),
    ]
    assert rounds == [Round(i, *r) for i in (0, 1) for r in one]
    assert total_trials(rounds) == 46 and total_epochs(rounds) == 150


def test_totals_multiply_trials_by_the_epochs_each_trains():
    rounds = [Round(0, 1, 0, trials=4, epochs=2, new_epochs=2), Round(0, 1, 1, trials=2, epochs=5, new_epochs=3)]
    assert total_trials(rounds) == 6 and total_epochs(rounds) == 4 * 2 + 2 * 3
    assert total_trials([]) == 0 and total_epochs([]) == 0


@pytest.mark.parametrize(
    "max_epochs, factor, iterations, expected",
    [
        (9, 3, 1, 9 * 2**2),
        (9, 3, 2, 2 * 9 * 2**2),
        (27, 3, 1, 27 * 3**2),
        (2, 2, 1, 2),
        (10, 2, 3, 3 * 10 * math.log2(10) ** 2),
        (1, 3, 4, 4),  # one epoch: one trial per iteration, not zero
    ],
)
def test_the_docstrings_estimate(max_epochs, factor, iterations, expected):
    assert docstring_estimate(max_epochs, factor, iterations) == pytest.approx(expected)
