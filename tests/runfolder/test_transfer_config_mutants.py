"""The transfer comparison's config: which values are refused (each bound at its edge), the two
recipes in words as the report prints them, and what may change when it is continued."""

from __future__ import annotations

import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.transfer_config import TransferConfig


def test_the_defaults_are_valid():
    TransferConfig().validate()


@pytest.mark.parametrize(
    "option, field, value, allowed",
    [
        ("--augment", "augment", "wild", "none, gentle, strong"),
        ("--scratch-augment", "scratch_augment", "wild", "none, gentle, strong"),
        ("--fine-tune", "fine_tune", "bottom", "all, top"),
        ("--batchnorm", "batchnorm", "maybe", "train, frozen"),
    ],
)
def test_a_choice_outside_its_list_names_the_option_and_the_choices(option, field, value, allowed):
    with pytest.raises(ConfigError) as error:
        TransferConfig(**{field: value}).validate()
    assert str(error.value) == f"{option} must be one of {allowed}, got '{value}'"


def test_the_backbone_and_the_target_are_any_dataset_stored_by_name_and_an_unknown_one_names_its_option():
    config = TransferConfig(backbone="emnist-letters", to="synthetic")
    config.validate()
    assert (config.backbone, config.to) == ("emnist-letters", "synthetic")
    assert TransferConfig().to == "binary-alphadigits"
    with pytest.raises(ConfigError) as error:
        TransferConfig(backbone="imagenet").validate()
    assert str(error.value) == (
        "--backbone must be one of mnist, emnist or a dataset the winner was retrained on "
        "(with `emnist-tuner retrain`), got 'imagenet'"
    )
    with pytest.raises(
        ConfigError, match=r"^--to: unknown dataset 'imagenet'; known: emnist-letters, emnist-balanced, .*; or csv:PATH"
    ):
        TransferConfig(to="imagenet").validate()


def test_the_folder_of_each_backbone_and_target(tmp_path):
    from emnist_tuner.data.naming import dataset_slug

    run = RunFolder(tmp_path)
    spec = f"csv:{tmp_path / 'letters-train.csv'}"
    assert run.transfer_folder("mnist", "binary-alphadigits").path == tmp_path / "transfer"  # as before --to
    assert run.transfer_folder("emnist", "binary-alphadigits").path == tmp_path / "transfer-emnist"
    assert run.transfer_folder("mnist", "emnist-balanced").path == tmp_path / "transfer-to-emnist-balanced"
    assert run.transfer_folder("synthetic", spec).path == tmp_path / f"transfer-synthetic-to-{dataset_slug(spec)}"
    assert run.transfer_folder(spec).path == tmp_path / f"transfer-{dataset_slug(spec)}"
    assert run.retrain_folder(spec).path == tmp_path / dataset_slug(spec)
    assert run.retrain_folder("emnist-letters").path == tmp_path / "emnist-letters"
    for folder in ("transfer-to-synthetic", "transfer", "transfer-emnist"):
        (tmp_path / folder).mkdir()
    (tmp_path / "transfer.txt").write_text("not a comparison")
    assert [f.path.name for f in run.transfer_folders()] == ["transfer", "transfer-emnist", "transfer-to-synthetic"]


@pytest.mark.parametrize(
    "field, lowest, option",
    [
        ("folds", 2, "--folds"),
        ("seeds", 1, "--seeds"),
        ("batch_size", 1, "--batch-size"),
        ("head_epochs", 0, "--head-epochs"),
        ("fine_tune_epochs", 1, "--fine-tune-epochs"),
        ("scratch_epochs", 1, "--scratch-epochs"),
    ],
)
def test_counts_below_their_minimum_are_refused_and_the_minimum_is_allowed(field, lowest, option):
    TransferConfig(**{field: lowest}).validate()
    with pytest.raises(ConfigError) as error:
        TransferConfig(**{field: lowest - 1}).validate()
    assert str(error.value) == f"{option} must be at least {lowest}, got {lowest - 1}"


