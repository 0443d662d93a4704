"""The ablation table (`emnist-tuner ablate`, `report` of an ablation run folder, `runs`/`compare`)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..errors import plural
from ..experiments.stats import too_few_pairs
from ..io import read_json_object
from ..runfolder.layout import RunFolder
from ..study import ABLATION_QUOTE, ablation_claim
from .formatting import duration


def _points(value, sign: bool = True) -> str:
    """A difference of accuracies (fractions) in percentage points."""
    return "" if value is None else f"{100 * value:+.2f}" if sign else f"{100 * value:.2f}"


def method_effect(row: dict) -> str:
    """What the measurement says about the method itself: helps / hurts / no clear effect (the CI
    of with-minus-without excludes 0 or not). A variant that takes a method away flips the sign."""
    if row.get("variant") == "base" or row.get("diff") is None:
        return ""
    if row.get("low") is None:
        return "?"
    sign = 1 if row.get("adds_method") else -1
    low, high = sorted((sign * row["low"], sign * row["high"]))
    if low > 0:
        return "helps"
    if high < 0:
        return "hurts"
    return "n.s."


def _ordered(rows: list[dict]) -> list[dict]:
    base = [r for r in rows if r["variant"] == "base"]
    measured = sorted((r for r in rows if r["variant"] != "base" and r["diff"] is not None), key=lambda r: -r["diff"])
    pending = [r for r in rows if r["variant"] != "base" and r["diff"] is None]
    return base + measured + pending


def ablation_table(summary: dict) -> Table:
    """One row per variant, the base first, then by difference to the base (best first)."""
    confidence = int(round(100 * float(summary.get("confidence") or 0.95)))
    subset = summary.get("subset")
    title = (
        f"Ablation of {summary.get('base')} on {summary.get('dataset')}: {plural(summary.get('seeds'), 'seed')}, "
        + plural(summary.get("epochs"), "epoch")
        + (f", {subset:,}-image subset" if subset else "")
        + f" ({summary.get('trainings_done')}/{plural(summary.get('trainings_total'), 'training')})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("variant", min_width=12)
    # rich shrinks wrapping columns poorly: cap the short ones so the variant keeps room at 80 columns
    for name, cap in (
        ("test acc %", 13),
        (f"Δ pp ({confidence} % CI)", 20),
        ("method", None),
        ("study said", 10),
        ("time (ep)", 9),
    ):
        table.add_column(
            name,
            justify="left" if name in ("method", "study said") else "right",
            no_wrap=name == "method",
            max_width=cap,
        )
    for row in _ordered(summary.get("variants", [])):
        acc = ""
        if row["mean"] is not None:
            acc = _points(row["mean"], sign=False) + (
                f" ± {_points(row['std'], sign=False)}" if row["std"] is not None else ""
            )
        diff = _points(row["diff"])
        if row["low"] is not None:
            diff += f" [{_points(row['low'])}, {_points(row['high'])}]"
        done, seeds = row["seeds_done"], summary.get("seeds")
        seeds = "" if done == seeds else f" ({done} of {plural(seeds, 'seed')})"
        label = f"base {summary.get('base')}" if row["variant"] == "base" else row["label"]
        table.add_row(
            label + seeds,
            acc,
            diff,
            method_effect(row),
            "" if row["variant"] == "base" else ablation_claim(row["variant"]),
            "" if row["seconds"] is None else f"{duration(row['seconds'])} ({row['epochs']:.3g})",
        )
    table.caption = (
        "variant: what changed from the base. test acc: mean ± std over seeds, held-out test split. "
        "Δ: variant − base in percentage points, paired by "
        f"seed (same data subset and initial state), with a paired-t {confidence} % interval. method: the method's "
        "own effect (with − without; a '−' variant removes it): helps/hurts where the interval excludes 0, else "
        f"n.s. (not significant). time (ep): mean time and epochs per training. The study: {ABLATION_QUOTE}."
    )
    table.caption_justify = "left"
    if any(r["variant"] != "base" and r["diff"] is not None and r["low"] is None for r in summary["variants"]):
        table.caption += f" ?: {too_few_pairs('paired seeds', '--seeds')}."
    return table


def ablation_section(run_path: Path | str) -> list:
    """The report's part for an ablation run folder: the table from its finished trainings."""
    from ..experiments.ablation import read_results, summarize

    run_path = Path(run_path)
    config = read_json_object(RunFolder(run_path).config_file) or {}
    results = read_results(run_path)
    if not results:
        return [Text(f"No training of this ablation has finished yet ({run_path / 'variants'} is empty).")]
    return [ablation_table(summarize(config, results))]


def ablation_run_summary(run_path: Path | str, config: dict) -> dict:
    """The `runs`/`compare` fields of an ablation run: trainings done, the base's mean test accuracy."""
    from ..experiments.ablation import read_results, summarize

    summary = summarize(config, read_results(run_path))
    base: dict = next((r for r in summary["variants"] if r["variant"] == "base"), {})
    return {
        "setting": f"ablation of {config.get('base')} ({plural(len(config.get('methods') or []), 'method')} x "
        f"{plural(config.get('seeds'), 'seed')}, {plural(config.get('epochs'), 'epoch')})",
        "trials": f"{summary['trainings_done']}/{summary['trainings_total']}",
        "test_accuracy": base.get("mean"),
    }
