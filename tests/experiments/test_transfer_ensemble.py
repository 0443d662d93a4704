"""`transfer --ensemble K --tta N`: K members per model, saved one by one (a lost member alone is
retrained), their mean softmax; scratch members shared between backbones with the same scratch settings."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from helpers import render, run_cli, snapshot
from source_files import folder_source

from emnist_tuner.experiments import transfer_members
from emnist_tuner.experiments.transfer_data import load_target, transfer_folds
from emnist_tuner.experiments.transfer_members import load_member

# the fold file of a comparison with one model and no TTA: exactly what it held before --ensemble and --tta
SINGLE_MODEL_FIELDS = [
    "fold",
    "seed",
    "test_images",
    "train_images",
    "test_indices_sha256",
    "transfer_seconds",
    "transfer_accuracy",
    "fine_tuned_layers",
    "scratch_seconds",
    "scratch_accuracy",
]
# written again by every run of the command (its config, status and summary)
REWRITTEN = ("results.json", "status.json", "origin.json", "run.lock", "transfer.json")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A train run (the dense preset, 1 epoch on the synthetic glyphs): its own model is the
    ``synthetic`` backbone, and a copy of it stands in as the ``mnist`` backbone."""
    import emnist_tuner as et

    run = tmp_path_factory.mktemp("transfer2") / "run"
    et.train("dense", "synthetic", run, epochs=1, subset=200, console=None)
    (run / "mnist").mkdir()
    shutil.copy(run / "model.keras", run / "mnist" / "backbone.keras")
    return run


