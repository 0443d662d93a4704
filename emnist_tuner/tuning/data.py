"""The arrays a run trains on: the dataset, optionally a stratified subset, split three ways."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import DatasetInfo, load_dataset, stratified_subset


@dataclass
class RunData:
    info: DatasetInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def train_and_val(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([self.x_train, self.x_val]), np.concatenate([self.y_train, self.y_val])


def prepare_data(dataset: str, subset: int | None = None, seed: int = 0, val_fraction: float = 0.1,
                 data_dir=None) -> RunData:
    """Load and split ``dataset``. With ``subset`` the training split is a stratified subset of that
    many images and the validation split shrinks in proportion; the test split stays whole."""
    d = load_dataset(dataset, data_dir=data_dir, val_fraction=val_fraction, seed=seed)
    x_train, y_train, x_val, y_val = d.x_train, d.y_train, d.x_val, d.y_val
    if subset is not None and subset < len(y_train):
        val_size = max(len(d.info.class_names), round(subset * val_fraction / (1 - val_fraction)))
        keep = stratified_subset(y_train, subset, seed)
        keep_val = stratified_subset(y_val, val_size, seed)
        x_train, y_train, x_val, y_val = x_train[keep], y_train[keep], x_val[keep_val], y_val[keep_val]
    return RunData(d.info, x_train, y_train, x_val, y_val, d.x_test, d.y_test)
