"""`emnist-tuner plot`: a run folder's figures, each where the run has its data, written outside the
run (nothing is written into RUN unless ``out`` points there). Works on a run in any state."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, EmnistTunerError, RunError, plural
from ..io import check_output_path, read_json_object
from ..runfolder.configs import read_run_config
from ..runfolder.layout import RunFolder, article
from ..runfolder.origin import check_data_unchanged
from .search_data import FigureUnavailable

# name: what it shows (the README and `plot --help` list them in this order)
FIGURES = {
    "history": "each trial's validation accuracy and the best so far, by trial id and by time",
    "curves": "every trial's learning curve, by bracket, promotions continuing their parent",
    "pareto": "accuracy against parameters and training time, the Pareto front marked",
    "importance": "each hyperparameter's share of the accuracy's explained variance, with a bootstrap interval",
    "effects": "accuracy by value of the most important hyperparameters",
    "confusion": "the final model's confusion matrix on the test set",
    "per-class": "the final model's test accuracy per class, with its 95 % interval",
    "confused-images": "the test images the final model confused most",
    "transfer": "transfer vs scratch per fold, with the difference's interval",
    "ablation": "each method's effect with its interval, the study's claim beside it",
}
FORMATS = ("png", "svg")
SEARCH_ONLY = ("history", "curves", "pareto", "importance", "effects")
MODEL = ("confusion", "per-class", "confused-images", "transfer")
KIND_FIGURES = {  # the figures each kind of run has
    "search": SEARCH_ONLY + MODEL,
    "train": MODEL,
    "ablation": ("ablation",),
}
KIND_COMMAND = {"search": "search", "train": "train", "ablation": "ablate"}


def belongs_elsewhere(name: str, kind: str) -> str:
    """Why figure ``name`` is not drawn for a run of ``kind``: which runs have it, and what this one has."""
    owners = [k for k, names in KIND_FIGURES.items() if name in names]
    runs = " and ".join(f"{k} runs (emnist-tuner {KIND_COMMAND[k]})" for k in owners)  # not a count: k is a kind
    mine = ", ".join(KIND_FIGURES.get(kind, ()))
    return f"a figure of {runs} only; {article(kind)} run has: {mine}"


@dataclass
class Figures:
    figures: list = field(default_factory=list)  # (name, matplotlib Figure)
    skipped: list = field(default_factory=list)  # (name, why it is not drawn) where the run kind has the figure
    not_applicable: list = field(default_factory=list)  # (name, why) of figures this kind of run never has


def check_only(only: str | list[str] | None) -> list[str]:
    """The figure names asked for (all by default); ConfigError for an unknown one."""
    if only is None:
        return list(FIGURES)
    names = [n.strip() for n in (only.split(",") if isinstance(only, str) else only) if n.strip()]
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not names:
        raise ConfigError(
            f"--only: unknown figure {', '.join(repr(n) for n in unknown) or '(none given)'}; "
            f"known: {', '.join(FIGURES)}"
        )
    return names


def check_output_file(option: str, path: Path | str, suffixes: tuple[str, ...] = ()) -> Path:
    """ConfigError (exit 2) unless ``path`` is a file (ending in one of ``suffixes``, when given) that
    can be written in an existing folder: checked before any work."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise ConfigError(f"{option} {path}: give a file name ending in {' or '.join(suffixes)}")
    return check_output_path(path, option)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    return fmt


def check_out(out: Path) -> Path:
    """``out`` must be a folder that can be created and written (ConfigError, nothing left behind)."""
    return check_output_path(out, "--out", folder=True)


def build_figures(run_path: Path | str, only: list[str] | None = None, data_dir=None) -> Figures:
    """Every asked-for figure the run has data for (read-only on the run folder)."""
    import matplotlib

    matplotlib.use("Agg")
    names = only or list(FIGURES)
    run = RunFolder(run_path)
    config = read_json_object(run.config_file) or {}
    kind = config.get("kind", "search")
    result = Figures()

    def add(name, make, why, applies=True):
        if name not in names:
            return
        if not applies:
            result.not_applicable.append((name, why))
            return
        try:
            figure = make()
        except FigureUnavailable as exc:
            figure, why = None, str(exc)
        if figure is None:
            result.skipped.append((name, why))
        else:
            result.figures.append((name, figure))

    for name in FIGURES:
        if name not in KIND_FIGURES.get(kind, KIND_FIGURES["search"]):
            add(name, None, belongs_elsewhere(name, kind), applies=False)
    if kind == "search":
        _search_figures(run, config, add)
    if kind == "ablation":
        add("ablation", lambda: _ablation(run, config), "no training of this ablation has finished yet")
        return result
    winner = functools.cache(lambda: _winner_data(run, config, data_dir))  # loaded once, if asked for
    from .model_plots import confused_images_figure, confusion_figure, per_class_figure

    add("confusion", lambda: confusion_figure(winner()["matrix"], winner()["names"]), "")
    add("per-class", lambda: per_class_figure(winner()["matrix"], winner()["names"]), "")
    add(
        "confused-images",
        lambda: confused_images_figure(
            winner()["images"], winner()["labels"], winner()["predictions"], winner()["names"]
        ),
        "the final model made no mistake on the test set",
    )
    add("transfer", lambda: _transfer(run), "no transfer run yet (emnist-tuner transfer RUN)")
    return result


