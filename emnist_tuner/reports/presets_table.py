"""What `emnist-tuner presets` prints: the study's named models, their sizes, and their settings side by side."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from ..study import NOTES, figures_of
from .formatting import fmt_value


def _study(name: str) -> str:
    """The study's figures for a preset, e.g. "89 / 98 %" (EMNIST letters / MNIST)."""
    figures = figures_of(name)
    return " / ".join(f"{f:g}" for f in figures) + " %" if figures else NOTES.get(name, "")


def presets_table() -> Group:
    from ..searchspace import get_preset, list_presets, preset_param_count

    names = list_presets()
    presets = [get_preset(n) for n in names]
    summary = Table(title="Presets (points of the search space)", title_justify="left")
    summary.add_column("preset", no_wrap=True)
    summary.add_column("what it is", overflow="fold")
    summary.add_column("params (26)", justify="right", no_wrap=True)
    summary.add_column("params (10)", justify="right", no_wrap=True)
    summary.add_column("study", justify="right", no_wrap=True)
    for name, preset in zip(names, presets):
        summary.add_row(
            name,
            preset.title,
            f"{preset_param_count(name, (28, 28), 26):,}",
            f"{preset_param_count(name, (28, 28), 10):,}",
            _study(name),
        )
    summary.caption = "study: validation accuracy reported by the original study (EMNIST letters / MNIST)"
    summary.caption_justify = "left"

    grid = Table(title="Settings (blank: not active in that preset)", title_justify="left")
    grid.add_column("setting", no_wrap=True)
    for name in names:
        grid.add_column(name, justify="right", no_wrap=True)
    keys: list[str] = []
    for preset in presets:
        keys += [k for k in preset.values if k not in keys]
    for key in keys:
        grid.add_row(key, *[fmt_value(p.values.get(key)) for p in presets])
    grid.add_row("early stop", *[str(p.early_stopping_patience or "") for p in presets])
    return Group(summary, grid)
