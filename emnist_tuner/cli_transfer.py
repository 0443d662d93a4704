"""`emnist-tuner retrain` and `emnist-tuner transfer`: the winner on MNIST, then as a backbone."""

from __future__ import annotations

from pathlib import Path


def retrain(run_dir: Path) -> None:
    """(placeholder)"""


def transfer(run_dir: Path) -> None:
    """(placeholder)"""
