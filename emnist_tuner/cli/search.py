"""`emnist-tuner search` and `emnist-tuner resume` (one machine, or a distributed chief or worker)."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import api
from ..errors import ConfigError, plural
from ..quiet import import_keras_quietly
from ..runfolder.configs import PROFILES, SearchConfig, check_keep_checkpoints
from .common import (
    DATASET_HELP,
    DataDirOption,
    DownloadOption,
    EmaOption,
    LabelSmoothingOption,
    PrecisionOption,
    SpaceOption,
    WarmupOption,
    WeightDecayOption,
    console,
    interruptible,
)
from .tracking import MlflowOption, mlflow_client

WorkersOption = typer.Option(
    None,
    "--workers",
    help="Trials at a time on this machine: N local worker processes (one per GPU, else a share of the CPU "
    "cores each) and a local chief; auto: one per GPU, else one per 2 cores; 1 (default): one at a time.",
)


def _by_profile(key: str) -> str:
    """Each profile's value of ``key``, for the help: "quick: 9, full: 30"."""

    def shown(value):
        return "all" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    default = getattr(SearchConfig, key, None)
    return ", ".join(f"{name}: {shown(values.get(key, default))}" for name, values in PROFILES.items())


KeepCheckpointsOption = typer.Option(
    None,
    "--keep-checkpoints",
    help="Trial checkpoints kept: needed (default: those Hyperband may still continue, the best trial's and its "
    "parent's), best (the winner's only, once the search is over) or all. May change on resume; deleted ones do "
    "not come back.",
)


