"""Run configs: the profiles' numbers, every bound at its edge, the identity check of a resume (which
fields may change), and how a config that is missing, damaged or of another kind is refused."""

from __future__ import annotations

import json

import pytest

from emnist_tuner.errors import ConfigError, RunError
from emnist_tuner.runfolder.ablation_config import AblationConfig
from emnist_tuner.runfolder.configs import (
    PROFILES,
    RunConfig,
    SearchConfig,
    check_options,
    load_config,
    read_run_config,
    saved_kind,
)
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.recipe_config import FinalRecipe, check_ensemble, check_precision
from emnist_tuner.runfolder.train_configs import RetrainConfig, TrainConfig

# ------------------------------------------------------------------ the final-training recipe


def test_a_recipe_from_its_saved_form():
    recipe = FinalRecipe(epochs=4)
    assert FinalRecipe.from_value(recipe) is recipe
    assert FinalRecipe.from_value(None) == FinalRecipe()
    assert FinalRecipe.from_value({"epochs": 7, "ema": False, "unknown": 1}) == FinalRecipe(epochs=7, ema=False)
    with pytest.raises(ConfigError, match=r"a final-training recipe must be a JSON object, got \[1, 2\]"):
        FinalRecipe.from_value([1, 2])


def test_with_options_changes_only_what_was_given():
    recipe = FinalRecipe(epochs=4, label_smoothing=0.2)
    assert recipe.with_options(epochs=None, ema=False) == FinalRecipe(epochs=4, label_smoothing=0.2, ema=False)
    assert recipe.with_options(label_smoothing=0.0) == FinalRecipe(epochs=4, label_smoothing=0.0)


@pytest.mark.parametrize(
    "good, bad, message",
    [
        ({"epochs": 1}, {"epochs": 0}, "--final-epochs must be at least 1, got 0"),
        ({"warmup_epochs": 0}, {"warmup_epochs": -1}, "--warmup-epochs must be at least 0, got -1"),
        (
            {"label_smoothing": 0.0},
            {"label_smoothing": 1.0},
            "--label-smoothing must be at least 0 and below 1, got 1.0",
        ),
        ({"label_smoothing": 0.99}, {"label_smoothing": -0.1}, "--label-smoothing must be at least 0 and below 1"),
        ({"weight_decay": 0.0}, {"weight_decay": 1.0}, "--weight-decay must be at least 0 and below 1, got 1.0"),
        ({"weight_decay": 0.5}, {"weight_decay": -0.01}, "--weight-decay must be at least 0 and below 1"),
    ],
)
def test_recipe_bounds_at_their_edges(good, bad, message):
    FinalRecipe(**good).validate()
    with pytest.raises(ConfigError) as error:
        FinalRecipe(**bad).validate()
    assert str(error.value).startswith(message)


def test_recipe_in_words_without_warm_up():
    assert FinalRecipe(warmup_epochs=0, ema=False).describe(4) == "4 epochs: cosine to 0; label smoothing 0.1"


def test_recipe_in_words_uses_its_own_epochs_unless_told():
    assert FinalRecipe(epochs=12).describe() == "12 epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"
    assert FinalRecipe(epochs=12).describe(3).startswith("3 epochs: ")
    assert FinalRecipe().describe() == "the winner's epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"
    assert FinalRecipe(warmup_epochs=2, weight_decay=0.01).describe(5) == (
        "5 epochs: 2 warm-up, cosine to 0; label smoothing 0.1; weight decay 0.01; weight EMA"
    )


def test_ensemble_and_precision_choices():
    check_ensemble(1, "seeds")
    check_ensemble(5, "top")
    with pytest.raises(ConfigError, match="--ensemble must be at least 1, got 0"):
        check_ensemble(0, "seeds")
    with pytest.raises(ConfigError, match="--ensemble-of must be one of seeds, top, got 'best'"):
        check_ensemble(2, "best")
    for precision in ("auto", "float32", "mixed_bfloat16", "mixed_float16"):
        check_precision(precision)
    with pytest.raises(ConfigError, match="--precision must be one of auto, float32, mixed_bfloat16, mixed_float16"):
        check_precision("float16")


# ------------------------------------------------------------------ option bounds