@pytest.fixture
def run(finished_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


@pytest.fixture
def trainings(monkeypatch):
    """Every model trained, as (model, fold, seed, member)."""
    done: list[tuple] = []
    real = transfer_members.run_member

    def counted(name, config, fold, seed, member, *args):
        done.append((name, fold + 1, seed, member))
        return real(name, config, fold, seed, member, *args)

    monkeypatch.setattr(transfer_members, "run_member", counted)
    return done


def _transfer(capsys, run, tmp_path, backbone, *extra):
    images = tmp_path / "letters"
    if not images.is_dir():
        folder_source(images, per_class=4, test_per_class=0)
    args = ["transfer", str(run), "--backbone", backbone, "--to", f"folder:{images}", "--folds", "2"]
    args += ["--head-epochs", "1", "--fine-tune-epochs", "1", "--scratch-epochs", "1", *extra]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    (folder,) = run.glob(f"transfer-{backbone}-to-folder-letters-*" if backbone != "mnist" else "transfer-to-*")
    return folder, " ".join(out.split())


@pytest.mark.slow
def test_an_ensemble_with_tta_saves_each_member_and_a_lost_member_alone_is_retrained(run, tmp_path, capsys, trainings):
    folder, out = _transfer(capsys, run, tmp_path, "synthetic", "--ensemble", "2", "--tta", "3")
    assert sorted(trainings) == sorted((m, f, 0, k) for m in ("transfer", "scratch") for f in (1, 2) for k in (0, 1))
    assert "models: the mean probabilities of 2 models per fold and seed, test-time augmentation over" in out
    assert "fold 1/2 scratch model 2/2:" in out and "one model without TTA: transfer" in out
    (store,) = (run / "scratch-store").iterdir()
    target = json.loads((folder / "results.json").read_text())["target"]
    _, labels = load_target(target, None)
    truth = [labels[test] for test in transfer_folds(labels, 2, target)[1]]
    for fold in (1, 2):
        result = json.loads((folder / "folds" / f"fold-{fold}-seed-0.json").read_text())
        assert (result["ensemble"], result["tta"]) == (2, 3)
        for name, files in (("transfer", folder / "members"), ("scratch", store)):
            suffix = "-transfer" if name == "transfer" else ""
            members = [load_member(files / f"fold-{fold}-seed-0-member-{k}{suffix}.npz") for k in (0, 1)]
            assert members[0]["plain"].shape == (result["test_images"], 10) and members[0]["tta"] is not None
            assert members[0]["training_seed"] != members[1]["training_seed"]  # each member its own seed
            assert not np.allclose(members[0]["tta"], members[0]["plain"])  # the moved copies count
            mean = np.mean([m["tta"] for m in members], axis=0)  # the ensemble: mean softmax, with TTA
            right = np.argmax(mean, axis=1) == truth[fold - 1]
            assert result[f"{name}_accuracy"] == float(right.mean())
            assert members[0]["accuracy"] == float((np.argmax(members[0]["plain"], axis=1) == truth[fold - 1]).mean())
            assert result[f"{name}_single_accuracy"] == members[0]["accuracy"]  # member 0, no TTA
            assert result[f"{name}_member_accuracies"] == [m["tta_accuracy"] for m in members]
            assert result[f"{name}_seconds"] == pytest.approx(sum(m["seconds"] for m in members))
            assert np.allclose(mean.sum(axis=1), 1, atol=1e-4)
    results = json.loads((folder / "results.json").read_text())
    assert (results["ensemble"], results["tta"]) == (2, 3)
    assert results["scratch_store"] == f"scratch-store/{store.name}" and results["scratch_key"]["tta"] == 3
    single = results["single_model"]
    assert single["transfer"]["folds"] == [
        json.loads((folder / "folds" / f"fold-{f}-seed-0.json").read_text())["transfer_single_accuracy"] for f in (1, 2)
    ]
    assert len(results["difference"]["folds"]) == 2 and len(single["difference"]["folds"]) == 2
    from emnist_tuner.reports.transfer_table import transfer_table

    table = " ".join(render(transfer_table(results), width=200).split())
    assert "one model, no TTA" in table and "Each model: the mean probabilities of 2 models" in table

    # A lost member: it alone trains again; every other member and fold file stays as it was.
    (folder / "members" / "fold-2-seed-0-member-1-transfer.npz").unlink()
    (folder / "folds" / "fold-2-seed-0.json").unlink()
    kept = snapshot(run, skip=REWRITTEN)
    trainings.clear()
    _transfer(capsys, run, tmp_path, "synthetic", "--ensemble", "2", "--tta", "3")
    assert trainings == [("transfer", 2, 0, 1)]
    now = snapshot(run, skip=REWRITTEN)
    assert {p: v for p, v in now.items() if p in kept} == kept
    assert sorted(set(now) - set(kept)) == [
        folder / "folds" / "fold-2-seed-0.json",
        folder / "members" / "fold-2-seed-0-member-1-transfer.npz",
    ]


@pytest.mark.slow
def test_scratch_models_are_shared_between_backbones_with_the_same_scratch_settings(run, tmp_path, capsys, trainings):
    first, _ = _transfer(capsys, run, tmp_path, "synthetic")
    fold = json.loads((first / "folds" / "fold-1-seed-0.json").read_text())
    assert list(fold) == SINGLE_MODEL_FIELDS  # one model, no TTA: the fold file as before
    assert "single_model" not in json.loads((first / "results.json").read_text())
    assert sorted(trainings) == sorted((m, f, 0, 0) for m in ("transfer", "scratch") for f in (1, 2))

    trainings.clear()
    second, out = _transfer(capsys, run, tmp_path, "mnist")
    assert sorted(trainings) == [("transfer", 1, 0, 0), ("transfer", 2, 0, 0)]  # no scratch model trained
    assert out.count("1 model reused from another backbone's comparison") == 2
    a, b = (json.loads((f / "results.json").read_text()) for f in (first, second))
    assert a["scratch"]["folds"] == b["scratch"]["folds"] and a["scratch_store"] == b["scratch_store"]


@pytest.mark.parametrize(
    "change, shared",
    [
        ({"backbone": "emnist"}, True),
        ({"augment": "strong", "head_epochs": 9, "fine_tune_lr": 0.01, "fine_tune": "top"}, True),
        ({"batchnorm": "train", "ensemble": 5, "seeds": 3, "seed": 2}, True),  # members are keyed by seed
        ({"scratch_lr": 0.002}, False),
        ({"scratch_epochs": 61}, False),
        ({"scratch_augment": "gentle"}, False),
        ({"batch_size": 64}, False),
        ({"label_smoothing": 0.1}, False),
        ({"tta": 4}, False),
        ({"folds": 4}, False),
        ({"to": "synthetic"}, False),
    ],
)
def test_the_scratch_store_key_says_every_scratch_setting_and_no_transfer_one(change, shared):
    from types import SimpleNamespace

    from emnist_tuner.runfolder.transfer_config import TransferConfig

    winner = SimpleNamespace(label="trial 0012", values={"conv_blocks": 2}, preset=None, restrict=None)
    x, labels = np.zeros((40, 28, 28), np.uint8), np.repeat(np.arange(10), 4)
    key, values = transfer_members.scratch_key(TransferConfig(), winner, (28, 28), x, labels)
    other, _ = transfer_members.scratch_key(TransferConfig(**change), winner, (28, 28), x, labels)
    assert (other == key) == shared and len(key) == 16 and values["scratch_lr"] == 3e-3


def test_the_scratch_store_key_says_the_images_the_canvas_and_the_architecture():
    from types import SimpleNamespace

    from emnist_tuner.runfolder.transfer_config import TransferConfig

    winner = SimpleNamespace(label="trial 0012", values={"conv_blocks": 2}, preset=None, restrict=None)
    x, labels = np.zeros((40, 28, 28), np.uint8), np.repeat(np.arange(10), 4)
    key, _ = transfer_members.scratch_key(TransferConfig(), winner, (28, 28), x, labels)
    moved = x.copy()
    moved[3, 4, 5] = 1
    for args in (
        (winner, (28, 28), moved, labels),
        (winner, (28, 28), x, labels[::-1].copy()),
        (winner, (32, 32), x, labels),
        (SimpleNamespace(**{**vars(winner), "values": {"conv_blocks": 3}}), (28, 28), x, labels),
    ):
        assert transfer_members.scratch_key(TransferConfig(), *args)[0] != key


def test_member_0_trains_with_the_seed_a_comparison_always_used_and_the_others_with_their_own():
    seeds = {transfer_members.member_seed(seed, fold, m) for seed in (0, 1) for fold in range(5) for m in range(4)}
    assert len(seeds) == 40  # all distinct
    assert [transfer_members.member_seed(seed, fold, 0) for seed, fold in ((0, 0), (0, 3), (2, 1))] == [0, 3, 2001]
    assert transfer_members.member_seed(0, 1, 2) == transfer_members.member_seed(0, 1, 2)  # deterministic
