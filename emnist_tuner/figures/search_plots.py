"""The search's figures: optimization history, learning curves, accuracy against size and time with
the Pareto front, hyperparameter importance and per-hyperparameter effects. Each function takes the
run's trial records (and what else it needs) and returns a matplotlib ``Figure``, or ``None`` where
the run has no data for it."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

from ..errors import plural
from ..runfolder.trials import TrialRecord
from . import importance_data as imp
from . import search_data as sd

NOT_SCORED = {
    "failed": ("x", "tab:red"),
    "invalid": ("x", "tab:red"),
    "interrupted": ("v", "tab:orange"),
    "running": ("^", "tab:blue"),
    "unreadable": ("s", "tab:gray"),
}


def _short(value: float) -> str:
    """1500000 -> 1.5M, 20000 -> 20k, 3 -> 3 (axis labels)."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def _percent_axis(ax) -> None:
    def percent(value: float, _) -> str:  # as many decimals as the tick step needs, the same on every tick
        ticks = ax.yaxis.get_majorticklocs()
        step = float(np.min(np.diff(ticks))) if len(ticks) > 1 else 1.0
        decimals = max(0, int(np.ceil(-np.log10(100 * step) - 1e-9))) if step > 0 else 0
        return f"{100 * value:.{decimals}f} %"

    ax.yaxis.set_major_formatter(percent)
    ax.grid(alpha=0.3)


def history_figure(records: list[TrialRecord], best: float | None) -> Figure:
    h = sd.optimization_history(records)
    if not len(h.scores) and not h.others:
        raise sd.FigureUnavailable("the run has no trial yet")
    fig = Figure(figsize=(10, 4), layout="constrained")
    by_order, by_time = fig.subplots(1, 2, sharey=True)
    for ax, x, label in (
        (by_order, h.order, "trial id (trials in the order they started)"),
        (by_time, h.minutes, "minutes since the start"),
    ):
        ax.scatter(x, h.scores, s=22, color="tab:blue", alpha=0.7, label="trial's val accuracy")
        ax.step(x, h.best_so_far, where="post", color="tab:green", lw=2, label="best so far")
        ax.set_xlabel(label)
        _percent_axis(ax)
    by_order.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    by_order.xaxis.set_major_formatter(lambda v, _: h.label_at(v))
    floor = float(h.scores.min()) if len(h.scores) else 0.0
    for status, (marker, color) in NOT_SCORED.items():
        places = [place for place, s, _ in h.others if s == status]
        if places:
            by_order.scatter(places, [floor] * len(places), marker=marker, color=color, s=40, label=status)
    by_order.set_ylabel("validation accuracy")
    by_order.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncols=6, fontsize=8, frameon=False)
    title = "Optimization history"
    if best is not None:
        title += f": best {100 * best:.2f} %"
    fig.suptitle(title)
    return fig


def curves_figure(records: list[TrialRecord]) -> Figure:
    curves = sd.learning_curves(records)
    if not curves:
        raise sd.FigureUnavailable("no trial has finished an epoch yet")
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    brackets = sorted({c.bracket for c in curves if c.bracket is not None})
    colors: dict[int | None, str] = {b: f"C{i % 10}" for i, b in enumerate(brackets)}
    labelled = set()
    for c in curves:
        color = colors.get(c.bracket, "gray")
        style = "-" if c.status == "completed" else "--"
        label = f"bracket {c.bracket}" if c.bracket not in labelled else None
        labelled.add(c.bracket)
        ax.plot(c.epochs, c.val_accuracy, style, color=color, marker="o", ms=3, lw=1.2, alpha=0.8, label=label)
        if c.parent_point is not None:  # the promotion: this trial continues its parent's model
            ax.plot([c.parent_point[0], c.epochs[0]], [c.parent_point[1], c.val_accuracy[0]], ":", color=color, lw=1)
        if c.status != "completed":
            ax.annotate(
                c.status,
                (c.epochs[-1], c.val_accuracy[-1]),
                fontsize=7,
                color="tab:red",
                xytext=(3, -8),
                textcoords="offset points",
            )
    ax.set_xlabel("epoch (a promoted trial continues where its parent stopped: dotted)")
    ax.set_ylabel("validation accuracy")
    # the default locator (AutoLocator) is a MaxNLocator, which takes integer=
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    _percent_axis(ax)
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Learning curves of every trial, by Hyperband bracket")
    return fig