@pytest.mark.parametrize("seed", [0, 2**32 - 1, None])
def test_seeds_inside_32_bits_are_accepted(seed):
    check_options(seed, ())


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seeds_outside_32_bits_are_refused(seed):
    with pytest.raises(ConfigError, match=rf"--seed must be between 0 and 2\*\*32 - 1, got {seed}"):
        check_options(seed, ())


def test_a_minimum_is_allowed_and_one_below_it_is_not():
    check_options(None, (("--x", 3, 3), ("--y", None, 3)))  # None: not given
    with pytest.raises(ConfigError) as error:
        check_options(None, (("--x", 3, 3), ("--y", 2, 3)))
    assert str(error.value) == "--y must be at least 3, got 2"


# ------------------------------------------------------------------ profiles


def test_the_quick_and_full_profiles():
    quick = SearchConfig.from_profile("synthetic")
    assert (quick.profile, quick.max_epochs, quick.factor, quick.iterations) == ("quick", 9, 3, 1)
    assert (quick.subset, quick.batch_size, quick.patience, quick.max_params) == (10_000, 128, 3, 5_000_000)
    assert quick.restrict == {"pooling": ["max", "average"], "filters": [16, 32, 48, 64]}
    assert quick.recipe.epochs is None  # the winner's own epochs
    full = SearchConfig.from_profile("synthetic", "full")
    assert full.profile == "full"
    assert (full.max_epochs, full.subset, full.batch_size, full.patience, full.restrict) == (30, None, 256, 5, {})
    assert full.recipe.epochs == 30


def test_overrides_replace_profile_values_and_none_keeps_them():
    config = SearchConfig.from_profile("synthetic", "full", max_epochs=12, subset=None, batch_size=None, seed=7)
    assert (config.max_epochs, config.subset, config.batch_size, config.seed) == (12, None, 256, 7)
    assert SearchConfig.from_profile("synthetic", "full", recipe=FinalRecipe(epochs=4)).recipe.epochs == 4
    assert SearchConfig.from_profile("synthetic", "full", recipe={"ema": False}).recipe == FinalRecipe(
        epochs=30, ema=False
    )


def test_a_config_does_not_share_its_profiles_values():
    config = SearchConfig.from_profile("synthetic")
    config.restrict["filters"].append(128)
    assert PROFILES["quick"]["restrict"]["filters"] == [16, 32, 48, 64]


def test_an_unknown_profile_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown profile 'huge'; known: quick, full"):
        SearchConfig.from_profile("synthetic", "huge")


@pytest.mark.parametrize(
    "field, lowest, option",
    [
        ("max_epochs", 1, "--max-epochs"),
        ("factor", 2, "--factor"),
        ("iterations", 1, "--iterations"),
        ("subset", 10, "--subset"),
        ("batch_size", 1, "--batch-size"),
        ("max_params", 1, "--max-params"),
        ("patience", 0, "--patience"),
        ("trials_per_worker", 1, "--trials-per-worker"),
        ("tta", 1, "--tta"),
        ("ensemble", 1, "--ensemble"),
    ],
)
def test_search_bounds_at_their_edges(field, lowest, option):
    SearchConfig(dataset="synthetic", **{field: lowest}).validate()
    with pytest.raises(ConfigError) as error:
        SearchConfig(dataset="synthetic", **{field: lowest - 1}).validate()
    assert str(error.value) == f"{option} must be at least {lowest}, got {lowest - 1}"


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_the_validation_fraction_is_strictly_between_0_and_1(fraction):
    SearchConfig(dataset="synthetic", val_fraction=0.01).validate()
    SearchConfig(dataset="synthetic", val_fraction=0.99).validate()
    with pytest.raises(ConfigError, match=f"validation fraction must be in \\(0, 1\\), got {fraction}"):
        SearchConfig(dataset="synthetic", val_fraction=fraction).validate()


