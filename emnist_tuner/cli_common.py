"""What every `emnist-tuner` command module shares: the console, common options, data checks,
and how a long command turns Ctrl-C into one line and exit code 130.

Commands live in ``cli.py`` and in ``cli_*.py`` modules that ``cli.py`` registers on its app.
"""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console

console = Console()

DataDirOption = typer.Option(
    None, "--data-dir", help="Folder with the data files (else $EMNIST_TUNER_DATA, then the user cache)."
)
DownloadOption = typer.Option(False, "--download", help="Download missing data files from the official sources.")
DATASET_HELP = "emnist-letters, mnist, binary-alphadigits, emnist-letters-sample or synthetic."


def fetch(dataset: str, data_dir, download: bool) -> None:
    """Verify the dataset's files before any work starts (downloading them first if asked)."""
    from .datafiles import locate_all
    from .datasets import get_info

    locate_all(get_info(dataset).files, data_dir=data_dir, download=download)


@contextmanager
def interruptible(how_to_go_on: str):
    """Ctrl-C anywhere in a long command: one line saying how to go on, exit code 130."""
    try:
        yield
    except KeyboardInterrupt:
        from .tuning.search import SearchInterrupted

        raise SearchInterrupted(f"interrupted. {how_to_go_on}") from None
