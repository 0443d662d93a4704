"""SOURCE of `predict` and `export`: a run folder (a search, a train run, or a retrain folder such as
``RUN/mnist``) or a ``.keras`` file written by this package (a search with an ensemble gives its
``ensemble.keras``; its ``best_model.keras`` is the winner alone); with it, what the model's outputs mean
(the class names), how its training images were prepared, and what it scored on which test images."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from ..data.datasets import get_info
from ..data.glyphs import style_of
from ..errors import ConfigError, DataError, RunError
from ..io import read_json_object
from ..runfolder.configs import read_run_config
from ..runfolder.layout import RETRAIN_CONFIG, RunFolder, TrainingFolder, article
from ..runfolder.origin import check_data_unchanged, data_dirs
from ..runfolder.recipe_config import FinalRecipe
from ..runfolder.train_configs import RetrainConfig

BY_CLASSES = {10: "mnist", 26: "emnist-letters", 36: "binary-alphadigits"}  # a bare .keras file's dataset


@dataclass
class ModelSource:
    """A model to use (`predict`, `export`) and what it needs: its dataset (class names, image
    preparation), where it comes from, its test accuracy."""

    model_file: Path
    dataset: str
    label: str  # where it comes from, e.g. "search runs/quick-mnist (trial 0012)"
    test_accuracy: float | None = None
    test_images: int | None = None
    data_dir: list[str] | None = None  # where to look for the run's data (``runfolder.origin.data_dirs``)
    label_smoothing: float | None = None  # the final training's (its run's recipe); None: unknown (a bare file)
    _model: object = field(default=None, repr=False, compare=False)  # loaded once (a bare file is loaded to
    # read its number of outputs, then used)

    @functools.cached_property
    def info(self):
        """The dataset's ``DatasetInfo`` (looked up once: a user's source is read from its files)."""
        return get_info(self.dataset)

    @property
    def class_names(self) -> list[str]:
        """What each output means, in output order (the dataset's class names, a user's source's included)."""
        return list(self.info.class_names)

    @property
    def style(self) -> str:
        """How the training images were prepared (``data.glyphs.STYLE_SHAPES``): "mnist", "emnist", "alphadigits"."""
        return style_of(self.dataset, self.input_shape)

    @property
    def input_shape(self) -> tuple[int, int]:
        """The (height, width) of the images the model reads: its dataset's."""
        height, width = self.info.image_shape
        return int(height), int(width)

    def load(self):
        """The Keras model (loaded once); DataError for a file Keras cannot load."""
        import keras

        if self._model is not None:
            return self._model
        try:
            self._model = keras.models.load_model(self.model_file, compile=False)
            return self._model
        except Exception as exc:  # noqa: BLE001 - any unreadable model is one line
            raise DataError(
                f"{self.model_file}: not a model this package can load ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''})"
            ) from None


def _smoothing(config: dict | None) -> float:
    """The label smoothing a run's model was trained with: its recipe's (a run from before recipes: none)."""
    recipe = (config or {}).get("recipe")
    if recipe is None:
        return 0.0
    try:
        return float(FinalRecipe.from_value(recipe).label_smoothing)
    except (TypeError, ValueError, ConfigError):
        return 0.0


def _finished(model_file: Path, what: str) -> Path:
    if not model_file.is_file():
        raise RunError(f"{model_file} is missing: {what}")
    return model_file


def open_source(path: Path | str) -> ModelSource:
    """The model of ``path``; RunError (one line, exit 1) when it is not a finished run or a model file."""
    path = Path(path)
    if path.is_file() and path.suffix == ".keras":
        return _model_file(path)
    if path.is_dir() and (path / RETRAIN_CONFIG).is_file():
        folder = TrainingFolder(path)
        config = RetrainConfig.load(path)
        check_data_unchanged(path)
        metrics = read_json_object(folder.metrics_file) or {}
        model = _finished(
            folder.backbone_file, f"the retrain in {path} did not finish; run `emnist-tuner retrain` again"
        )
        return ModelSource(
            model,
            config.dataset,
            f"retrain {path} ({config.winner})",
            metrics.get("test_accuracy"),
            metrics.get("test_images"),
            data_dirs(path, None, config.data_dir),
            _smoothing(read_json_object(path / RETRAIN_CONFIG)),
        )
    if not path.exists() or path.is_file():
        raise RunError(
            f"{path} is neither a run folder nor a .keras model file; give a finished search or train "
            "run, a retrain folder (RUN/mnist) or a .keras file"
        )
    run, config = read_run_config(path)
    check_data_unchanged(run.path)  # a user's source changed since the model was trained: refused
    kind = config.get("kind", "search")
    if kind == "search":
        final = read_json_object(run.final_file) or {}
        model = _finished(
            run.best_model_file, f"the search has no final model yet; finish it with: emnist-tuner resume {run.path}"
        )
        ensemble = final.get("ensemble")
        if ensemble and run.ensemble_model_file.is_file():  # the run's best deliverable: the members' average
            return ModelSource(
                run.ensemble_model_file,
                config["dataset"],
                f"search {run.path} (ensemble of {len(ensemble['members'])})",
                ensemble.get("test_accuracy"),
                final.get("test_images"),
                data_dirs(run.path, None, config.get("data_dir")),
                _smoothing(config),
            )
        return ModelSource(
            model,
            config["dataset"],
            f"search {run.path} (trial {final.get('trial_id', '?')})",
            final.get("test_accuracy"),
            final.get("test_images"),
            data_dirs(run.path, None, config.get("data_dir")),
            _smoothing(config),
        )
    if kind == "train":
        metrics = read_json_object(run.metrics_file) or {}
        model = _finished(run.model_file, "the training run did not finish; train it again")
        return ModelSource(
            model,
            config["dataset"],
            f"train {run.path} (preset {config.get('preset')})",
            metrics.get("test_accuracy"),
            metrics.get("test_images"),
            data_dirs(run.path, None, config.get("data_dir")),
            _smoothing(config),
        )
    raise RunError(f"{run.path} is {article(kind)} run: it has no single model; give a search, train or retrain folder")


def _model_file(path: Path) -> ModelSource:
    """A .keras file: inside a run folder its run says what it is, else its number of outputs."""
    for folder in (path.parent, path.parent.parent):
        if RunFolder(folder).exists() or (folder / RETRAIN_CONFIG).is_file():
            try:
                source = open_source(folder)
            except RunError:
                continue
            if source.model_file.resolve() == path.resolve():
                return source
    source = ModelSource(path, "mnist", f"model file {path}")
    classes = int(source.load().output_shape[-1])
    if classes not in BY_CLASSES:
        raise DataError(
            f"{path}: a model with {classes} outputs; emnist-tuner's models have 10 (MNIST), 26 (EMNIST "
            "letters) or 36 (Binary AlphaDigits)"
        )
    source.dataset = BY_CLASSES[classes]
    return source