def test_search_validation_checks_the_dataset_seed_recipe_and_choices():
    with pytest.raises(ConfigError, match="unknown dataset 'letters'"):
        SearchConfig(dataset="letters").validate()
    with pytest.raises(ConfigError, match="--seed must be between"):
        SearchConfig(dataset="synthetic", seed=-1).validate()
    with pytest.raises(ConfigError, match="--final-epochs must be at least 1"):
        SearchConfig(dataset="synthetic", recipe=FinalRecipe(epochs=0)).validate()
    with pytest.raises(ConfigError, match="--ensemble-of must be one of"):
        SearchConfig(dataset="synthetic", ensemble_of="best").validate()
    with pytest.raises(ConfigError, match="--precision must be one of"):
        SearchConfig(dataset="synthetic", precision="half").validate()


@pytest.mark.parametrize(
    "field, lowest, option",
    [
        ("epochs", 1, "--epochs"),
        ("batch_size", 1, "--batch-size"),
        ("subset", 10, "--subset"),
        ("patience", 0, "--patience"),
    ],
)
def test_retrain_bounds_at_their_edges(field, lowest, option):
    RetrainConfig(**{field: lowest}).validate()
    with pytest.raises(ConfigError, match=f"^{option} must be at least {lowest}, got {lowest - 1}$"):
        RetrainConfig(**{field: lowest - 1}).validate()
    with pytest.raises(ConfigError, match="--seed must be between"):
        RetrainConfig(seed=2**32).validate()
    with pytest.raises(ConfigError, match="--warmup-epochs"):
        RetrainConfig(recipe=FinalRecipe(warmup_epochs=-1)).validate()
    with pytest.raises(ConfigError, match="--precision"):
        RetrainConfig(precision="half").validate()
    with pytest.raises(ConfigError, match="unknown dataset"):
        RetrainConfig(dataset="letters").validate()


# ------------------------------------------------------------------ the identity check of a resume


def test_volatile_fields_may_change_on_resume_and_the_others_are_named():
    saved = SearchConfig.from_profile("synthetic", data_dir="/a", trials_per_worker=8, tensorboard=True)
    asked = SearchConfig.from_profile(
        "synthetic",
        data_dir="/b",
        trials_per_worker=2,
        tensorboard=False,
        precision="float32",
        ensemble=3,
        ensemble_of="top",
        scheduled_trials=5,
    )
    assert saved.differences(asked) == []
    assert saved.differences(SearchConfig.from_profile("synthetic", max_epochs=27, seed=1)) == [
        "--max-epochs: the run has 9, the command gives 27",
        "--seed: the run has 0, the command gives 1",
    ]


def test_a_long_value_is_cut_and_the_space_is_named_only_when_no_option_explains_it():
    def differences(n):
        return SearchConfig(space="a" * n).differences(SearchConfig(space="b" * n))

    label = "the search space's fingerprint (it follows from --profile and the emnist-tuner version)"
    assert differences(60) == [f"{label}: the run has {'a' * 60}, the command gives {'b' * 60}"]
    assert differences(61) == [f"{label}: the run has {'a' * 59}…, the command gives {'b' * 59}…"]
    other_profile = SearchConfig(space="b", profile="full", restrict={"pooling": ["max"]})
    assert SearchConfig(space="a").differences(other_profile) == [
        "--profile: the run has quick, the command gives full"
    ]
    assert SearchConfig(space="a").differences(SearchConfig(space="a", restrict={"pooling": ["max"]})) == [
        "the profile's narrower choices (--profile): the run has none, the command gives pooling=max"
    ]


def test_recipe_fields_and_values_are_named_as_typed():
    saved = SearchConfig.from_profile("synthetic", recipe=FinalRecipe(epochs=30, ema=False, label_smoothing=0.05))
    asked = SearchConfig.from_profile("synthetic", recipe=FinalRecipe(weight_decay=0.01))
    assert saved.differences(asked) == [
        "--final-epochs: the run has 30, the command gives the winner's epochs",
        "--label-smoothing: the run has 0.05, the command gives 0.1",
        "--ema/--no-ema: the run has off, the command gives on",
        "--weight-decay: the run has 0, the command gives 0.01",
    ]
    # train and retrain: --epochs is the recipe's epochs too, named once
    assert TrainConfig(epochs=3, recipe={"epochs": 3}).differences(TrainConfig(epochs=5, recipe={"epochs": 5})) == [
        "--epochs: the run has 3, the command gives 5"
    ]


