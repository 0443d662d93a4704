"""`emnist-tuner ablate`: one optimization method at a time (and all combined) against a base preset.

Every variant (see ``ablation_methods``) is trained once per seed and evaluated once on the held-out
test split. Seed k gives the base and every variant the same data subset, validation split and
initial random state, so each variant is compared with the base seed by seed (a paired t interval).

Run folder::

    RUN/config.json                      AblationConfig (kind "ablation"), with every variant's values
    RUN/status.json, RUN/run.lock        as for every run
    RUN/variants/NAME/seedK/result.json  one finished training (written last, atomically)
    RUN/variants/NAME/seedK/test_predictions.npy
    RUN/results.json                     the summary, rewritten after every training

Trainings run seed by seed (every variant with seed 0, then seed 1, ...), so an interrupted run
already has paired results. A training whose result.json exists is never run again.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from ..errors import ConfigError, RunError
from .ablation_methods import METHOD_TITLES, METHODS, Variant, applicable, make_variants, parse_methods
from .atomic import read_json, write_json_atomic
from .runfolder import RunFolder, RunLock
from .train import check_options

DEFAULTS = {"base": "model1", "seeds": 3, "epochs": 10, "batch_size": 128, "subset": None}
CONFIDENCE = 0.95


@dataclass
class AblationConfig:
    base: str
    dataset: str
    methods: list[str]
    seeds: int = 3
    epochs: int = 10
    batch_size: int = 128
    subset: int | None = None
    val_fraction: float = 0.1
    variants: list[dict] = field(default_factory=list)  # filled by resolve(): what each variant trains
    data_dir: str | None = None
    kind: str = "ablation"

    def validate(self) -> None:
        from ..datasets import get_info
        from ..searchspace import get_preset

        get_preset(self.base)
        get_info(self.dataset)
        check_options(None, (("--seeds", self.seeds, 1), ("--epochs", self.epochs, 1),
                             ("--batch-size", self.batch_size, 1), ("--subset", self.subset, 10)))

    def resolve(self) -> "AblationConfig":
        """Validate and write each variant's values into the config."""
        self.validate()
        variants = base_variants(self.base, self.dataset, self.methods)
        self.variants = [v.to_json() for v in variants]
        return self

    def comparable(self) -> dict:
        """What must match for a run folder to be resumed (the data folder may move)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "data_dir"}


def base_variants(base: str, dataset: str, methods: list[str]) -> list[Variant]:
    """The base preset and its variants, each checked against the search space of ``dataset``."""
    from ..datasets import get_info
    from ..searchspace import CharacterHyperModel, get_preset

    info = get_info(dataset)
    preset = get_preset(base)
    hypermodel = CharacterHyperModel(info.image_shape, info.num_classes, name=base)
    variants = make_variants(preset.values, preset.early_stopping_patience, methods)
    for variant in variants:
        try:
            hypermodel.hyperparameters_for(variant.values)
        except ConfigError as error:
            raise ConfigError(f"variant '{variant.name}' of preset {base} is not a point of the space: "
                              f"{error}") from None
    return variants


def config_from_options(run_dir: Path | str, base: str | None = None, dataset: str | None = None,
                        methods: str | None = None, seeds: int | None = None, epochs: int | None = None,
                        subset: int | None = None, batch_size: int | None = None,
                        data_dir: str | None = None) -> AblationConfig:
    """The config for ``run_dir``: the options given; those left out come from the folder's saved
    config when it holds an ablation (resuming), else from the defaults."""
    saved = saved_ablation(run_dir)
    given = {"base": base, "dataset": dataset, "seeds": seeds, "epochs": epochs, "subset": subset,
             "batch_size": batch_size}
    values = {}
    for key, value in given.items():
        if value is not None:
            values[key] = value
        elif saved is not None:
            values[key] = saved.get(key)
        elif key == "dataset":
            raise ConfigError("--dataset is required for a new ablation run "
                              f"({Path(run_dir)} holds no ablation to resume)")
        else:
            values[key] = DEFAULTS[key]
    if methods is not None:
        method_list = parse_methods(methods)
    elif saved is not None:
        method_list = list(saved.get("methods") or [])
    else:
        method_list = None
    if data_dir is None and saved is not None:
        data_dir = saved.get("data_dir")
    config = AblationConfig(methods=method_list or [], data_dir=data_dir, **values)
    config.validate()
    if method_list is None:  # the default: every method that applies to the base, then all combined
        from ..searchspace import get_preset

        values_of_base = get_preset(config.base).values
        config.methods = [m for m in parse_methods(None) if m not in METHODS or applicable(m, values_of_base)]
    return config.resolve()


def saved_ablation(run_dir: Path | str) -> dict | None:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        return None
    try:
        saved = read_json(path)
    except (OSError, ValueError) as exc:
        raise RunError(f"{path} is damaged ({exc}); move the run folder aside and start again") from None
    kind = saved.get("kind", "search") if isinstance(saved, dict) else "?"
    if kind != "ablation":
        raise RunError(f"{Path(run_dir)} holds a {kind} run, not an ablation; choose another --run-dir")
    return saved


def _differences(saved: dict, config: AblationConfig) -> list[str]:
    mine = config.comparable()
    diffs = [f"{key} {saved.get(key)!r} (saved) vs {value!r}" for key, value in mine.items()
             if key != "variants" and saved.get(key) != value]
    if not diffs and saved.get("variants") != mine["variants"]:
        diffs.append("the variants' settings differ (made by another emnist-tuner version)")
    return diffs


def result_file(run_path: Path, variant: str, seed: int) -> Path:
    return run_path / "variants" / variant / f"seed{seed}" / "result.json"


def read_results(run_path: Path | str) -> dict[tuple[str, int], dict]:
    """Every finished training of a run folder, keyed by (variant, seed). Reads only."""
    results = {}
    for path in sorted(Path(run_path).glob("variants/*/seed*/result.json")):
        try:
            result = read_json(path)
            results[(result["variant"], int(result["seed"]))] = result
        except (OSError, ValueError, KeyError, TypeError):
            continue  # never finished cleanly: it will be trained again
    return results


def run_ablation(config: AblationConfig, run_dir: Path | str, console: Console) -> dict:
    """Train every (variant, seed) not finished yet, then write and return the summary."""
    run = RunFolder(run_dir)
    if run.path.exists() and not run.path.is_dir():
        raise RunError(f"--run-dir {run.path} is a file; choose a folder")
    saved = saved_ablation(run.path)
    if saved is None and run.path.exists() and any(run.path.iterdir()):
        raise RunError(f"{run.path} exists and is not an emnist-tuner run folder; choose an empty or new --run-dir")
    if saved is not None:
        diffs = _differences(saved, config)
        if diffs:
            raise RunError(f"{run.path} holds a different ablation: {'; '.join(diffs)}. Resume it with "
                           f"`emnist-tuner ablate --run-dir {run.path}` or choose another --run-dir")
    with RunLock(run):
        if saved is None:
            write_json_atomic(run.path / "config.json", dataclasses.asdict(config))
        run.write_status("running")
        try:
            _train_missing(config, run, console)
        except KeyboardInterrupt:
            run.write_status("interrupted", "stopped by the user")
            raise
        except Exception as exc:
            run.write_status("failed", f"{type(exc).__name__}: {exc}")
            raise
        summary = write_summary(run.path)
        run.write_status("completed")
        return summary


def _train_missing(config: AblationConfig, run: RunFolder, console: Console) -> None:
    from .data import prepare_data
    from .devices import configure_devices

    variants = [Variant(**v) for v in config.variants]
    done = read_results(run.path)
    todo = [(seed, v) for seed in range(config.seeds) for v in variants if (v.name, seed) not in done]
    total = config.seeds * len(variants)
    console.print(f"ablation of {config.base} on {config.dataset}: {len(variants)} variants x {config.seeds} seeds "
                  f"= {total} trainings; {total - len(todo)} finished, {len(todo)} to go",
                  highlight=False, soft_wrap=True)
    if not todo:
        return
    console.print(f"devices: {configure_devices().describe()}")
    data, data_seed = None, None
    for number, (seed, variant) in enumerate(todo, start=total - len(todo) + 1):
        if data_seed != seed:
            data = prepare_data(config.dataset, config.subset, seed, config.val_fraction, config.data_dir)
            data_seed = seed
        result = train_variant(variant, seed, data, config, run.path)
        console.print(f"[{number}/{total}] seed {seed} {variant.name:<14} test acc {result['test_accuracy']:.4f}  "
                      f"({result['epochs_trained']} epochs, {result['train_seconds']:.0f} s)  {variant.label}",
                      highlight=False, soft_wrap=True)
        write_summary(run.path)


def train_variant(variant: Variant, seed: int, data, config: AblationConfig, run_path: Path) -> dict:
    """Train one variant with one seed, test it once, write its result.json (last, atomically)."""
    import keras

    from ..searchspace import CharacterHyperModel
    from .final import evaluate_on_test
    from .train import fit_model

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    hypermodel = CharacterHyperModel(data.info.image_shape, data.info.num_classes, name=f"{config.base}_{variant.name}")
    model = hypermodel.build(hypermodel.hyperparameters_for(variant.values))
    started = time.perf_counter()
    history, epoch_seconds = fit_model(model, data, config.epochs, config.batch_size, variant.patience)
    train_seconds = time.perf_counter() - started
    folder = result_file(run_path, variant.name, seed).parent
    folder.mkdir(parents=True, exist_ok=True)
    test_accuracy = evaluate_on_test(model, data, folder)
    val = history.get("val_accuracy", [])
    result = {
        "variant": variant.name, "seed": seed, "test_accuracy": test_accuracy,
        "best_val_accuracy": max(val) if val else None, "epochs_trained": len(epoch_seconds),
        "train_seconds": train_seconds, "parameters": int(model.count_params()),
        "train_images": int(len(data.y_train)), "test_images": int(len(data.y_test)),
    }
    write_json_atomic(result_file(run_path, variant.name, seed), result)
    return result


def paired_interval(differences: list[float], confidence: float = CONFIDENCE) -> tuple:
    """(low, high, p) of a paired t test on per-seed differences; Nones with fewer than two pairs."""
    import numpy as np
    from scipy import stats

    if len(differences) < 2:
        return None, None, None
    d = np.asarray(differences, dtype=float)
    sd = float(d.std(ddof=1))
    mean = float(d.mean())
    if sd == 0.0:
        return mean, mean, (1.0 if mean == 0.0 else 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(d) - 1)) * sd / math.sqrt(len(d))
    p = float(stats.ttest_1samp(d, 0.0).pvalue)
    return mean - half, mean + half, p


def summarize(config: dict, results: dict[tuple[str, int], dict]) -> dict:
    """Per variant: test accuracy mean and std over seeds, the paired difference to the base with its
    interval and p-value (only seeds where both finished), time and epochs per training."""
    import numpy as np

    seeds = range(int(config.get("seeds", 0)))
    base_acc = {s: results[("base", s)]["test_accuracy"] for s in seeds if ("base", s) in results}
    rows = []
    for variant in config.get("variants", []):
        name = variant["name"]
        mine = [results[(name, s)] for s in seeds if (name, s) in results]
        acc = [r["test_accuracy"] for r in mine]
        row = {"variant": name, "method": METHOD_TITLES.get(name, name), "label": variant["label"],
               "adds_method": variant["adds_method"], "seeds_done": len(mine),
               "mean": float(np.mean(acc)) if acc else None,
               "std": float(np.std(acc, ddof=1)) if len(acc) > 1 else None,
               "seconds": float(np.mean([r["train_seconds"] for r in mine])) if mine else None,
               "epochs": float(np.mean([r["epochs_trained"] for r in mine])) if mine else None,
               "diff": None, "low": None, "high": None, "p": None, "pairs": 0}
        if name != "base":
            diffs = [results[(name, s)]["test_accuracy"] - base_acc[s] for s in seeds
                     if (name, s) in results and s in base_acc]
            row["pairs"] = len(diffs)
            if diffs:
                row["diff"] = float(np.mean(diffs))
                row["low"], row["high"], row["p"] = paired_interval(diffs)
        rows.append(row)
    return {"base": config.get("base"), "dataset": config.get("dataset"), "seeds": config.get("seeds"),
            "epochs": config.get("epochs"), "subset": config.get("subset"), "confidence": CONFIDENCE,
            "trainings_done": len(results), "trainings_total": len(config.get("variants", [])) * len(seeds),
            "variants": rows}


def write_summary(run_path: Path | str) -> dict:
    run_path = Path(run_path)
    summary = summarize(read_json(run_path / "config.json"), read_results(run_path))
    write_json_atomic(run_path / "results.json", summary)
    return summary
