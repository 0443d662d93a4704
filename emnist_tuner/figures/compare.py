"""`emnist-tuner compare RUN... --plot FILE`: the runs' accuracies side by side as one figure."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .plot import check_output_file

SUFFIXES = (".png", ".svg")


def check_plot_path(path: Path | str) -> Path:
    """ConfigError (exit 2) unless ``path`` is a .png or .svg file that can be written."""
    return check_output_file("--plot", path, SUFFIXES)


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
