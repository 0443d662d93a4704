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

import time
from pathlib import Path

from ..errors import ConfigError, RunError, plural
from ..io import read_json, write_json_atomic
from ..runfolder.ablation_config import AblationConfig
from ..runfolder.layout import RunFolder
from ..runfolder.lifecycle import check_new_or_same_kind, check_run_dir_writable, run_lifecycle
from ..runfolder.origin import data_dir_now
from ..training.devices import policy_restored
from .ablation_methods import METHOD_TITLES, METHODS, Variant, applicable, make_variants, parse_methods
from .stats import CONFIDENCE, paired_interval


def resolve(config: AblationConfig) -> AblationConfig:
    """Validate ``config`` and write each variant's values into it."""
    config.validate()
    config.variants = [v.to_json() for v in base_variants(config.base, config.dataset, config.methods)]
    return config


def base_variants(base: str, dataset: str, methods: list[str]) -> list[Variant]:
    """The base preset and its variants, each checked against the search space of ``dataset``."""
    from ..data.datasets import get_info
    from ..searchspace import CharacterHyperModel, get_preset

    info = get_info(dataset)
    preset = get_preset(base)
    hypermodel = CharacterHyperModel(info.image_shape, info.num_classes, name=base)
    variants = make_variants(preset.values, preset.early_stopping_patience, methods)
    for variant in variants:
        try:
            hypermodel.hyperparameters_for(variant.values)
        except ConfigError as error:
            raise ConfigError(
                f"variant '{variant.name}' of preset {base} is not a point of the space: {error}"
            ) from None
    return variants


def config_from_options(
    run_dir: Path | str,
    base: str | None = None,
    dataset: str | None = None,
    methods: str | None = None,
    seeds: int | None = None,
    epochs: int | None = None,
    subset: int | None = None,
    batch_size: int | None = None,
    data_dir: str | None = None,
) -> AblationConfig:
    """The config for ``run_dir``: the options given; those left out come from the folder's saved
    config when it holds an ablation (resuming), else from the defaults."""
    saved = saved_ablation(run_dir)
    given = {
        "base": base,
        "dataset": dataset,
        "seeds": seeds,
        "epochs": epochs,
        "subset": subset,
        "batch_size": batch_size,
    }
    values: dict = {}
    for key, value in given.items():
        if value is not None:
            values[key] = value
        elif saved is not None:
            values[key] = saved.get(key)
        elif key == "dataset":
            raise ConfigError(
                f"--dataset is required for a new ablation run ({Path(run_dir)} holds no ablation to resume)"
            )
        else:
            values[key] = AblationConfig.DEFAULTS[key]
    if methods is not None:
        method_list = parse_methods(methods)
    elif saved is not None:
        method_list = list(saved.get("methods") or [])
    else:
        method_list = None
    if data_dir is None and saved is not None:  # resuming: $EMNIST_TUNER_DATA, else where it found its data
        data_dir = data_dir_now(run_dir, None, saved.get("data_dir"))
    config = AblationConfig(methods=method_list or [], data_dir=data_dir, **values)
    config.validate()
    if method_list is None:  # the default: every method that applies to the base, then all combined
        from ..searchspace import get_preset

        values_of_base = get_preset(config.base).values
        config.methods = [m for m in parse_methods(None) if m not in METHODS or applicable(m, values_of_base)]
    return resolve(config)


def saved_ablation(run_dir: Path | str) -> dict | None:
    """The saved config of the ablation in ``run_dir`` (None if there is none; RunError for another kind)."""
    run = RunFolder(run_dir)
    if not check_new_or_same_kind(run, "ablation"):
        return None
    return AblationConfig.load(run.path).to_dict()


def read_results(run_path: Path | str) -> dict[tuple[str, int], dict]:
    """Every finished training of a run folder, keyed by (variant, seed). Reads only."""
    results = {}
    for path in RunFolder(run_path).variant_results():
        try:
            result = read_json(path)
            results[(result["variant"], int(result["seed"]))] = result
        except (OSError, ValueError, KeyError, TypeError):
            continue  # never finished cleanly: it will be trained again
    return results


def how_to_go_on(run_dir: Path | str) -> str:
    """What to do after Ctrl-C."""
    return f"Finished trainings are kept. Continue with: emnist-tuner ablate --run-dir {run_dir}"


def run_ablation(config: AblationConfig, run_dir: Path | str, say=print) -> dict:
    """Train every (variant, seed) not finished yet, then write and return the summary."""
    check_run_dir_writable(run_dir)
    run = RunFolder(run_dir)
    if check_new_or_same_kind(run, "ablation"):
        diffs = AblationConfig.load(run.path).differences(config)
        if diffs:
            raise RunError(
                f"{run.path} holds a different ablation: {'; '.join(diffs)}. Resume it with "
                f"`emnist-tuner ablate --run-dir {run.path}` or choose another --run-dir"
            )
    with run_lifecycle(run, how_to_go_on(run.path), data=(config.dataset, config.data_dir)):
        if not run.exists():
            config.save(run.path)
        with policy_restored():
            _train_missing(config, run, say)
        return write_summary(run.path)


