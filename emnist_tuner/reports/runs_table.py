"""`emnist-tuner runs` and `compare`: one summary per run folder (search or train), read-only."""

from __future__ import annotations

from pathlib import Path

from rich.console import JustifyMethod
from rich.table import Table

from ..io import read_json_object
from ..runfolder.layout import RunFolder
from ..runfolder.trials import read_trials
from .formatting import pct, search_counts


def run_summary(path: Path | str) -> dict:
    """What a run folder holds, in any state. Reads only."""
    run = RunFolder(path)
    path = run.path
    config = read_json_object(run.config_file) or {}
    kind = config.get("kind", "search")
    summary = {
        "run": str(path),
        "name": path.name,
        "kind": kind,
        "dataset": config.get("dataset"),
        "config": config,
        "state": run.state(),
        "setting": None,
        "trials": None,
        "best_val": None,
        "test_accuracy": None,
        "parameters": None,
        "epochs": None,
    }
    if kind == "train":
        metrics = read_json_object(run.metrics_file) or {}
        summary.update(
            setting=f"preset {config.get('preset')}",
            best_val=metrics.get("best_val_accuracy"),
            test_accuracy=metrics.get("test_accuracy"),
            parameters=metrics.get("parameters"),
            epochs=metrics.get("epochs_trained"),
        )
        return summary
    if kind == "ablation":
        from .ablation_table import ablation_run_summary

        summary.update(ablation_run_summary(path, config))
        return summary
    records = read_trials(path)
    scores = [r.score for r in records if r.status == "completed" and r.score is not None]
    final = read_json_object(run.final_file) or {}
    summary.update(
        setting=f"{config.get('profile')} (max_epochs {config.get('max_epochs')}, factor {config.get('factor')})",
        trials=search_counts(run, config, records).text(),
        best_val=max(scores, default=None),
        test_accuracy=final.get("test_accuracy"),
        parameters=final.get("parameters"),
        epochs=final.get("epochs"),
    )
    return summary


def find_runs(folder: Path | str) -> list[dict]:
    folder = Path(folder)
    candidates = [folder] if RunFolder(folder).exists() else sorted(folder.iterdir())
    return [run_summary(p) for p in candidates if RunFolder(p).exists()]


def runs_table(summaries: list[dict], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("run", "left"),
        ("kind", "left"),
        ("dataset", "left"),
        ("state", "left"),
        ("trials", "right"),
        ("best val", "right"),
        ("test acc", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name not in ("run", "dataset"), overflow="fold")
    for s in summaries:
        table.add_row(
            s["name"],
            s["kind"],
            s["dataset"] or "",
            s["state"],
            s["trials"] or "",
            pct(s["best_val"]),
            pct(s["test_accuracy"]),
        )
    if not summaries:
        table.caption = "no run folders here (a run folder holds a config.json)"
    return table


def compare_table(summaries: list[dict]) -> Table:
    table = Table(title="Runs side by side", title_justify="left")
    table.add_column("", no_wrap=True)
    for s in summaries:
        table.add_column(s["name"], justify="right")
    rows = (
        ("kind", "kind", str),
        ("dataset", "dataset", str),
        ("state", "state", str),
        ("setting", "setting", str),
        ("trials done", "trials", str),
        ("best val acc", "best_val", pct),
        ("test accuracy", "test_accuracy", pct),
        ("parameters", "parameters", lambda v: f"{v:,}"),
        ("epochs (final)", "epochs", str),
    )
    for label, key, fmt in rows:
        table.add_row(label, *["" if s[key] is None else fmt(s[key]) for s in summaries])
    for name in differing_settings(summaries):  # every setting that tells the runs apart
        table.add_row(name, *[_setting(s["config"].get(name, "—")) for s in summaries])
    return table


NOT_SETTINGS = ("kind", "dataset", "data_dir", "space", "variants", "trials_per_worker")


def differing_settings(summaries: list[dict]) -> list[str]:
    """The config fields (other than kind, dataset and where the data lives) whose values differ."""
    names: list[str] = []
    for s in summaries:
        names += [k for k in s["config"] if k not in names and k not in NOT_SETTINGS]
    return [k for k in names if len({repr(s["config"].get(k)) for s in summaries}) > 1]


def _setting(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (list, dict)):
        return (
            ", ".join(map(str, value)) if isinstance(value, list) else ", ".join(f"{k}={v}" for k, v in value.items())
        )
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
