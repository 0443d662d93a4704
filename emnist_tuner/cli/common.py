"""What every `emnist-tuner` command module shares: the console, common options, and how a long
command turns Ctrl-C into one line and exit code 130."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import typer
from rich.console import Console

from ..api.keywords import PIPED_WIDTH
from ..errors import Interrupted

# Piped output (a file, another program) is not wrapped at 80 columns: scripts read whole paths and names.
console = Console(
    width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPED_WIDTH, soft_wrap=not sys.stdout.isatty()
)

DataDirOption = typer.Option(
    None, "--data-dir", help="Folder with the data files (else $EMNIST_TUNER_DATA, then the user cache)."
)
SpaceOption = typer.Option(
    None,
    "--space",
    help="A TOML file narrowing the search space: [fixed] name = value, [choices] name = [values], [ranges] "
    "name = [low, high] (names as in trial.json).",
)
DownloadOption = typer.Option(False, "--download", help="Download missing data files from the official sources.")
WarmupOption = typer.Option(
    None, "--warmup-epochs", help="Final training: epochs of linear warm-up before the cosine decay to 0 (default 1)."
)
LabelSmoothingOption = typer.Option(None, "--label-smoothing", help="Final training: label smoothing (default 0.1).")
EmaOption = typer.Option(
    None, "--ema/--no-ema", help="Final training: evaluate and keep a moving average of the weights (default on)."
)
WeightDecayOption = typer.Option(
    None, "--weight-decay", help="Final training: decoupled weight decay (default: the optimizer's own)."
)
PrecisionOption = typer.Option(
    "auto",
    "--precision",
    help="float32, mixed_bfloat16, mixed_float16 or auto "
    "(GPU: mixed_float16; CPU with AMX: mixed_bfloat16; "
    "other CPUs: float32).",
)
DATASET_HELP = (
    "emnist-letters, emnist-balanced, emnist-byclass, emnist-bymerge, emnist-digits, emnist-mnist, mnist, "
    "binary-alphadigits, emnist-letters-sample or synthetic (`emnist-tuner data` lists them)."
    " Or your own files: csv:PATH, folder:PATH, npz:PATH (see `emnist-tuner data --dataset`)."
)


def say(text: str) -> None:
    console.print(text, highlight=False)


@contextmanager
def interruptible(how_to_go_on: str):
    """Ctrl-C anywhere in a long command (also before its run folder is locked): one line saying how to
    go on, exit code 130. A run's own life cycle (``runfolder.lifecycle``) says it first where it can."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted. {how_to_go_on}") from None