def _search_figures(run: RunFolder, config: dict, add) -> None:
    from ..runfolder.trials import ranked, read_trials
    from . import search_plots as sp

    records = read_trials(run.path)
    best = ranked([r for r in records if r.status == "completed" and r.score is not None])
    add("history", lambda: sp.history_figure(records, best[0].score if best else None), "")
    add("curves", lambda: sp.curves_figure(records), "")
    add("pareto", lambda: sp.pareto_figure(_with_parameters(records, run), _preset_labels(records, run)), "")
    add("importance", lambda: sp.importance_figure(records), "")
    add("effects", lambda: sp.effects_figure(records), "")


def _with_parameters(records, run: RunFolder):
    """The records, with parameter counts of runs that did not record them computed by building each model."""
    missing = [r for r in records if r.status == "completed" and r.parameters is None]
    if not missing:
        return records
    from ..quiet import import_keras_quietly

    import_keras_quietly()
    import keras

    from ..hyperband.space import hypermodel_for
    from ..runfolder.configs import SearchConfig

    hypermodel = hypermodel_for(SearchConfig.load(run.path))
    for r in missing:
        try:
            r.parameters = int(hypermodel.build(hypermodel.hyperparameters_for(r.hyperparameters)).count_params())
        except ConfigError:  # a trial whose values are not a point of today's space is left out of the panel
            pass
        keras.backend.clear_session()
    return records


def _preset_labels(records, run: RunFolder) -> dict[str, str]:
    """trial id -> the study's preset it is (the longest-trained trial of each preset). Searches record
    the preset of each trial; for older ones the presets' values are rebuilt (imports keras)."""
    if not any(r.preset_recorded for r in records):
        _recover_presets(records, run)
    labels: dict[str, str] = {}
    for name in dict.fromkeys(r.preset for r in records if r.preset):
        same = [r for r in records if r.preset == name and r.status == "completed" and r.score is not None]
        if same:
            labels[max(same, key=lambda r: (r.reached or 0, r.score)).trial_id] = name
    return labels


def _recover_presets(records, run: RunFolder) -> None:
    from ..hyperband.space import hypermodel_for, preset_of, preset_points
    from ..quiet import import_keras_quietly
    from ..runfolder.configs import SearchConfig

    import_keras_quietly()
    config = SearchConfig.load(run.path)
    presets = preset_points(hypermodel_for(config), config.seed_presets)
    for r in records:
        r.preset = preset_of(r.hyperparameters, presets)


def _winner_data(run: RunFolder, config: dict, data_dir) -> dict:
    import numpy as np

    from ..data.datasets import get_info
    from ..reports.confusion import confusion_matrix, run_test_split

    predictions_file = RunFolder(run.path).predictions_file
    if not predictions_file.is_file():
        raise FigureUnavailable("no final model tested yet (no test predictions in the run)")
    name = config.get("dataset")
    try:
        info = get_info(str(name))
    except EmnistTunerError as exc:  # an unknown name, or a user's source no longer where it was
        raise FigureUnavailable(f"the run's dataset {name!r}: {exc}") from None
    try:
        data = run_test_split(run.path, config, data_dir)
    except (EmnistTunerError, OSError) as exc:  # missing, unreadable or damaged data files: one line
        raise FigureUnavailable(f"the {name} test split could not be loaded: {exc}") from None
    predictions = np.load(predictions_file, allow_pickle=False)
    if len(predictions) != len(data.y_test):
        raise FigureUnavailable(
            f"the run has {plural(len(predictions), 'test prediction')} but the {name} test split has "
            f"{plural(len(data.y_test), 'image')}"
        )
    names = list(info.class_names)
    return {
        "matrix": confusion_matrix(data.y_test, predictions, len(names)),
        "names": names,
        "images": data.x_test,
        "labels": data.y_test,
        "predictions": predictions,
    }


def _transfer(run: RunFolder):
    from .experiment_plots import transfer_figure

    for folder in run.transfer_folders():  # the study's (MNIST backbone, Binary AlphaDigits) first
        results = read_json_object(folder.results_file)
        if results:
            try:
                return transfer_figure(results)
            except (KeyError, TypeError, ValueError):
                raise FigureUnavailable(f"{folder.results_file} is incomplete") from None
    return None


def _ablation(run: RunFolder, config: dict):
    from ..experiments.ablation import read_results, summarize
    from .experiment_plots import ablation_figure

    results = read_results(run.path)
    return ablation_figure(summarize(config, results)) if results else None


def plot_run(
    run_dir: Path | str, out: Path | str | None = None, fmt: str = "png", only=None, data_dir=None
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Write the run's figures to ``out`` (default ``plots/<run name>``): (files written, (figure, why
    not drawn) for the others this run could have, or that ``only`` asked for). Checks every input
    before anything is drawn or written."""
    read_run_config(run_dir)  # RunError: not a run folder
    check_data_unchanged(run_dir)
    names, fmt = check_only(only), check_format(fmt)
    out = check_out(Path(out) if out is not None else Path("plots") / Path(run_dir).resolve().name)
    figures = build_figures(run_dir, names, data_dir)
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, figure in figures.figures:
            path = out / f"{name}.{fmt}"
            figure.savefig(path, dpi=110)
            written.append(path)
    except OSError as exc:
        raise RunError(
            f"--out {out}: cannot write the figures ({exc.strerror or exc}); choose a folder you can write to"
        ) from None
    return written, figures.skipped + (figures.not_applicable if only is not None else [])
