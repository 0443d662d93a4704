"""A search's lines come in the same order on a terminal (rich's live display) as piped: the final retrain's
line before its held-out test accuracy. What a terminal shows is replayed from the bytes written to it
(the few control sequences rich's live display uses: carriage return, cursor up, erase line)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest
from rich.console import Console

from emnist_tuner.reports.progress import ConsoleUI

CONTROL = re.compile(r"\x1b\[(\??)([0-9;]*)([A-Za-z])|\x1b\][^\x07]*\x07")


def screen(written: str) -> list[str]:
    """The lines a terminal shows after ``written`` (no scrolling limit), blank lines dropped."""
    lines, row, col, i = [""], 0, 0, 0
    while i < len(written):
        match = CONTROL.match(written, i)
        if match:
            if match.group(3) == "A" and not match.group(1):
                row = max(0, row - int(match.group(2) or 1))
            elif match.group(3) == "K":
                lines[row], col = "", 0
            i = match.end()
            continue
        char = written[i]
        if char == "\n":
            row, col = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif char == "\r":
            col = 0
        elif char != "\x1b":
            lines[row] = lines[row][:col].ljust(col) + char + lines[row][col + 1 :]
            col += 1
        i += 1
    return [line.rstrip() for line in lines if line.strip()]


FINAL = [
    {"event": "final_begin", "trial_id": "0003", "epochs": 2, "images": 600, "recipe": "2 epochs: cosine to 0"},
    {"event": "epoch_begin", "steps": 3},
    {"event": "batch", "batch": 3},
    {"event": "epoch_end", "epoch": 0, "accuracy": 0.5},
    {"event": "epoch_end", "epoch": 1, "accuracy": 0.6},
    {"event": "model_end", "test_accuracy": 0.75, "epochs": 2},
    {"event": "final_begin", "trial_id": "0001", "epochs": 2, "images": 600, "member": 2, "members": 2, "seed": 1},
    {"event": "epoch_end", "epoch": 0, "accuracy": 0.5},
    {"event": "model_end", "test_accuracy": 0.7, "epochs": 2, "member": 2, "members": 2},
    {"event": "final_end", "test_accuracy": 0.75, "epochs": 2, "ensemble_members": 2, "ensemble_accuracy": 0.8},
]
SAID = [
    "final retrain: trial 0003 on all 600 training images (train + validation; --subset applies to the search "
    "only); recipe: 2 epochs: cosine to 0",
    "held-out test accuracy: 0.7500",
    "ensemble member 2/2: trial 0001, seed 1, 2 epochs",
    "member 2/2 held-out test accuracy: 0.7000",
    "ensemble of 2 (mean softmax): held-out test accuracy 0.8000",
]


@pytest.mark.parametrize("terminal", [True, False])
def test_the_final_steps_lines_come_in_order_and_nothing_else_is_left(terminal):
    console = Console(file=io.StringIO(), force_terminal=terminal, width=200, color_system=None)
    with ConsoleUI(console).final_progress() as display:
        for event in FINAL:
            display.handle(event)
    shown = screen(console.file.getvalue())
    if not terminal:  # piped: one more line per epoch
        assert [line for line in shown if line.startswith("  epoch ")] == [
            "  epoch 1: accuracy 0.5000",
            "  epoch 2: accuracy 0.6000",
            "  epoch 1: accuracy 0.5000",
        ]
    assert [line for line in shown if not line.startswith("  epoch ")] == SAID


def _through_a_terminal(argv: list[str], columns: int = 200) -> str:
    """What ``argv`` writes to a pseudo-terminal of ``columns`` columns (stdout and stderr)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "EMNIST_TUNER_DATA")}
    env["TERM"] = "xterm"
    proc = subprocess.Popen(argv, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 0, written.decode(errors="replace")[-2000:]
    return written.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.slow
def test_a_real_search_on_a_terminal_says_its_lines_in_the_piped_order(tmp_path):
    """Piped, the search prints these lines in this order (the README's transcript, run by tests/docs); on a
    terminal they must come in the same order."""
    search = [sys.executable, "-m", "emnist_tuner.cli", "search", "--dataset", "synthetic", "--max-epochs", "1"]
    shown = screen(
        _through_a_terminal([*search, "--factor", "2", "--no-tensorboard", "--run-dir", str(tmp_path / "tty")])
    )
    key = ("trial 0000 completed", "final retrain: trial 0000", "held-out test accuracy: ", "winner: trial 0000")
    assert [k for line in shown for k in key if line.startswith(k)] == list(key)
