"""A run's full report: search (or training) summary, the winner and its architecture, per-class
accuracy with a confusion heatmap, optional MNIST-retrain and transfer sections, and the study's
reference figures. Read-only on the run folder, except for the RUN/confusion.json cache."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console, Group, JustifyMethod
from rich.table import Table
from rich.text import Text

from ..errors import plural
from ..io import read_json_object
from ..runfolder.budget import budget_text
from ..runfolder.checkpoints import disk_use, human_bytes
from ..runfolder.layout import DEFAULT_TARGET, RunFolder
from ..runfolder.origin import check_data_unchanged
from ..runfolder.trials import ranked, read_trials
from ..study import FIGURES
from .confusion import (
    ConfusionHeatmap,
    ConfusionUnavailable,
    load_confusion,
    most_confused,
    pairs_text,
    per_class_table,
)
from .formatting import duration, pct, search_counts
from .space_table import searched_space


def _facts(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _count(value) -> str:
    return "" if value is None else f"{int(value):,}"


def _search_summary(run: RunFolder, config: dict) -> Table:
    records = read_trials(run.path)
    done = [r for r in records if r.status == "completed"]
    seconds = [r.seconds for r in records if r.seconds is not None]
    best = ranked(done)[0] if done else None
    disk = disk_use(run.path)
    return _facts(
        "Search summary",
        [
            ("dataset", str(config.get("dataset", "?"))),
            ("search space", "narrowed by --space (below)" if config.get("narrowing") else "full space"),
            ("run state", run.state()),
            ("trials done", search_counts(run, config, records).text()),
            *([("time budget", budget_text(run, config))] if config.get("time_budget") else []),
            ("total trial time", duration(sum(seconds)) if seconds else "—"),
            (
                "best val accuracy",
                f"{pct(best.score)} (trial {best.trial_id})" if best and best.score is not None else "—",
            ),
            ("disk use", f"{human_bytes(disk.total)} (--keep-checkpoints {config.get('keep_checkpoints', 'all')})"),
            ("trial checkpoints", disk.checkpoints_text()),
        ],
    )


def _search_winner(run: RunFolder) -> list:
    final = read_json_object(run.final_file)
    if not final:
        state = run.state()
        if state in ("interrupted", "failed"):
            return [
                Text(
                    f"No final model yet: the search was {state} before its winner was retrained and tested. "
                    f"Resume it with: emnist-tuner resume {run.path}"
                )
            ]
        return [Text("No final model yet: the winner is retrained and tested when the search ends.")]
    return [
        _facts(
            "The winner",
            [
                ("trial", str(final.get("trial_id", "?"))),
                ("held-out test accuracy", pct(final.get("test_accuracy"))),
                ("val accuracy (search)", pct(final.get("val_accuracy"))),
                ("epochs", _count(final.get("epochs"))),
                ("parameters", _count(final.get("parameters"))),
                ("train / test images", f"{_count(final.get('train_images'))} / {_count(final.get('test_images'))}"),
                ("final training", str(final.get("recipe") or final.get("learning_rate") or "—")),
                *(
                    [(f"test accuracy, TTA x{final['tta']['copies']}", pct(final["tta"].get("test_accuracy")))]
                    if final.get("tta") and not final["tta"].get("skipped")
                    else []
                ),
            ],
        ),
        *_ensemble_table(final.get("ensemble")),
    ]


def _ensemble_table(ensemble: dict | None) -> list:
    """Each member's and the ensemble's held-out test accuracy, when the search kept an ensemble."""
    if not ensemble:
        return []
    table = Table(
        title=f"Ensemble ({'top distinct architectures' if ensemble.get('of') == 'top' else 'seeds'})",
        title_justify="left",
    )
    for name in ("member", "trial", "seed", "epochs", "test acc %"):
        table.add_column(name, justify="left" if name == "member" else "right", no_wrap=True)
    for member in ensemble.get("members", []):
        table.add_row(
            str(member.get("member")),
            str(member.get("trial_id")),
            str(member.get("seed")),
            _count(member.get("epochs")),
            pct(member.get("test_accuracy")).rstrip(" %"),
        )
    table.add_row(
        "[bold]mean softmax[/bold]", "", "", "", f"[bold]{pct(ensemble.get('test_accuracy')).rstrip(' %')}[/bold]"
    )
    tta = ensemble.get("tta") or {}
    table.caption = f"model: {ensemble.get('model')}" + (
        f"; with test-time augmentation ({plural(tta['copies'], 'copy', 'copies')}): {pct(tta['test_accuracy'])}"
        if tta.get("test_accuracy") is not None
        else ""
    )
    table.caption_justify = "left"
    return [table]


def _train_summary(run: RunFolder, config: dict) -> list:
    metrics = read_json_object(run.metrics_file)
    head = _facts(
        "Training summary",
        [
            ("dataset", str(config.get("dataset", "?"))),
            ("preset", str(config.get("preset", "?"))),
            ("run state", run.state()),
        ],
    )
    if not metrics:
        return [head, Text("No metrics.json yet: the model has not been tested.")]
    return [
        head,
        _facts(
            "The model",
            [
                ("held-out test accuracy", pct(metrics.get("test_accuracy"))),
                ("best val accuracy", pct(metrics.get("best_val_accuracy"))),
                ("epochs", _count(metrics.get("epochs_trained"))),
                ("parameters", _count(metrics.get("parameters"))),
                (
                    "train / test images",
                    f"{_count(metrics.get('train_images'))} / {_count(metrics.get('test_images'))}",
                ),
                ("recipe", str(metrics.get("recipe") or "constant learning rate")),
            ],
        ),
    ]


def architecture_table(model_file: Path, finished: bool = True):
    """The saved model's layers (name, type, output shape, parameters), or one line saying why not
    (``finished``: the run says it saved its model, so a missing file is damage, not a wait)."""
    if not model_file.is_file():
        return Text(
            f"Model file {model_file.name} is missing: architecture not shown."
            if finished
            else "Architecture: shown once the run has its final model."
        )
    try:
        import keras

        model = keras.models.load_model(model_file, compile=False)
    except Exception as exc:  # noqa: BLE001
        return Text(f"Model file {model_file.name} could not be loaded ({type(exc).__name__}: {exc}).")
    table = Table(title="Architecture", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("layer", "left"),
        ("type", "left"),
        ("output shape", "left"),
        ("params", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=justify == "right")
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape)).replace("None", "·")
        except (AttributeError, ValueError):  # a layer without one output (Keras raises either)
            shape = "?"
        table.add_row(layer.name, type(layer).__name__, shape, f"{layer.count_params():,}")
    table.caption = f"total {plural(model.count_params(), 'parameter')}"
    table.caption_justify = "left"
    return table


def _confusion_section(run: RunFolder, config: dict, data_dir) -> list:
    try:
        matrix, names = load_confusion(run.path, config, data_dir)
    except ConfusionUnavailable as exc:
        return [Text(f"Per-class accuracy not shown: {exc}")]
    return [
        per_class_table(matrix, names),
        ConfusionHeatmap(matrix, names),
        Text(pairs_text(most_confused(matrix, names))),
    ]


def _extra_sections(run: RunFolder) -> tuple[list, dict]:
    """The winner retrained on MNIST and the transfer comparison, when the run has them."""
    from .transfer_table import retrain_table, transfer_table

    parts: list[Table | Text] = []
    ours: dict = {}
    mnist = read_json_object(run.retrain_folder("mnist").metrics_file)
    if mnist:
        ours["mnist"] = mnist.get("test_accuracy")
        parts.append(retrain_table(mnist))
    # the MNIST backbone on Binary AlphaDigits (the study's) first, then every other backbone and target
    for transfer_folder in run.transfer_folders():
        transfer = read_json_object(transfer_folder.results_file)
        if not transfer:
            continue
        try:
            parts.append(transfer_table(transfer))
            if transfer_folder.path == run.transfer_folder("mnist").path:
                ours.update(transfer=transfer["transfer"]["mean"], scratch=transfer["scratch"]["mean"])
        except (KeyError, TypeError, ValueError):
            saved = read_json_object(transfer_folder.config_file) or {}
            to = saved.get("to", DEFAULT_TARGET)
            parts.append(
                Text(
                    f"{transfer_folder.results_file} is incomplete: rerun `emnist-tuner transfer "
                    f"{run.path} --backbone {saved.get('backbone', 'mnist')}"
                    + ("" if to == DEFAULT_TARGET else f" --to {to}")
                    + "` with its settings to rebuild it."
                )
            )
    return parts, ours


def reference_table(config: dict, test_accuracy, ours: dict) -> Table:
    """The study's figures next to this run's, where they apply (same model, same dataset)."""
    dataset, kind = config.get("dataset"), config.get("kind", "search")
    mine = config.get("preset") if kind == "train" else "search"
    ds_label = {
        "mnist": "MNIST",
        "emnist-letters": "EMNIST letters",
        "emnist-letters-sample": "EMNIST letters sample",
    }.get(dataset or "")
    rows: list[list] = []
    placed = False
    for key, label, ds, study in FIGURES:
        value = ours.get(key) if key in ("transfer", "scratch") else None
        if key == mine and ds == ds_label:
            value, placed = test_accuracy, True
        rows.append([label, ds, study, value])
    if not placed and ds_label and test_accuracy is not None:
        label = "this search's winner" if mine == "search" else f"preset {mine}"
        rows.append([label, ds_label, None, test_accuracy])
    if ours.get("mnist") is not None:
        rows.append(["winner retrained on MNIST", "MNIST", None, ours["mnist"]])
    table = Table(title="Against the study", title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("dataset", no_wrap=True)
    table.add_column("study %", justify="right", no_wrap=True)
    table.add_column("ours %", justify="right", no_wrap=True)
    for label, ds, study, value in rows:
        table.add_row(label, ds, *[pct(v).rstrip(" %") if v is not None else "—" for v in (study, value)])
    notes = ["The study's figures are validation accuracy; ours are held-out test accuracy."]
    if ds_label is None:
        notes.append(f"This run's dataset ({dataset}) has no study figure to compare with.")
    elif dataset == "emnist-letters-sample":
        notes.append("The EMNIST letters sample is not the full EMNIST letters: not comparable with the study.")
    table.caption, table.caption_justify = "\n".join(notes), "left"
    return table


def build_report(run_path: Path | str, data_dir=None) -> Group:
    """The report of a run folder (search or train) as one rich renderable."""
    run = RunFolder(run_path)
    config = read_json_object(run.config_file)
    if not config:
        return Group(Text(f"{run.path} has no readable config.json: not a run folder."))
    check_data_unchanged(run.path)  # a user's source changed since: refused
    title = Text(f"Report: {run.path.name}", style="bold underline")
    if config.get("kind") == "ablation":
        from .ablation_table import ablation_section

        return Group(title, Text(""), *ablation_section(run.path))
    if config.get("kind") == "train":
        parts = _train_summary(run, config)
        test_accuracy = (read_json_object(run.metrics_file) or {}).get("test_accuracy")
        model_file, finished = run.model_file, run.metrics_file.is_file()
    else:
        parts = [*searched_space(config), *_search_winner(run)]
        test_accuracy = (read_json_object(run.final_file) or {}).get("test_accuracy")
        model_file, finished = run.best_model_file, run.final_file.is_file()
    parts.append(architecture_table(model_file, finished))
    parts += _confusion_section(run, config, data_dir)
    if config.get("kind") != "train":  # once the confusion cache is written: its disk use is the folder's
        parts.insert(0, _search_summary(run, config))
    extra, ours = _extra_sections(run)
    parts += extra
    parts.append(reference_table(config, test_accuracy, ours))
    spaced = [title]
    for part in parts:
        spaced += [Text(""), part]
    return Group(*spaced)


def save_report(group, svg=None, html=None, width: int = 100) -> None:
    """Render the report once and save it as SVG and/or HTML."""
    from ..errors import ConfigError
    from ..io import write_text_atomic

    console = Console(record=True, width=width, file=io.StringIO())
    console.print(group)
    for option, path, text in (
        ("--svg", svg, lambda: console.export_svg(title="emnist-tuner report", clear=False)),
        ("--html", html, lambda: console.export_html(clear=False)),
    ):
        if path is None:
            continue
        try:
            write_text_atomic(path, text())
        except OSError as exc:
            raise ConfigError(
                f"{option} {path}: cannot write it ({exc.strerror or exc}); choose a path in a folder you can write to"
            ) from None
