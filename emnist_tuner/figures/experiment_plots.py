"""Figures of the experiments that follow a search: transfer against scratch per fold, the ablation's
forest plot, and several runs side by side (`compare`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..errors import plural
from ..experiments.stats import MIN_PAIRS, reported_interval
from ..reports.ablation_table import method_effect
from ..study import ablation_claim
from .accuracy_data import compare_points


def _backbone(results: dict) -> str:
    """The backbone as the study says it (MNIST, EMNIST); another dataset's name as it is."""
    backbone = str(results.get("backbone", "?"))
    return backbone.upper() if backbone in ("mnist", "emnist", "?") else backbone


def transfer_figure(results: dict) -> Figure:
    """Per fold: transfer and scratch accuracy; beside it, the mean difference and its 95 % interval."""
    transfer, scratch, diff = results["transfer"], results["scratch"], results["difference"]
    folds = np.arange(1, len(transfer["folds"]) + 1)
    fig = Figure(figsize=(10, 4), layout="constrained")
    bars, gap = fig.subplots(1, 2, width_ratios=[3, 1])  # dots, not bars: the axis is zoomed to them
    for offset, part, color, name in (
        (-0.12, transfer, "tab:blue", "transfer"),
        (0.12, scratch, "tab:gray", "scratch"),
    ):
        bars.plot(
            folds + offset,
            100 * np.array(part["folds"]),
            "o",
            color=color,
            ms=7,
            label=f"{name} {100 * part['mean']:.2f} ± {100 * part['std']:.2f} %",
        )
    single = results.get("single_model") or {}
    for offset, name in ((-0.12, "transfer"), (0.12, "scratch")):  # an ensemble or TTA: one model without TTA
        if name in single:
            part = single[name]
            bars.plot(
                folds + offset,
                100 * np.array(part["folds"]),
                "x",
                color="tab:blue" if name == "transfer" else "tab:gray",
                ms=6,
                label=f"{name}, one model without TTA {100 * part['mean']:.2f} %",
            )
    for fold, t, sc in zip(folds, transfer["folds"], scratch["folds"]):  # each fold's pair, joined
        bars.plot([fold - 0.12, fold + 0.12], [100 * t, 100 * sc], color="#999", lw=1, zorder=0)
    everything = 100 * np.concatenate(
        [transfer["folds"], scratch["folds"], *(single[n]["folds"] for n in ("transfer", "scratch") if n in single)]
    )
    pad = max(1.0, 0.15 * float(everything.max() - everything.min()))
    bars.set_ylim(max(0.0, everything.min() - pad), min(100.0, everything.max() + pad))
    bars.set_xlim(0.5, len(folds) + 0.5)
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
        f"{results.get('target') or 'Binary AlphaDigits'}: transfer from the {_backbone(results)} backbone vs "
        f"scratch, {plural(len(folds), 'fold')}"
        + (f" (mean of {plural(seeds, 'seed')} each)" if seeds > 1 else "")
        + _models(results)
        + ("; interval: 95 %" if interval else "")
    )
    return fig


def _models(results: dict) -> str:
    """ "; each model: an ensemble of 3, TTA 8" where the comparison used ``--ensemble`` or ``--tta``."""
    ensemble, tta = results.get("ensemble", 1), results.get("tta", 1)
    parts = ([f"an ensemble of {ensemble}"] if ensemble > 1 else []) + ([f"TTA {tta}"] if tta > 1 else [])
    return f"; each model: {', '.join(parts)}" if parts else ""


def ablation_figure(summary: dict) -> Figure | None:
    """A forest plot: each variant's difference to the base with its interval, the study's claim beside it."""
    rows = [r for r in summary.get("variants", []) if r["variant"] != "base" and r.get("diff") is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["diff"])
    fig = Figure(figsize=(9, 0.42 * len(rows) + 1.6), layout="constrained")
    ax = fig.subplots()
    drawn = 0
    for y, r in enumerate(rows):
        if r.get("low") is not None and r.get("high") is not None:
            color = "tab:blue" if r["low"] > 0 else "tab:red" if r["high"] < 0 else "black"
            ax.errorbar(
                [100 * r["diff"]],
                [y],
                xerr=[[100 * (r["diff"] - r["low"])], [100 * (r["high"] - r["diff"])]],
                fmt="o",
                color=color,
                ms=7,
                lw=2,
                capsize=5,
            )
            drawn += 1
        else:
            ax.plot(100 * r["diff"], y, "o", color="tab:gray", ms=7)
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
    shown = f"line: {confidence} % interval" if drawn else f"no interval: fewer than {plural(MIN_PAIRS, 'seed')} paired"
    if 0 < drawn < len(rows):
        shown += f" (grey dots: fewer than {plural(MIN_PAIRS, 'seed')} paired)"
    ax.set_xlabel(f"test accuracy: variant − base (points), mean paired by seed; {shown}")
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"Ablation of {summary.get('base')} on {summary.get('dataset')}, {plural(summary.get('seeds'), 'seed')}: each "
        "variant against the base\n(blue: better, red: worse, black: within the noise, grey: too few seeds)",
        fontsize=10,
    )
    return fig


def compare_figure(summaries: list[dict]) -> Figure:
    """The runs' best validation and held-out test accuracy side by side, as dots (the test accuracy
    with its 95 % interval where the run recorded its test set's size), on an axis zoomed to them."""
    points = compare_points(summaries)
    x = np.arange(len(points))
    fig = Figure(figsize=(max(6.0, 1.4 * len(points) + 2), 4), layout="constrained")
    ax = fig.subplots()
    for offset, key, label, color, face in (
        (-0.15, "best_val", "best validation", "tab:gray", "white"),
        (0.15, "test_accuracy", "held-out test (95 % interval)", "tab:blue", "tab:blue"),
    ):
        for xi, p in zip(x + offset, points):
            value = p[key]
            if value is None:
                continue
            interval = p["interval"] if key == "test_accuracy" else None
            ax.errorbar(
                [xi],
                [100 * value],
                yerr=[[100 * (value - interval[0])], [100 * (interval[1] - value)]] if interval else None,
                fmt="o",
                ms=7,
                capsize=4,
                label=label,
                color=color,
                mfc=face,
            )
            label = "_"  # one legend entry per kind
            ax.annotate(
                f"{100 * value:.2f}",
                (xi, 100 * value),
                fontsize=8,
                xytext=(-7 if key == "best_val" else 7, -3),
                ha="right" if key == "best_val" else "left",
                textcoords="offset points",
            )
    known = [100 * v for p in points for v in (p["best_val"], p["test_accuracy"]) if v is not None]
    known += [100 * b for p in points if p["interval"] for b in p["interval"]]
    if known:
        pad = max(0.5, 0.15 * (max(known) - min(known)))
        ax.set_ylim(max(0.0, min(known) - pad), min(100.0, max(known) + pad))
    ax.set_xticks(x, [p["name"] for p in points], rotation=15 if len(points) > 4 else 0)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_ylabel("accuracy (%)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    missing = [p["name"] for p in points if p["test_accuracy"] is None]
    fig.suptitle("Runs side by side" + (f" (no test accuracy yet: {', '.join(missing)})" if missing else ""))
    return fig
