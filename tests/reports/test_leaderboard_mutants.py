"""The leaderboard's layout and exports, from trial records built here: which trials and columns are
shown at a given width, what the notes say was left out, and the exact CSV / Markdown / JSON cells."""

from __future__ import annotations

import csv
import io
import json

from helpers import render

from emnist_tuner.reports.leaderboard import (
    epochs_cell,
    leaderboard_table,
    leaderboard_text,
    split_columns,
)
from emnist_tuner.runfolder.trials import TrialCounts, TrialRecord


def _records():
    def r(trial_id, status, score=None, **kw):
        kw.setdefault("epochs", 9)
        return TrialRecord(trial_id, status, score, **kw)

    return [
        r("0000", "completed", 0.91, hyperparameters={"lr": 0.001, "opt": "adam", "blocks": 2}, trained=9, seconds=75),
        r("0001", "completed", 0.95, hyperparameters={"lr": 0.01, "opt": "adam", "blocks": 3}, trained=4, seconds=9),
        r("0002", "failed", hyperparameters={"lr": 0.1, "opt": "adam"}, message="too big"),
        r("0003", "running", hyperparameters={"lr": 0.0001, "opt": "adam", "blocks": 1}),
    ]


def _rows(text):
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def _header(text):
    line = next(line for line in text.splitlines() if line.startswith("┃"))
    return [c.strip() for c in line.split("┃")[1:-1]]


def test_columns_that_vary_and_those_that_do_not():
    varying, constant = split_columns(_records())
    assert varying == ["lr", "blocks"] and constant == {"opt": "adam"}
    assert split_columns([]) == ([], {})


def test_epochs_cell_says_where_a_trial_started_and_stopped():
    def r(**kw):
        return TrialRecord("0", **kw)

    assert epochs_cell(r(status="completed", epochs=9, trained=9)) == "9"
    assert epochs_cell(r(status="completed", epochs=9, trained=4)) == "4 of 9"  # stopped early
    assert epochs_cell(r(status="completed", epochs=9, initial_epoch=3, trained=6)) == "3→9"
    assert epochs_cell(r(status="completed", epochs=9, initial_epoch=3, trained=2)) == "3→5 of 9"
    assert epochs_cell(r(status="completed", epochs=None, trained=None)) == ""
    assert epochs_cell(r(status="completed", epochs=None, trained=5)) == "5"
    assert epochs_cell(r(status="failed", epochs=9)) == "0" and epochs_cell(r(status="invalid")) == "0"
    assert epochs_cell(r(status="running", epochs=9)) == ""


def test_a_wide_table_shows_every_column_rank_score_epochs_and_time():
    text = render(leaderboard_table(_records()), width=200)
    assert _header(text) == ["#", "trial", "status", "val acc", "epochs", "time", "lr", "blocks"]
    assert _rows(text) == [
        ["1", "0001", "completed", "0.9500", "4 of 9", "0:09", "0.01", "3"],
        ["2", "0000", "completed", "0.9100", "9", "1:15", "0.001", "2"],
        ["", "0003", "running", "", "", "", "0.0001", "1"],
        ["", "0002", "failed", "", "0", "", "0.1", ""],
    ]
    flat = " ".join(text.split())
    assert "Leaderboard · trials 2/4" in flat and "same in every trial shown: opt=adam" in flat
    assert 'epochs: trained ("N of M": stopped early, M scheduled)' in flat
    assert "left out" not in flat and "not shown" not in flat


def test_the_counts_line_comes_from_the_search_when_given():
    counts = TrialCounts(completed=2, failed=1, recorded=4, scheduled=13, finished=False)
    text = render(leaderboard_table(_records(), title="Run x", counts=counts), width=200)
    assert "Run x · trials 3/13, 1 failed" in text


def test_top_shows_the_best_and_says_how_many_more_there_are():
    text = render(leaderboard_table(_records(), top=2), width=200)
    assert [row[1] for row in _rows(text)] == ["0001", "0000"]
    flat = " ".join(text.split())
    assert "2 more trials not shown (--top 0 shows every trial)" in flat
    assert "same in every trial shown: opt=adam" in flat
    assert [row[1] for row in _rows(render(leaderboard_table(_records(), top=0), width=200))] == [
        "0001",
        "0000",
        "0003",
        "0002",
    ]
    assert "more trials" not in render(leaderboard_table(_records(), top=4), width=200)


