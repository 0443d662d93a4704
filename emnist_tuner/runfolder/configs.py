"""One typed config per run kind, written into the run folder, read back as the same type.

Every kind shares ``RunConfig``: save, load (typed), and the identity check of a resume (the fields
that must not change; where the data lives or how work is split may). ``load_config`` reads any
run folder's ``config.json`` as its kind's class. Retrain and transfer configs live in their own
sub-folders (``retrain.json``, ``transfer.json``) beside the run's own config.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..errors import ConfigError, RunError
from ..io import read_json, write_json_atomic
from .config_diff import differences
from .layout import CONFIG, RunFolder, article
from .recipe_config import FinalRecipe, check_ensemble, check_precision

SEED_LIMIT = 2**32


KEEP_CHECKPOINTS = ("all", "needed", "best")  # --keep-checkpoints (hyperband.retention)


def check_keep_checkpoints(mode: str) -> None:
    """ConfigError (exit 2) for a --keep-checkpoints that is not one of ``KEEP_CHECKPOINTS``."""
    if mode not in KEEP_CHECKPOINTS:
        raise ConfigError(f"--keep-checkpoints must be one of {', '.join(KEEP_CHECKPOINTS)}, got '{mode}'")


def check_options(seed: int | None, minimums) -> None:
    """ConfigError for a seed outside 0..2**32-1 or an option below its minimum: ``minimums`` holds
    (option name, value or None, lowest allowed value)."""
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"--seed must be between 0 and 2**32 - 1, got {seed}")
    for name, value, low in minimums:
        if value is not None and value < low:
            raise ConfigError(f"{name} must be at least {low}, got {value}")


@dataclass
class RunConfig:
    """The base of every run kind's config. ``VOLATILE`` fields may change when a run is continued."""

    KIND: ClassVar[str] = ""
    FILE: ClassVar[str] = CONFIG
    VOLATILE: ClassVar[tuple[str, ...]] = ("data_dir", "kind")
    LABELS: ClassVar[dict[str, str]] = {"recipe.epochs": "--epochs"}  # a field's option where not --field-name

    def __post_init__(self) -> None:
        if "recipe" in self.__dataclass_fields__:  # saved as a JSON object
            self.recipe: FinalRecipe = FinalRecipe.from_value(self.recipe)

    def validate(self) -> None:
        """ConfigError (exit 2) for a bad value; each kind checks its own fields."""

    def to_dict(self) -> dict:
        """The config as saved (a JSON object)."""
        return dataclasses.asdict(self)

    def identity(self) -> dict:
        """The fields that make the run what it is (all but ``VOLATILE``): a continued run must keep them."""
        return {k: v for k, v in self.to_dict().items() if k not in self.VOLATILE}

    def differences(self, asked: RunConfig) -> list[str]:
        """What ``asked`` changes in this saved config's identity, one entry per option, each naming the
        option and both values, e.g. "--final-epochs: the run has 30, the command gives 10"
        (``config_diff.differences``); where only what the version sets differs, which version made the run."""
        found = differences(self.identity(), asked.identity(), self.LABELS)
        folder = self.__dict__.get("_folder")  # set by ``load``: the run folder it was read from
        if found and folder is not None and all("emnist-tuner version" in e for e in found):
            from .origin import made_by

            found[-1] += f" ({made_by(folder)}; or other options)"
        return found

    def save(self, folder: Path | str) -> None:
        """Writes the config to ``folder`` (atomically)."""
        write_json_atomic(Path(folder) / self.FILE, self.to_dict())

    @classmethod
    def load(cls, folder: Path | str):
        """The config saved in ``folder`` as ``cls``; RunError if it is missing, damaged or of another kind."""
        path = Path(folder) / cls.FILE
        if not path.is_file():
            raise RunError(
                f"{folder} is not a run folder: {cls.FILE} is missing; start one with `emnist-tuner {cls.KIND}`"
            )
        values = _read_object(path)
        kind = values.get("kind", "search") if cls.FILE == CONFIG else cls.KIND
        if kind != cls.KIND:
            raise RunError(f"{folder} is {article(kind)} run, not {article(cls.KIND)} run")
        known = {f.name for f in dataclasses.fields(cls)}
        try:
            config = cls(**{k: v for k, v in values.items() if k in known})
            config.__dict__["_folder"] = Path(folder)  # for ``made_by``: not a field, never saved
            return config
        except (TypeError, ConfigError) as exc:
            raise RunError(f"{path} is damaged ({exc}); restore it or start a new run folder") from None


def _read_object(path: Path) -> dict:
    try:
        values = read_json(path)
    except (OSError, ValueError) as exc:
        raise RunError(f"{path} is damaged ({exc}); restore it or start a new run folder") from None
    if not isinstance(values, dict):
        raise RunError(f"{path} is damaged (not a JSON object); restore it or start a new run folder")
    return values


