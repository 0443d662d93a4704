"""Figures of the experiments that follow a search: transfer against scratch per fold, the ablation's
forest plot, and several runs side by side (`compare`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..errors import plural
from ..experiments.stats import reported_interval
from ..reports.ablation_table import method_effect
from ..study import ablation_claim


def transfer_figure(results: dict) -> Figure:
    """Per fold: transfer and scratch accuracy; beside it, the mean difference and its 95 % interval."""
    transfer, scratch, diff = results["transfer"], results["scratch"], results["difference"]
    folds = np.arange(1, len(transfer["folds"]) + 1)
    fig = Figure(figsize=(10, 4), layout="constrained")
    bars, gap = fig.subplots(1, 2, width_ratios=[3, 1])
    width = 0.38
    bars.bar(
        folds - width / 2,
        100 * np.array(transfer["folds"]),
        width,
        color="tab:blue",
        label=f"transfer {100 * transfer['mean']:.2f} ± {100 * transfer['std']:.2f} %",
    )
    bars.bar(
        folds + width / 2,
        100 * np.array(scratch["folds"]),
        width,
        color="tab:gray",
        label=f"scratch {100 * scratch['mean']:.2f} ± {100 * scratch['std']:.2f} %",
    )
    everything = 100 * np.concatenate([transfer["folds"], scratch["folds"]])
    bars.set_ylim(max(0.0, everything.min() - 8), min(100.0, everything.max() + 4))
    bars.set_xticks(folds, [f"fold {f}" for f in folds])
    bars.set_ylabel("accuracy on the held-out fold (%)")
    bars.grid(axis="y", alpha=0.3)
    bars.legend(fontsize=8, loc="lower right")
    interval = reported_interval(diff)
    low, high = interval or (diff["mean"], diff["mean"])
    gap.errorbar(
        [0],
        [100 * diff["mean"]],
        yerr=[[100 * (diff["mean"] - low)], [100 * (high - diff["mean"])]] if interval else None,
        fmt="o",
        color="tab:blue" if low > 0 else "tab:red" if high < 0 else "black",
        capsize=6,
        ms=8,
    )
    gap.scatter(
        np.zeros(len(diff["folds"])) + 0.15, 100 * np.array(diff["folds"]), s=14, color="tab:gray", label="per fold"
    )
    gap.axhline(0, color="black", lw=1)
    gap.set_xlim(-0.5, 0.5)
    gap.set_xticks([])
    gap.set_ylabel("transfer − scratch (points)")
    folds_note = f"(no interval: {plural(len(diff['folds']), 'fold')})"
    shown = f"[{100 * low:+.2f}, {100 * high:+.2f}]" if interval else folds_note
    gap.set_title(f"mean {100 * diff['mean']:+.2f} {shown}", fontsize=9)
    gap.grid(axis="y", alpha=0.3)
    seeds = results.get("seeds", 1)
    fig.suptitle(
        f"Binary AlphaDigits: transfer from the {results.get('backbone', '?').upper()} backbone vs "
        f"scratch, {plural(len(folds), 'fold')}"
        + (f" (mean of {plural(seeds, 'seed')} each)" if seeds > 1 else "")
        + ("; interval: 95 %" if interval else "")
    )
    return fig


def ablation_figure(summary: dict) -> Figure | None:
    """A forest plot: each variant's difference to the base with its interval, the study's claim beside it."""
    rows = [r for r in summary.get("variants", []) if r["variant"] != "base" and r.get("diff") is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["diff"])
    fig = Figure(figsize=(9, 0.42 * len(rows) + 1.6), layout="constrained")
    ax = fig.subplots()
    for y, r in enumerate(rows):
        if r.get("low") is not None:
            color = "tab:blue" if r["low"] > 0 else "tab:red" if r["high"] < 0 else "black"
            ax.plot([100 * r["low"], 100 * r["high"]], [y, y], color=color, lw=2)
        else:
            color = "tab:gray"
        ax.plot(100 * r["diff"], y, "o", color=color, ms=7)
        effect = {"helps": "method helps", "hurts": "method hurts", "n.s.": "no clear effect"}.get(
            method_effect(r), "too few seeds"
        )
        claim = ablation_claim(r["variant"])
        ax.annotate(
            f"{effect}" + (f"; study: {claim}" if claim else ""),
            (1.01, y),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            va="center",
        )
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows], fontsize=9)
    confidence = int(round(100 * float(summary.get("confidence") or 0.95)))
    ax.set_xlabel(f"test accuracy: variant − base (points), paired by seed, {confidence} % interval")
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"Ablation of {summary.get('base')} on {summary.get('dataset')}, {plural(summary.get('seeds'), 'seed')}: each "
        "variant against the base\n(blue: better, red: worse, black: within the noise, grey: too few seeds)",
        fontsize=10,
    )
    return fig


def compare_figure(summaries: list[dict]) -> Figure:
    """The runs' best validation and held-out test accuracy side by side."""
    names = [s["name"] for s in summaries]
    x = np.arange(len(names))
    fig = Figure(figsize=(max(6.0, 1.4 * len(names) + 2), 4), layout="constrained")
    ax = fig.subplots()
    width = 0.38
    for offset, key, label, color in (
        (-width / 2, "best_val", "best validation", "tab:gray"),
        (width / 2, "test_accuracy", "held-out test", "tab:blue"),
    ):
        values = [s.get(key) for s in summaries]
        heights = [100 * v if v is not None else 0.0 for v in values]
        ax.bar(x + offset, heights, width, color=color, label=label)
        for xi, v in zip(x + offset, values):
            ax.annotate(
                "—" if v is None else f"{100 * v:.2f}",
                (xi, 100 * v if v is not None else 0.0),
                ha="center",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
    known = [100 * s[k] for s in summaries for k in ("best_val", "test_accuracy") if s.get(k) is not None]
    if known:
        ax.set_ylim(max(0.0, min(known) - 5), 100.5)
    ax.set_xticks(x, names, rotation=15 if len(names) > 4 else 0)
    ax.set_ylabel("accuracy (%)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Runs side by side")
    return fig
