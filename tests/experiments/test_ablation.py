"""`emnist-tuner ablate`: variants of a base preset, seeds, paired intervals, resuming, refusals, report."""

from __future__ import annotations

import json

import pytest
from helpers import accuracy_of_saved_predictions, render, run_cli, snapshot
from scipy import stats

from emnist_tuner.errors import ConfigError
from emnist_tuner.experiments.ablation import summarize
from emnist_tuner.experiments.ablation_methods import METHODS, make_variants, parse_methods
from emnist_tuner.experiments.stats import paired_interval
from emnist_tuner.io import write_json_atomic
from emnist_tuner.reports.ablation_table import ablation_table, method_effect
from emnist_tuner.searchspace import get_preset


def _changes(base: dict, values: dict) -> dict:
    keys = set(base) | set(values)
    return {k: (base.get(k), values.get(k)) for k in sorted(keys) if base.get(k) != values.get(k)}


def test_model1_variants_change_one_method_each():
    preset = get_preset("model1")
    variants = {v.name: v for v in make_variants(preset.values, preset.early_stopping_patience, parse_methods(None))}
    base = variants["base"].values
    assert base == preset.values and variants["base"].patience is None
    assert _changes(base, variants["init"].values) == {"initializer": ("glorot_uniform", "he_normal")}
    assert _changes(base, variants["activation"].values) == {"activation": ("relu", "elu")}
    assert _changes(base, variants["optimizer"].values) == {"optimizer": ("adam", "sgd"), "learning_rate": (1e-3, 1e-2)}
    assert _changes(base, variants["batchnorm"].values) == {"batch_norm": (True, False)}
    assert _changes(base, variants["augmentation"].values) == {
        "augment": (True, False),
        "rotation": (0.03, None),
        "translation": (0.1, None),
        "zoom": (0.1, None),
    }
    assert _changes(base, variants["l1l2"].values) == {
        "l1": (False, True),
        "l2": (False, True),
        "l1_strength": (None, 1e-5),
        "l2_strength": (None, 1e-4),
    }
    assert _changes(base, variants["dropout"].values) == {"conv_dropout": (0.0, 0.2), "dense_dropout": (0.0, 0.4)}
    assert _changes(base, variants["early-stopping"].values) == {} and variants["early-stopping"].patience == 3
    assert _changes(base, variants["pooling"].values) == {"pooling": ("max", "average")}
    # model1 already has Adam, BatchNorm, augmentation and max pooling: those variants take the method away
    assert [n for n in METHODS if not variants[n].adds_method] == ["optimizer", "batchnorm", "augmentation", "pooling"]
    assert variants["batchnorm"].label == "− BatchNorm"
    combined = variants["combined"]
    assert combined.patience == 3 and combined.values["batch_norm"] and combined.values["augment"]
    assert combined.values["optimizer"] == "adam" and combined.values["initializer"] == "he_normal"
    assert combined.values["l1"] and combined.values["conv_dropout"] == 0.2 and combined.values["pooling"] == "max"


def test_every_variant_of_every_preset_is_a_point_of_the_space():
    from emnist_tuner.experiments.ablation import base_variants

    for name in ("convnet", "model1", "model2", "model3", "model4"):
        assert len(base_variants(name, "synthetic", parse_methods(None))) == 11
    # the dense net has no conv blocks: pooling is left out by default and refused when asked for
    assert "pooling" not in _default_methods("dense")
    with pytest.raises(ConfigError, match="pooling does not apply"):
        base_variants("dense", "synthetic", ["pooling"])


def _default_methods(base: str) -> list[str]:
    from emnist_tuner.experiments.ablation import config_from_options

    return config_from_options("/nonexistent-run", base=base, dataset="synthetic").methods


