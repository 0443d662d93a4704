"""A narrowed search space (`search --space FILE`): a TOML file, or a dict of the same shape, that fixes
hyperparameters, restricts choice lists and narrows ranges, with names and values as in ``trial.json``:

    [fixed]            # name = value
    batch_norm = true
    [choices]          # name = [values], each a value of the declared space
    conv_blocks = [2, 3]
    [ranges]           # name = [low, high], inside the declared range (Int and Float only)
    learning_rate = [1e-4, 3e-3]

``read_space`` reads it (one line per problem: a missing file, malformed TOML with its line, an unknown
section); ``check_narrowing`` checks each entry against the space the HyperModel declares for a search
(``declared.declared_space``, no Keras) and returns it normalized, as a run saves it; a problem is one line
per bad entry naming the file, the table, the entry and what is allowed. ``declared.narrowed`` applies it.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError
from .declared import Param, declared_space, value_in_range
from .preset_table import AUGMENTATIONS, get_preset

SECTIONS = ("fixed", "choices", "ranges")
LONGEST_LISTED = 10  # an Int range with more values is described as low..high


def show(value) -> str:
    """``value`` as a TOML file writes it: true, "max", 0.001, [2, 3]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def read_space(source) -> tuple[dict, str]:
    """The tables of a space file (a path) or dict, and how messages name it (the path, or ``--space``);
    ConfigError (one line) for a missing or unreadable file, malformed TOML, or a value outside a table."""
    if isinstance(source, Mapping):
        return dict(source), "--space"
    path = Path(source)
    label = str(source)
    try:
        with open(path, "rb") as stream:
            tables = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(
            f"{label}: no such file; give --space the path of a TOML file ([fixed], [choices], [ranges])"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{label}: cannot read it ({reason}); give --space a readable TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label} is not valid TOML: {exc}") from None
    return tables, label


def check_narrowing(narrowing, input_shape=(28, 28), restrict=None, augmentations=AUGMENTATIONS, source="--space"):
    """``narrowing`` (tables as ``read_space`` returns them) checked against the space the HyperModel declares
    for ``input_shape``, ``restrict`` and ``augmentations``, normalized: each present section's entries in
    declaration order, Float values as floats; None when it narrows nothing. ConfigError with one line per
    bad entry ("space.toml [choices] conv_blocks: 7 is not one of 0, 1, 2, 3, 4")."""
    if not narrowing:
        return None
    space = declared_space(input_shape, restrict, augmentations)
    full = declared_space(input_shape, None, augmentations)
    problems: list[str] = []
    found: dict[str, dict] = {section: {} for section in SECTIONS}
    seen: dict[str, str] = {}
    for section, entries in narrowing.items():
        if section not in SECTIONS:
            problems.append(
                f"{source} [{section}]: unknown table; the tables are [fixed], [choices], [ranges]"
                if isinstance(entries, Mapping)
                else f"{source}: {section} = {show(entries)} is outside any table; put it under [fixed], [choices] "
                "or [ranges]"
            )
            continue
        if not isinstance(entries, Mapping):
            problems.append(f"{source} [{section}]: not a table; write [{section}] on a line of its own, then name = …")
            continue
        for name, value in entries.items():
            where = f"{source} [{section}] {name}"
            if name not in space:
                problems.append(f"{where}: {_unknown(name, space, full)}")
            elif name in seen:
                problems.append(f"{where}: also in [{seen[name]}]; give each hyperparameter in one table")
            else:
                seen[name] = section
                checked, problem = _check_entry(section, space[name], value)
                if problem:
                    restricted = space[name].values != full[name].values and _check_entry(section, full[name], value)[0]
                    problems.append(f"{where}: {problem}" + (" (narrowed by --profile)" if restricted else ""))
                else:
                    found[section][name] = checked
    if problems:
        raise ConfigError("\n".join(problems))
    ordered = {s: {n: found[s][n] for n in space if n in found[s]} for s in SECTIONS if found[s]}
    return ordered or None


def _unknown(name: str, space: dict, full: dict) -> str:
    if name in full or name in declared_space():  # a name of the space at other settings (image size, augmentations)
        return "not in this search's space; " + f"its names: {', '.join(space)}"
    near = difflib.get_close_matches(name, list(space), n=3, cutoff=0.6)
    if near:
        return f"no such hyperparameter; did you mean {' or '.join(near)}?"
    return f"no such hyperparameter; the names (as in trial.json): {', '.join(space)}"