# Profiles: `quick` finishes a real search, its final retrain and the leaderboard in about
# 7 minutes on 2 idle CPU cores (measured 6 min 41 s - 7 min 20 s; 14.6 min on a busy 2-core
# machine): a training subset, and the space without its slowest corners
# (no "none" pooling, at most 64 filters per conv; measured: one such point took 143 s per
# epoch on 10,000 images); its final training keeps the winner's epoch count. `full` is the GPU
# profile: all data, the whole space, and a final training of 30 epochs.
QUICK_RESTRICT = {"pooling": ["max", "average"], "filters": [16, 32, 48, 64]}
PROFILES: dict[str, dict] = {
    "quick": dict(
        max_epochs=9,
        factor=3,
        iterations=1,
        subset=10_000,
        batch_size=128,
        patience=3,
        restrict=QUICK_RESTRICT,
        max_params=5_000_000,
        final_epochs=None,
    ),
    "full": dict(
        max_epochs=30,
        factor=3,
        iterations=1,
        subset=None,
        batch_size=256,
        patience=5,
        restrict={},
        max_params=5_000_000,
        final_epochs=30,
    ),
}


@dataclass
class SearchConfig(RunConfig):
    """Everything that defines a Hyperband search; ``from_profile`` fills in a profile's values."""

    KIND: ClassVar[str] = "search"
    VOLATILE: ClassVar[tuple[str, ...]] = (
        "data_dir",
        "kind",
        "trials_per_worker",
        "scheduled_trials",
        "tensorboard",
        "precision",
        "ensemble",
        "ensemble_of",
        "time_budget",
        "time_budget_hard",
        "keep_checkpoints",
    )  # may change on resume (a larger --iterations too: see hyperband.growth)

    dataset: str = ""
    profile: str = "quick"
    max_epochs: int = 9
    factor: int = 3
    iterations: int = 1
    subset: int | None = 10_000
    batch_size: int = 128
    seed: int = 0
    patience: int = 3
    val_fraction: float = 0.1
    augmentations: list[str] = field(default_factory=lambda: ["rotation", "translation", "zoom"])
    restrict: dict[str, list] = field(default_factory=dict)  # narrower choices (see CharacterHyperModel)
    narrowing: dict | None = None  # --space: the space file's checked entries (searchspace.narrowing)
    max_params: int = 5_000_000  # larger models fail their trial (KerasTuner's max_model_size)
    # The study's presets that fit the space are the first points Hyperband samples.
    seed_presets: list[str] = field(
        default_factory=lambda: ["convnet", "model1", "model3", "model4", "model2", "dense"]
    )
    space: str = ""  # fingerprint of the search space (hyperband.profiles.space_fingerprint)
    data_dir: str | None = None
    trials_per_worker: int = 8
    tensorboard: bool = True  # per-trial TensorBoard logs with KerasTuner's HParams (RUN/logs/tensorboard)
    precision: str = "auto"  # Keras' dtype policy (training.devices.PRECISIONS); each machine may differ
    scheduled_trials: int | None = None  # what the Hyperband schedule plans (written when the search starts)
    recipe: FinalRecipe = field(default_factory=FinalRecipe)  # the winner's final training
    ensemble: int = 1  # models kept: the winner, and ensemble - 1 more members (RUN/ensemble)
    ensemble_of: str = "seeds"  # recipe_config.ENSEMBLE_OF
    tta: int = 1  # also test the final model(s) with test-time augmentation over this many copies
    time_budget: float | None = None  # seconds after which no new trial starts (runfolder.budget)
    time_budget_hard: bool = False  # and the running trial stops at its next epoch end
    keep_checkpoints: str = "needed"  # trial checkpoints kept: all, needed, best (hyperband.retention)
    kind: str = "search"

    LABELS: ClassVar[dict[str, str]] = {"recipe.epochs": "--final-epochs"}

    def __post_init__(self) -> None:
        super().__post_init__()
        self.given: set[str] | None = None  # the options a caller gave (``from_profile``); None: every one

    @classmethod
    def from_profile(cls, dataset: str, profile: str = "quick", **overrides) -> SearchConfig:
        """The config of a search of ``dataset`` with ``profile``'s values, ``overrides`` (None: the
        profile's) on top; ConfigError for an unknown profile or a bad value. ``recipe``: a
        ``FinalRecipe`` (every field given) or a dict of the recipe's fields that were given."""
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile '{profile}'; known: {', '.join(PROFILES)}")
        settable = [f.name for f in dataclasses.fields(cls) if f.name not in ("kind", "dataset", "profile")]
        for name in overrides:
            if name not in settable:
                near = difflib.get_close_matches(name, settable, n=3, cutoff=0.6)
                raise ConfigError(
                    f"a search has no setting {name!r}; "
                    + (f"did you mean {' or '.join(near)}?" if near else f"its settings: {', '.join(settable)}")
                )
        values = copy.deepcopy(PROFILES[profile])
        final_epochs = values.pop("final_epochs")
        given = {k for k, v in overrides.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        asked = values.pop("recipe", None)
        if asked is not None:
            given.discard("recipe")
            names = asked if isinstance(asked, dict) else [f.name for f in dataclasses.fields(FinalRecipe)]
            given.update(f"recipe.{name}" for name in names)
        recipe = FinalRecipe.from_value(asked)
        values["recipe"] = recipe.with_options(epochs=recipe.epochs or final_epochs)
        config = cls(dataset=dataset, profile=profile, **values)
        config.validate()
        config.given = given
        return config

    def keep_unasked(self, saved: SearchConfig) -> None:
        """The final step's options (the recipe's and ``tta``) and ``--space`` that were not given take ``saved``'s
        values: the same command run again without, say, ``--final-epochs`` asks for the run's own recipe."""
        if self.given is not None:
            names = [f.name for f in dataclasses.fields(FinalRecipe) if f"recipe.{f.name}" not in self.given]
            self.recipe = dataclasses.replace(self.recipe, **{name: getattr(saved.recipe, name) for name in names})
            self.tta = self.tta if "tta" in self.given else saved.tta
            self.narrowing = self.narrowing if "narrowing" in self.given else saved.narrowing

    def narrow(self, space) -> None:
        """Searches the space narrowed by ``space``: the path of a TOML file with ``[fixed]``, ``[choices]``
        and ``[ranges]`` tables, or a dict of that shape ({"fixed": {"batch_norm": True}, "choices":
        {"conv_blocks": [2, 3]}}), checked against this search's space (``searchspace.narrowing``);
        ConfigError with one line per bad entry."""
        from ..data.datasets import get_info
        from ..searchspace.narrowing import check_narrowing, read_space

        tables, source = read_space(space)
        shape = get_info(self.dataset).image_shape
        self.narrowing = check_narrowing(tables, shape, self.restrict, self.augmentations, source)
        self.given = (self.given or set()) | {"narrowing"}

    def validate(self) -> None:
        """ConfigError (exit 2) for an unknown dataset or a bad search option."""
        from ..data.datasets import canonical_dataset, get_info

        self.dataset = canonical_dataset(self.dataset)  # a source spec: its absolute path
        get_info(self.dataset)
        check_options(
            self.seed,
            (
                ("--max-epochs", self.max_epochs, 1),
                ("--factor", self.factor, 2),
                ("--iterations", self.iterations, 1),
                ("--subset", self.subset, 10),
                ("--batch-size", self.batch_size, 1),
                ("--max-params", self.max_params, 1),
                ("--patience", self.patience, 0),
                ("--trials-per-worker", self.trials_per_worker, 1),
            ),
        )
        self.recipe.validate()
        check_ensemble(self.ensemble, self.ensemble_of)
        check_precision(self.precision)
        check_options(None, (("--tta", self.tta, 1),))
        if self.time_budget is not None:  # seconds, or a duration such as "90m" (the API)
            from .budget import parse_duration

            self.time_budget = parse_duration(str(self.time_budget))
        check_keep_checkpoints(self.keep_checkpoints)
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"validation fraction must be in (0, 1), got {self.val_fraction}")