def test_recipe_options_and_tta_left_out_keep_the_runs_and_those_given_are_compared():
    saved = SearchConfig.from_profile("synthetic", "full", recipe=FinalRecipe(epochs=12, ema=False), tta=4)
    again = SearchConfig.from_profile("synthetic", "full", ensemble=3)  # the same command with --ensemble 3
    assert again.recipe.epochs == 30 and again.tta == 1  # the profile's and the default, until kept
    again.keep_unasked(saved)
    assert again.recipe == saved.recipe and again.tta == 4 and saved.differences(again) == []
    partly = SearchConfig.from_profile("synthetic", "full", recipe={"epochs": 10}, tta=2)
    partly.keep_unasked(saved)
    assert partly.recipe == FinalRecipe(epochs=10, ema=False) and saved.differences(partly) == [
        "--final-epochs: the run has 12, the command gives 10",
        "--tta: the run has 4, the command gives 2",
    ]
    whole = SearchConfig.from_profile("synthetic", "full", recipe=FinalRecipe(epochs=12))  # a recipe object: all given
    whole.keep_unasked(saved)
    assert whole.tta == 4 and saved.differences(whole) == ["--ema/--no-ema: the run has off, the command gives on"]
    built = SearchConfig(recipe={"epochs": 3})  # not from a profile: every field counts as given
    built.keep_unasked(saved)
    assert built.recipe == FinalRecipe(epochs=3)


def test_a_retrain_config_needs_no_kind_in_its_file(tmp_path):
    (tmp_path / "retrain.json").write_text(json.dumps({"dataset": "mnist", "epochs": 4}))
    assert RetrainConfig.load(tmp_path).epochs == 4


def test_the_retrains_winner_and_where_it_was_searched_may_change():
    saved = RetrainConfig(winner="trial 0001", searched_on="emnist-letters", precision="auto")
    assert saved.differences(RetrainConfig(winner="trial 0007", searched_on="mnist", precision="float32")) == []
    assert saved.differences(RetrainConfig(epochs=3)) == ["--epochs: the run has 15, the command gives 3"]


def test_the_base_config_knows_only_where_data_lives_and_its_kind_as_volatile():
    assert RunConfig.VOLATILE == ("data_dir", "kind") and RunConfig().identity() == {}


# ------------------------------------------------------------------ saving and loading


def test_saved_and_loaded_as_the_same_type(tmp_path):
    config = SearchConfig.from_profile("synthetic", recipe=FinalRecipe(epochs=3))
    config.save(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["recipe"]["epochs"] == 3
    loaded = SearchConfig.load(tmp_path)
    assert loaded == config and isinstance(loaded.recipe, FinalRecipe)
    assert type(load_config(tmp_path)) is SearchConfig and saved_kind(RunFolder(tmp_path)) == "search"


def test_a_config_without_a_kind_is_a_search_and_unknown_keys_are_ignored(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"dataset": "mnist", "removed_option": 1}))
    assert SearchConfig.load(tmp_path).dataset == "mnist"
    assert saved_kind(RunFolder(tmp_path)) == "search"


def test_another_kind_of_run_is_refused_with_its_article(tmp_path):
    AblationConfig(dataset="synthetic").save(tmp_path)
    with pytest.raises(RunError) as error:
        SearchConfig.load(tmp_path)
    assert str(error.value) == f"{tmp_path} is an ablation run, not a search run"
    assert type(load_config(tmp_path)) is AblationConfig


def test_a_missing_config_says_how_to_start_one(tmp_path):
    with pytest.raises(RunError) as error:
        TrainConfig.load(tmp_path)
    assert str(error.value) == (
        f"{tmp_path} is not a run folder: config.json is missing; start one with `emnist-tuner train`"
    )
    with pytest.raises(RunError) as error:
        RetrainConfig.load(tmp_path)
    assert "retrain.json is missing; start one with `emnist-tuner retrain`" in str(error.value)


@pytest.mark.parametrize(
    "text, why",
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "not a JSON object"),
        ('{"recipe": 3}', "must be a JSON object"),
    ],
)
def test_a_damaged_config_is_refused_and_says_what_to_do(tmp_path, text, why):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(RunError) as error:
        SearchConfig.load(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'config.json'} is damaged (") and why in message
    assert message.endswith("); restore it or start a new run folder")


def test_a_value_of_the_wrong_shape_is_damage_not_a_crash(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"kind": "search", "recipe": {"epochs": 0, "nope": 1}}))
    assert SearchConfig.load(tmp_path).recipe == FinalRecipe(epochs=0)  # read as saved; validated on use


