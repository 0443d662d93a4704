"""Epoch times of one preset fed two ways: the NumPy arrays handed to Keras (its array adapter builds a
tf.data pipeline with autotuning on) and our pipeline (``training.batches``, autotuning off).

Each round fits a fresh model for ``--epochs`` epochs per feed, feeds alternating; prints every epoch's
seconds, the seconds from the last epoch's end to the return of ``fit``, and per feed the median and mean
of the steady epochs (all but each fit's first, which traces) and how many took over 1.3x the
fastest steady epoch (a stall). The last line is ``ratio X.XX`` = mean steady epoch, arrays / ours.

    .venv/bin/python bench/input_stalls.py [--preset convnet] [--epochs 4] [--rounds 4] [--subset 10000]
    .venv/bin/python bench/input_stalls.py --tiny
"""

from __future__ import annotations

import argparse
import statistics
import time

import _common

FEEDS = ("arrays (Keras' adapter, autotuned)", "training.batches (ours)")


def fit_once(preset: str, data, feed: str, epochs: int, batch_size: int) -> tuple[list[float], float]:
    """Seconds of each epoch, and from the last epoch's end to the return of ``fit``."""
    _, _, marks = _common.timed_fit(
        preset, data, (), _common.feed(data, batch_size, ours=feed == FEEDS[1]), epochs=epochs
    )
    returned = time.perf_counter()
    return [marks[i + 1] - marks[i] for i in range(0, len(marks), 2)], returned - marks[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="convnet")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tiny", action="store_true", help="2 rounds of 2 epochs on the synthetic dataset")
    args = parser.parse_args()
    epochs, rounds = (2, 2) if args.tiny else (args.epochs, args.rounds)
    data, described = _common.bench_data(args.tiny, args.subset, args.data_dir)
    steady: dict[str, list[float]] = {feed: [] for feed in FEEDS}
    print(f"{args.preset}, {epochs} epochs a fit, batch {args.batch_size}; {described}; {_common.machine()}")
    for round_ in range(1, rounds + 1):
        for feed in FEEDS:
            seconds, after = fit_once(args.preset, data, feed, epochs, args.batch_size)
            steady[feed] += seconds[1:]
            print(
                f"round {round_}, {feed}: epochs {' '.join(f'{s:.2f}' for s in seconds)} s; "
                f"after the last epoch {after:.2f} s"
            )
    fastest = min(min(values) for values in steady.values())
    for feed, values in steady.items():
        stalls = sum(value > 1.3 * fastest for value in values)
        print(
            f"{feed}: steady epoch median {statistics.median(values):.2f} s, mean {statistics.fmean(values):.2f} s, "
            f"range {min(values):.2f}-{max(values):.2f} s; over 1.3x the fastest: {stalls} of {len(values)}"
        )
    print(f"ratio {statistics.fmean(steady[FEEDS[0]]) / statistics.fmean(steady[FEEDS[1]]):.2f}")


if __name__ == "__main__":
    main()
