"""The HyperModel: its default point, conditional hyperparameters, errors and inputs."""

import keras
import keras_tuner
import numpy as np
import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.searchspace import CharacterHyperModel, default_values

# The default point. Any change of the space's defaults must show up here in review.
GOLDEN_DEFAULTS = {
    "conv_blocks": 2,
    "filters_1": 32,
    "filters_2": 64,
    "convs_per_block": 1,
    "kernel_size": 3,
    "padding": "same",
    "pooling": "max",
    "conv_dropout": 0.0,
    "batch_norm": False,
    "head_dropout": 0.5,
    "dense_layers": 0,
    "l1": False,
    "l2": False,
    "initializer": "glorot_uniform",
    "activation": "relu",
    "optimizer": "adam",
    "learning_rate": 0.001,
    "augment": False,
}

# Every hyperparameter of the space at 28x28 with all augmentations, in declaration order.
ALL_NAMES = [
    "conv_blocks",
    "filters_1",
    "filters_2",
    "filters_3",
    "filters_4",
    "convs_per_block",
    "kernel_size",
    "padding",
    "pooling",
    "conv_dropout",
    "batch_norm",
    "head_dropout",
    "dense_layers",
    "dense_units_1",
    "dense_units_2",
    "dense_units_3",
    "dense_dropout",
    "l1",
    "l1_strength",
    "l2",
    "l2_strength",
    "initializer",
    "activation",
    "optimizer",
    "learning_rate",
    "augment",
    "rotation",
    "translation",
    "zoom",
]


def build_with(hypermodel, **values):
    """Builds ``hypermodel`` with ``values`` fixed and defaults for everything else."""
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    return hypermodel.build(hp), hp


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_default_point_is_golden():
    hp = keras_tuner.HyperParameters()
    CharacterHyperModel().build(hp)
    assert hp.values == GOLDEN_DEFAULTS
    assert default_values() == GOLDEN_DEFAULTS


def test_default_point_is_a_small_same_padded_convnet():
    model, _ = build_with(CharacterHyperModel(num_classes=10))
    assert layer_types(model).count("Conv2D") == 2
    assert model.get_layer("block2_pool").output.shape[1:] == (7, 7, 64)
    assert model.count_params() == 320 + 18_496 + (7 * 7 * 64 + 1) * 10


def test_space_declares_every_hyperparameter_once():
    assert [p.name for p in CharacterHyperModel().space().space] == ALL_NAMES


def test_space_follows_the_constructor():
    names = {p.name for p in CharacterHyperModel(input_shape=(8, 8), augmentations=["zoom"]).space().space}
    assert "filters_3" in names and "filters_4" not in names  # 8 px allow 3 poolings
    assert "zoom" in names and "rotation" not in names and "translation" not in names
    names = {p.name for p in CharacterHyperModel(augmentations=()).space().space}
    assert not names & {"augment", "rotation", "translation", "zoom"}


def test_conditional_hyperparameters_are_inactive_outside_their_scope():
    _, hp = build_with(CharacterHyperModel(), conv_blocks=1, l1=False, dense_layers=0)
    assert "filters_1" in hp.values and "filters_2" not in hp.values
    assert "l1_strength" not in hp.values and "dense_units_1" not in hp.values
    assert "dense_dropout" not in hp.values and "rotation" not in hp.values

    keras.backend.clear_session()
    _, hp = build_with(CharacterHyperModel(), conv_blocks=0, l1=True, dense_layers=2, augment=True)
    assert "filters_1" not in hp.values and "kernel_size" not in hp.values
    assert hp.values["l1_strength"] == 1e-5
    assert {"dense_units_1", "dense_units_2", "dense_dropout"} <= hp.values.keys()
    assert "dense_units_3" not in hp.values
    assert {"rotation", "translation", "zoom"} <= hp.values.keys()


def test_dense_only_net_has_no_conv_layers():
    model, _ = build_with(CharacterHyperModel(), conv_blocks=0, dense_layers=1, head_dropout=0.0)
    assert layer_types(model) == ["InputLayer", "Reshape", "Rescaling", "Flatten", "Dense", "Dense"]


