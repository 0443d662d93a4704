"""The space a search explores, as `presets --space` and `report` show it: each hyperparameter as declared
and as a space file (``searchspace.narrowing``) narrowed it, and which presets lie inside."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..searchspace.declared import declared_space, narrowed
from ..searchspace.narrowing import param_text, preset_outside, show, space_text
from ..searchspace.preset_table import AUGMENTATIONS, list_presets


def space_table(
    narrowing: Mapping | None,
    title: str,
    input_shape=(28, 28),
    restrict: Mapping | None = None,
    augmentations=AUGMENTATIONS,
    only_narrowed: bool = False,
) -> Table:
    """Each hyperparameter (``only_narrowed``: each one the space file narrows): when it is active, its
    declared values or range, and what the search explores ("as declared" where the file leaves it)."""
    table = Table(title=title, title_justify="left")
    for column in ("hyperparameter", "active when", "declared", "searched"):
        table.add_column(column, overflow="fold")
    for name, param in declared_space(input_shape, restrict, augmentations).items():
        searched = narrowed(param, narrowing)
        if only_narrowed and searched == param:
            continue
        table.add_row(
            name,
            _condition(param.condition),
            param_text(param),
            "as declared" if searched == param else f"[bold]{param_text(searched)}[/bold]",
        )
    return table


def _condition(condition: tuple[str, tuple] | None) -> str:
    """When a conditional hyperparameter is active: "conv_blocks in 2, 3, 4", "l1 = true"."""
    if not condition:
        return ""
    parent, values = condition
    return f"{parent} = {show(values[0])}" if len(values) == 1 else f"{parent} in {', '.join(map(show, values))}"


def presets_inside(narrowing: Mapping | None, names=None, augmentations=AUGMENTATIONS) -> Text:
    """Which presets are points of the narrowed space, and why each other one is not."""
    names = list_presets() if names is None else names
    reasons = {name: preset_outside(name, narrowing, augmentations) for name in names}
    inside = [name for name, why in reasons.items() if not why]
    outside = [f"{name} ({why})" for name, why in reasons.items() if why]
    lines = [f"presets inside this space: {', '.join(inside) or 'none'}"]
    if outside:
        lines.append(f"outside (a search skips them): {'; '.join(outside)}")
    return Text("\n".join(lines))


def space_section(narrowing: Mapping | None, source: str) -> Group:
    """What `presets --space FILE` adds: the presets inside, then the space (checked at 28x28, every setting
    of the full profile: a --profile quick search also keeps filters at 64 and pooling to max/average)."""
    table = space_table(narrowing, f"Search space narrowed by {source}")
    table.caption = (
        "checked against the whole space at 28x28; `search --profile quick` also limits filters to 16-64 "
        "and pooling to max and average"
    )
    table.caption_justify = "left"
    return Group(presets_inside(narrowing), table)


def searched_space(config: dict) -> list:
    """The report's view of a search run's space (its config as saved): the hyperparameters its space file
    narrowed, as declared and as searched; nothing for a run of the full space (its summary says so)."""
    narrowing = config.get("narrowing")
    if not narrowing:
        return []
    from ..data.datasets import get_info
    from ..errors import ConfigError

    try:
        shape = get_info(config.get("dataset", "")).image_shape
    except ConfigError:  # a dataset this version does not know: the space file's entries as saved
        return [Text(f"Search space: narrowed by --space: {space_text(narrowing)}")]
    table = space_table(
        narrowing,
        "Search space narrowed by --space (the other hyperparameters as declared)",
        shape,
        config.get("restrict"),
        config.get("augmentations", AUGMENTATIONS),
        only_narrowed=True,
    )
    return [table]