def allowed(param: Param) -> str:
    """What ``param`` takes, for a message: "one of 0, 1, 2", "a number in 0.0001..0.01 (log)", …"""
    if param.kind in ("Choice", "Boolean", "Fixed"):
        return "one of " + ", ".join(show(v) for v in param.values)
    if param.kind == "Int":
        assert param.low is not None and param.high is not None  # an Int has both bounds
        if param.high - param.low < LONGEST_LISTED:
            return "one of " + ", ".join(str(v) for v in range(int(param.low), int(param.high) + 1))
        return f"an integer in {param.low}..{param.high}"
    grid = f" in steps of {param.step:g}" if param.step else ""
    log = " (log sampling)" if param.sampling == "log" else ""
    return f"a number in {param.low:g}..{param.high:g}{grid}{log}"


def param_text(param: Param) -> str:
    """What ``param`` takes, for a table cell: "2, 3", "= true", "0..4", "0.1..0.3 step 0.05", "0.0001..0.01 log"."""
    if param.kind == "Fixed":
        return f"= {show(param.values[0])}"
    if param.kind in ("Choice", "Boolean"):
        return ", ".join(show(v) for v in param.values)
    bounds = f"{show(param.low)}..{show(param.high)}"
    return bounds + (f" step {param.step:g}" if param.step else "") + (" log" if param.sampling == "log" else "")


def _value(param: Param, value):
    """``value`` as ``param`` holds it (an int given for a Float is that float), or None if it cannot be."""
    if param.kind == "Float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return value if value_in_range(param, value) else None


def _check_entry(section: str, param: Param, value) -> tuple[object, str | None]:
    """The normalized entry and None, or None and what is wrong (without the file and table)."""
    if section == "fixed":
        checked = _value(param, value)
        return (checked, None) if checked is not None else (None, f"{show(value)} is not {allowed(param)}")
    if section == "choices":
        if not isinstance(value, (list, tuple)) or not value:
            return None, f"give a list of values, e.g. {param.name} = [{show(param.default)}]; each {allowed(param)}"
        values = [_value(param, v) for v in value]
        bad = [show(v) for v, c in zip(value, values) if c is None]
        if bad:
            return None, f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not {allowed(param)}"
        return list(dict.fromkeys(values)), None
    if param.kind not in ("Int", "Float"):
        what = "fix it under [fixed] or list it under [choices]"
        return None, f"a {param.kind.lower()} has no range; {what} ({allowed(param)})"
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None, f"give [low, high], e.g. {param.name} = [{show(param.low)}, {show(param.high)}]"
    bounds = [_value(param, v) for v in value]
    bad = [show(v) for v, c in zip(value, bounds) if c is None]
    if bad:
        return None, f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not {allowed(param)}"
    low, high = bounds
    if low > high:
        return None, f"low {show(low)} is above high {show(high)}; give [low, high]"
    return [low, high], None


def entry_texts(narrowing: Mapping | None) -> dict[str, str]:
    """Each narrowed hyperparameter's entry as text: "batch_norm = true", "conv_blocks in [2, 3]",
    "learning_rate in 0.0001..0.003"."""
    texts: dict[str, str] = {}
    for name, value in (narrowing or {}).get("fixed", {}).items():
        texts[name] = f"{name} = {show(value)}"
    for name, values in (narrowing or {}).get("choices", {}).items():
        texts[name] = f"{name} in {show(values)}"
    for name, (low, high) in (narrowing or {}).get("ranges", {}).items():
        texts[name] = f"{name} in {show(low)}..{show(high)}"
    return texts


def space_text(narrowing: Mapping | None) -> str:
    """A checked narrowing in one line ("batch_norm = true; conv_blocks in [2, 3]"), "full space" if none."""
    return "; ".join(entry_texts(narrowing).values()) or "full space"


def preset_outside(name: str, narrowing: Mapping | None, augmentations=AUGMENTATIONS) -> str | None:
    """Why preset ``name`` is not a point of the narrowed space ("batch_norm = true, the space has
    batch_norm = false"), or None when it is (its settings the space does not tune aside)."""
    values = {
        k: v
        for k, v in get_preset(name).values.items()
        if (k not in AUGMENTATIONS or k in augmentations) and (k != "augment" or augmentations)
    }
    texts = entry_texts(narrowing)
    for key, value in values.items():
        if key in texts and not _inside(narrowing or {}, key, value):
            return f"{key} = {show(value)}, the space has {texts[key]}"
    return None


def _same(a, b) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _inside(narrowing: Mapping, key: str, value) -> bool:
    """Whether ``value`` of hyperparameter ``key`` is inside the narrowing's entry for it."""
    if key in narrowing.get("fixed", {}):
        return _same(value, narrowing["fixed"][key])
    if key in narrowing.get("choices", {}):
        return any(_same(value, v) for v in narrowing["choices"][key])
    low, high = narrowing["ranges"][key]
    return low <= value <= high