def search(
    dataset: str = typer.Option(..., "--dataset", help=DATASET_HELP),
    run_dir: Path = typer.Option(
        ..., "--run-dir", help="The run folder (created, or resumed if it holds this search)."
    ),
    profile: str = typer.Option(
        "quick",
        "--profile",
        help="quick (a 2-core CPU: about 7 min on idle cores, up to 15 on a busy machine) or full (GPU, all data).",
    ),
    max_epochs: int | None = typer.Option(
        None, "--max-epochs", help=f"Hyperband's max epochs per model ({_by_profile('max_epochs')})."
    ),
    factor: int | None = typer.Option(
        None, "--factor", help=f"Hyperband's reduction factor, 2 or more ({_by_profile('factor')})."
    ),
    iterations: int | None = typer.Option(
        None,
        "--iterations",
        help=f"Hyperband iterations ({_by_profile('iterations')}); a larger one on a finished run grows it, "
        "keeping its trials.",
    ),
    subset: int | None = typer.Option(
        None,
        "--subset",
        help=f"Stratified subset of N training images for the search; the final "
        f"retrain uses all ({_by_profile('subset')}).",
    ),
    all_data: bool = typer.Option(False, "--all-data", help="Use every training image (no subset)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help=f"({_by_profile('batch_size')})"),
    seed: int | None = typer.Option(None, "--seed", help=f"({_by_profile('seed')})"),
    patience: int | None = typer.Option(
        None, "--patience", help=f"Early stopping inside trials, 0 = off ({_by_profile('patience')})."
    ),
    max_params: int | None = typer.Option(
        None, "--max-params", help=f"Models with more parameters fail their trial ({_by_profile('max_params')})."
    ),
    seed_presets: bool = typer.Option(
        True, "--seed-presets/--no-seed-presets", help="Start from the study's presets (those in the space)."
    ),
    space: Path | None = SpaceOption,
    trials_per_worker: int | None = typer.Option(
        None,
        "--trials-per-worker",
        help=f"Trials per worker process, bounds memory ({_by_profile('trials_per_worker')}).",
    ),
    tensorboard: bool = typer.Option(
        True, "--tensorboard/--no-tensorboard", help="Per-trial TensorBoard logs with HParams in RUN/logs/tensorboard."
    ),
    final_epochs: int | None = typer.Option(
        None,
        "--final-epochs",
        help="Epochs of the winner's final training (quick: the epochs it reached in the search, full: 30).",
    ),
    warmup_epochs: int | None = WarmupOption,
    label_smoothing: float | None = LabelSmoothingOption,
    ema: bool | None = EmaOption,
    weight_decay: float | None = WeightDecayOption,
    precision: str = PrecisionOption,
    tta: int | None = typer.Option(
        None, "--tta", help="Also test the final model(s) with test-time augmentation over N copies (default 1: off)."
    ),
    ensemble: int | None = typer.Option(
        None, "--ensemble", help="Models kept: the winner and K - 1 more, averaged in RUN/ensemble.keras (default 1)."
    ),
    ensemble_of: str | None = typer.Option(
        None,
        "--ensemble-of",
        help="seeds: the winner with other seeds (default); top: the next best distinct architectures.",
    ),
    time_budget: str | None = typer.Option(
        None,
        "--time-budget",
        help="Start no trial after this much search time (45s, 90m, 2h, 1h30m or seconds), then train the "
        "winner; resume counts the time spent. Again with a larger one: the search goes on.",
    ),
    time_budget_hard: bool = typer.Option(
        False, "--time-budget-hard", help="With --time-budget: also stop the running trial at its next epoch end."
    ),
    keep_checkpoints: str | None = KeepCheckpointsOption,
    role: str | None = typer.Option(
        None,
        "--role",
        help="Distributed search: chief (serves the oracle, retrains the winner) or worker (trains trials).",
    ),
    oracle: str | None = typer.Option(None, "--oracle", help="HOST:PORT of the chief's oracle (distributed)."),
    worker_id: str | None = typer.Option(None, "--worker-id", help="This worker's id (--role worker)."),
    worker_timeout: float = typer.Option(
        120.0, "--worker-timeout", help="Chief: seconds of silence after which a worker's trial goes to another worker."
    ),
    workers: str | None = WorkersOption,
    token_file: Path | None = typer.Option(
        None, "--token-file", help="Distributed: a file holding the shared token (else $EMNIST_TUNER_TOKEN)."
    ),
    tls_cert: Path | None = typer.Option(None, "--tls-cert", help="Distributed: this process's certificate (PEM)."),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="Distributed: its private key (PEM)."),
    tls_client_ca: Path | None = typer.Option(
        None, "--tls-client-ca", help="Chief: require worker certificates signed by this CA (PEM)."
    ),
    tls_ca: Path | None = typer.Option(None, "--tls-ca", help="Worker: the CA (or self-signed cert) of the chief."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Chief: serve beyond loopback without token or TLS (a trusted network only)."
    ),
    data_dir: Path | None = DataDirOption,
    download: bool = DownloadOption,
    mlflow: str | None = MlflowOption,
) -> None:
    """Run a Hyperband search, retrain the winner, evaluate it on the test split."""
    from ..hyperband.distributed import roles, security
    from ..hyperband.distributed.local import parse_workers, pool_for
    from ..runfolder.lifecycle import check_run_dir_writable

    address = roles.check_roles(role, oracle, worker_id, worker_timeout)
    pool = parse_workers(workers)
    if pool is not None and role is not None:
        raise ConfigError("--workers starts its own chief and workers on this machine: leave out --role")
    tls = dict(tls_cert=tls_cert, tls_key=tls_key, tls_client_ca=tls_client_ca, tls_ca=tls_ca)
    protection = security.protection_options(role, address.host if address else None, token_file, tls, insecure)
    recipe_options: dict = dict(
        final_epochs=final_epochs,
        warmup_epochs=warmup_epochs,
        label_smoothing=label_smoothing,
        ema=ema,
        weight_decay=weight_decay,
    )
    api.final_recipe(**recipe_options)  # a bad value is one line (exit 2)
    budget = budget_seconds(time_budget, time_budget_hard)  # so is a bad duration
    # only the recipe options given: on an existing run, those left out keep the run's values
    recipe = {("epochs" if k == "final_epochs" else k): v for k, v in recipe_options.items() if v is not None} or None
    options: dict = dict(
        max_epochs=max_epochs,
        factor=factor,
        iterations=iterations,
        subset=subset,
        batch_size=batch_size,
        seed=seed,
        patience=patience,
        max_params=max_params,
        trials_per_worker=trials_per_worker,
        recipe=recipe,
        ensemble=ensemble,
        ensemble_of=ensemble_of,
        precision=precision,
        tta=tta,
        time_budget=budget,
        time_budget_hard=time_budget_hard or None,
        keep_checkpoints=keep_checkpoints,
    )
    config = api.search_config(
        dataset,
        profile,
        all_data=all_data,
        seed_presets=seed_presets,
        data_dir=data_dir,
        tensorboard=tensorboard,
        space=space,
        **options,
    )
    if role != "worker" or run_dir.exists():  # a worker may start before the chief creates the folder
        check_run_dir_writable(run_dir)
    if role == "chief":
        assert address is not None  # check_roles returns the address of either role
        roles.check_port_free(address)
        if insecure and not security.is_loopback(address.host):
            typer.echo(
                f"warning: --insecure: the oracle on {address} answers anyone who reaches it (no token, no TLS)",
                err=True,
            )
    client = mlflow_client(mlflow, worker=role == "worker")
    import_keras_quietly()  # every cheap check is done
    from ..hyperband.search import how_to_go_on
    from ..reports.progress import ConsoleUI

    if role == "worker":
        assert address is not None and worker_id is not None  # check_roles made sure
        api.fetch(dataset, data_dir, download)
        with interruptible(
            "Start it again with the same --worker-id to go on; its trial waits for it "
            "(or goes to another worker after the chief's --worker-timeout)"
        ):
            roles.run_worker_role(config, run_dir, ConsoleUI(console), address, worker_id, protection=protection)
        return
    # a worker has returned: the address is the chief's, if any
    chief = roles.ChiefRole(address, worker_timeout, protection) if address is not None else None
    with interruptible(how_to_go_on(run_dir)):
        final = api.search(
            dataset,
            run_dir,
            profile,
            all_data=all_data,
            seed_presets=seed_presets,
            space=space,
            data_dir=data_dir,
            download=download,
            console=console,
            chief=chief or pool_for(pool),
            mlflow=client,
            **options,
        )
    print_winner(run_dir, final)