def test_a_narrow_terminal_says_which_columns_were_left_out():
    narrow = " ".join(render(leaderboard_table(_records()), width=36).split())
    assert "columns left out for the terminal's width: time, epochs, #" in narrow
    assert "hyperparameters not shown: lr, blocks (--all shows every one" in narrow


def test_hyperparameter_columns_are_added_while_they_fit():
    # column widths (content + 3) plus 4 for the table: # 4, trial 8, status 12, val acc 10, epochs 9, time 7
    # = 54; lr 9 (63); blocks 9 (72)
    def shown(width):
        return _header(render(leaderboard_table(_records()), width=width))

    assert shown(72)[6:] == ["lr", "blocks"]
    assert shown(71)[6:] == ["lr"] and shown(63)[6:] == ["lr"]
    assert shown(62) == ["#", "trial", "status", "val acc", "epochs", "time"]
    assert shown(54) == shown(62)
    assert shown(53) == ["#", "trial", "status", "val acc", "epochs"]  # time goes first
    assert shown(47) == ["#", "trial", "status", "val acc", "epochs"]  # 54 - 7
    assert shown(46) == ["#", "trial", "status", "val acc"] and shown(38) == shown(46)  # then epochs: 47 - 9
    assert shown(37) == ["trial", "status", "val acc"]  # then the rank
    assert "hyperparameters not shown: blocks" in " ".join(render(leaderboard_table(_records()), width=71).split())


def test_the_sorted_hyperparameter_comes_first_so_it_is_always_shown():
    text = render(leaderboard_table(_records(), sort="blocks"), width=200)
    assert _header(text)[6:] == ["blocks", "lr"]
    assert [row[1] for row in _rows(text)] == ["0003", "0000", "0001", "0002"]  # 1, 2, 3, inactive last


def test_every_hyperparameter_folds_into_one_column():
    text = render(leaderboard_table(_records(), every_hyperparameter=True), width=100)
    assert _header(text)[-1] == "hyperparameters" and "not shown" not in text
    rows = {row[1]: row[-1] for row in _rows(text) if row[1]}
    assert rows["0001"] == "lr=0.01 blocks=3" and rows["0002"] == "lr=0.1"


def test_every_hyperparameter_needs_room_for_its_column():
    # the folded column needs 24 columns of its own: the base columns (54, see above) stay from 78 on
    def shown(width):
        return _header(render(leaderboard_table(_records(), every_hyperparameter=True), width=width))

    assert shown(78)[:6] == ["#", "trial", "status", "val acc", "epochs", "time"]
    assert shown(77)[:6] == ["#", "trial", "status", "val acc", "epochs", "hyperparameters"]


def test_json_export_holds_every_trial_or_the_top_ones():
    rows = json.loads(leaderboard_text(_records(), "json"))
    assert [r["trial_id"] for r in rows] == ["0001", "0000", "0003", "0002"]
    assert rows[0]["rank"] == 1 and rows[0]["epochs"] == 4 and rows[3]["message"] == "too big"
    assert len(json.loads(leaderboard_text(_records(), "json", top=1))) == 1
    by_lr = json.loads(leaderboard_text(_records(), "json", sort="lr"))
    assert [r["trial_id"] for r in by_lr] == ["0003", "0000", "0001", "0002"]


EXPORT_HEADER = [
    "rank",
    "trial_id",
    "status",
    "score",
    "epochs",
    "initial_epoch",
    "epochs_trained",
    "epochs_scheduled",
    "bracket",
    "round",
    "seconds",
    "message",
]


