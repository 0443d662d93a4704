"""Datasets joined: ``mnist+emnist-letters-sample`` is one dataset over the union of its parts' classes.

Every command that takes a dataset takes a union of built-in datasets, named as its parts joined by
``+`` (two or more, each once, all with the same image shape). Its classes are the parts' class names in
order of first appearance (``mnist+emnist-letters-sample``: the digits 0-9, then the letters A-Z: 36
classes, Binary AlphaDigits' own); a class name two parts share is one class. Each part is read, verified
and split as it is alone (its own test split or its carved one, its validation split by ``--seed``), and
the union's train, validation and test splits are the parts' splits put together, in the parts' order.
A user's source (``csv:``, ``folder:``, ``npz:``) is not a part: put the images into one source instead.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, plural

JOIN = "+"


def is_union(name: str) -> bool:
    """Whether ``name`` names a union (``a+b``) rather than one dataset or a source spec."""
    from .sources import is_source

    return JOIN in name and not is_source(name)


def union_parts(name: str) -> list[str]:
    """The parts of union ``name``, checked: known built-in datasets, each once, two or more (ConfigError)."""
    from .datasets import DATASETS
    from .sources import is_source

    parts = [part.strip() for part in name.split(JOIN)]
    example = "e.g. mnist+emnist-letters-sample"
    if len(parts) < 2 or not all(parts):
        raise ConfigError(f"dataset '{name}': join two or more datasets with '{JOIN}', {example}")
    for part in parts:
        if is_source(part):
            raise ConfigError(
                f"dataset '{name}': {part} is a source; a union joins built-in datasets only "
                "(put your images into one csv:, folder: or npz: source instead)"
            )
        if part not in DATASETS:
            raise ConfigError(f"dataset '{name}': unknown part '{part}'; known: {', '.join(DATASETS)}")
    repeated = sorted({part for part in parts if parts.count(part) > 1})
    if repeated:
        raise ConfigError(f"dataset '{name}': {', '.join(repeated)} given twice; name each part once")
    shapes = {DATASETS[part].image_shape for part in parts}
    if len(shapes) > 1:
        described = ", ".join(f"{part} {'x'.join(map(str, DATASETS[part].image_shape))}" for part in parts)
        raise ConfigError(f"dataset '{name}': its parts' images differ in size ({described}); join ones of one size")
    return parts


def union_info(name: str, parts: list[str] | None = None):
    """The ``DatasetInfo`` of union ``name`` (``parts``: its ``union_parts`` when already checked): its classes
    in order of first appearance, all its parts' files."""
    from .datasets import DATASETS, DatasetInfo

    parts = parts or union_parts(name)
    infos = [DATASETS[part] for part in parts]
    classes = tuple(dict.fromkeys(c for info in infos for c in info.class_names))
    return DatasetInfo(
        JOIN.join(parts),
        f"the union of {', '.join(parts)}: {plural(len(classes), 'class', 'classes')} (a class name in several "
        "parts is one class)",
        classes,
        infos[0].image_shape,
        tuple(f for info in infos for f in info.files),
        note="each part's own test split (or its carved one), put together",
    )


def load_union(name: str, **load) -> object:
    """The union's ``Dataset``: each part loaded as ``load_dataset(part, **load)`` would, its labels
    renumbered into the union's classes, the splits put together in the parts' order."""
    from .datasets import Dataset, load_dataset

    names = union_parts(name)
    info = union_info(name, names)
    index = {c: i for i, c in enumerate(info.class_names)}
    parts = [load_dataset(part, **load) for part in names]
    splits = {}
    for split in ("train", "val", "test"):
        xs = [getattr(part, f"x_{split}") for part in parts]
        ys = [np.array([index[c] for c in part.info.class_names])[getattr(part, f"y_{split}")] for part in parts]
        splits[f"x_{split}"], splits[f"y_{split}"] = np.concatenate(xs), np.concatenate(ys).astype(np.int64)
    files = {k: v for part in parts for k, v in part.files.items()}
    return Dataset(info, files=files, **splits)
