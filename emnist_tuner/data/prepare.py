"""The arrays a run trains on: the dataset, optionally a stratified subset, split three ways."""

from __future__ import annotations

import dataclasses

from ..errors import plural
from .datasets import Dataset, load_dataset, stratified_subset


def prepare_data(
    dataset: str, subset: int | None = None, seed: int = 0, val_fraction: float = 0.1, data_dir=None, say=None
) -> Dataset:
    """Load and split ``dataset``. With ``subset`` the training split is a stratified subset of that
    many images and the validation split shrinks in proportion; the test split stays whole. A subset
    larger than the training split is the whole split, said in one line to ``say`` (when given)."""
    d = load_dataset(dataset, data_dir=data_dir, val_fraction=val_fraction, seed=seed)
    if subset is not None and subset > len(d.y_train) and say is not None:
        say(
            f"--subset {subset:,} is more than the {plural(len(d.y_train), 'training image')} of {dataset}: "
            "training on all of them"
        )
    if subset is None or subset >= len(d.y_train):
        return d
    val_size = max(d.info.num_classes, round(subset * val_fraction / (1 - val_fraction)))
    keep = stratified_subset(d.y_train, subset, seed)
    keep_val = stratified_subset(d.y_val, val_size, seed)
    return dataclasses.replace(
        d, x_train=d.x_train[keep], y_train=d.y_train[keep], x_val=d.x_val[keep_val], y_val=d.y_val[keep_val]
    )
