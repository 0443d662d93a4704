"""The numbers behind the importance figure: each factor's share of the variance the factors explain,
with a bootstrap interval, and why no figure can be drawn when it cannot.

Each factor's effect size is epsilon-squared (``search_data.epsilon_squared``: the share of the
validation accuracy's variance it explains alone). Factors overlap (Hyperband gives longer budgets
to the values that scored well), so these do not add up; the figure shows each one as a share of
their sum, which adds up to 100 %. The interval comes from resampling the trials with replacement
(a percentile bootstrap): with a few dozen trials it is wide, and the figure shows how wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import plural
from ..experiments import stats
from ..runfolder.trials import TrialRecord
from . import search_data as sd

MIN_TRIALS = sd.MIN_TRIALS
RESAMPLES = 400
CONFIDENCE = stats.CONFIDENCE


@dataclass
class Shares:
    trials: int  # completed trials the shares are measured over
    shares: list[tuple[str, float, float, float]] = field(default_factory=list)  # (name, share, low, high)
    no_effect: list[str] = field(default_factory=list)  # judged, but explain nothing beyond noise
    reason: str | None = None  # why there is nothing to draw


def unavailable(records: list[TrialRecord]) -> str | None:
    """Why neither importance nor effects can be judged from ``records`` (None: they can)."""
    n = len(sd.completed(records))
    if n < MIN_TRIALS:
        return f"not enough trials: {n} completed, importance needs at least {MIN_TRIALS}"
    if not sd.importance(records):
        return (
            f"not enough trials: no hyperparameter has two values each tried by {sd.MIN_GROUP} or more of "
            f"the {plural(n, 'completed trial')}"
        )
    return None


def _factor_codes(records: list[TrialRecord], names: list[str]) -> list[np.ndarray]:
    """Each factor's group labels (as ``importance`` forms them) as integer codes over the completed trials."""
    done = sd.completed(records)
    codes = []
    for name in names:
        values = [r.reached for r in done] if name == sd.BUDGET else [r.hyperparameters.get(name) for r in done]
        labels = sd._groups(values)
        index = {label: i for i, label in enumerate(sorted(set(labels)))}
        codes.append(np.array([index[label] for label in labels], dtype=int))
    return codes


def epsilon_squared_codes(codes: np.ndarray, scores: np.ndarray) -> float:
    """``search_data.epsilon_squared`` on integer group codes (fast enough to bootstrap); 0 where that
    gives None (fewer than two groups of ``MIN_GROUP`` trials)."""
    sizes = np.bincount(codes)
    keep = sizes[codes] >= sd.MIN_GROUP
    if int((sizes >= sd.MIN_GROUP).sum()) < 2:
        return 0.0
    codes, scores = codes[keep], scores[keep]
    mean = scores.mean()
    total = float(((scores - mean) ** 2).sum())
    counts = np.bincount(codes)
    present = counts > 0
    k, n = int(present.sum()), len(scores)
    if k < 2 or n <= k or total <= sd.NO_VARIANCE:
        return 0.0
    group_means = np.bincount(codes, weights=scores)[present] / counts[present]
    between = float((counts[present] * (group_means - mean) ** 2).sum())
    within = (total - between) / (n - k)
    return min(1.0, max(0.0, (between - (k - 1) * within) / total))


def resampled_shares(codes: list[np.ndarray], scores: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Each factor's share of the summed effect sizes over the trials ``pick`` (one bootstrap resample,
    with repeats); all zeros where no factor has an effect there."""
    row = np.array([epsilon_squared_codes(c[pick], scores[pick]) for c in codes])
    return row / row.sum() if row.sum() > 0 else np.zeros(len(codes))


def percentile_interval(draws: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The percentile bootstrap interval of each column of ``draws`` (one row per resample)."""
    tail = 100 * (1 - confidence) / 2
    return np.percentile(draws, tail, axis=0), np.percentile(draws, 100 - tail, axis=0)


def importance_shares(records: list[TrialRecord], resamples: int = RESAMPLES, seed: int = 0) -> Shares:
    """Each judged factor's share of the summed effect sizes, largest first, with a percentile bootstrap
    interval; factors with no effect beyond noise listed apart; ``reason`` set where nothing can be drawn."""
    n = len(sd.completed(records))
    why = unavailable(records)
    if why:
        return Shares(n, reason=why)
    alone = dict(sd.importance(records))
    names = list(alone)
    total = sum(alone.values())
    if total <= 0:
        return Shares(
            n,
            no_effect=names,
            reason=f"not enough trials: with {plural(n, 'completed trial')} no hyperparameter explains any of the "
            "variance beyond noise",
        )
    scores = np.array([r.score for r in sd.completed(records)], dtype=float)
    codes = _factor_codes(records, names)
    rng = np.random.default_rng(seed)
    draws = np.array([resampled_shares(codes, scores, rng.integers(0, n, n)) for _ in range(resamples)])
    low, high = percentile_interval(draws)
    shares = [
        (name, alone[name] / total, min(float(low[i]), alone[name] / total), max(float(high[i]), alone[name] / total))
        for i, name in enumerate(names)
        if alone[name] > 0
    ]
    return Shares(n, shares, [name for name in names if alone[name] <= 0])