def test_paired_interval_matches_scipys_paired_t_test():
    variant, base = [0.91, 0.93, 0.92, 0.95], [0.90, 0.90, 0.915, 0.93]
    low, high, p = paired_interval([v - b for v, b in zip(variant, base)])
    reference = stats.ttest_rel(variant, base)
    assert p == pytest.approx(reference.pvalue)
    ci = reference.confidence_interval(0.95)
    assert (low, high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert paired_interval([0.01]) == (None, None, None)


def _fake_summary():
    config = {
        "base": "model1",
        "dataset": "mnist",
        "seeds": 3,
        "epochs": 2,
        "subset": None,
        "variants": [
            {"name": "base", "label": "the base preset", "adds_method": False},
            {"name": "batchnorm", "label": "− BatchNorm", "adds_method": False},
            {"name": "init", "label": "initializer glorot_uniform → he_normal", "adds_method": True},
            {"name": "dropout", "label": "+ dropout", "adds_method": True},
        ],
    }
    acc = {
        "base": [0.90, 0.92, 0.91],
        "batchnorm": [0.85, 0.86, 0.86],
        "init": [0.905, 0.921, 0.915],
        "dropout": [0.95],
    }
    results = {
        (name, seed): {"test_accuracy": a, "train_seconds": 10.0 + seed, "epochs_trained": 2}
        for name, values in acc.items()
        for seed, a in enumerate(values)
    }
    return summarize(config, results)


def test_summary_pairs_by_seed_and_the_table_sorts_by_effect():
    rows = {r["variant"]: r for r in _fake_summary()["variants"]}
    assert rows["batchnorm"]["diff"] == pytest.approx(-0.0533333, abs=1e-6) and rows["batchnorm"]["pairs"] == 3
    assert rows["batchnorm"]["high"] < 0 and method_effect(rows["batchnorm"]) == "helps"  # taking it away hurts
    assert method_effect(rows["init"]) == "n.s."
    assert rows["dropout"]["pairs"] == 1 and rows["dropout"]["low"] is None and method_effect(rows["dropout"]) == "?"
    text = render(ablation_table(_fake_summary()), width=120)
    lines = [line for line in text.splitlines() if line.startswith("│ ") and line[2:4].strip()]
    order = [line.split("│")[1].strip() for line in lines]
    assert order == ["base model1", "+ dropout (1 of 3 seeds)", "initializer glorot_uniform → he_normal", "− BatchNorm"]
    assert "-5.33 [" in text and "small gain" in text and "91.00 ± 1.00" in text
    assert "showed small improvements when applied individually" in " ".join(text.split())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "synthetic", "--seeds", "0"], "--seeds must be at least 1, got 0"),
        (["--dataset", "synthetic", "--methods", "init,warmup"], "unknown method 'warmup'; known: init, activation"),
        (["--dataset", "synthetic", "--base", "model9"], "unknown preset 'model9'; known: dense"),
        (["--dataset", "synthetic", "--epochs", "0"], "--epochs must be at least 1"),
        (["--dataset", "emnist"], "unknown dataset 'emnist'"),
        ([], "--dataset is required for a new ablation run"),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, "ablate", "--run-dir", str(tmp_path / "run"), *args)
    assert code == 2 and message in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_different_config_or_another_kind_of_run_is_refused(tmp_path, capsys):
    from emnist_tuner.experiments.ablation import config_from_options

    run = tmp_path / "run"
    config = config_from_options(run, dataset="synthetic", methods="batchnorm", seeds=2, epochs=1)
    write_json_atomic(run / "config.json", config.__dict__)
    before = snapshot(run)
    code, _, err = run_cli(capsys, "ablate", "--run-dir", str(run), "--epochs", "3")
    assert code == 1 and "holds a different ablation: --epochs: the run has 1, the command gives 3." in err
    assert f"Resume it with `emnist-tuner ablate --run-dir {run}`" in err
    code, _, err = run_cli(capsys, "ablate", "--run-dir", str(run), "--methods", "init")
    assert code == 1 and "ablation: --methods: the run has batchnorm, the command gives init. Resume" in err
    assert snapshot(run) == before
    other = tmp_path / "search"
    write_json_atomic(other / "config.json", {"kind": "search", "dataset": "synthetic"})
    code, _, err = run_cli(capsys, "ablate", "--run-dir", str(other), "--dataset", "synthetic")
    assert code == 1 and "holds a search run, not an ablation" in err


