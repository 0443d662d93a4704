"""The search space of a run: its HyperModel, its fingerprint (a resume must search the same space),
and the study's presets that are points of it (Hyperband's first samples)."""

from __future__ import annotations

import hashlib
import json

from ..errors import ConfigError
from ..runfolder.configs import SearchConfig


def hypermodel_for(config: SearchConfig):
    """The ``CharacterHyperModel`` a search of ``config`` explores."""
    from ..data.datasets import get_info
    from ..searchspace import CharacterHyperModel

    info = get_info(config.dataset)
    return CharacterHyperModel(
        input_shape=info.image_shape,
        num_classes=info.num_classes,
        augmentations=tuple(config.augmentations),
        restrict=config.restrict,
        narrowing=config.narrowing,
    )


def space_fingerprint(hypermodel) -> str:
    """A hash of the search space (every hyperparameter's name, type and range) and fixed settings."""
    import keras
    import keras_tuner as kt

    hp = kt.HyperParameters()
    hypermodel.build(hp)
    keras.backend.clear_session()
    space = [p.get_config() for p in hp.space]
    fixed = {k: v for k, v in vars(hypermodel).items() if isinstance(v, (int, str, tuple, list))}
    blob = json.dumps([space, fixed], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fingerprint_for(config: SearchConfig) -> str:
    """The fingerprint of the search space of ``config`` (see ``space_fingerprint``)."""
    return space_fingerprint(hypermodel_for(config))


def preset_starting_points(hypermodel, names) -> list[dict]:
    """The values of each named preset that is a point of ``hypermodel``'s space (others are skipped,
    e.g. a preset with 128 filters in a space restricted to 64)."""
    return list(preset_points(hypermodel, names).values())


def preset_points(hypermodel, names) -> dict[str, dict]:
    """``preset_starting_points`` by preset name."""
    from ..searchspace import preset_hyperparameters

    points = {}
    for name in names:
        try:
            hp = preset_hyperparameters(name, hypermodel)
        except ConfigError:
            continue
        hp.ensure_active_values()
        points[name] = dict(hp.values)
    return points


def preset_of(values: dict, presets: dict[str, dict]) -> str | None:
    """The name of the preset whose values ``values`` has (Hyperband's own keys aside), if any."""
    for name, point in presets.items():
        if all(values.get(k) == v for k, v in point.items() if not k.startswith("tuner/")):
            return name
    return None
