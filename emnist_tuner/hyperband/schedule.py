"""The schedule Hyperband will really run, computed with KerasTuner's own bracket logic.

KerasTuner's docstring estimates ``max_epochs * log(max_epochs, factor) ** 2`` epochs per
iteration; the real count (brackets of successive halving, trials continued from earlier
rounds) differs by a factor of 2-3, so the real one is printed before a search starts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Round:
    """One round of one Hyperband bracket: how many trials it trains, to how many epochs."""

    iteration: int
    bracket: int
    round: int
    trials: int
    epochs: int  # total epochs each trial of this round reaches
    new_epochs: int  # epochs each trial trains in this round (continued trials start at the last round's)


def hyperband_schedule(max_epochs: int, factor: int, iterations: int = 1) -> list[Round]:
    """Every round Hyperband runs for ``max_epochs``, ``factor`` and ``iterations``, in the order
    KerasTuner runs them (each iteration's brackets from the most exploratory one)."""
    from keras_tuner.oracles import HyperbandOracle

    from . import kt_ext

    kt_ext.check_version()  # the schedule is read through private methods below

    oracle = HyperbandOracle(
        objective="val_accuracy", max_epochs=max_epochs, factor=factor, hyperband_iterations=iterations
    )
    rounds = []
    for iteration in range(iterations):
        for bracket in reversed(range(oracle._get_num_brackets())):
            for r in range(oracle._get_num_rounds(bracket)):
                epochs = oracle._get_epochs(bracket, r)
                before = oracle._get_epochs(bracket, r - 1) if r > 0 else 0
                rounds.append(Round(iteration, bracket, r, oracle._get_size(bracket, r), epochs, epochs - before))
    return rounds


def total_trials(rounds: list[Round]) -> int:
    """Trials the schedule creates (a model continued in a next round is a trial of its own)."""
    return sum(r.trials for r in rounds)


def total_epochs(rounds: list[Round]) -> int:
    """Epochs the schedule trains (a continued trial trains only its new epochs)."""
    return sum(r.trials * r.new_epochs for r in rounds)


def docstring_estimate(max_epochs: int, factor: int, iterations: int = 1) -> float:
    """Epochs KerasTuner's docstring estimates, ``iterations * max_epochs * log(max_epochs, factor) ** 2``
    (shown beside the real count)."""
    import math

    return iterations * max_epochs * math.log(max_epochs, factor) ** 2 if max_epochs > 1 else iterations
