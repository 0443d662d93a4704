"""`retrain` and `transfer`: the winner on MNIST, K-fold transfer vs scratch on Binary AlphaDigits."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from helpers import run_cli, snapshot, spec_for, write_idx_gz

from emnist_tuner.data import datasets
from emnist_tuner.errors import ConfigError
from emnist_tuner.experiments.transfer_data import fit_to_canvas, stratified_folds

# ------------------------------------------------------------------ stand-in data files


def _alphadigit(cls: int, rng) -> np.ndarray:
    """A 20x16 0/1 glyph whose bars encode the class (learnable), with a little noise."""
    img = np.zeros((20, 16), dtype=np.uint8)
    img[2 + (cls % 6) * 3 : 4 + (cls % 6) * 3, 2:14] = 1
    img[2:18, 2 + (cls // 6) * 2 : 4 + (cls // 6) * 2] = 1
    flip = rng.random((20, 16)) < 0.03
    return np.where(flip, 1 - img, img).astype(np.uint8)


@pytest.fixture
def fake_transfer_data(tmp_path, monkeypatch):
    """A data folder with MNIST-format synthetic glyphs and a Binary AlphaDigits .mat, registered with
    their checksums."""
    import scipy.io

    from emnist_tuner.data.synthetic import synthetic_arrays

    folder = tmp_path / "data"
    x_train, y_train, x_test, y_test = synthetic_arrays()
    info = datasets.DATASETS["mnist"]
    specs = [
        spec_for(write_idx_gz(folder / spec.subdir / spec.name, array.astype(np.uint8)), spec)
        for spec, array in zip(info.files, (x_train, y_train, x_test, y_test))
    ]
    monkeypatch.setitem(datasets.DATASETS, "mnist", dataclasses.replace(info, files=tuple(specs)))
    rng = np.random.default_rng(0)
    cells = np.empty((36, 39), dtype=object)
    for c in range(36):
        for j in range(39):
            cells[c, j] = _alphadigit(c, rng)
    ad = datasets.DATASETS["binary-alphadigits"]
    path = folder / ad.files[0].subdir / ad.files[0].name
    path.parent.mkdir(parents=True)
    scipy.io.savemat(path, {"dat": cells})
    monkeypatch.setitem(
        datasets.DATASETS, "binary-alphadigits", dataclasses.replace(ad, files=(spec_for(path, ad.files[0]),))
    )
    return folder


# ------------------------------------------------------------------ folds and images


def test_folds_are_stratified_disjoint_and_cover_every_image_once():
    labels = np.repeat(np.arange(36), 39)
    folds = stratified_folds(labels, 5, seed=3)
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(len(labels)))  # every image exactly once
    assert sorted(len(f) for f in folds) == [280, 281, 281, 281, 281]
    for fold in folds:
        counts = np.bincount(labels[fold], minlength=36)
        assert counts.min() >= 7 and counts.max() <= 8  # 39 per class over 5 folds: 7 or 8 each
    again = stratified_folds(labels, 5, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again))
    assert not np.array_equal(folds[0], stratified_folds(labels, 5, seed=4)[0])


@pytest.mark.parametrize("k", [1, 40])
def test_fold_count_outside_the_class_size_is_refused(k):
    with pytest.raises(ConfigError, match="--folds must be between 2 and 39"):
        stratified_folds(np.repeat(np.arange(36), 39), k, seed=0)


def test_glyphs_keep_their_height_and_sit_in_the_middle_of_the_canvas():
    glyph = np.full((1, 20, 16), 255, dtype=np.uint8)  # the target's images are 0..255
    out = fit_to_canvas(glyph, (28, 28), 20)
    rows, cols = np.flatnonzero(out[0].any(axis=1)), np.flatnonzero(out[0].any(axis=0))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (4, 23, 6, 21) and out.max() == 255
    bigger = fit_to_canvas(glyph, (28, 28), 26)
    assert np.flatnonzero(bigger[0].any(axis=1)).size == 26
    with pytest.raises(ConfigError, match="--size must be between 4 and"):
        fit_to_canvas(glyph, (28, 28), 30)


# ------------------------------------------------------------------ freezing


@pytest.fixture(scope="module")
def backbone():
    from emnist_tuner.searchspace import build_preset

    return build_preset("model3", (28, 28), 10)  # BatchNorm, two conv blocks, dense layers


def _weights(layers, moving=True):
    return [w.numpy().copy() for layer in layers for w in (layer.weights if moving else layer.trainable_weights)]


def _step(model):
    """One epoch of fine-tuning on random images (training mode: BatchNorm updates what it may)."""
    from emnist_tuner.experiments.transfer_model import compile_for

    compile_for(model, 1e-3)
    rng = np.random.default_rng(0)
    targets = np.eye(36)[rng.integers(0, 36, 64)]
    model.fit(rng.integers(0, 255, (64, 28, 28)).astype("float32"), targets, epochs=1, batch_size=16, verbose=0)


def _model(backbone):
    from emnist_tuner.experiments.transfer_model import build_transfer_model

    return build_transfer_model(backbone, 36, "gentle")


def test_the_transfer_model_reuses_the_backbone_without_its_augmentation_and_head(backbone):
    import keras

    from emnist_tuner.experiments.transfer_model import backbone_layers

    model = _model(backbone)
    names = [layer.name for layer in model.layers]
    assert "head" not in names and names.index("augment_rotation") == names.index("rescale") + 1
    shared = {layer.name: layer for layer in backbone.layers}
    assert all(shared[layer.name] is layer for layer in backbone_layers(model))  # the same weights
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in backbone_layers(model))


def test_head_phase_trains_only_the_new_head_and_batchnorm_keeps_mnist_statistics(backbone):
    from emnist_tuner.experiments.transfer_model import backbone_layers, set_phase

    model = _model(backbone)
    assert set_phase(model, "head") == []
    assert sorted(w.path.split("/")[0] for w in model.trainable_weights) == [
        "new_bn",
        "new_bn",
        "new_dense",
        "new_head",
        "new_head",
    ]
    before = _weights(backbone_layers(model))
    _step(model)
    assert all(np.array_equal(a, b) for a, b in zip(before, _weights(backbone_layers(model))))


@pytest.mark.parametrize("batchnorm", ["train", "frozen"])
def test_fine_tuning_all_layers_with_batchnorm_learning_or_frozen(backbone, batchnorm):
    import keras

    from emnist_tuner.experiments.transfer_model import backbone_layers, set_phase

    model = _model(backbone)
    layers = backbone_layers(model)
    bn = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    others = [layer for layer in layers if layer not in bn]
    names = set_phase(model, "fine-tune", "all", batchnorm)
    assert names == [layer.name for layer in layers if batchnorm == "train" or layer not in bn]
    expected = (
        5
        + sum(len(layer.trainable_weights) for layer in others)
        + (sum(len(layer.trainable_weights) for layer in bn) if batchnorm == "train" else 0)
    )
    assert len(model.trainable_weights) == expected
    bn_before, others_before = _weights(bn), _weights(others)
    _step(model)
    assert all(not np.array_equal(a, b) for a, b in zip(others_before, _weights(others)))
    # BatchNorm in training mode moves its statistics (and gamma, beta); frozen, it keeps MNIST's exactly
    moved = [not np.array_equal(a, b) for a, b in zip(bn_before, _weights(bn))]
    assert all(moved) if batchnorm == "train" else not any(moved)


def test_fine_tuning_the_top_only(backbone):
    import keras

    from emnist_tuner.experiments.transfer_model import backbone_layers, set_phase, top_layers

    model = _model(backbone)
    layers = backbone_layers(model)
    top = top_layers(layers)
    assert set_phase(model, "fine-tune", "top") == [layer.name for layer in top] and top
    assert all(not isinstance(layer, keras.layers.BatchNormalization) for layer in top)
    assert len({n.split("_")[0] for n in (layer.name for layer in top) if n.startswith("block")}) == 1
    frozen = [layer for layer in layers if layer not in top]
    before_frozen, before_top = _weights(frozen), _weights(top)
    _step(model)
    assert all(np.array_equal(a, b) for a, b in zip(before_frozen, _weights(frozen)))
    assert any(not np.array_equal(a, b) for a, b in zip(before_top, _weights(top)))


def test_the_selection_fold_is_never_a_reported_fold():
    from emnist_tuner.experiments.transfer_data import selection_fold, transfer_folds

    labels = np.repeat(np.arange(36), 39)
    for k in (2, 5, 10):
        selection, folds = transfer_folds(labels, k)
        assert np.array_equal(selection, selection_fold(labels))  # the same images whatever K is
        joined = np.concatenate(folds)
        assert np.intersect1d(joined, selection).size == 0
        assert sorted(joined.tolist() + selection.tolist()) == list(range(len(labels)))  # each image once
        counts = np.bincount(labels[selection], minlength=36)
        assert counts.min() >= 6 and counts.max() <= 7  # stratified: a sixth of each class
    assert np.array_equal(transfer_folds(labels, 5)[1][0], transfer_folds(labels, 5)[1][0])  # deterministic


# ------------------------------------------------------------------ end to end (CLI)


@pytest.mark.slow
def test_retrain_then_transfer_end_to_end_and_continue_after_interruption(
    tmp_path, capsys, monkeypatch, fake_transfer_data
):
    data = str(fake_transfer_data)
    run = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "--preset", "convnet", "--dataset", "synthetic", "--run-dir", str(run), "--epochs", "1"
    )
    assert code == 0, err
    code, out, err = run_cli(capsys, "retrain", str(run), "--epochs", "4", "--batch-size", "32", "--data-dir", data)
    assert code == 0, err
    metrics = json.loads((run / "mnist" / "metrics.json").read_text())
    assert metrics["winner"] == "preset convnet" and metrics["test_images"] == 200
    assert metrics["epochs_trained"] == 4  # the whole schedule: no early stopping unless asked
    assert 0.3 < metrics["test_accuracy"] <= 1.0  # synthetic glyphs: well above chance (0.1)
    assert (run / "mnist" / "backbone.keras").is_file() and "keras convnet" in out and "98.00 %" in out
    code, _, err = run_cli(capsys, "retrain", str(run), "--data-dir", data)
    assert code == 1 and "already holds the winner retrained on mnist" in err

    args = [
        "transfer",
        str(run),
        "--folds",
        "2",
        "--head-epochs",
        "1",
        "--fine-tune-epochs",
        "1",
        "--scratch-epochs",
        "2",
        "--data-dir",
        data,
    ]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    out_dir = run / "transfer"
    results = json.loads((out_dir / "results.json").read_text())
    folds = [json.loads((out_dir / "folds" / f"fold-{k}-seed-0.json").read_text()) for k in (1, 2)]
    assert sum(f["test_images"] for f in folds) == 1404 - 234  # the selection fold is never tested
    assert results["transfer"]["folds"] == [f["transfer_accuracy"] for f in folds]
    assert results["scratch"]["mean"] == pytest.approx(np.mean([f["scratch_accuracy"] for f in folds]))
    assert results["difference"]["folds"] == pytest.approx(
        [f["transfer_accuracy"] - f["scratch_accuracy"] for f in folds]
    )
    assert "mean ± std" in out and "91.00" in out and "88.00" in out and "letters A-Z" in out
    assert results["difference"]["ci95"] is None and "No interval and no verdict" in " ".join(out.split())
    for fold in folds:  # 10 digit classes and 26 letter classes: the groups add up to the whole
        for name in ("transfer", "scratch"):
            digits, letters = fold[f"{name}_digits_accuracy"], fold[f"{name}_letters_accuracy"]
            assert (10 * digits + 26 * letters) / 36 == pytest.approx(fold[f"{name}_accuracy"], abs=0.02)
    # The same folds for both models, and the saved indices are the reported folds (never the selection fold).
    labels = np.repeat(np.arange(36), 39)
    import hashlib

    from emnist_tuner.experiments.transfer_data import transfer_folds

    for fold, indices in zip(folds, transfer_folds(labels, 2)[1]):
        assert fold["test_indices_sha256"] == hashlib.sha256(indices.tobytes()).hexdigest()
    recorded = json.loads((out_dir / "transfer.json").read_text())
    assert (recorded["head_epochs"], recorded["fine_tune_epochs"], recorded["scratch_epochs"]) == (1, 1, 2)
    assert recorded["batchnorm"] == "frozen" and recorded["fine_tune"] == "all"  # the defaults, recorded
    assert "transfer: new head alone for 1 epoch" in " ".join(out.split())

    # A lost fold is retrained alone; finished folds are kept byte for byte.
    (out_dir / "folds" / "fold-2-seed-0.json").unlink()
    (out_dir / "results.json").unlink()
    kept = snapshot(out_dir / "folds")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert out.count("done before") == 1
    assert snapshot(out_dir / "folds", skip=("fold-2-seed-0.json",)) == kept
    assert (out_dir / "folds" / "fold-2-seed-0.json").is_file() and (out_dir / "results.json").is_file()
    code, _, err = run_cli(capsys, *[("3" if a == "2" and args[i - 1] == "--folds" else a) for i, a in enumerate(args)])
    assert code == 1 and "other settings (--folds: the run has 2, the command gives 3)" in err
    before = snapshot(run)
    code, _, err = run_cli(capsys, "transfer", str(run), "--size", "40", "--data-dir", data)
    assert code == 2 and "--size must be between 4 and 28 for the backbone's 28x28 input" in err
    assert snapshot(run) == before  # checked before anything is written

    # Any dataset as backbone (retrain --dataset) and as target (--to), with the target's class names; in a
    # folder of its own, the first comparison untouched.
    odd = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
    info = datasets.DATASETS["synthetic"]
    monkeypatch.setitem(datasets.DATASETS, "synthetic", dataclasses.replace(info, class_names=odd))
    code, out, err = run_cli(capsys, "retrain", str(run), "--dataset", "synthetic", "--epochs", "1")
    assert code == 0, err
    assert json.loads((run / "synthetic" / "retrain.json").read_text())["dataset"] == "synthetic"
    said = " ".join(out.split())
    assert (
        f"`emnist-tuner transfer {run} --backbone synthetic` (this backbone on Binary AlphaDigits, or another" in said
    )
    first = snapshot(out_dir)
    other = [*args, "--backbone", "synthetic", "--to", "synthetic", "--batch-size", "64"]
    code, out, err = run_cli(capsys, *other)
    assert code == 0, err
    assert snapshot(out_dir) == first
    target = run / "transfer-synthetic-to-synthetic"
    results = json.loads((target / "results.json").read_text())
    assert (results["target"], results["classes"], results["backbone"]) == ("synthetic", list(odd), "synthetic")
    assert results["size"] is None and "images as they are" in results["recipe"]["both"]
    folds = [json.loads((target / "folds" / f"fold-{k}-seed-0.json").read_text()) for k in (1, 2)]
    assert sum(f["test_images"] for f in folds) == 800  # every image of the target, train, val and test
    assert "transfer_digits_accuracy" not in folds[0] and "digits" not in results["transfer"]
    flat = " ".join(out.split())
    assert "synthetic: transfer from the synthetic backbone vs scratch, 2-fold" in flat
    assert "800 images of 10 classes (its train, validation and test splits together" in flat
    assert "10 classes: alpha, beta, gamma" in flat and "study (one validation split)" not in flat
    assert json.loads((target / "transfer.json").read_text())["to"] == "synthetic"
    code, out, err = run_cli(capsys, "report", str(run), "--data-dir", data)
    assert code == 0 and "Binary AlphaDigits: transfer from the MNIST" in out and "synthetic: transfer from" in out

    # A user's class folder as the target (folder:PATH): its folder names are the classes
    from source_files import LETTERS, folder_source

    images = folder_source(tmp_path / "my-letters", per_class=4, test_per_class=0)
    code, out, err = run_cli(capsys, *args, "--backbone", "synthetic", "--to", f"folder:{images}")
    assert code == 0, err
    (mine,) = run.glob("transfer-synthetic-to-folder-my-letters-*")
    results = json.loads((mine / "results.json").read_text())
    assert results["target"] == f"folder:{images.resolve()}" and results["classes"] == list(LETTERS)
    assert sum(json.loads(f.read_text())["test_images"] for f in (mine / "folds").glob("fold-*.json")) == 40


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--folds", "1"], 2, "--folds must be at least 2"),
        (["--fine-tune-epochs", "0"], 2, "--fine-tune-epochs must be at least 1"),
        (["--batchnorm", "maybe"], 2, "--batchnorm must be one of train, frozen, got 'maybe'"),
        (["--fine-tune-lr", "0"], 2, "--fine-tune-lr must be above 0 and at most 1, got 0.0"),
        (["--head-lr", "2"], 2, "--head-lr must be above 0 and at most 1, got 2.0"),
        (["--ensemble", "0"], 2, "--ensemble must be at least 1, got 0"),
        (["--tta", "0"], 2, "--tta must be at least 1, got 0"),
        (["--tta", "2", "--scratch-augment", "none"], 2, "--tta 2: --scratch-augment none trains a model without"),
        (["--backbone", "imagenet"], 2, "--backbone must be one of mnist, emnist"),
        (["--backbone", "emnist"], 2, "its model is not an EMNIST backbone"),
        ([], 1, "train the MNIST backbone first with: emnist-tuner retrain"),
        (["--to", "nope"], 2, "--to: unknown dataset 'nope'; known: emnist-letters"),
        (["--backbone", "mnsit"], 2, "--backbone must be one of mnist, emnist or a dataset the winner was retrained"),
        (
            ["--backbone", "emnist-letters"],
            1,
            "/emnist-letters/backbone.keras is missing: train the emnist-letters backbone first with: "
            "emnist-tuner retrain",
        ),
    ],
)
def test_transfer_refuses_bad_values_and_missing_backbones(tmp_path, capsys, fake_transfer_data, args, code, message):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "train", "preset": "dense", "dataset": "synthetic"}))
    (run / "metrics.json").write_text("{}")
    got, _, err = run_cli(capsys, "transfer", str(run), "--data-dir", str(fake_transfer_data), *args)
    assert (got, message in err) == (code, True), err
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "metrics.json"]  # nothing written


@pytest.mark.parametrize(
    "args, message",
    [
        (["--folds", "81"], "--to synthetic: its class 'g0' has only 80 images, fewer than --folds 81 (each fold"),
        (["--folds", "3", "--size", "30"], "--size must be between 4 and 28 for the backbone's 28x28 input"),
    ],
)
def test_a_target_with_too_few_images_per_class_or_too_big_for_the_canvas_is_refused(
    tmp_path, capsys, monkeypatch, args, message
):
    import keras

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "train", "preset": "dense", "dataset": "synthetic"}))
    (run / "metrics.json").write_text("{}")
    inputs = keras.Input((28, 28))
    keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs))).save(run / "model.keras")
    if "--size" in args:  # a target of another shape is fitted to the canvas: --size applies
        info = datasets.DATASETS["synthetic"]
        monkeypatch.setitem(datasets.DATASETS, "synthetic", dataclasses.replace(info, image_shape=(20, 16)))
    before = snapshot(run)
    code, _, err = run_cli(capsys, "transfer", str(run), "--backbone", "synthetic", "--to", "synthetic", *args)
    assert (code, err.count("\n"), err.startswith("error: ")) == (2, 1, True) and message in err, err
    assert snapshot(run) == before  # nothing written


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "is not a run folder (no config.json)"),
        ({"config.json": {"kind": "search", "dataset": "mnist"}}, "the search has no winner yet"),
        ({"config.json": {"kind": "train", "preset": "dense", "dataset": "mnist"}}, "the training run did not finish"),
    ],
)
def test_retrain_needs_a_finished_run(tmp_path, capsys, files, message):
    run = tmp_path / "run"
    run.mkdir()
    for name, content in files.items():
        (run / name).write_text(json.dumps(content))
    code, _, err = run_cli(capsys, "retrain", str(run), "--dataset", "synthetic")
    assert code == 1 and message in err, err