@pytest.mark.parametrize("seed, ok", [(0, True), (2**32 - 1, True), (-1, False), (2**32, False)])
def test_the_seed_is_a_32_bit_unsigned_number(seed, ok):
    if ok:
        TransferConfig(seed=seed).validate()
    else:
        with pytest.raises(ConfigError, match=rf"--seed must be between 0 and 2\*\*32 - 1, got {seed}"):
            TransferConfig(seed=seed).validate()


@pytest.mark.parametrize(
    "field, option", [("head_lr", "--head-lr"), ("fine_tune_lr", "--fine-tune-lr"), ("scratch_lr", "--scratch-lr")]
)
def test_learning_rates_are_above_0_and_at_most_1(field, option):
    TransferConfig(**{field: 1.0}).validate()
    TransferConfig(**{field: 1e-6}).validate()
    for bad in (0.0, -0.001, 1.5):
        with pytest.raises(ConfigError) as error:
            TransferConfig(**{field: bad}).validate()
        assert str(error.value) == f"{option} must be above 0 and at most 1, got {bad}"


def test_label_smoothing_is_at_least_0_and_below_1():
    TransferConfig(label_smoothing=0.0).validate()
    TransferConfig(label_smoothing=0.99).validate()
    for bad in (1.0, -0.1):
        with pytest.raises(ConfigError, match=f"--label-smoothing must be at least 0 and below 1, got {bad}"):
            TransferConfig(label_smoothing=bad).validate()


def test_the_default_recipes_in_words():
    assert TransferConfig().recipe_lines() == [
        (
            "transfer",
            "new head alone for 5 epochs at 0.001, then every backbone layer for 30 epochs at 0.001, "
            "BatchNorm keeps the backbone's statistics, augmentation gentle",
        ),
        ("scratch", "every layer from fresh weights for 60 epochs at 0.003, augmentation strong"),
        ("both", "Adam with cosine decay, batch 32, glyphs 20 px tall; 5 folds x 1 seed"),
    ]


def test_the_other_recipes_in_words():
    config = TransferConfig(
        head_epochs=0,
        fine_tune="top",
        batchnorm="train",
        label_smoothing=0.1,
        seeds=3,
        folds=4,
        size=18,
        batch_size=64,
        fine_tune_lr=2e-4,
        scratch_lr=0.01,
        scratch_epochs=40,
        augment="none",
        scratch_augment="gentle",
    )
    assert config.recipe_lines() == [
        (
            "transfer",
            "the backbone's top (last conv block, dense) for 30 epochs at 0.0002, "
            "BatchNorm learns this data's statistics, augmentation none",
        ),
        ("scratch", "every layer from fresh weights for 40 epochs at 0.01, augmentation gentle"),
        ("both", "Adam with cosine decay, batch 64, glyphs 18 px tall, label smoothing 0.1; 4 folds x 3 seeds"),
    ]


def test_saved_in_the_transfer_folder_and_only_the_data_and_backbone_paths_may_change(tmp_path):
    folder = RunFolder(tmp_path).transfer_folder("mnist")
    saved = TransferConfig(folds=3, data_dir="/data/a", backbone_file="a.keras")
    saved.save(folder.path.mkdir(parents=True) or folder.path)
    assert folder.config_file.is_file()
    loaded = TransferConfig.load(folder.path)
    assert loaded == saved
    assert loaded.differences(TransferConfig(folds=3, data_dir="/data/b", backbone_file="b.keras")) == []
    assert loaded.differences(TransferConfig(folds=5, data_dir="/data/a", backbone_file="a.keras")) == [
        "--folds: the run has 3, the command gives 5"
    ]


def test_two_seeds_are_plural():
    assert TransferConfig(seeds=2).recipe_lines()[2][1].endswith("5 folds x 2 seeds")
