"""How a refusal names what differs between a run's saved config and the one a command asks for: each
option by the flag a user types, with both values as a user would type them (e.g. "--final-epochs: the run
has 30, the command gives 10"); the recipe's fields are options of their own."""

from __future__ import annotations

# how a field without an option of its own name is called in a refusal ("recipe.ema": the recipe's ema)
_LABELS = {
    "recipe.ema": "--ema/--no-ema",
    "seed_presets": "--seed-presets (the presets tried first)",
    "space": "the search space's fingerprint (it follows from --profile and the emnist-tuner version)",
    "restrict": "the profile's narrower choices (--profile)",
    "narrowing": "--space",
    "augmentations": "the augmentations (set by the emnist-tuner version)",
    "val_fraction": "the validation fraction (set by the emnist-tuner version)",
    "variants": "the variants (they follow from --base, --methods and the emnist-tuner version)",
}
DERIVED = ("space", "restrict", "variants")  # named only when no option explains the difference
_NONE = {
    "subset": "all (--all-data)",
    "recipe.epochs": "the winner's epochs",
    "narrowing": "the full space (no --space)",
}  # what None means, where it is not "none"
LONGEST_SHOWN = 60  # longest value shown in a refusal
LONGEST_SPACE = 160  # longest --space entries shown (only those that differ: the difference is what matters)


def _flat(values: dict) -> dict:
    """A config's fields with the recipe's spread out ("recipe.epochs", …): each is its own option."""
    flat = {}
    for name, value in values.items():
        if name == "recipe" and isinstance(value, dict):
            flat.update({f"recipe.{k}": v for k, v in value.items()})
        else:
            flat[name] = value
    return flat


def _shown(value, name: str = "") -> str:
    """A saved value (of field ``name``) as a user would type it: none, on/off, 0.1, a, b, c, key=value."""
    if value is None:
        text = _NONE.get(name, "none")
    elif isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_shown(v) for v in value) if value else "none"
    elif isinstance(value, dict):
        text = "; ".join(f"{k}={_shown(v)}" for k, v in value.items()) if value else "none"
    else:
        text = str(value)
    return _clip(text)


def differences(saved: dict, asked: dict, labels: dict[str, str]) -> list[str]:
    """One entry per field of ``saved`` that ``asked`` changes (``labels``: a kind's own option names, e.g.
    {"recipe.epochs": "--final-epochs"}). A field that follows from others (the search space, an ablation's
    variants) is named only when nothing else differs."""
    mine, theirs = _flat(saved), _flat(asked)
    out: list[str] = []
    derived: list[str] = []
    for name in mine:
        if mine[name] != theirs.get(name):
            label = labels.get(name) or _LABELS.get(name) or "--" + name.split(".")[-1].replace("_", "-")
            if name == "narrowing":
                run_has, command_gives = _narrowings(mine[name], theirs.get(name))
            else:
                run_has, command_gives = _shown(mine[name], name), _shown(theirs.get(name), name)
            entry = f"{label}: the run has {run_has}, the command gives {command_gives}"
            (derived if name in DERIVED else out).append(entry)
    return list(dict.fromkeys(out or derived))  # train's --epochs is also its recipe's: named once


def _narrowings(mine: dict | None, theirs: dict | None) -> list[str]:
    """Two space files' entries that differ, as text ("conv_blocks in [2, 3]"; an entry one of them lacks:
    "conv_blocks as declared"); a run or command without --space: the whole file against the full space."""
    from ..searchspace.narrowing import entry_texts, space_text

    if not mine or not theirs:
        return [_clip(space_text(n), LONGEST_SPACE) if n else _NONE["narrowing"] for n in (mine, theirs)]
    ours, others = entry_texts(mine), entry_texts(theirs)
    names = [n for n in dict.fromkeys([*ours, *others]) if ours.get(n) != others.get(n)]
    return [
        _clip("; ".join(texts.get(n, f"{n} as declared") for n in names), LONGEST_SPACE) for texts in (ours, others)
    ]


def _clip(text: str, longest: int = LONGEST_SHOWN) -> str:
    return text if len(text) <= longest else text[: longest - 1] + "…"