def pareto_figure(records: list[TrialRecord], preset_labels: dict[str, str]) -> Figure:
    """Accuracy against parameters and against training time (a promoted trial's time includes the
    epochs it inherited from its parent); ``preset_labels`` maps trial ids to the study's preset each
    one is (labelled on the plot)."""
    done = sd.completed(records)
    cumulative = sd.cumulative_seconds(records)
    panels = [
        ("parameters", [(r, float(r.parameters)) for r in done if r.parameters is not None]),
        (
            "training time, with what a promoted trial inherited (s)",
            [(r, cumulative[r.trial_id]) for r in done if r.trial_id in cumulative],
        ),
    ]
    panels = [p for p in panels if len(p[1]) >= 2]
    if not panels:
        raise sd.FigureUnavailable(
            f"fewer than two completed trials with a parameter count or a training time ({len(done)} completed)"
        )
    fig = Figure(figsize=(5 * len(panels), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for ax, (label, points) in zip(axes, panels):
        trials = [r for r, _ in points]
        costs = np.array([c for _, c in points], dtype=float)
        scores = np.array([r.score for r in trials])
        front = sd.pareto_front(costs, scores)
        ax.scatter(costs, scores, s=20, color="tab:gray", alpha=0.6, label="trial")
        ax.step(costs[front], scores[front], where="post", color="tab:red", lw=1.5)
        ax.scatter(costs[front], scores[front], s=36, color="tab:red", label="Pareto front", zorder=3)
        for i, r in enumerate(trials):
            if r.trial_id in preset_labels:
                ax.annotate(
                    preset_labels[r.trial_id],
                    (costs[i], scores[i]),
                    fontsize=8,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # labels on a range under a decade too
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_formatter(lambda v, _: _short(v))
        ax.set_xlabel(label + ", log scale")
        _percent_axis(ax)
    axes[0].set_ylabel("validation accuracy")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Accuracy against cost: the front is where more cost still pays")
    return fig


def importance_figure(records: list[TrialRecord]) -> Figure:
    shares = imp.importance_shares(records)
    if shares.reason:
        raise sd.FigureUnavailable(shares.reason)
    rows = shares.shares[:15][::-1]
    fig = Figure(figsize=(7.5, 0.36 * len(rows) + 1.9), layout="constrained")
    ax = fig.subplots()
    values = np.array([100 * v for _, v, _, _ in rows])
    errors = np.array([[100 * (v - lo), 100 * (hi - v)] for _, v, lo, hi in rows]).T
    ax.barh([n for n, *_ in rows], values, color="tab:purple", alpha=0.8, label="share")
    ax.errorbar(
        values,
        range(len(rows)),
        xerr=errors,
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
        label=f"{round(100 * imp.CONFIDENCE)} % bootstrap interval",
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the variance the factors explain (each factor's epsilon², summing to 100 %)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if shares.no_effect:
        listed = ", ".join(shares.no_effect[:8]) + (
            f" and {len(shares.no_effect) - 8} more" if len(shares.no_effect) > 8 else ""
        )
        note = f"no effect measurable with {plural(shares.trials, 'trial')}: {listed}"
        fig.supxlabel(textwrap.fill(note, 110), fontsize=8, color="#555")  # wrapped: one line was cut off
    fig.suptitle(
        f"Hyperparameter importance over {plural(shares.trials, 'completed trial')} "
        f"({imp.RESAMPLES} bootstrap resamples)"
    )
    return fig


def effects_figure(records: list[TrialRecord], top: int = 6) -> Figure:
    why = imp.unavailable(records)
    if why:
        raise sd.FigureUnavailable(why)
    names = [n for n, _ in sd.importance(records)][:top]
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(4 * cols, 3 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True)).ravel()
    rng = np.random.default_rng(0)
    for ax, name in zip(axes, names):
        if sd.is_continuous(records, name):
            pairs = [
                (r.hyperparameters[name], r.score)
                for r in sd.completed(records)
                if r.hyperparameters.get(name) is not None
            ]
            x = np.array([v for v, _ in pairs], dtype=float)
            ax.scatter(x, [s for _, s in pairs], s=14, alpha=0.6, color="tab:blue")
            if x.min() > 0 and x.max() / x.min() > 20:
                ax.set_xscale("log")
            ax.set_title(name, fontsize=10)
            _percent_axis(ax)
            continue
        groups = sd.effects(records, name)
        for i, (_, scores) in enumerate(groups):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(scores)), scores, s=14, alpha=0.6, color="tab:blue")
            ax.plot([i - 0.3, i + 0.3], [np.mean(scores)] * 2, color="black", lw=2)
        ax.set_xticks(range(len(groups)), [g for g, _ in groups], rotation=30 if len(groups) > 4 else 0, fontsize=8)
        ax.set_title(name, fontsize=10)
        _percent_axis(ax)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle("Validation accuracy by value (black line: mean), most important hyperparameters first")
    return fig