def budget_seconds(time_budget: str | None, hard: bool) -> float | None:
    """``--time-budget`` in seconds (None: none given); ConfigError for a bad duration, or a hard stop without one."""
    from ..errors import ConfigError
    from ..runfolder.budget import parse_duration

    if hard and time_budget is None:
        raise ConfigError("--time-budget-hard needs a --time-budget (e.g. --time-budget 2h --time-budget-hard)")
    return None if time_budget is None else parse_duration(time_budget)


def resume(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="The run folder of an interrupted search."),
    data_dir: Path | None = DataDirOption,
    mlflow: str | None = MlflowOption,
    workers: str | None = WorkersOption,
    keep_checkpoints: str | None = KeepCheckpointsOption,
) -> None:
    """Continue an interrupted search from its run folder, with its saved config."""
    from ..hyperband.distributed.local import parse_workers, pool_for

    pool = parse_workers(workers)
    if keep_checkpoints is not None:
        check_keep_checkpoints(keep_checkpoints)  # a bad value: one line, exit 2
    SearchConfig.load(run_dir)  # a search run folder, before TensorFlow is imported
    client = mlflow_client(mlflow)
    import_keras_quietly()
    from ..hyperband.search import how_to_go_on

    with interruptible(how_to_go_on(run_dir)):
        final = api.resume(
            run_dir,
            data_dir=data_dir,
            console=console,
            mlflow=client,
            chief=pool_for(pool),
            keep_checkpoints=keep_checkpoints,
        )
    print_winner(run_dir, final)


def print_winner(run_dir: Path, final: dict) -> None:
    from ..reports.formatting import search_counts
    from ..reports.leaderboard import leaderboard_table
    from ..runfolder.configs import read_run_config
    from ..runfolder.trials import read_trials

    run, config = read_run_config(run_dir)
    records = read_trials(run.path)
    console.print(leaderboard_table(records, top=5, width=console.width, counts=search_counts(run, config, records)))
    console.print(
        f"winner: trial {final['trial_id']} (val acc {final['val_accuracy']:.4f}), retrained for "
        f"{plural(final['epochs'], 'epoch')} on {plural(final['train_images'], 'image')}: held-out test accuracy "
        f"[bold]{final['test_accuracy']:.4f}[/bold] on {plural(final['test_images'], 'image')}; model: "
        f"{run_dir / final['model']}"
    )
    if final.get("tta") and not final["tta"].get("skipped"):
        console.print(
            f"with test-time augmentation ({plural(final['tta']['copies'], 'copy', 'copies')}): held-out test accuracy "
            f"[bold]{final['tta']['test_accuracy']:.4f}[/bold]"
        )
    ensemble = final.get("ensemble")
    if ensemble:
        members = ", ".join(f"{100 * member['test_accuracy']:.2f}" for member in ensemble["members"])
        console.print(
            f"ensemble of {len(ensemble['members'])} ({ensemble['of']}; members {members} %): "
            f"held-out test accuracy [bold]{ensemble['test_accuracy']:.4f}[/bold]; model: "
            f"{run_dir / ensemble['model']}"
            + (
                f"; with test-time augmentation {ensemble['tta']['test_accuracy']:.4f}"
                if (ensemble.get("tta") or {}).get("test_accuracy") is not None
                else ""
            )
        )
    console.print(
        f"next: `emnist-tuner report {run_dir}` (the winner's errors, per class), `emnist-tuner retrain "
        f"{run_dir}` (the winner on MNIST, then the backbone of `emnist-tuner transfer`)",
        highlight=False,
    )
