"""The statistics that transfer and ablation report: mean ± sample std, and a paired t interval."""

from __future__ import annotations

import math

import numpy as np

CONFIDENCE = 0.95
# A t interval from two pairs has one degree of freedom: its half-width is 12.7 standard errors, so it
# says nothing (±150 points was seen). Below this many pairs, no interval is reported.
MIN_PAIRS = 3


def mean_std(values) -> dict:
    """Mean and sample standard deviation (0 for one value) of ``values``, with the values."""
    values = np.asarray(values, dtype=float)
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "values": [float(v) for v in values],
    }


def too_few_pairs(pairs: str, option: str) -> str:
    """Why no interval is given, in the same words for every experiment (``pairs``: "paired seeds",
    "folds"; ``option``: the option that gives more of them)."""
    return (
        f"fewer than {MIN_PAIRS} {pairs}, too few for an interval (two give one degree of freedom, an "
        f"interval 12.7 standard errors wide); run with {option} {MIN_PAIRS} or more"
    )


def paired_interval(differences, confidence: float = CONFIDENCE) -> tuple:
    """(low, high, p) of a paired t test on per-pair differences; Nones with fewer than ``MIN_PAIRS``."""
    from scipy import stats

    if len(differences) < MIN_PAIRS:
        return None, None, None
    d = np.asarray(differences, dtype=float)
    sd = float(d.std(ddof=1))
    mean = float(d.mean())
    if sd == 0.0:
        return mean, mean, (1.0 if mean == 0.0 else 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(d) - 1)) * sd / math.sqrt(len(d))
    p = float(stats.ttest_1samp(d, 0.0).pvalue)
    return mean - half, mean + half, p


def reported_interval(difference: dict) -> tuple[float, float] | None:
    """The interval of a saved paired difference (``{"folds": [...], "ci95": [low, high]}``), or None with
    fewer than ``MIN_PAIRS`` pairs: files written before that rule held an interval from two folds."""
    interval = difference.get("ci95")
    if interval is None or len(difference.get("folds", ())) < MIN_PAIRS:
        return None
    return float(interval[0]), float(interval[1])
