"""`emnist-tuner serve`: the runs under a folder as a live, read-only web app."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console


def serve(
    folder: Path = typer.Argument(Path("runs"), metavar="FOLDER", help="A folder of run folders (or one run folder)."),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on: 127.0.0.1 is this machine only; any other shows the runs to its network.",
    ),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
) -> None:
    """Serve the runs as a live web app: every run, each run's leaderboard and interactive figures, runs side by
    side. Read-only; needs the serve extra. Ctrl-C stops it."""
    from ..api import serve as serve_runs

    serve_runs(folder, host=host, port=port, console=console)