def test_valid_padding_turns_same_when_the_map_is_smaller_than_the_kernel():
    # 28 -5+1-> 24 -pool-> 12 -5+1-> 8 -pool-> 4: the third conv (5x5) cannot be 'valid' on 4x4.
    model, _ = build_with(CharacterHyperModel(), conv_blocks=3, padding="valid", kernel_size=5)
    paddings = [layer.padding for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert paddings == ["valid", "valid", "same"]
    assert model.get_layer("flatten").output.shape[1:] == (2 * 2 * 128,)


def test_pooling_is_skipped_on_a_one_pixel_map():
    # 8 -3+1-> 6 -pool-> 3 -3+1-> 1: block 2 cannot pool, block 3 convolves the 1x1 map with 'same'.
    model, _ = build_with(CharacterHyperModel(input_shape=(8, 8)), conv_blocks=3, padding="valid")
    pools = [layer.name for layer in model.layers if "pool" in layer.name]
    assert pools == ["block1_pool"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_shape": (28,)}, "input_shape must be (height, width): 2 ints >= 8"),
        ({"input_shape": (4, 28)}, "2 ints >= 8"),
        ({"input_shape": (28.0, 28)}, "2 ints >= 8"),
        ({"input_shape": (28, 28, 1)}, "without a channel axis"),
        ({"num_classes": 1}, "num_classes must be an int >= 2, got 1"),
        ({"num_classes": 2.5}, "num_classes must be an int >= 2"),
        (
            {"augmentations": ["rotation", "shear"]},
            "unknown augmentation 'shear'; allowed: rotation, translation, zoom",
        ),
        ({"augmentations": "zoom"}, "must be a list of names"),
    ],
)
def test_invalid_constructor_arguments(kwargs, message):
    with pytest.raises(ConfigError) as info:
        CharacterHyperModel(**kwargs)
    assert message in str(info.value)


def test_hyperparameters_for_reports_every_problem():
    values = dict(GOLDEN_DEFAULTS, kernel_size=4, dropout=0.1, l1_strength=1e-5)
    del values["filters_2"]
    with pytest.raises(ConfigError) as info:
        CharacterHyperModel().hyperparameters_for(values)
    message = str(info.value)
    assert "unknown hyperparameter 'dropout'" in message
    assert "'l1_strength' is given but inactive" in message
    assert "'filters_2' is active but missing" in message
    assert "'kernel_size' = 4 is outside choices 3, 5" in message


def test_accepts_uint8_images_of_alphadigits_shape(tiny_batch):
    images, labels = tiny_batch(shape=(20, 16), num_classes=36)
    model, _ = build_with(CharacterHyperModel((20, 16), 36), conv_blocks=4, augment=True)
    model.fit(images, labels, batch_size=32, epochs=1, verbose=0)
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (32, 36)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_augmentation_is_inactive_at_inference(tiny_batch):
    images, _ = tiny_batch(n=8)
    model, _ = build_with(CharacterHyperModel(), augment=True, rotation=0.15, translation=0.2, zoom=0.2)
    assert {"augment_rotation", "augment_translation", "augment_zoom"} <= {layer.name for layer in model.layers}
    np.testing.assert_array_equal(model.predict(images, verbose=0), model.predict(images, verbose=0))


def test_zero_augmentation_factor_adds_no_layer():
    model, _ = build_with(CharacterHyperModel(), augment=True, rotation=0.0)
    names = {layer.name for layer in model.layers}
    assert "augment_rotation" not in names and "augment_zoom" in names


@pytest.mark.parametrize(
    "optimizer, cls", [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD"), ("rmsprop", "RMSprop")]
)
def test_optimizer_and_learning_rate(optimizer, cls):
    model, _ = build_with(CharacterHyperModel(), conv_blocks=0, optimizer=optimizer, learning_rate=0.005)
    assert type(model.optimizer).__name__ == cls
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    if optimizer == "sgd":
        assert model.optimizer.momentum == 0.9 and model.optimizer.nesterov


@pytest.mark.parametrize("activation", ["relu", "elu", "selu", "swish", "leaky_relu"])
def test_every_activation_builds_with_batch_norm(activation, tiny_batch):
    images, labels = tiny_batch(n=4)
    model, _ = build_with(
        CharacterHyperModel(),
        conv_blocks=1,
        filters_1=16,
        batch_norm=True,
        dense_layers=1,
        activation=activation,
        initializer="lecun_normal",
        l1=True,
        l2=True,
    )
    keras_name = {"swish": "silu"}.get(activation, activation)  # Keras names swish "silu"
    assert model.get_layer("block1_act1").get_config()["activation"] == keras_name
    assert model.get_layer("block1_conv1").kernel_regularizer is not None
    assert model.predict(images, verbose=0).shape == (4, 26)


def test_output_is_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model, _ = build_with(CharacterHyperModel(), dense_layers=1)
        assert model.get_layer("dense1").compute_dtype == "float16"
        assert model.output.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("shape", [(28, 28), (20, 16), (8, 8)])
def test_tuner_explores_the_whole_space_without_failing(shape, tmp_path):
    # KerasTuner builds the default point once per never-active conditional scope while it
    # sets up; none of those builds may fail for any allowed image size.
    hypermodel = CharacterHyperModel(shape, 10)
    tuner = keras_tuner.Hyperband(
        hypermodel, objective="val_accuracy", max_epochs=2, directory=tmp_path, project_name="t"
    )
    names = [param.name for param in tuner.oracle.get_space().space]
    assert names == [param.name for param in hypermodel.space().space]


def test_batch_norm_statistics_follow_quickly():
    # Keras' default momentum 0.99 leaves the moving variance near its initial 1.0 for
    # hundreds of steps, so validation in Hyperband's short first rounds would be ruined.
    model, _ = build_with(CharacterHyperModel(), batch_norm=True, dense_layers=1)
    momenta = [layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert momenta == [0.9, 0.9, 0.9]