def _train_missing(config: AblationConfig, run: RunFolder, say) -> None:
    from ..data.prepare import prepare_data
    from ..training.devices import configure_devices

    variants = [Variant(**v) for v in config.variants]
    done = read_results(run.path)
    todo = [(seed, v) for seed in range(config.seeds) for v in variants if (v.name, seed) not in done]
    total = config.seeds * len(variants)
    say(
        f"ablation of {config.base} on {config.dataset}: {plural(len(variants), 'variant')} x "
        f"{plural(config.seeds, 'seed')} "
        f"= {plural(total, 'training')}; {total - len(todo)} finished, {len(todo)} to go"
    )
    if not todo:
        return
    say(f"devices: {configure_devices().describe()}")
    data, data_seed = None, None
    for number, (seed, variant) in enumerate(todo, start=total - len(todo) + 1):
        if data_seed != seed:
            data = prepare_data(
                config.dataset,
                config.subset,
                seed,
                config.val_fraction,
                config.data_dir,
                say if data_seed is None else None,
            )
            data_seed = seed
        result = train_variant(variant, seed, data, config, run.path)
        say(
            f"[{number}/{total}] seed {seed} {variant.name:<14} test acc {result['test_accuracy']:.4f}  "
            f"({plural(result['epochs_trained'], 'epoch')}, {result['train_seconds']:.0f} s)  {variant.label}"
        )
        write_summary(run.path)


def train_variant(variant: Variant, seed: int, data, config: AblationConfig, run_path: Path) -> dict:
    """Train one variant with one seed, test it once, write its result.json (last, atomically)."""
    import keras

    from ..searchspace import CharacterHyperModel
    from ..training.fit import evaluate_on_test, fit_model

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    hypermodel = CharacterHyperModel(data.info.image_shape, data.info.num_classes, name=f"{config.base}_{variant.name}")
    model = hypermodel.build(hypermodel.hyperparameters_for(variant.values))
    started = time.perf_counter()
    history, epoch_seconds = fit_model(model, data, config.epochs, config.batch_size, variant.patience)
    train_seconds = time.perf_counter() - started
    folder = RunFolder(run_path).variant_folder(variant.name, seed)
    test_accuracy = evaluate_on_test(model, data, folder)
    val = history.get("val_accuracy", [])
    result = {
        "variant": variant.name,
        "seed": seed,
        "test_accuracy": test_accuracy,
        "best_val_accuracy": max(val) if val else None,
        "epochs_trained": len(epoch_seconds),
        "train_seconds": train_seconds,
        "parameters": int(model.count_params()),
        "train_images": int(len(data.y_train)),
        "test_images": int(len(data.y_test)),
    }
    write_json_atomic(folder.result_file, result)
    return result


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
        row = {
            "variant": name,
            "method": METHOD_TITLES.get(name, name),
            "label": variant["label"],
            "adds_method": variant["adds_method"],
            "seeds_done": len(mine),
            "mean": float(np.mean(acc)) if acc else None,
            "std": float(np.std(acc, ddof=1)) if len(acc) > 1 else None,
            "seconds": float(np.mean([r["train_seconds"] for r in mine])) if mine else None,
            "epochs": float(np.mean([r["epochs_trained"] for r in mine])) if mine else None,
            "diff": None,
            "low": None,
            "high": None,
            "p": None,
            "pairs": 0,
        }
        if name != "base":
            diffs = [
                results[(name, s)]["test_accuracy"] - base_acc[s]
                for s in seeds
                if (name, s) in results and s in base_acc
            ]
            row["pairs"] = len(diffs)
            if diffs:
                row["diff"] = float(np.mean(diffs))
                row["low"], row["high"], row["p"] = paired_interval(diffs)  # Nones below MIN_PAIRS
        rows.append(row)
    return {
        "base": config.get("base"),
        "dataset": config.get("dataset"),
        "seeds": config.get("seeds"),
        "epochs": config.get("epochs"),
        "subset": config.get("subset"),
        "confidence": CONFIDENCE,
        "trainings_done": len(results),
        "trainings_total": len(config.get("variants", [])) * len(seeds),
        "variants": rows,
    }


def write_summary(run_path: Path | str) -> dict:
    run = RunFolder(run_path)
    summary = summarize(read_json(run.config_file), read_results(run.path))
    write_json_atomic(run.results_file, summary)
    return summary
