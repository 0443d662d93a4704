"""Tables for `retrain` (the winner on MNIST) and `transfer` (K-fold transfer vs scratch), each
with the study's figures beside ours."""

from __future__ import annotations

from rich.table import Table

from ..errors import plural
from ..experiments.stats import reported_interval, too_few_pairs
from ..runfolder.transfer_config import ensemble_words
from ..study import FIGURES
from .formatting import duration, pct

_DATASET_LABELS = {"mnist": "MNIST"}


def retrain_table(metrics: dict) -> Table:
    """The retrained winner's held-out test accuracy next to the study's figures on that dataset."""
    dataset = metrics.get("dataset", "mnist")
    label = _DATASET_LABELS.get(dataset, dataset)
    table = Table(title=f"The winner retrained on {label}", title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("accuracy", justify="right", no_wrap=True)
    table.add_column("measured on", no_wrap=True)
    table.add_row(
        f"ours: {metrics.get('winner', 'winner')}",
        pct(metrics.get("test_accuracy")),
        f"{metrics.get('test_images', 0):,} held-out test images",
    )
    for _, name, ds, figure in FIGURES:
        if ds == label:
            table.add_row(f"study: {name}", pct(figure), "validation split")
    trained = metrics.get("epochs_trained")
    table.caption = (
        f"{plural(metrics.get('parameters', 0), 'parameter')}; {plural(trained, 'epoch')} "
        f"(best validation at epoch {metrics.get('best_epoch')}), {duration(metrics.get('train_seconds'))}"
        + (f"; recipe: {metrics['recipe']}" if metrics.get("recipe") else "")
    )
    table.caption_justify = "left"
    return table


def _signed(value: float) -> str:
    return f"{100 * value:+.2f}"


def _backbone_label(backbone: str) -> str:
    """mnist -> MNIST, emnist -> EMNIST (the study's words); another dataset's name as it is."""
    return backbone.upper() if backbone in ("mnist", "emnist") else backbone


def transfer_table(results: dict) -> Table:
    """Per fold and mean ± std: transfer vs scratch, their difference, and (on Binary AlphaDigits) the
    study's single split. ``results`` of another target name it (``target``) and its classes."""
    k = results["folds"]
    target = results.get("target")  # absent: Binary AlphaDigits (the default, and every older run)
    table = Table(
        title=f"{target or 'Binary AlphaDigits'}: transfer from the {_backbone_label(results['backbone'])} backbone "
        f"vs scratch, {k}-fold",
        title_justify="left",
    )
    table.add_column("fold", no_wrap=True)
    table.add_column("transfer %", justify="right", no_wrap=True)
    table.add_column("scratch %", justify="right", no_wrap=True)
    table.add_column("difference", justify="right", no_wrap=True)
    tr, sc, diff = results["transfer"], results["scratch"], results["difference"]
    for i, (a, b, d) in enumerate(zip(tr["folds"], sc["folds"], diff["folds"]), start=1):
        table.add_row(str(i), f"{100 * a:.2f}", f"{100 * b:.2f}", _signed(d))
    table.add_section()
    table.add_row(
        "mean ± std",
        f"{100 * tr['mean']:.2f} ± {100 * tr['std']:.2f}",
        f"{100 * sc['mean']:.2f} ± {100 * sc['std']:.2f}",
        f"{_signed(diff['mean'])} ± {100 * diff['std']:.2f}",
        style="bold",
    )
    interval = reported_interval(diff)
    shown = f"[{_signed(interval[0])}, {_signed(interval[1])}]" if interval else "?"
    table.add_row("95 % CI of the difference", "", "", shown)
    for group, label in (
        ("digits", "digits (mean)" if target else "digits 0-9 (mean)"),
        ("letters", "letters (mean)" if target else "letters A-Z (mean)"),
    ):
        if group in tr and group in sc:
            table.add_row(label, f"{100 * tr[group]:.2f}", f"{100 * sc[group]:.2f}", _signed(tr[group] - sc[group]))
    single = results.get("single_model")
    if single:  # an ensemble or TTA: member 0 alone, without TTA, on the same folds
        one, other, gap = single["transfer"], single["scratch"], single["difference"]
        interval_one = reported_interval(gap)
        table.add_row(
            "one model, no TTA",
            f"{100 * one['mean']:.2f} ± {100 * one['std']:.2f}",
            f"{100 * other['mean']:.2f} ± {100 * other['std']:.2f}",
            f"{_signed(gap['mean'])} "
            + (
                f"[{_signed(interval_one[0])}, {_signed(interval_one[1])}]"
                if interval_one
                else "± " + f"{100 * gap['std']:.2f}"
            ),
        )
    if tr.get("seed_std") is not None and sc.get("seed_std") is not None:
        table.add_row("seed spread (std)", f"{100 * tr['seed_std']:.2f}", f"{100 * sc['seed_std']:.2f}", "")
    table.add_row("time", duration(tr.get("seconds")), duration(sc.get("seconds")), "")
    study = {key: figure for key, _, _, figure in FIGURES if key in ("transfer", "scratch")}
    if target is None:  # the study measured Binary AlphaDigits only
        table.add_section()
        table.add_row(
            "study (one validation split)",
            f"{study['transfer']:.2f}",
            f"{study['scratch']:.2f}",
            _signed((study["transfer"] - study["scratch"]) / 100),
        )
    verdict = (
        f"No interval and no verdict: {too_few_pairs('folds', '--folds')}"
        if interval is None
        else "Transfer is better than scratch beyond the fold-to-fold noise (the interval excludes 0)"
        if interval[0] > 0
        else "Scratch is better beyond the noise (the interval excludes 0)"
        if interval[1] < 0
        else "The difference is within the fold-to-fold noise (the interval includes 0)"
    )
    seeds = results.get("seeds", 1)
    averaged = f", mean of {plural(seeds, 'seed')} per fold" if seeds > 1 else ""
    recipe = results.get("recipe")
    how = (
        "; ".join(f"{k}: {v}" for k, v in recipe.items())
        if isinstance(recipe, dict)
        else f"{plural(results.get('epochs'), 'epoch')} per model"
    )
    images = f"glyphs {results['size']} px tall" if results.get("size") else "images as they are"
    classes = results.get("classes")
    named = f" {plural(len(classes), 'class', 'classes')}: {_class_list(classes)}." if classes else ""
    models = ""
    if results.get("ensemble", 1) > 1 or results.get("tta", 1) > 1:
        models = f" Each model: {ensemble_words(results.get('ensemble', 1), results.get('tta', 1))}."
    table.caption = (
        f"Ours: accuracy on each held-out fold{averaged}, {images}; {results['winner']}. {verdict}. {how}."
        f"{models}{named}"
    )
    table.caption_justify = "left"
    return table


def _class_list(names: list, shown: int = 12) -> str:
    """The class names in order, the middle ones elided when there are many ("0, 1, 2, …, y, z")."""
    names = [str(n) for n in names]
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[: shown // 2]) + ", …, " + ", ".join(names[-(shown // 2) :])
