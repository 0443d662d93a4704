"""`emnist-tuner plot`: a run's figures as PNG or SVG files (read-only on the run folder)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import DataDirOption, say


def plot(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="A search, train or ablation run folder, in any state."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the figures (default: plots/<run name>)."),
    fmt: str = typer.Option("png", "--format", help="png or svg."),
    only: str | None = typer.Option(
        None,
        "--only",
        help="Comma-separated figure names: history, curves, pareto, "
        "importance, effects, confusion, per-class, "
        "confused-images, transfer, ablation.",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Draw a run's figures: search history, learning curves, Pareto front, importance, the final model's
    errors, transfer and ablation. Never writes into RUN (unless --out points there)."""
    from ..figures.plot import plot_run

    written, skipped = plot_run(run_dir, out=out, fmt=fmt, only=only, data_dir=data_dir)
    for path in written:
        say(f"wrote {path}")
    reasons: dict[str, list[str]] = {}
    for name, why in skipped:  # one line per reason: the final model's three figures share theirs
        reasons.setdefault(why, []).append(name)
    for why, names in reasons.items():
        say(f"{', '.join(names)}: not drawn: {why}")
    if not written:
        say("no figure drawn" + (" (why: above)" if skipped else ""))
