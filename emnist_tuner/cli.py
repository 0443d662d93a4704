"""`emnist-tuner`: a thin typer front end, one library call per command.

Errors meant for the user (``EmnistTunerError``) are printed as one line on stderr,
without a traceback; bad option values exit with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import cli_ablate, cli_transfer
from .cli_common import DATASET_HELP, DataDirOption, DownloadOption, console, fetch, interruptible
from .errors import EmnistTunerError
from .quiet import import_keras_quietly

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Hyperband architecture search for handwritten-character CNNs (EMNIST Letters, MNIST, Binary AlphaDigits).",
)


@app.callback()
def _root() -> None:
    """Hyperband architecture search for handwritten-character CNNs."""


@app.command()
def data(
    data_dir: Optional[Path] = DataDirOption,
    download: bool = typer.Option(False, "--download", help="Download missing files from the official sources."),
) -> None:
    """Show each dataset: where its files are, whether they verify, and its split sizes."""
    from .datastatus import check_all
    from .reports.datasets_table import datasets_table

    statuses = check_all(data_dir, download)
    console.print(datasets_table(statuses))
    failed = [s for s in statuses if s.failed]
    for s in failed:
        print(f"error: {s.name}: {s.message}", file=sys.stderr)
    if failed:
        raise typer.Exit(1)


@app.command()
def presets() -> None:
    """List the named presets (the study's models) with their settings and parameter counts."""
    import_keras_quietly()
    from .reports.presets_table import presets_table

    console.print(presets_table())


@app.command()
def train(
    preset: str = typer.Option(..., "--preset", help="Preset name (see `emnist-tuner presets`)."),
    dataset: str = typer.Option(..., "--dataset", help=DATASET_HELP),
    run_dir: Path = typer.Option(..., "--run-dir", help="Folder for config, history, metrics and model."),
    epochs: int = typer.Option(15, "--epochs", help="Maximum epochs (early stopping may end sooner)."),
    batch_size: int = typer.Option(128, "--batch-size"),
    subset: Optional[int] = typer.Option(None, "--subset", help="Train on a stratified subset of N images."),
    seed: int = typer.Option(0, "--seed"),
    patience: Optional[int] = typer.Option(None, "--patience", help="Early-stopping patience (0 = off)."),
    data_dir: Optional[Path] = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Train one preset, evaluate it once on the held-out test split, save the run folder."""
    import_keras_quietly()
    from .tuning.train import TrainConfig, train_preset

    config = TrainConfig(preset, dataset, epochs, batch_size, subset, seed, patience,
                         data_dir=str(data_dir) if data_dir else None)
    config.validate()
    fetch(dataset, data_dir, download)
    with interruptible("A training run is not resumable: run it again with a new --run-dir"):
        train_preset(config, run_dir, console)


@app.command()
def search(
    dataset: str = typer.Option(..., "--dataset", help=DATASET_HELP),
    run_dir: Path = typer.Option(..., "--run-dir", help="The run folder (created, or resumed if it holds this search)."),
    profile: str = typer.Option("quick", "--profile", help="quick (2-core CPU, ~10 min) or full (GPU, all data)."),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="Hyperband's max epochs per model."),
    factor: Optional[int] = typer.Option(None, "--factor", help="Hyperband's reduction factor (>= 2)."),
    iterations: Optional[int] = typer.Option(None, "--iterations", help="Hyperband iterations."),
    subset: Optional[int] = typer.Option(None, "--subset", help="Stratified subset of N training images."),
    all_data: bool = typer.Option(False, "--all-data", help="Use every training image (no subset)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size"),
    seed: Optional[int] = typer.Option(None, "--seed"),
    patience: Optional[int] = typer.Option(None, "--patience", help="Early stopping inside trials (0 = off)."),
    max_params: Optional[int] = typer.Option(None, "--max-params",
                                             help="Models with more parameters fail their trial."),
    seed_presets: bool = typer.Option(True, "--seed-presets/--no-seed-presets",
                                      help="Start from the study's presets (those in the space)."),
    trials_per_worker: Optional[int] = typer.Option(None, "--trials-per-worker",
                                                    help="Trials per worker process (bounds memory)."),
    role: Optional[str] = typer.Option(None, "--role", help="Distributed search: chief (serves the oracle, "
                                                            "retrains the winner) or worker (trains trials)."),
    oracle: Optional[str] = typer.Option(None, "--oracle", help="HOST:PORT of the chief's oracle (distributed)."),
    worker_id: Optional[str] = typer.Option(None, "--worker-id", help="This worker's id (--role worker)."),
    worker_timeout: float = typer.Option(120.0, "--worker-timeout",
                                         help="Chief: seconds of silence after which a worker's trial goes to "
                                              "another worker."),
    data_dir: Optional[Path] = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Run a Hyperband search, retrain the winner, evaluate it on the test split."""
    import_keras_quietly()
    from .tuning import distributed
    from .tuning.config import SearchConfig
    from .tuning.runfolder import check_run_dir_writable
    from .tuning.search import start_search

    address = distributed.check_roles(role, oracle, worker_id, worker_timeout)
    config = SearchConfig.from_profile(
        dataset, profile, max_epochs=max_epochs, factor=factor, iterations=iterations, subset=subset,
        batch_size=batch_size, seed=seed, patience=patience, max_params=max_params,
        trials_per_worker=trials_per_worker,
        data_dir=str(data_dir) if data_dir else None,
    )
    if all_data:
        config.subset = None
    if not seed_presets:
        config.seed_presets = []
    if role != "worker" or run_dir.exists():  # a worker may start before the chief creates the folder
        check_run_dir_writable(run_dir)
    if role == "chief":
        distributed.check_port_free(address)
    fetch(dataset, data_dir, download)
    if role == "worker":
        with interruptible(f"Start it again with the same --worker-id to go on; its trial waits for it "
                           f"(or goes to another worker after the chief's --worker-timeout)"):
            distributed.run_worker_role(config, run_dir, console, address, worker_id)
        return
    chief = distributed.ChiefRole(address, worker_timeout) if role == "chief" else None
    with interruptible(f"Resume with: emnist-tuner resume {run_dir}"):
        final = start_search(config, run_dir, console, chief)
    _print_leaderboard(run_dir, final)


@app.command()
def resume(
    run_dir: Path = typer.Argument(..., help="The run folder of an interrupted search."),
    data_dir: Optional[Path] = DataDirOption,
) -> None:
    """Continue an interrupted search from its run folder, with its saved config."""
    import_keras_quietly()
    from .tuning.search import resume_search

    with interruptible(f"Resume with: emnist-tuner resume {run_dir}"):
        final = resume_search(run_dir, console, data_dir=str(data_dir) if data_dir else None)
    _print_leaderboard(run_dir, final)


@app.command()
def leaderboard(
    run_dir: Path = typer.Argument(..., help="A run folder (running, interrupted or done)."),
    top: int = typer.Option(10, "--top", help="Rows to show (0 = all)."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or markdown."),
    sort: Optional[str] = typer.Option(None, "--sort", help="score (default), trial, time, epochs or a "
                                                            "hyperparameter's name."),
    show_all: bool = typer.Option(False, "--all", help="Every trial and every hyperparameter column."),
) -> None:
    """Show a run's trials, best first. Reads the run folder only; never writes to it."""
    from .reports.leaderboard import leaderboard_table, leaderboard_text
    from .reports.trials import read_trials
    from .errors import ConfigError, RunError

    if top < 0:
        raise ConfigError(f"--top must be 0 (all) or more, got {top}")
    if fmt not in ("table", "json", "csv", "markdown"):
        raise ConfigError(f"--format must be table, json, csv or markdown, got '{fmt}'")
    if not (run_dir / "config.json").is_file():
        raise RunError(f"{run_dir} is not a run folder (no config.json)")
    from .tuning.runfolder import RunFolder

    records = read_trials(run_dir)
    if fmt == "table":
        state = RunFolder(run_dir).state()
        console.print(leaderboard_table(records, None if show_all else top or None, title=f"Leaderboard · {state}",
                                        width=None if show_all else console.width, sort=sort))
    else:
        sys.stdout.write(leaderboard_text(records, fmt, None if show_all else top or None, sort=sort))


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A search or train run folder."),
    svg: Optional[Path] = typer.Option(None, "--svg", help="Also save the report as SVG."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also save the report as HTML."),
    data_dir: Optional[Path] = DataDirOption,
) -> None:
    """One page: summary, winner's architecture, test accuracy, per-class errors, the study's figures."""
    import_keras_quietly()
    from .errors import RunError
    from .reports.report import build_report, save_report

    if not (run_dir / "config.json").is_file():
        raise RunError(f"{run_dir} is not a run folder (no config.json)")
    group = build_report(run_dir, data_dir=data_dir)
    console.print(group)
    if svg or html:
        save_report(group, svg=svg, html=html)


@app.command()
def runs(folder: Path = typer.Argument(Path("runs"), help="A folder of run folders (or one run folder).")) -> None:
    """List the runs under a folder: kind, dataset, state, trials, best validation and test accuracy."""
    from .errors import RunError
    from .reports.runs_table import find_runs, runs_table

    if not folder.is_dir():
        raise RunError(f"{folder} is not a folder")
    console.print(runs_table(find_runs(folder), title=f"Runs in {folder}"))


@app.command()
def compare(run_dirs: list[Path] = typer.Argument(..., help="Two or more run folders.")) -> None:
    """Show runs side by side: settings, trials, best validation and held-out test accuracy."""
    from .errors import RunError
    from .reports.runs_table import compare_table, run_summary

    for run_dir in run_dirs:
        if not (run_dir / "config.json").is_file():
            raise RunError(f"{run_dir} is not a run folder (no config.json)")
    console.print(compare_table([run_summary(r) for r in run_dirs]))


# Commands defined in their own modules (one module per feature), registered here.
app.command()(cli_transfer.retrain)
app.command()(cli_ablate.ablate)
app.command()(cli_transfer.transfer)


def _print_leaderboard(run_dir: Path, final: dict) -> None:
    from .reports.leaderboard import leaderboard_table
    from .reports.trials import read_trials

    console.print(leaderboard_table(read_trials(run_dir), top=5, width=console.width))
    console.print(f"winner: trial {final['trial_id']} (val acc {final['val_accuracy']:.4f}), retrained for "
                  f"{final['epochs']} epochs on {final['train_images']:,} images: held-out test accuracy "
                  f"[bold]{final['test_accuracy']:.4f}[/bold] on {final['test_images']:,} images; model: "
                  f"{run_dir / final['model']}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="emnist-tuner")
    except EmnistTunerError as exc:
        prefix = "" if exc.exit_code == 130 else "error: "  # an interruption is not an error
        print(f"{prefix}{exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
