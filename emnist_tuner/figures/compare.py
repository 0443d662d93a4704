"""`emnist-tuner compare RUN... --plot FILE`: the runs' accuracies side by side as one figure."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError

SUFFIXES = (".png", ".svg")


def check_plot_path(path: Path | str) -> Path:
    """ConfigError (exit 2) unless ``path`` is a .png or .svg file that can be written."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--plot {path}: give a file name ending in .png or .svg")
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"--plot {path}: cannot write it; choose a path in a folder you can write to")
    return path


def save_compare(summaries: list[dict], path: Path | str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from .experiment_plots import compare_figure

    path = check_plot_path(path)
    try:
        compare_figure(summaries).savefig(path, dpi=110)
    except OSError as exc:
        raise ConfigError(f"--plot {path}: cannot write it ({exc.strerror or exc})") from None
    return path
