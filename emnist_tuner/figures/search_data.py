"""The numbers behind the search figures, computed from a run's trial records (no plotting here, so
each one is tested on its own): optimization history, learning curves with Hyperband's promotions,
the Pareto front of accuracy against size or time, and hyperparameter importance.

Importance is the share of the variance of the completed trials' validation accuracy that each
hyperparameter explains on its own: epsilon-squared, the one-way analysis of variance's
small-sample-corrected effect size, with a numeric hyperparameter cut into quartile bins and an
inactive one (e.g. the second block's filters of a one-block model) its own group. It is the
first-order term of fANOVA's decomposition, measured on the trials themselves rather than on a
fitted surrogate: with a few dozen trials a random-forest surrogate would mostly describe its own
noise. It shows main effects only (interactions are not split out) and the budget a trial trained
for is listed as a factor of its own ("epochs"), because Hyperband's longer trials score higher
whatever their hyperparameters are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..runfolder.trials import TrialRecord


class FigureUnavailable(Exception):
    """A figure cannot be drawn; the message says why (shown in place of the figure)."""


# equal scores (trials that all failed to learn, say) still leave a sum of squares of about 1e-32 from
# rounding; below this the scores are taken as equal (accuracies: a spread under 1e-6)
NO_VARIANCE = 1e-12
MIN_TRIALS = 4  # fewer completed trials say nothing about importance
BUDGET = "epochs"  # the importance factor of the epochs a trial trained (Hyperband's budget)


def completed(records: list[TrialRecord]) -> list[TrialRecord]:
    return [r for r in records if r.status == "completed" and r.score is not None]


def in_start_order(records: list[TrialRecord]) -> list[TrialRecord]:
    """Trials in the order they started (trial id where no start time was recorded)."""
    return sorted(records, key=lambda r: (r.started is None, r.started or 0.0, r.trial_id))


@dataclass
class History:
    trial_ids: list[str]
    order: np.ndarray  # each completed trial's place (0-based) among all trials, in start order
    scores: np.ndarray  # its validation accuracy
    best_so_far: np.ndarray  # running maximum of ``scores``
    minutes: np.ndarray  # minutes from the search's first start to the trial's end (nan: unknown)
    others: list[tuple[int, str, str]]  # (place, status, trial id) of the trials without a score
    labels: list[str]  # the trial id at each place (the axis shows ids, not places)

    def label_at(self, place: float) -> str:
        """The trial id at ``place`` on the axis ("" between or beyond the trials)."""
        i = int(round(place))
        return self.labels[i] if abs(place - i) < 1e-9 and 0 <= i < len(self.labels) else ""


def optimization_history(records: list[TrialRecord]) -> History:
    """Each completed trial's score at its place in start order (0-based, so a run whose trials start in
    id order has trial 0012 at 12), the best so far, and the trials without a score."""
    ordered = in_start_order(records)
    places = {r.trial_id: i for i, r in enumerate(ordered)}
    done = [r for r in ordered if r.status == "completed" and r.score is not None]
    scores = np.array([r.score for r in done], dtype=float)
    starts = [r.started for r in records if r.started is not None]
    first = min(starts) if starts else None
    minutes = np.array(
        [
            (r.started + r.seconds - first) / 60
            if first is not None and r.started is not None and r.seconds is not None
            else np.nan
            for r in done
        ],
        dtype=float,
    )
    scored = {id(r) for r in done}
    others = [(places[r.trial_id], r.status, r.trial_id) for r in ordered if id(r) not in scored]
    return History(
        [r.trial_id for r in done],
        np.array([places[r.trial_id] for r in done], dtype=int),
        scores,
        np.maximum.accumulate(scores) if len(scores) else scores,
        minutes,
        others,
        [r.trial_id for r in ordered],
    )


@dataclass
class Curve:
    trial_id: str
    status: str
    bracket: int | None
    epochs: list[int]  # 1-based epoch numbers (a promoted trial's start where its parent stopped)
    val_accuracy: list[float]
    parent: str | None  # the trial this one continues (Hyperband's promotion), if any
    parent_point: tuple[int, float] | None  # the parent's point this curve continues from


def learning_curves(records: list[TrialRecord]) -> list[Curve]:
    """Each trial's validation accuracy epoch by epoch; a run that did not record epochs gives one
    point per finished trial (its reached epoch and score)."""
    by_id = {r.trial_id: r for r in records}
    curves = []
    for r in in_start_order(records):
        log = [e for e in r.epoch_log if e.get("val_accuracy") is not None]
        if log:
            epochs, values = [int(e["epoch"]) + 1 for e in log], [float(e["val_accuracy"]) for e in log]
        elif r.score is not None and r.reached:
            epochs, values = [int(r.reached)], [float(r.score)]
        else:
            continue
        parent = by_id.get(r.continued_from) if r.continued_from else None
        point = None
        if parent is not None:
            parent_log = [
                e
                for e in parent.epoch_log
                if e.get("val_accuracy") is not None and int(e["epoch"]) + 1 <= r.initial_epoch
            ]
            if parent_log:
                point = (int(parent_log[-1]["epoch"]) + 1, float(parent_log[-1]["val_accuracy"]))
            elif parent.score is not None and parent.reached:
                point = (int(parent.reached), float(parent.score))
        curves.append(Curve(r.trial_id, r.status, r.bracket, epochs, values, r.continued_from, point))
    return curves


def pareto_front(costs, scores) -> np.ndarray:
    """Indices of the non-dominated points, cheapest first: no other point costs as little or less
    and scores as high or higher, with one of the two strictly better."""
    costs, scores = np.asarray(costs, dtype=float), np.asarray(scores, dtype=float)
    front = []
    for i in range(len(costs)):
        dominated = np.any((costs <= costs[i]) & (scores >= scores[i]) & ((costs < costs[i]) | (scores > scores[i])))
        if not dominated:
            front.append(i)
    return np.array(sorted(front, key=lambda i: (costs[i], -scores[i])), dtype=int)


def cumulative_seconds(records: list[TrialRecord]) -> dict[str, float]:
    """Each trial's training time including what it inherited: a trial Hyperband promoted goes on from
    its parent's model, so its cost is its own seconds plus its parent's (and so on up the chain).
    A trial whose own time, or an ancestor's, is unknown is left out."""
    by_id = {r.trial_id: r for r in records}
    totals: dict[str, float | None] = {}

    def total(r: TrialRecord, chain: frozenset) -> float | None:
        if r.trial_id not in totals:
            value = r.seconds
            if value is not None and r.continued_from:
                parent = by_id.get(r.continued_from)
                inherited = None if parent is None or parent.trial_id in chain else total(parent, chain | {r.trial_id})
                value = None if inherited is None else inherited + value
            totals[r.trial_id] = value
        return totals[r.trial_id]

    for r in records:
        total(r, frozenset())
    return {k: v for k, v in totals.items() if v is not None}