def test_csv_cells_are_blank_where_unknown_or_inactive():
    text = leaderboard_text(_records(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == EXPORT_HEADER + ["lr", "opt", "blocks"]  # every hyperparameter, the constant one too
    assert rows[1] == ["1", "0001", "completed", "0.95", "4", "0", "4", "9", "", "", "9", "", "0.01", "adam", "3"]
    assert rows[4] == ["", "0002", "failed", "", "0", "0", "", "9", "", "", "", "too big", "0.1", "adam", ""]
    assert len(rows) == 5
    assert len(list(csv.reader(io.StringIO(leaderboard_text(_records(), "csv", top=2))))) == 3
    assert "\r" not in text and text.endswith("\n")  # Unix line ends


def test_exports_carry_the_tables_epochs_under_the_same_names():
    # the table's "3→5 of 9" is initial_epoch 3, epochs (reached) 5, epochs_scheduled 9 in every export
    records = [TrialRecord("0000", "completed", 0.9, epochs=9, initial_epoch=3, trained=2, bracket=1, round=1)]
    assert _rows(render(leaderboard_table(records), width=200))[0][4] == "3→5 of 9"
    (row,) = json.loads(leaderboard_text(records, "json"))
    (csv_row,) = csv.DictReader(io.StringIO(leaderboard_text(records, "csv")))
    markdown = leaderboard_text(records, "markdown").splitlines()
    md_row = dict(zip(markdown[0].strip("| ").split(" | "), markdown[2].strip("| ").split(" | ")))
    for export in (row, csv_row, md_row):
        assert [str(export[k]) for k in ("epochs", "initial_epoch", "epochs_trained", "epochs_scheduled")] == [
            "5",
            "3",
            "2",
            "9",
        ]
        assert str(export["bracket"]) == "1" and str(export["round"]) == "1"
    assert list(row)[:12] == EXPORT_HEADER[:11] + ["hyperparameters"]


def test_exports_leave_out_hyperparameters_no_trial_shown_has():
    records = _records()
    records[3].hyperparameters["filters_4"] = 64  # only the running trial, 3rd by rank
    assert "filters_4" in next(csv.reader(io.StringIO(leaderboard_text(records, "csv"))))
    for fmt in ("csv", "markdown"):
        assert "filters_4" not in leaderboard_text(records, fmt, top=2)


def test_json_ends_with_a_newline():
    text = leaderboard_text(_records(), "json")
    assert text.endswith("]\n") and not text.endswith("\n\n")


def test_when_no_hyperparameter_varies_the_exports_show_them_all():
    records = [TrialRecord("0", "completed", 0.5, hyperparameters={"b": 1, "a": True})]
    header = next(csv.reader(io.StringIO(leaderboard_text(records, "csv"))))
    assert header[-2:] == ["b", "a"]
    markdown = leaderboard_text(records, "markdown").splitlines()
    assert markdown[0].endswith("| message | b | a |") and markdown[2].endswith("|  | 1 | yes |")


def test_markdown_cells():
    records = _records()
    records[2].message = "a | b"
    lines = leaderboard_text(records, "markdown").splitlines()
    assert lines[0] == "| " + " | ".join(EXPORT_HEADER + ["lr", "opt", "blocks"]) + " |"
    assert lines[1] == "|" + "---|" * 15
    assert lines[2] == "| 1 | 0001 | completed | 0.9500 | 4 | 0 | 4 | 9 |  |  | 9 |  | 0.01 | adam | 3 |"
    assert lines[5] == "|  | 0002 | failed |  | 0 | 0 |  | 9 |  |  |  | a \\| b | 0.1 | adam |  |"
    assert len(lines) == 6 and leaderboard_text(records, "markdown").endswith("|\n")
    flags = [TrialRecord("0", "completed", 0.5, hyperparameters={"bn": False}), TrialRecord("1", "completed", 0.4)]
    assert leaderboard_text(flags, "markdown").splitlines()[2].endswith("| no |")


def test_markdown_rounds_as_the_table_does():
    records = [
        TrialRecord("0", "completed", 0.98019802, seconds=28.5417001247406, hyperparameters={"lr": 0.001743543252})
    ]
    row = leaderboard_text(records, "markdown").splitlines()[2]
    assert "| 0.9802 |" in row and "| 29 |" in row and row.endswith("| 0.0017 |")
    assert "28.54" not in row and "0.00174" not in row
    assert "28.5417001247406" in leaderboard_text(records, "csv")  # CSV and JSON keep full values


def test_the_notes_word_for_word():
    records = _records() + [TrialRecord("0004", "completed", 0.5, epochs=9, trained=9, hyperparameters={"x": 1})]
    for r in records:
        r.hyperparameters.update(opt="adam", x=1)
    lines = [" ".join(line.split()) for line in render(leaderboard_table(records), width=300).splitlines()]
    assert "same in every trial shown: opt=adam, x=1" in lines
    assert 'epochs: trained ("N of M": stopped early, M scheduled)' in lines
    narrow = " ".join(render(leaderboard_table(records), width=36).split())
    assert (
        "columns left out for the terminal's width: time, epochs, # (a wider terminal, or --format "
        "json/csv/markdown, shows them)"
    ) in narrow


def test_the_title_is_on_the_left_and_numbers_are_right_aligned():
    text = render(leaderboard_table(_records()), width=200)
    assert text.splitlines()[0].startswith("Leaderboard · trials 2/4")
    header = next(line for line in text.splitlines() if line.startswith("┃")).split("┃")[1:-1]
    assert header[3] == " val acc " and header[6] == "     lr " and header[1] == " trial "
    first = next(line for line in text.splitlines() if line.startswith("│")).split("│")[1:-1]
    assert first[0] == " 1 " and first[3] == "  0.9500 " and first[5] == " 0:09 " and first[6] == "   0.01 "
    assert first[1] == " 0001  " and first[2] == " completed "  # text to the left


def test_statuses_are_coloured_in_a_terminal():
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, color_system="standard", force_terminal=True)
    console.print(leaderboard_table(_records()))
    text = console.file.getvalue()
    assert "\x1b[32mcompleted" in text and "\x1b[31mfailed" in text and "\x1b[33mrunning" in text


def test_without_counts_the_title_counts_completed_trials():
    records = _records()
    records[3].status, records[3].score = "completed", 0.5
    assert "trials 3/4" in render(leaderboard_table(records), width=200)


def test_an_early_stopping_note_only_when_a_trial_stopped_early():
    records = [TrialRecord("0", "completed", 0.5, epochs=9, trained=9), TrialRecord("1", "failed", epochs=9)]
    assert "stopped early" not in render(leaderboard_table(records), width=200)


def test_an_unknown_status_is_shown_not_a_crash(tmp_path):
    # KerasTuner's own statuses include IDLE and STOPPED; a trial.json without one reads as "unknown"
    from emnist_tuner.runfolder.trials import read_trials

    (tmp_path / "tuner" / "trial_0000").mkdir(parents=True)
    (tmp_path / "tuner" / "trial_0000" / "trial.json").write_text('{"trial_id": "0000", "status": "IDLE"}')
    assert _rows(render(leaderboard_table(read_trials(tmp_path)), width=100))[0][1:3] == ["0000", "idle"]


def test_an_unknown_status_and_a_score_on_an_unfinished_trial():
    records = [TrialRecord("0", "idle", 0.5), TrialRecord("1", "running", 0.7)]
    rows = _rows(render(leaderboard_table(records), width=200))
    assert [row[2:4] for row in rows] == [["running", ""], ["idle", ""]]  # no score until completed


def test_the_default_top_is_10():
    records = [TrialRecord(f"{i:04d}", "completed", i / 100) for i in range(12)]
    text = render(leaderboard_table(records), width=200)
    assert len(_rows(text)) == 10 and "2 more trials not shown" in text


def test_a_leaderboard_keeps_its_own_width_on_a_wider_console():
    assert "time" not in _header(render(leaderboard_table(_records(), width=50), width=200))
    from emnist_tuner.reports.leaderboard import Leaderboard

    plain = Leaderboard(_records(), 10, "t", sort=None, every_hyperparameter=False, counts=None)
    assert "time" in _header(render(plain, width=200))  # no width given: the console's


def test_a_long_value_folds_instead_of_being_cut():
    records = _records()
    records[0].hyperparameters["path"] = "x" * 70
    text = render(leaderboard_table(records, every_hyperparameter=True), width=100)
    assert sum(line.count("x") for line in text.splitlines() if line.startswith("│")) == 70  # folded, whole


def test_json_is_indented_and_top_0_is_every_trial():
    text = leaderboard_text(_records(), "json")
    assert text.startswith('[\n  {\n    "rank": 1,')
    assert len(json.loads(leaderboard_text(_records(), "json", top=0))) == 4
