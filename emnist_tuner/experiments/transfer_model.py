"""The transfer model and the scratch model: the same layers, pretrained or fresh.

    image -> augmentation -> backbone features (all layers before the backbone's head)
          -> Dense -> BatchNorm -> ReLU -> Dropout -> Dense softmax (the new head)

Transfer: the pretrained features are called with ``training=False`` (BatchNorm uses its moving
statistics and dropout is off, also while fine-tuning); phase 1 trains the new head only, phase 2
unfreezes the top of the backbone (its last conv block and its hidden dense layers; BatchNorm
layers stay frozen) at a tenth of the learning rate. Scratch: the same architecture built with
fresh weights, called in training mode, every layer trainable from the start.
"""

from __future__ import annotations

import keras

HEAD_UNITS = 128
HEAD_DROPOUT = 0.3
AUGMENTATION = {"rotation": 0.04, "translation": 0.08, "zoom": 0.08}  # gentle: 36 classes incl. 6/9, M/W


def feature_extractor(model: keras.Model) -> keras.Model:
    """``model`` up to (not including) its ``head`` layer, sharing its layers and weights."""
    try:
        features = model.get_layer("head").input
    except ValueError:
        raise ValueError(f"model '{model.name}' has no layer named 'head': not an emnist-tuner model") from None
    return keras.Model(model.inputs, features, name="backbone")


def _augmentation(x, height: int, width: int):
    from ..searchspace.hypermodel import augmentation_layers

    x = keras.layers.Reshape((height, width, 1), name="add_channel")(x)
    x = augmentation_layers(x, AUGMENTATION)
    return keras.layers.Reshape((height, width), name="drop_channel")(x)


def build_transfer_model(backbone: keras.Model, num_classes: int, pretrained: bool) -> keras.Model:
    """The new head on ``backbone``'s features. ``pretrained``: call the features in inference mode
    (transfer); else in training mode (scratch: BatchNorm learns its statistics)."""
    features = feature_extractor(backbone)
    height, width = backbone.input_shape[1:3]
    inputs = keras.Input(shape=(height, width), name="image")
    x = _augmentation(inputs, height, width)
    x = features(x, training=False) if pretrained else features(x)
    x = keras.layers.Dense(HEAD_UNITS, use_bias=False, name="new_dense")(x)
    x = keras.layers.BatchNormalization(name="new_bn")(x)
    x = keras.layers.Activation("relu", name="new_act")(x)
    x = keras.layers.Dropout(HEAD_DROPOUT, name="new_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="new_head")(x)
    return keras.Model(inputs, outputs, name="transfer" if pretrained else "scratch")


def backbone_of(model: keras.Model) -> keras.Model:
    return model.get_layer("backbone")


def top_layers(features: keras.Model) -> list[keras.layers.Layer]:
    """The layers phase 2 fine-tunes: the last conv block's and the hidden dense layers that have
    weights (no BatchNorm); for a dense-only backbone, its dense layers."""
    weighted = [layer for layer in features.layers if layer.weights
                and not isinstance(layer, keras.layers.BatchNormalization)]
    blocks = sorted({layer.name.split("_")[0] for layer in weighted if layer.name.startswith("block")})
    last_block = blocks[-1] if blocks else None
    return [layer for layer in weighted
            if layer.name.startswith("dense") or (last_block and layer.name.split("_")[0] == last_block)]


def freeze_backbone(model: keras.Model) -> None:
    """Phase 1: only the new head trains."""
    backbone_of(model).trainable = False


def unfreeze_top(model: keras.Model) -> list[str]:
    """Phase 2: the backbone's top layers train too; BatchNorm and the lower layers stay frozen.
    The model must be compiled again after this (Keras reads ``trainable`` at compile time)."""
    features = backbone_of(model)
    features.trainable = True
    chosen = {id(layer) for layer in top_layers(features)}
    for layer in features.layers:
        layer.trainable = id(layer) in chosen
    return [layer.name for layer in features.layers if layer.trainable and layer.weights]


def compile_for(model: keras.Model, learning_rate) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