def _groups(values: list) -> list[str]:
    """Values as group labels: a numeric hyperparameter with more than four values in quartile bins."""
    numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    distinct = sorted(set(numeric))
    if len(distinct) > 4 and len(numeric) == len([v for v in values if v is not None]):
        edges = np.quantile(distinct, [0.25, 0.5, 0.75])
        return ["—" if v is None else f"q{int(np.searchsorted(edges, v, side='right')) + 1}" for v in values]
    return ["—" if v is None else str(v) for v in values]


MIN_GROUP = 3  # a value tried by fewer trials says too little about its effect to count


def epsilon_squared(groups: list[str], scores) -> float | None:
    """One-way ANOVA's epsilon-squared of ``scores`` grouped by ``groups`` (0: explains nothing), over
    the groups of at least ``MIN_GROUP`` trials; None when fewer than two such groups remain."""
    sizes = {label: groups.count(label) for label in set(groups)}
    keep = [sizes[g] >= MIN_GROUP for g in groups]
    if sum(1 for n in sizes.values() if n >= MIN_GROUP) < 2:
        return None
    groups = [g for g, k in zip(groups, keep) if k]
    scores = np.asarray(scores, dtype=float)[keep]
    total = float(((scores - scores.mean()) ** 2).sum())
    labels = sorted(set(groups))
    k, n = len(labels), len(scores)
    if k < 2 or n <= k or total <= NO_VARIANCE:
        return 0.0
    between = sum(
        len(s) * (s.mean() - scores.mean()) ** 2 for s in (scores[[g == label for g in groups]] for label in labels)
    )
    within = (total - between) / (n - k)
    return min(1.0, max(0.0, float((between - (k - 1) * within) / total)))


def importance(records: list[TrialRecord]) -> list[tuple[str, float]]:
    """(hyperparameter, share of the validation accuracy's variance it explains), largest first,
    over the completed trials; the budget (epochs reached) is one of the factors. A hyperparameter
    without two values tried by ``MIN_GROUP`` trials or more is left out."""
    done = completed(records)
    if len(done) < MIN_TRIALS:
        return []
    scores = [r.score for r in done]
    names = sorted({k for r in done for k in r.hyperparameters})
    table = {name: [r.hyperparameters.get(name) for r in done] for name in names}
    table[BUDGET] = [r.reached for r in done]
    shares = [(name, epsilon_squared(_groups(values), scores)) for name, values in table.items()]
    return sorted([(n, v) for n, v in shares if v is not None], key=lambda item: (-item[1], item[0]))


def is_continuous(records: list[TrialRecord], name: str) -> bool:
    """Whether ``name`` takes more than four numeric values (drawn against its value, not grouped)."""
    values = {r.hyperparameters.get(name) for r in completed(records)} - {None}
    return len(values) > 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def effects(records: list[TrialRecord], name: str) -> list[tuple[str, list[float]]]:
    """The completed trials' scores grouped by ``name``'s value (inactive: "—"), in value order."""
    done = completed(records)
    values = [r.reached if name == BUDGET else r.hyperparameters.get(name) for r in done]
    groups: dict = {}
    for value, r in zip(values, done):
        groups.setdefault(value, []).append(r.score)

    def order(value):
        return (
            value is None,
            not isinstance(value, (int, float)),
            value if isinstance(value, (int, float)) else str(value),
        )

    return [("—" if v is None else _label(v), groups[v]) for v in sorted(groups, key=order)]


def _label(value) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.3g}"
    return str(value)
