"""An ensemble as one Keras model: the mean of its members' softmax outputs.

The members are nested inside one functional model (each under its own name), so the ensemble saves
as a single ``.keras`` file and loads, predicts and exports like any model of this package.
"""

from __future__ import annotations

import keras


def average_model(members: list[keras.Model], name: str = "ensemble") -> keras.Model:
    """One model whose output is the mean of ``members``' outputs (all take the same input shape)."""
    if not members:
        raise ValueError("an ensemble needs at least one member")
    inputs = keras.Input(shape=members[0].input_shape[1:], name="image")
    outputs = [
        keras.Model(member.inputs[0], member.outputs[0], name=f"member_{i}")(inputs)
        for i, member in enumerate(members, start=1)
    ]
    averaged = keras.layers.Average(name="mean_softmax")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(inputs, averaged, name=name)
