"""`emnist-tuner`: a thin typer front end, one library call per command.

Errors meant for the user (``EmnistTunerError``) are printed as one line on stderr,
without a traceback; bad option values exit with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .errors import EmnistTunerError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Hyperband architecture search for handwritten-character CNNs (EMNIST Letters, MNIST, Binary AlphaDigits).",
)
console = Console()

DataDirOption = typer.Option(
    None, "--data-dir", help="Folder with the data files (else $EMNIST_TUNER_DATA, then the user cache)."
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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="emnist-tuner")
    except EmnistTunerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
