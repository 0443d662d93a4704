"""Figures that do not mislead: accuracies as dots with intervals (no bar on a cut axis), absent classes
left out and counted, trial ids on the history's axis, a promoted trial's inherited time on the Pareto
axis, importance with a bootstrap interval and shares adding up to 100 %, each figure's real reason
when it is not drawn, and the ablation's interval drawn where its label promises one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_cli
from matplotlib.collections import LineCollection

from emnist_tuner.figures import accuracy_data as ad
from emnist_tuner.figures import importance_data as imp
from emnist_tuner.figures import search_data as sd
from emnist_tuner.figures.experiment_plots import ablation_figure, compare_figure
from emnist_tuner.figures.model_plots import confusion_figure, per_class_figure
from emnist_tuner.figures.plot import build_figures
from emnist_tuner.runfolder.trials import TrialRecord, read_trials


def _r(trial_id, score, **kw):
    return TrialRecord(trial_id, "completed", score, epochs=3, trained=3, **kw)


# --- the history: trial ids on the axis ---


def test_the_history_axis_shows_trial_ids(search_run):
    history = sd.optimization_history(read_trials(search_run))
    assert history.order.tolist() == [0, 1, 2, 3, 4, 5, 6]  # trial 0004 at x = 4, not 5
    assert [history.label_at(x) for x in (0, 4, 8, 9, 3.5)] == ["0000", "0004", "0008", "", ""]
    ax = dict(build_figures(search_run, ["history"]).figures)["history"].axes[0]
    formatter = ax.xaxis.get_major_formatter()
    assert formatter(4, 0) == "0004" and formatter(12, 0) == ""
    assert "trial id" in ax.get_xlabel()


# --- the Pareto front: a promoted trial's time includes its parent's ---


def test_a_promoted_trial_costs_its_parents_time_too(search_run):
    records = read_trials(search_run)
    cumulative = sd.cumulative_seconds(records)
    assert cumulative["0001"] == pytest.approx(10.0) and cumulative["0004"] == pytest.approx(10.0 + 20.0)
    pareto = dict(build_figures(search_run, ["pareto"]).figures)["pareto"]
    time_axis = pareto.axes[1]
    trials = next(c for c in time_axis.collections if c.get_label() == "trial")
    assert (30.0, 0.85) in {tuple(p) for p in trials.get_offsets().tolist()}
    assert "inherited" in time_axis.get_xlabel()


def test_an_unknown_or_looping_ancestry_leaves_the_trial_out():
    records = [
        _r("a", 0.5, seconds=5.0, continued_from="gone"),
        _r("b", 0.5, seconds=5.0, continued_from="c"),
        _r("c", 0.5, seconds=5.0, continued_from="b"),
        _r("d", 0.5, seconds=None),
        _r("e", 0.5, seconds=2.0, continued_from="f"),
        _r("f", 0.5, seconds=3.0, continued_from="g"),
        _r("g", 0.5, seconds=4.0),
    ]
    assert sd.cumulative_seconds(records) == {"e": 9.0, "f": 7.0, "g": 4.0}


# --- importance ---


def _mixed(n=24, seed=0):
    """``n`` trials: ``act`` decides the score, ``opt`` a little, ``pad`` not at all."""
    rng = np.random.default_rng(seed)
    return [
        _r(
            f"{i:04d}",
            0.6 + 0.3 * (i % 2) + 0.05 * (i % 3 == 0) + rng.normal(0, 0.01),
            hyperparameters={"act": ["relu", "elu"][i % 2], "opt": ["a", "b", "c"][i % 3], "pad": ["s", "v"][i // 12]},
        )
        for i in range(n)
    ]


def test_importance_shares_add_up_with_an_interval_around_each():
    shares = imp.importance_shares(_mixed())
    assert shares.reason is None and shares.trials == 24
    names = [n for n, *_ in shares.shares]
    assert names[0] == "act"
    assert sum(v for _, v, _, _ in shares.shares) == pytest.approx(1.0)
    for _, v, low, high in shares.shares:
        assert 0.0 <= low <= v <= high <= 1.0
    assert all(v > 0 for _, v, _, _ in shares.shares)  # no zero bars: a factor explaining nothing is listed apart
    assert set(names) | set(shares.no_effect) == {"act", "opt", "pad"}
    act = shares.shares[0]
    assert act[3] - act[2] < 0.5  # a strong effect over 24 trials: a narrow interval
    assert imp.importance_shares(_mixed()) == shares  # seeded: the same figure every time


def test_a_resample_gives_shares_that_add_up():
    codes = [np.array([0, 1] * 6), np.array([0, 0, 1, 1, 2, 2] * 2)]
    scores = np.array([0.6, 0.9] * 6) + np.linspace(0, 0.05, 12)
    for pick in (np.arange(12), np.array([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]), np.array([1, 3, 5, 7, 9, 11] * 2)):
        shares = imp.resampled_shares(codes, scores, pick)
        assert shares.sum() == pytest.approx(1.0) or not shares.any()
    assert imp.resampled_shares(codes, scores, np.arange(12))[0] > 0.9  # the first factor decides the score


def test_the_interval_is_the_middle_95_percent_of_the_resamples():
    draws = np.linspace(0, 1, 1001)[:, None]
    low, high = imp.percentile_interval(draws)
    assert low[0] == pytest.approx(0.025) and high[0] == pytest.approx(0.975)
    low, high = imp.percentile_interval(draws, 0.5)
    assert low[0] == pytest.approx(0.25) and high[0] == pytest.approx(0.75)


def test_the_interval_comes_from_resampling_the_trials():
    """Noisy trials: the share varies from resample to resample, so its interval has a width."""
    rng = np.random.default_rng(3)
    records = [
        _r(
            f"{i:04d}",
            0.7 + 0.05 * (i % 2) + 0.04 * (i % 3 == 0) + rng.normal(0, 0.03),
            hyperparameters={"act": i % 2, "opt": i % 3},
        )
        for i in range(18)
    ]
    shares = imp.importance_shares(records)
    assert shares.reason is None
    assert max(high - low for _, _, low, high in shares.shares) > 0.05


def test_four_completed_trials_are_enough_to_try():
    four = [_r(f"{i}", 0.5 + 0.1 * i, hyperparameters={"x": i}) for i in range(4)]
    assert not imp.unavailable(four).startswith("not enough trials: 4 completed")


def test_the_fast_effect_size_is_the_definition():
    rng = np.random.default_rng(1)
    for _ in range(40):
        labels = list(rng.choice(["a", "b", "c", "d"], 14))
        scores = rng.normal(0.8, 0.05, 14)
        codes = np.array([ord(x) - ord("a") for x in labels])
        expected = sd.epsilon_squared(labels, scores) or 0.0
        assert imp.epsilon_squared_codes(codes, scores) == pytest.approx(expected)


def test_importance_says_not_enough_trials_instead_of_zero_bars():
    noise = [_r(f"{i}", 0.8 + 0.001 * ((i * 7) % 5), hyperparameters={"x": i % 2}) for i in range(10)]
    assert imp.importance_shares(noise).reason.startswith(
        "not enough trials: with 10 completed trials no hyperparameter"
    )
    few = [_r(f"{i}", 0.5 + 0.1 * i, hyperparameters={"x": i}) for i in range(5)]  # every value tried once
    why = imp.unavailable(few)
    assert (
        why == "not enough trials: no hyperparameter has two values each tried by 3 or more of the 5 completed trials"
    )
    assert imp.unavailable(few[:3]) == "not enough trials: 3 completed, importance needs at least 4"


def test_the_importance_figure_draws_the_shares_and_their_intervals(search_run):
    figure = dict(build_figures(search_run, ["importance"]).figures)["importance"]
    ax = figure.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert sum(widths) == pytest.approx(100.0) and min(widths) > 0
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the interval lines
    assert "bootstrap" in figure.get_suptitle()


def test_plot_says_why_importance_and_effects_are_not_drawn(tmp_path, capsys, search_run):
    # five trials, each with its own value: nothing is tried by three trials
    for folder in (search_run / "tuner").iterdir():
        if folder.name[-1] in "5678":
            for file in folder.iterdir():
                file.unlink()
            folder.rmdir()
    for i, folder in enumerate(sorted((search_run / "tuner").iterdir())):
        state = json.loads((folder / "trial.json").read_text())
        state["hyperparameters"]["values"].update(activation=f"a{i}", conv_blocks=i, **{"tuner/epochs": 1 + i})
        (folder / "trial.json").write_text(json.dumps(state))
    code, out, err = run_cli(
        capsys, "plot", str(search_run), "--out", str(tmp_path / "o"), "--only", "importance,effects"
    )
    assert code == 0, err
    assert out.splitlines() == [
        "importance, effects: not drawn: not enough trials: no hyperparameter has two values each tried by 3 or "
        "more of the 5 completed trials",
        "no figure drawn (why: above)",
    ]


def test_plot_says_which_runs_have_the_ablation_figure(tmp_path, capsys, search_run):
    code, out, err = run_cli(capsys, "plot", str(search_run), "--out", str(tmp_path / "o"), "--only", "ablation")
    assert code == 0, err
    assert out.splitlines()[0] == (
        "ablation: not drawn: a figure of ablation runs (emnist-tuner ablate) only; a search run has: history, "
        "curves, pareto, importance, effects, confusion, per-class, confused-images, transfer"
    )
    assert "no data" not in out


# --- accuracies: dots with intervals, absent classes left out ---


def test_wilson_interval():
    low, high = ad.wilson(9, 10)
    assert (round(low, 3), round(high, 3)) == (0.596, 0.982)
    assert ad.wilson(10, 10)[1] == pytest.approx(1.0) and ad.wilson(0, 10)[0] == pytest.approx(0.0)


def _matrix():
    m = np.zeros((5, 5), dtype=int)
    m[0, 0], m[0, 1] = 95, 5
    m[1, 1] = 1234  # four digits
    m[3, 3], m[3, 0] = 20_000, 40
    m[2, 0] = 0  # class c: no test images, never predicted
    m[4, 3] = 0  # class e: none either
    return m, ["a", "b", "c", "d", "e"]


def test_per_class_leaves_out_classes_without_test_images():
    m, names = _matrix()
    data = ad.per_class(m, names)
    assert data.names == ["a", "b", "d"] and data.left_out == ["c", "e"]
    assert data.accuracy.tolist() == pytest.approx([0.95, 1.0, 20_000 / 20_040])
    assert np.all(data.low <= data.accuracy) and np.all(data.accuracy <= data.high)
    figure = per_class_figure(m, names)
    ax = figure.axes[0]
    assert not ax.patches  # dots, not bars on a cut axis
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "d"]
    assert "2 of 5 classes left out: no test images" in figure.get_suptitle()
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the intervals


def test_the_confusion_figure_writes_legible_counts_and_leaves_out_absent_classes():
    m, names = _matrix()
    figure = confusion_figure(m, names)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "d"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "d"]
    assert "2 of 5 classes left out: no test images" in figure.get_suptitle()
    image = ax.images[0]
    texts = {t.get_text(): t for t in ax.texts}
    assert set(texts) == {"95", "5", "1234", "20k", "40"}
    for label, text in texts.items():  # the written colour reads on the cell: contrast 4.5:1 or better
        x, y = (round(v) for v in text.get_position())
        cell = image.cmap(image.norm(image.get_array()[y, x]))
        assert _contrast(cell, text.get_color()) >= 4.5, label


def _contrast(rgba, colour):
    from matplotlib.colors import to_rgba

    def lum(c):
        return sum(
            w * (v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
            for w, v in zip((0.2126, 0.7152, 0.0722), c[:3])
        )

    a, b = sorted((lum(rgba), lum(to_rgba(colour))), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_a_class_without_test_images_the_model_predicted_keeps_its_column():
    m, names = _matrix()
    m[1, 4] = 3  # three b images predicted as e, a class the test set lacks
    ax = confusion_figure(m, names).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "d"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "d", "e"]
    assert ad.shown_classes(m) == ([0, 1, 3], [0, 1, 3, 4])


def test_count_labels_fit_a_cell():
    assert [ad.count_label(c) for c in (7, 1234, 9999, 12_345, 999_999, 2_500_000)] == [
        "7", "1234", "9999", "12k", "999k", "2M"
    ]  # fmt: skip


def test_compare_draws_dots_with_the_test_interval(search_run, tmp_path):
    (search_run / "final.json").write_text(json.dumps({"test_accuracy": 0.9, "test_images": 1000}))
    summaries = [
        {"name": "a", "run": str(search_run), "kind": "search", "best_val": 0.92, "test_accuracy": 0.9},
        {"name": "b", "run": str(tmp_path), "kind": "search", "best_val": 0.95, "test_accuracy": None},
    ]
    points = ad.compare_points(summaries)
    assert points[0]["interval"] == pytest.approx(ad.wilson(900, 1000)) and points[1]["interval"] is None
    figure = compare_figure(summaries)
    ax = figure.axes[0]
    assert not ax.patches
    assert any(isinstance(c, LineCollection) for c in ax.collections)
    assert "no test accuracy yet: b" in figure.get_suptitle()


# --- the ablation: the label promises only the interval it draws ---


def _summary(pairs, low, high):
    row = {"variant": "bn", "label": "+ bn", "diff": 0.02, "low": low, "high": high, "pairs": pairs, "p": None}
    return {"base": "model1", "dataset": "mnist", "seeds": pairs, "confidence": 0.95, "variants": [row]}


def test_the_ablation_figure_draws_the_interval_its_label_names():
    ax = ablation_figure(_summary(3, 0.01, 0.03)).axes[0]
    segments = [seg for c in ax.collections if isinstance(c, LineCollection) for seg in c.get_segments()]
    assert any(np.allclose(sorted(s[:, 0]), [1.0, 3.0]) for s in segments)  # from low to high, in points
    assert "95 % interval" in ax.get_xlabel()
    ax = ablation_figure(_summary(2, None, None)).axes[0]
    assert "95 % interval" not in ax.get_xlabel() and "no interval: fewer than 3 seeds paired" in ax.get_xlabel()


def test_percent_ticks_share_their_decimals():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from emnist_tuner.figures.search_plots import _percent_axis

    labels = {}
    for low, high in ((0.05, 0.45), (0.991, 0.9935)):
        fig = Figure()
        ax = fig.subplots()
        ax.plot([0, 1], [low, high])
        _percent_axis(ax)
        FigureCanvasAgg(fig).draw()
        labels[low] = [t.get_text() for t in ax.get_yticklabels()]
    assert "5 %" in labels[0.05] and "10 %" in labels[0.05]  # not "5.0 %" beside "10 %"
    assert all(len(t.split(".")[1].removesuffix(" %")) == 2 for t in labels[0.991])  # 99.10 %, 99.15 %, ...


def test_per_class_numbers_with_one_and_no_test_images():
    """Class 0: 3 images (2 right), class 1: one image (right), class 2: none, but predicted once."""
    matrix = np.array([[2, 0, 1], [0, 1, 0], [0, 0, 0]])
    data = ad.per_class(matrix, ["a", "b", "c"])
    assert data.names == ["a", "b"] and data.left_out == ["c"]
    assert data.images.tolist() == [3, 1]
    assert data.accuracy.tolist() == pytest.approx([2 / 3, 1.0])
    assert data.overall == pytest.approx(3 / 4)
    assert ad.shown_classes(matrix) == ([0, 1], [0, 1, 2])
    single = np.array([[1, 0], [0, 0]])  # one test image in all: class b neither tested nor predicted
    assert ad.per_class(single, ["a", "b"]).overall == 1.0
    assert ad.shown_classes(single) == ([0], [0])
    never_predicted = np.array([[1, 0], [1, 0]])  # b's one image read as a: b keeps its row and its column
    assert ad.shown_classes(never_predicted) == ([0, 1], [0, 1])


def test_the_budget_factor_groups_trials_by_the_epochs_they_reached():
    records = [
        TrialRecord(f"{i:04d}", "completed", 0.5 + 0.1 * (i % 2), epochs=[1, 3][i % 2], trained=[1, 3][i % 2])
        for i in range(8)
    ]
    (codes,) = imp._factor_codes(records, [sd.BUDGET])
    assert codes.tolist() == [0, 1] * 4


def test_the_fast_effect_size_is_zero_without_two_groups_to_compare():
    scores = np.array([0.5, 0.6, 0.7, 0.8, 0.55, 0.65])
    assert imp.epsilon_squared_codes(np.zeros(6, dtype=int), scores) == 0.0  # one group
    assert imp.epsilon_squared_codes(np.array([0, 0, 0, 0, 0, 1]), scores) == 0.0  # one group big enough
    assert imp.epsilon_squared_codes(np.array([0, 0, 0, 1, 1, 1]), np.full(6, 0.7)) == 0.0  # no variance


def test_equal_scores_explain_nothing_despite_rounding():
    """0.7 six times: the mean differs from 0.7 by 1e-16, which gave an effect size of 4.75 (over 100 %)."""
    groups, scores = list("aaabbb"), np.full(6, 0.7)
    assert sd.epsilon_squared(groups, scores) == 0.0
    assert imp.epsilon_squared_codes(np.array([0, 0, 0, 1, 1, 1]), scores) == 0.0