def run_kinds() -> dict[str, type[RunConfig]]:
    """The config class of each kind of run that has a ``config.json`` (transfer and retrain live in
    their own files inside a finished run)."""
    from .ablation_config import AblationConfig
    from .train_configs import TrainConfig

    return {c.KIND: c for c in (SearchConfig, TrainConfig, AblationConfig)}


def saved_kind(run: RunFolder) -> str:
    """The kind of the run in ``run`` (RunError if its config.json is unreadable)."""
    return _read_object(run.config_file).get("kind", "search")


def read_run_config(run_dir: Path | str) -> tuple[RunFolder, dict]:
    """The run folder and its config as saved (a dict), for reading a run of any kind and version;
    RunError (one line, exit 1) when ``run_dir`` is not a readable run folder."""
    run = RunFolder(run_dir)
    if not run.path.is_dir():
        what = "a file" if run.path.exists() else "no such folder"
        raise RunError(
            f"{run.path} is not a run folder ({what}); give the folder of a search, train or ablation "
            "run (see `emnist-tuner runs`)"
        )
    if not run.exists():
        raise RunError(
            f"{run.path} is not a run folder (no {CONFIG}); give the folder of a search, train or "
            "ablation run (see `emnist-tuner runs`)"
        )
    return run, _read_object(run.config_file)


def load_config(run_dir: Path | str) -> RunConfig:
    """The config of the run folder ``run_dir``, as its kind's class."""
    run = RunFolder(run_dir)
    if not run.exists():
        raise RunError(
            f"{run.path} is not a run folder (no {CONFIG}); give the folder of a search, train or ablation run"
        )
    kind, kinds = saved_kind(run), run_kinds()
    if kind not in kinds:
        from .origin import made_by

        raise RunError(
            f"{run.config_file} names an unknown kind of run ({kind!r}); it was not written by this version of "
            f"emnist-tuner ({made_by(run.path)}); use the version that made it"
        )
    return kinds[kind].load(run.path)
