"""A finished run's winning architecture, to rebuild it for another dataset.

A search run's winner is its best trial (``final.json``: the values the final model was retrained
with); a train run's winner is its preset. Either is rebuilt through ``CharacterHyperModel`` with
the new dataset's image size and number of classes, so only the head (and, for another image size,
the first dense layer's input) changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import RunError
from ..io import read_json
from ..runfolder.layout import RunFolder


@dataclass(frozen=True)
class Winner:
    run: Path
    kind: str  # "search" or "train"
    label: str  # e.g. "trial 0012" or "preset model1"
    dataset: str  # the dataset the run was searched/trained on
    values: dict  # the hyperparameter values (search) or {} (train: see preset)
    preset: str | None
    augmentations: tuple[str, ...]
    restrict: dict | None
    model_file: Path  # the run's own final model (trained on ``dataset``)

    def build(self, input_shape: tuple[int, int], num_classes: int, name: str = "winner", augment: bool = True):
        """The winner as a fresh compiled model for ``input_shape`` images and ``num_classes``
        (``augment=False``: without its augmentation layers, when the caller augments)."""
        from ..searchspace import AUGMENTATIONS, CharacterHyperModel, preset_hyperparameters

        augmentations = self.augmentations if augment else ()
        hypermodel = CharacterHyperModel(input_shape, num_classes, augmentations, name=name, restrict=self.restrict)
        if self.preset:
            return hypermodel.build(preset_hyperparameters(self.preset, hypermodel))
        values = dict(self.values)
        if not augment:
            for key in ("augment", *AUGMENTATIONS):
                values.pop(key, None)
        return hypermodel.build(hypermodel.hyperparameters_for(values))


def _read(path: Path) -> dict | None:
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path} is unreadable ({exc}); the run folder is damaged") from None
    if not isinstance(data, dict):
        raise RunError(f"{path} does not hold a JSON object; the run folder is damaged")
    return data


def read_winner(run_dir: Path | str) -> Winner:
    """The winner of a finished search or train run; RunError naming what is missing otherwise."""
    run = RunFolder(run_dir)
    config = _read(run.config_file)
    if config is None:
        raise RunError(f"{run.path} is not a run folder (no {run.config_file.name}); give a search or train run folder")
    kind = config.get("kind", "search")
    if kind == "train":
        if _read(run.metrics_file) is None:
            raise RunError(f"{run.path}: the training run did not finish (no {run.metrics_file.name}); train it again")
        from ..searchspace import AUGMENTATIONS

        return Winner(
            run.path,
            kind,
            f"preset {config['preset']}",
            config["dataset"],
            {},
            config["preset"],
            tuple(AUGMENTATIONS),
            None,
            run.model_file,
        )
    if kind != "search":
        raise RunError(f"{run.path} is a {kind} run; give a search or train run folder")
    final = _read(run.final_file)
    if final is None:
        raise RunError(
            f"{run.path}: the search has no winner yet (no {run.final_file.name}); "
            f"finish it first with: emnist-tuner resume {run.path}"
        )
    return Winner(
        run.path,
        kind,
        f"trial {final['trial_id']}",
        config["dataset"],
        dict(final["hyperparameters"]),
        None,
        tuple(config.get("augmentations", ())),
        config.get("restrict"),
        run.best_model_file,
    )
