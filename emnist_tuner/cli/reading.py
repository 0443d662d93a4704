"""`emnist-tuner leaderboard`, `report`, `runs` and `compare`: read run folders, never write them
(except the report's confusion-matrix cache)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import ConfigError, RunError
from ..io import check_output_path
from ..runfolder.configs import read_run_config
from ..runfolder.layout import article
from .common import DataDirOption, console

FORMATS = ("table", "json", "csv", "markdown")


def leaderboard(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="A run folder (running, interrupted or done)."),
    top: int | None = typer.Option(
        None,
        "--top",
        help="Trials to show (0 = all; default: 10 in the table, every trial with --all and in an export).",
    ),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or markdown."),
    sort: str | None = typer.Option(
        None,
        "--sort",
        help="Any column shown, by its table header or export name: score (default), rank, trial, status, "
        "epochs, epochs_scheduled, time, message, ... or a hyperparameter's name.",
    ),
    descending: bool | None = typer.Option(
        None,
        "--descending/--ascending",
        help="Largest first / smallest first (default: the score largest first, any other column smallest first).",
        show_default=False,
    ),
    show_all: bool = typer.Option(
        False,
        "--all",
        help="Every trial (unless --top) and every hyperparameter (folded into one column, so it fits any width).",
    ),
) -> None:
    """Show a run's trials, best first. Reads the run folder only; never writes to it."""
    from ..reports.formatting import search_counts
    from ..reports.leaderboard import leaderboard_table, leaderboard_text
    from ..runfolder.trials import read_trials

    if top is not None and top < 0:
        raise ConfigError(f"--top must be 0 (all) or more, got {top}")
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be table, json, csv or markdown, got '{fmt}'")
    run, config = read_run_config(run_dir)
    kind = config.get("kind", "search")
    if kind != "search":
        raise RunError(
            f"{run.path} is {article(kind)} run: it has no trials to rank; see `emnist-tuner report {run.path}`"
        )
    records = read_trials(run.path)
    if fmt == "table":
        rows = (None if show_all else 10) if top is None else top or None
        console.print(
            leaderboard_table(
                records,
                rows,
                title=f"Leaderboard · {run.state()}",
                width=console.width,
                sort=sort,
                every_hyperparameter=show_all,
                counts=search_counts(run, config, records),
                descending=descending,
            )
        )
    else:
        sys.stdout.write(leaderboard_text(records, fmt, top or None, sort=sort, descending=descending))


def report(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="A search, train or ablation run folder."),
    svg: Path | None = typer.Option(None, "--svg", help="Also save the report as SVG."),
    html: Path | None = typer.Option(
        None, "--html", help="Also save a dashboard: the report and the run's figures in one self-contained HTML file."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """One page: summary, winner's architecture, test accuracy, per-class errors, the study's figures."""
    from ..quiet import import_keras_quietly
    from ..reports.report import build_report, save_report

    read_run_config(run_dir)
    if svg is not None:
        check_output_path(svg, "--svg")
    if html is not None:
        from ..figures.dashboard import check_html_path

        check_html_path(html)
    import_keras_quietly()
    group = build_report(run_dir, data_dir=data_dir)
    console.print(group)
    if svg:
        save_report(group, svg=svg)
        console.print(f"wrote {svg}", highlight=False)
    if html is not None:
        from ..figures.dashboard import write_dashboard

        console.print(f"wrote {write_dashboard(run_dir, html, data_dir=data_dir)}", highlight=False)


def runs(
    folder: Path = typer.Argument(Path("runs"), metavar="FOLDER", help="A folder of run folders (or one run folder)."),
) -> None:
    """List the runs under a folder: kind, dataset, state, trials, best validation and test accuracy."""
    from ..reports.runs_table import find_runs, runs_table

    if not folder.is_dir():
        raise RunError(f"{folder} is not a folder")
    console.print(runs_table(find_runs(folder), title=f"Runs in {folder}"))


def compare(
    run_dirs: list[Path] = typer.Argument(..., metavar="RUN", help="Two or more run folders."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw the runs side by side into this PNG or SVG file."),
) -> None:
    """Show runs side by side: settings, trials, best validation and held-out test accuracy."""
    from ..reports.runs_table import compare_table, run_summary

    if len(run_dirs) < 2:
        raise ConfigError("compare needs two or more run folders; for one, see `emnist-tuner report RUN`")
    seen: dict[Path, Path] = {}
    for run_dir in run_dirs:
        run, _ = read_run_config(run_dir)
        same = seen.get(run.path.resolve())
        if same is not None:
            twice = f"{run_dir} is given twice" if str(same) == str(run_dir) else f"{same} and {run_dir} are one run"
            raise ConfigError(f"compare: {twice}; give two or more different run folders")
        seen[run.path.resolve()] = run_dir
    if plot is not None:
        from ..figures.compare import check_plot_path

        check_plot_path(plot)
    summaries = [run_summary(r) for r in run_dirs]
    console.print(compare_table(summaries))
    if plot is not None:
        from ..figures.compare import save_compare

        console.print(f"wrote {save_compare(summaries, plot)}", highlight=False)
