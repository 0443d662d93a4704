"""The Python API: every command of the CLI as a function, and ``open_run`` to read a run folder.

    import emnist_tuner as et

    final = et.search("mnist", "runs/quick-mnist", profile="quick")   # dict: the winner's test accuracy …
    run = et.open_run("runs/quick-mnist")
    run.state, run.kind, run.config            # "completed", "search", a typed SearchConfig
    run.leaderboard()[:3]                      # one dict per trial, best first
    model = run.best_model()                   # a keras.Model

Errors are the project's exceptions (``emnist_tuner.errors``: ``ConfigError`` for a bad value or
an unknown keyword, ``RunError`` for an unusable run folder, ``DataError`` for bad data,
``Interrupted`` for Ctrl-C); their messages name the functions' keywords (``factor=``), and the CLI
turns each into one line and an exit code. Progress goes to ``console`` (a ``rich.console.Console``;
by default a new one on standard output, which notebooks render too, unwrapped when piped).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ..quiet import import_keras_quietly
from ..runfolder.ablation_config import AblationConfig
from ..runfolder.configs import SearchConfig
from ..runfolder.origin import data_dir_now
from ..runfolder.recipe_config import FinalRecipe
from ..runfolder.train_configs import RetrainConfig, TrainConfig
from ..runfolder.transfer_config import TransferConfig
from .keywords import SEARCH_OPTIONS, TRANSFER_OPTIONS, keywords_checked, say_to
from .outputs import dashboard, export, plot, predict, serve
from .run import Run, open_run
from .tracking import log_to_mlflow, search_display


def _folder(data_dir) -> str | None:
    """A ``data_dir`` as configs save it: a string, or None when not given."""
    return str(data_dir) if data_dir else None


@keywords_checked()
def fetch(dataset: str, data_dir=None, download: bool = False) -> None:
    """Verify the dataset's files (downloading missing ones first if ``download``); DataError if not usable."""
    from ..data.datasets import get_info
    from ..data.files import locate_all

    locate_all(get_info(dataset).files, data_dir=data_dir, download=download)


@keywords_checked(SEARCH_OPTIONS)
def search(
    dataset: str,
    run_dir: Path | str,
    profile: str = "quick",
    *,
    all_data: bool = False,
    seed_presets: bool = True,
    tensorboard: bool = True,
    space=None,
    data_dir=None,
    download: bool = False,
    console: Console | None = None,
    chief=None,
    workers: int | str | None = None,
    mlflow=None,
    **options,
) -> dict:
    """Run a Hyperband search (or resume the same search in ``run_dir``), retrain the winner, test it once.
    ``options``: the `search` command's options that a profile sets (max_epochs, factor, iterations, subset,
    batch_size, seed, patience, max_params, trials_per_worker), the final training's ``recipe`` (a ``FinalRecipe``,
    see ``final_recipe``), ``ensemble`` / ``ensemble_of``; ``space``: see ``search_config``; ``mlflow``: a tracking URI
    to log the search to as it goes (see ``log_to_mlflow``); ``workers``: N or "auto" trials at a time, as
    `search --workers` (or ``chief``: a chief of your own). Returns final.json."""
    chief = chief or _pool(workers)
    config = search_config(
        dataset,
        profile,
        all_data=all_data,
        seed_presets=seed_presets,
        tensorboard=tensorboard,
        space=space,
        data_dir=data_dir,
        **options,
    )
    with search_display(console, run_dir, mlflow) as ui:  # a bad mlflow= URI: one error, before any work
        fetch(dataset, data_dir, download)
        import_keras_quietly()
        from ..hyperband.search import start_search

        return start_search(config, run_dir, ui, chief)


def _pool(workers: int | str | None):
    """``workers=``: a local chief with N workers (None for one at a time), checked as ``--workers``."""
    from ..hyperband.distributed.local import parse_workers, pool_for

    return pool_for(parse_workers(None if workers is None else str(workers)))


@keywords_checked(SEARCH_OPTIONS)
def search_config(
    dataset: str,
    profile: str = "quick",
    *,
    all_data: bool = False,
    seed_presets: bool = True,
    tensorboard: bool = True,
    space=None,
    data_dir=None,
    **options,
) -> SearchConfig:
    """The config of a search: the profile's values, ``options`` on top (None: the profile's); ``space``: see
    ``SearchConfig.narrow`` (None: the whole space, or on an existing run the run's)."""
    from ..errors import ConfigError

    if all_data and options.get("subset") is not None:
        raise ConfigError("--subset and --all-data contradict each other; give one of them")
    config = SearchConfig.from_profile(dataset, profile, data_dir=_folder(data_dir), **options)
    if all_data:
        config.subset = None
    if not seed_presets:
        config.seed_presets = []
    config.tensorboard = tensorboard
    if space is not None:  # a TOML file or a dict, checked against the profile's space
        config.narrow(space)
    return config


@keywords_checked()
def final_recipe(
    *,
    final_epochs: int | None = None,
    warmup_epochs: int | None = None,
    label_smoothing: float | None = None,
    ema: bool | None = None,
    weight_decay: float | None = None,
) -> FinalRecipe:
    """The final-training recipe with the given values (None: the default; ``final_epochs`` None: the
    profile's, for a search)."""
    recipe = FinalRecipe().with_options(
        epochs=final_epochs,
        warmup_epochs=warmup_epochs,
        label_smoothing=label_smoothing,
        ema=ema,
        weight_decay=weight_decay,
    )
    recipe.validate()
    return recipe