@pytest.mark.slow
def test_every_method_trains_and_report_runs_compare_show_it(tmp_path, capsys):
    run = tmp_path / "abl"
    code, out, err = run_cli(
        capsys,
        "ablate",
        "--dataset",
        "synthetic",
        "--run-dir",
        str(run),
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--subset",
        "100",
        "--batch-size",
        "50",
    )
    assert code == 0, err
    config = json.loads((run / "config.json").read_text())
    assert config["kind"] == "ablation" and config["base"] == "model1" and config["seeds"] == 1
    names = [v["name"] for v in config["variants"]]
    assert names == ["base", *METHODS, "combined"]
    for name in names:
        result = json.loads((run / "variants" / name / "seed0" / "result.json").read_text())
        assert result["variant"] == name and result["test_images"] == 200
        folder = run / "variants" / name / "seed0"
        assert result["test_accuracy"] == pytest.approx(accuracy_of_saved_predictions(folder))
    summary = json.loads((run / "results.json").read_text())
    assert summary["trainings_done"] == summary["trainings_total"] == 11
    flat = " ".join(out.split())
    assert "11 trainings; 0 finished, 11 to go" in flat and "[11/11]" in flat
    for label in ("− BatchNorm", "every method applied", "+ early stopping (patience 3)", "pooling max → average"):
        assert label in flat
    code, out, err = run_cli(capsys, "report", str(run))
    assert code == 0, err
    assert "Ablation of model1 on synthetic: 1 seed, 1 epoch, 100-image subset (11/11" in " ".join(out.split())
    code, out, _ = run_cli(capsys, "runs", str(tmp_path))
    assert code == 0 and "ablation" in out and "11/11" in out and "completed" in out
    import shutil

    shutil.copytree(run, tmp_path / "copy")  # the same run twice is refused: compare it with a copy
    code, out, _ = run_cli(capsys, "compare", str(run), str(tmp_path / "copy"))
    assert code == 0 and out.count("ablation") >= 4  # kind and setting of both columns
    from emnist_tuner.reports.runs_table import run_summary

    summary = run_summary(run)
    assert summary["kind"] == "ablation" and summary["trials"] == "11/11"
    assert summary["setting"] == "ablation of model1 (10 methods x 1 seed, 1 epoch)"
    base = json.loads((run / "variants/base/seed0/result.json").read_text())
    assert summary["test_accuracy"] == base["test_accuracy"]


@pytest.mark.slow
def test_an_interrupted_ablation_resumes_without_retraining(tmp_path, capsys, monkeypatch):
    from emnist_tuner.training import fit as train_module

    run = tmp_path / "abl"
    real_fit, fits = train_module.fit_model, []

    def fit_then_interrupt(*args, **kwargs):
        fits.append(1)
        result = real_fit(*args, **kwargs)
        if len(fits) == 3:  # Ctrl-C at the end of the third training, before its result is written
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(train_module, "fit_model", fit_then_interrupt)
    code, _, err = run_cli(
        capsys,
        "ablate",
        "--dataset",
        "synthetic",
        "--run-dir",
        str(run),
        "--methods",
        "batchnorm",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--subset",
        "100",
        "--batch-size",
        "50",
    )
    assert code == 130 and err.strip() == (
        f"interrupted. Finished trainings are kept. Continue with: emnist-tuner ablate --run-dir {run}"
    )
    finished = sorted(p.relative_to(run).as_posix() for p in run.glob("variants/*/seed*/result.json"))
    assert finished == ["variants/base/seed0/result.json", "variants/batchnorm/seed0/result.json"]
    assert json.loads((run / "status.json").read_text())["state"] == "interrupted"
    kept = snapshot(run / "variants")
    code, out, err = run_cli(capsys, "ablate", "--run-dir", str(run))  # the saved config
    assert code == 0, err
    assert len(fits) == 5  # only the two missing trainings ran
    assert "4 trainings; 2 finished, 2 to go" in " ".join(out.split())
    after = snapshot(run / "variants")
    assert all(after[path] == value for path, value in kept.items())  # byte-identical, never rewritten
    assert len(list(run.glob("variants/*/seed*/result.json"))) == 4
    code, out, _ = run_cli(
        capsys,
        "ablate",
        "--run-dir",
        str(run),
        "--dataset",
        "synthetic",
        "--methods",
        "batchnorm",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--subset",
        "100",
        "--batch-size",
        "50",
    )
    assert code == 0 and len(fits) == 5 and "4 finished, 0 to go" in " ".join(out.split())
    assert json.loads((run / "status.json").read_text())["state"] == "completed"