def test_read_run_config_of_a_file_a_missing_folder_and_an_empty_folder(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    with pytest.raises(RunError, match=r"is not a run folder \(a file\); give the folder of a search"):
        read_run_config(a_file)
    with pytest.raises(RunError, match=r"is not a run folder \(no such folder\)"):
        read_run_config(tmp_path / "nothing")
    with pytest.raises(RunError, match=r"is not a run folder \(no config.json\); give the folder"):
        read_run_config(tmp_path)
    (tmp_path / "config.json").write_text('{"kind": "train", "x": 1}')
    run, values = read_run_config(tmp_path)
    assert run.path == tmp_path and values == {"kind": "train", "x": 1}


def test_load_config_of_an_unknown_kind_or_no_config(tmp_path):
    with pytest.raises(RunError, match=r"is not a run folder \(no config.json\); give the folder of a search, train"):
        load_config(tmp_path)
    (tmp_path / "config.json").write_text('{"kind": "party"}')
    with pytest.raises(
        RunError, match="names an unknown kind of run \\('party'\\); it was not written by this version"
    ):
        load_config(tmp_path)
    (tmp_path / "config.json").write_text('{"kind": "train", "preset": "dense", "dataset": "mnist"}')
    assert type(load_config(tmp_path)) is TrainConfig


# ------------------------------------------------------------------ train and ablation runs (these name a preset)


@pytest.mark.parametrize(
    "field, lowest, option",
    [
        ("epochs", 1, "--epochs"),
        ("batch_size", 1, "--batch-size"),
        ("subset", 10, "--subset"),
        ("patience", 0, "--patience"),
    ],
)
def test_train_bounds_at_their_edges(field, lowest, option):
    TrainConfig(preset="dense", dataset="synthetic", **{field: lowest}).validate()
    with pytest.raises(ConfigError) as error:
        TrainConfig(preset="dense", dataset="synthetic", **{field: lowest - 1}).validate()
    assert str(error.value) == f"{option} must be at least {lowest}, got {lowest - 1}"


def test_train_validation_checks_the_preset_dataset_seed_recipe_and_precision():
    for bad, message in (
        ({"preset": "model9"}, "unknown preset 'model9'"),
        ({"dataset": "letters"}, "unknown dataset 'letters'"),
        ({"seed": 2**32}, "--seed must be between"),
        ({"recipe": FinalRecipe(label_smoothing=1.0)}, "--label-smoothing"),
        ({"precision": "half"}, "--precision must be one of"),
    ):
        with pytest.raises(ConfigError, match=message):
            TrainConfig(**{"preset": "dense", "dataset": "synthetic", **bad}).validate()


def test_early_stopping_patience_of_a_training():
    assert TrainConfig(preset="model4", patience=7).effective_patience() == 7
    assert TrainConfig(preset="model4", patience=0).effective_patience() == 0  # 0: no early stopping
    assert TrainConfig(preset="model4").effective_patience() == 0  # off unless asked (model4's own is 3)
    assert TrainConfig(preset="dense").effective_patience() == 0


@pytest.mark.parametrize(
    "field, lowest, option",
    [("seeds", 1, "--seeds"), ("epochs", 1, "--epochs"), ("batch_size", 1, "--batch-size"), ("subset", 10, "--subset")],
)
def test_ablation_bounds_at_their_edges(field, lowest, option):
    AblationConfig(dataset="synthetic", **{field: lowest}).validate()
    with pytest.raises(ConfigError) as error:
        AblationConfig(dataset="synthetic", **{field: lowest - 1}).validate()
    assert str(error.value) == f"{option} must be at least {lowest}, got {lowest - 1}"
    with pytest.raises(ConfigError, match="unknown preset 'model9'"):
        AblationConfig(base="model9", dataset="synthetic").validate()
    with pytest.raises(ConfigError, match="unknown dataset 'letters'"):
        AblationConfig(dataset="letters").validate()
