"""`emnist-tuner runs` and `compare`: one summary per run folder (search or train), read-only."""

from __future__ import annotations

from pathlib import Path

from rich.console import JustifyMethod
from rich.table import Table

from ..io import read_json_object
from ..runfolder.checkpoints import human_bytes, tree_bytes
from ..runfolder.layout import RunFolder
from ..runfolder.trials import read_trials
from .formatting import pct, search_counts


def run_summary(path: Path | str, keras: bool = True) -> dict:
    """What a run folder holds, in any state. Reads only. ``keras``: a run of version 0.1 (no saved
    schedule) gets its trial total from KerasTuner, a TensorFlow import (else its total shows "?")."""
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
        "size": tree_bytes(path),  # bytes on disk (checkpoints kept: see --keep-checkpoints)
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
        trials=search_counts(run, config, records, keras).text(),
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
        ("size", "right"),
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
            human_bytes(s["size"]),
        )
    if not summaries:
        table.caption = "no run folders here (a run folder holds a config.json)"
    return table


def compare_table(summaries: list[dict]) -> Table:
    table = Table(title="Runs side by side", title_justify="left")
    table.add_column("", no_wrap=True)
    for s in summaries:
        table.add_column(s["name"], justify="right")
    for label, values in compare_rows(summaries):
        table.add_row(label, *values)
    return table


def compare_rows(summaries: list[dict]) -> list[tuple[str, list[str]]]:
    """The rows of ``compare``'s table: (label, each run's value as text), the summaries' facts first,
    then every setting that tells the runs apart (the table and the web page show these)."""
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
    facts = [(label, ["" if s[key] is None else fmt(s[key]) for s in summaries]) for label, key, fmt in rows]
    return facts + differing_settings(summaries)


NOT_SETTINGS = ("kind", "dataset", "data_dir", "space", "variants", "trials_per_worker", "keep_checkpoints")
# the final-training recipe's ingredients, in the README's words ("The final training and ensembles")
RECIPE_ROWS = (
    ("epochs", "final epochs"),
    ("warmup_epochs", "warm-up epochs"),
    ("label_smoothing", "label smoothing"),
    ("ema", "weight average (EMA)"),
    ("weight_decay", "weight decay"),
)


def recipe_settings(config: dict) -> dict[str, str]:
    """A run's final-training recipe in a user's words, one entry per ingredient (e.g. "weight decay":
    "the optimizer's own" for 0); empty when the config has no recipe."""
    recipe = config.get("recipe")
    if not isinstance(recipe, dict):
        return {}
    from ..runfolder.recipe_config import FinalRecipe

    saved = FinalRecipe.from_value(recipe)
    epochs = saved.epochs or config.get("epochs")  # train and retrain: the run's --epochs
    words = {
        "epochs": (
            str(epochs)
            if epochs
            else "the winner's, as in the search"
            if config.get("kind", "search") == "search"
            else "—"
        ),
        "warmup_epochs": str(saved.warmup_epochs) if saved.warmup_epochs else "none",
        "label_smoothing": f"{saved.label_smoothing:g}" if saved.label_smoothing else "none",
        "ema": "on" if saved.ema else "off",
        "weight_decay": f"{saved.weight_decay:g}" if saved.weight_decay else "the optimizer's own",
    }
    return {label: words[name] for name, label in RECIPE_ROWS}


def _settings(config: dict) -> dict[str, str]:
    """Every setting of a run's config (but ``NOT_SETTINGS``) as the text ``compare`` shows."""
    shown: dict[str, str] = {}
    for name, value in config.items():
        if name in NOT_SETTINGS:
            continue
        if name == "recipe":
            shown.update(recipe_settings(config))
        else:
            shown[name] = "all images" if name == "subset" and value is None else _setting(value)
    return shown


def differing_settings(summaries: list[dict]) -> list[tuple[str, list[str]]]:
    """(name, each run's value as text) of every setting (other than kind, dataset and where the data
    lives) whose values differ; the recipe's ingredients one by one."""
    each = [_settings(s["config"]) for s in summaries]
    names: list[str] = []
    for settings in each:
        names += [k for k in settings if k not in names]
    rows = [(name, [settings.get(name, "—") for settings in each]) for name in names]
    return [(name, values) for name, values in rows if len(set(values)) > 1]


def _setting(value) -> str:
    """A config value in words: lists joined, ``name: values`` for a dict, yes/no, "none"."""
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_setting(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_setting(v)}" for k, v in value.items())
    return f"{value:,}" if isinstance(value, int) else str(value)
