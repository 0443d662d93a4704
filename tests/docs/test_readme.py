"""The README is a test: every `emnist-tuner` command and every Python block of README.md runs (tiny
where the README shows a long run: tests/docs/readme_page.py says how, in one place), and what it shows
(errors, usage lines, exit codes, tables' columns, transcripts) is compared with what really happens.
The harness is tests/docs/markdown_run.py; a new page is tested with a module like this one."""

from __future__ import annotations

import functools
import os
import shlex

import pytest
from markdown_run import (
    Runner,
    command_run,
    inline_options,
    output_problems,
    parse,
    report,
    stderr_problems,
)
from readme_page import NOT_CLI_OPTIONS, OPTION_BUGS, PAGE, REPO, SHARED_DATA

SNIPPETS = PAGE.snippets()


def _params(aspect: str):
    for snippet in SNIPPETS:
        tiny = PAGE.tiny.get(snippet.key)
        if tiny is None or (aspect == "stderr" and snippet.shown is None):
            continue
        marks = [pytest.mark.slow] if tiny.session else []
        if tiny.realdata:
            marks.append(pytest.mark.realdata)
        if aspect in tiny.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=tiny.xfail[aspect]))
        yield pytest.param(snippet, id=f"{snippet.line}:{snippet.key[:70]}", marks=marks)


@pytest.fixture(scope="session")
def readme(tmp_path_factory):
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return Runner(
        PAGE,
        tmp_path_factory.mktemp("readme"),
        can_run=lambda tiny: SHARED_DATA is not None or not tiny.realdata,
        env={"PYTHONPATH": pythonpath},
    )


def _result(readme, snippet, request):
    if PAGE.tiny[snippet.key].realdata:
        request.getfixturevalue("shared_data")  # a skip without the real data folder, a failure in CI
    result = readme.result(snippet)
    assert result is not None
    return result


def _context(readme, snippet) -> str:
    earlier = readme.session.failed_before(snippet) if PAGE.tiny[snippet.key].session else []
    return ("\nearlier README commands that failed: " + "; ".join(earlier)) if earlier else ""


# ---------------------------------------------------------------------------------------- the list


def test_every_command_and_block_is_run_or_skipped_with_a_reason():
    assert PAGE.unaccounted() == [], "README commands/blocks that tests/docs/readme_page.py neither runs nor skips"
    assert PAGE.stale() == [], "entries of tests/docs/readme_page.py for commands the README no longer has"
    assert not set(PAGE.tiny) & set(PAGE.skipped)
    assert all(len(reason) > 20 for reason in PAGE.skipped.values())


def test_a_tiny_command_is_the_same_command():
    """A tiny form runs the README's command (the same program and subcommand), only smaller."""
    for snippet in SNIPPETS:
        tiny = PAGE.tiny.get(snippet.key)
        if snippet.kind == "shell" and tiny and tiny.run:
            assert shlex.split(tiny.run)[:2] == shlex.split(snippet.code)[:2], snippet.key


def test_the_parser_reads_transcripts_command_lists_and_python(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n```bash\nmake run   # set-up\nA=1 emnist-tuner search --x 1 \\\n    --y 2\n```\n"
        "## Use\n```\n$ emnist-tuner runs   # all\nRuns\n...\n\n$ emnist-tuner bad\nerror: no\n```\n"
        "```python\nprint(1)\n```\n```text\n$ not run\n```\n"
    )
    got = [(s.kind, s.key, s.comment, s.shown, s.line) for s in parse(page)]
    assert got == [
        ("shell", "make run", "set-up", None, 3),
        ("shell", "A=1 emnist-tuner search --x 1 --y 2", "", None, 4),
        ("shell", "emnist-tuner runs", "all", "Runs\n...", 9),
        ("shell", "emnist-tuner bad", "", "error: no", 13),
        ("python", "python: Use #1", "", None, 16),
    ]


# ---------------------------------------------------------------------------------- running them


@pytest.mark.parametrize("snippet", list(_params("output")))
def test_output(snippet, readme, request):
    """Exit code and stdout as the README shows them."""
    result = _result(readme, snippet, request)
    problems = output_problems(PAGE, snippet, result, readme.folder(snippet))
    command = command_run(PAGE, snippet) if snippet.kind == "shell" else ""
    assert not problems, report(snippet, result, problems, command) + _context(readme, snippet)


@pytest.mark.parametrize("snippet", list(_params("stderr")))
def test_stderr(snippet, readme, request):
    """stderr holds the README's `error:` lines and nothing else."""
    result = _result(readme, snippet, request)
    problems = stderr_problems(PAGE, snippet, result, readme.folder(snippet))
    assert not problems, report(snippet, result, problems) + _context(readme, snippet)


# -------------------------------------------------------------------- options named in the text


@functools.cache
def _cli_options() -> dict[str, set[str]]:
    """Each command's options ("" for the program itself, "*" for any command's)."""
    import typer

    from emnist_tuner.cli import app

    group = typer.main.get_command(app)
    options = {
        name: {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"-h", "--help"}
        for name, command in group.commands.items()
    }
    options[""] = {"--version", "-h", "--help"}
    options["*"] = set().union(*options.values())
    return options


NAMED = inline_options(PAGE.path, PAGE.program, set(_cli_options()) - {"", "*"})


def _option_params():
    for (command, option), span in sorted(NAMED.items()):
        key = f"{command} {option}".strip() or PAGE.program
        marks = [pytest.mark.xfail(strict=True, reason=OPTION_BUGS[key])] if key in OPTION_BUGS else []
        yield pytest.param(command, option, span, id=key, marks=marks)


@pytest.mark.parametrize(("command", "option", "span"), list(_option_params()))
def test_an_option_named_in_the_text_exists(command, option, span):
    """`emnist-tuner CMD … --option` in headings, prose and tables: CMD exists and has that option."""
    known = _cli_options().get(command)
    assert known is not None, f"`{span}`: no command {command!r}"
    assert not option or option in known or option in NOT_CLI_OPTIONS, (
        f"`{span}`: {command or PAGE.program} has no option {option}"
    )