@keywords_checked()
def resume(
    run_dir: Path | str,
    *,
    data_dir=None,
    console: Console | None = None,
    mlflow=None,
    chief=None,
    workers: int | str | None = None,
    keep_checkpoints=None,
) -> dict:
    """Continue an interrupted search with its saved settings (``mlflow``, ``chief``, ``workers``: see ``search``;
    ``keep_checkpoints`` None: the run's); returns ``final.json``."""
    chief = chief or _pool(workers)
    SearchConfig.load(run_dir)  # a search run folder, before TensorFlow is imported
    with search_display(console, run_dir, mlflow) as ui:
        import_keras_quietly()
        from ..hyperband.search import resume_search

        return resume_search(run_dir, ui, data_dir=_folder(data_dir), chief=chief, keep_checkpoints=keep_checkpoints)


@keywords_checked()
def train(
    preset: str,
    dataset: str,
    run_dir: Path | str,
    *,
    epochs: int = 15,
    batch_size: int = 128,
    subset: int | None = None,
    seed: int = 0,
    patience: int | None = None,
    recipe: FinalRecipe | None = None,
    precision: str = "auto",
    data_dir=None,
    download: bool = False,
    console: Console | None = None,
) -> dict:
    """Train one preset under ``recipe`` (default: ``final_recipe()``) for ``epochs`` and test it once on
    the held-out test split; returns its metrics."""
    config = TrainConfig(
        preset,
        dataset,
        epochs,
        batch_size,
        subset,
        seed,
        patience,
        recipe=FinalRecipe.from_value(recipe),
        precision=precision,
        data_dir=_folder(data_dir),
    )
    config.validate()
    fetch(dataset, data_dir, download)
    import_keras_quietly()
    from ..training.train import train_preset

    return train_preset(config, run_dir, say_to(console))


@keywords_checked()
def retrain(
    run_dir: Path | str,
    dataset: str = "mnist",
    *,
    epochs: int = 15,
    batch_size: int = 128,
    subset: int | None = None,
    seed: int = 0,
    patience: int = 0,
    recipe: FinalRecipe | None = None,
    precision: str = "auto",
    data_dir=None,
    download: bool = False,
    console: Console | None = None,
) -> dict:
    """Train the winner of a finished run anew on ``dataset`` under ``recipe`` (the transfer backbone);
    returns its metrics."""
    from ..experiments.winner import read_winner

    data_dir = data_dir or data_dir_now(run_dir)  # in a new shell: the folder the run found its data in
    config = RetrainConfig(
        dataset,
        epochs,
        batch_size,
        subset,
        seed,
        patience,
        recipe=FinalRecipe.from_value(recipe),
        precision=precision,
        data_dir=_folder(data_dir),
    )
    config.validate()
    read_winner(run_dir)  # a finished run, before any data is fetched
    fetch(dataset, data_dir, download)
    import_keras_quietly()
    from ..experiments.retrain import retrain_winner

    return retrain_winner(config, run_dir, say_to(console))


@keywords_checked(TRANSFER_OPTIONS)
def transfer(
    run_dir: Path | str,
    backbone: str = "mnist",
    *,
    to: str = "binary-alphadigits",
    data_dir=None,
    download: bool = False,
    console: Console | None = None,
    **recipe,
) -> dict:
    """Binary AlphaDigits (or the dataset ``to`` names), K-fold: the run's backbone transferred vs the same
    model from scratch. ``backbone``: mnist (``retrain``'s), emnist (the run's own model) or another dataset
    the winner was retrained on. ``recipe``: any ``TransferConfig`` field (folds, seeds, size, seed,
    head_epochs, fine_tune_lr, batchnorm, scratch_epochs …); the others keep the defaults chosen on the
    selection fold."""
    from ..experiments.winner import read_winner

    data_dir = data_dir or data_dir_now(run_dir)  # in a new shell: the folder the run found its data in
    config = TransferConfig(
        backbone=backbone,
        to=to,
        data_dir=_folder(data_dir),
        **{k: v for k, v in recipe.items() if v is not None},
    )
    config.validate()
    read_winner(run_dir)
    fetch(config.to, data_dir, download)
    import_keras_quietly()
    from ..experiments.transfer import run_transfer

    return run_transfer(config, run_dir, say_to(console))


@keywords_checked()
def ablate(
    run_dir: Path | str,
    dataset: str | None = None,
    *,
    base: str | None = None,
    methods: str | None = None,
    seeds: int | None = None,
    epochs: int | None = None,
    subset: int | None = None,
    batch_size: int | None = None,
    data_dir=None,
    download: bool = False,
    console: Console | None = None,
) -> dict:
    """Each optimization method alone and all combined against ``base``, N seeds; resumes ``run_dir``.
    Options left out come from the run folder when it holds this ablation, else the defaults."""
    from ..experiments.ablation import config_from_options, run_ablation

    config = config_from_options(
        run_dir,
        base=base,
        dataset=dataset,
        methods=methods,
        seeds=seeds,
        epochs=epochs,
        subset=subset,
        batch_size=batch_size,
        data_dir=_folder(data_dir),
    )
    fetch(config.dataset, data_dir, download)
    import_keras_quietly()
    return run_ablation(config, run_dir, say_to(console))


__all__ = [
    "search",
    "resume",
    "train",
    "retrain",
    "transfer",
    "ablate",
    "predict",
    "export",
    "plot",
    "dashboard",
    "serve",
    "open_run",
    "Run",
    "fetch",
    "SearchConfig",
    "TrainConfig",
    "RetrainConfig",
    "TransferConfig",
    "AblationConfig",
    "search_config",
    "log_to_mlflow",
    "final_recipe",
    "FinalRecipe",
]
