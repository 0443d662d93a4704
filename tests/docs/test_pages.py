"""The documentation is a test: every `emnist-tuner` command and every Python block of README.md and of every
page of the docs site (docs/, built by mkdocs) runs (tiny where a page shows a long run: tests/docs/readme_page.py
and tests/docs/docs_pages.py say how, in one place per page), and what it shows (errors, usage lines, exit
codes, tables' columns, transcripts) is compared with what really happens. Every `--option` named in a page's
text must be the CLI's. The harness is tests/docs/markdown_run.py.

A failure names the page and line (``docs/commands/search.md:38``), the command as written and as run, and
what differed."""

from __future__ import annotations

import functools
import os
import re
import shlex

import pytest
from docs_pages import DOCS, MAPS, SITE, nav_pages
from markdown_run import (
    Runner,
    command_run,
    inline_options,
    output_problems,
    parse,
    report,
    stderr_problems,
)
from readme_page import NOT_CLI_OPTIONS, OPTION_BUGS, REPO, SHARED_DATA

SNIPPETS = SITE.snippets()


def _params(aspect: str):
    for page, snippet in SNIPPETS:
        tiny = page.tiny.get(snippet.key)
        if tiny is None or (aspect == "stderr" and snippet.shown is None):
            continue
        source_page, source = SITE.source(page, snippet)
        source_tiny = source_page.tiny[source.key]
        marks = [pytest.mark.slow] if source_tiny.session else []
        if source_tiny.realdata:
            marks.append(pytest.mark.realdata)
        if aspect in tiny.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=tiny.xfail[aspect]))
        yield pytest.param(page, snippet, id=f"{snippet.where()}:{snippet.key[:60]}", marks=marks)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return Runner(
        SITE,
        tmp_path_factory.mktemp("docs"),
        can_run=lambda tiny: SHARED_DATA is not None or not tiny.realdata,
        env={"PYTHONPATH": pythonpath},
    )


def _result(site, page, snippet, request):
    source_page, source = SITE.source(page, snippet)
    if source_page.tiny[source.key].realdata:
        request.getfixturevalue("shared_data")  # a skip without the real data folder, a failure in CI
    result = site.result(page, snippet)
    assert result is not None
    return result


def _context(site, page, snippet) -> str:
    source_page, source = SITE.source(page, snippet)
    context = f"\n(the result of {source.where()}, which runs it)" if source is not snippet else ""
    if source_page.tiny[source.key].session:
        earlier = site.session.failed_before(source_page, source)
        if earlier:
            context += "\nearlier commands of the pages that failed: " + "; ".join(earlier)
    return context


# ---------------------------------------------------------------------------------------- the lists


@pytest.mark.parametrize("page", SITE.pages, ids=lambda page: page.label)
def test_every_command_and_block_is_run_or_skipped_with_a_reason(page):
    where = "tests/docs/readme_page.py" if page.label == "README.md" else f"docs_pages.py's MAPS[{page.label!r}]"
    assert page.unaccounted() == [], f"commands/blocks of {page.label} that {where} neither runs nor skips"
    assert page.stale() == [], f"entries of {where} for commands {page.label} no longer has"
    assert not set(page.tiny) & set(page.skipped), f"{page.label}: run and skipped at once"
    assert all(len(reason) > 20 for reason in page.skipped.values()), f"{page.label}: a skip without its reason"


def test_every_docs_page_is_in_the_site_and_every_map_names_one():
    pages = sorted(str(path.relative_to(REPO)) for path in DOCS.rglob("*.md"))
    assert sorted(nav_pages()) == pages, "docs pages missing from mkdocs.yml's nav (or nav entries without a file)"
    assert set(MAPS) <= set(pages), f"maps of pages that do not exist: {sorted(set(MAPS) - set(pages))}"


def test_a_command_shown_twice_runs_once_and_as_written():
    assert SITE.same_as_problems() == []


def test_a_tiny_command_is_the_same_command():
    """A tiny form runs the page's command (the same program and subcommand), only smaller."""
    for page, snippet in SNIPPETS:
        tiny = page.tiny.get(snippet.key)
        if snippet.kind == "shell" and tiny and tiny.run:
            assert shlex.split(tiny.run)[:2] == shlex.split(snippet.code)[:2], f"{snippet.where()}: {snippet.key}"


def test_the_readme_links_to_files_that_exist():
    """README.md is read on GitHub, outside the site: its relative links point at files of the repository."""
    text = (REPO / "README.md").read_text()
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t]
    missing = [target for target in targets if target and not (REPO / target).exists()]
    assert targets and missing == []


def test_the_readme_layout_names_the_architecture_tests_chain():
    """The README's import rule is the chain tests/test_architecture.py enforces, layer by layer."""
    from test_architecture import LAYERS

    text = (REPO / "README.md").read_text()
    chain = re.search(r"(?m)^`errors`.*?`cli`$", text, flags=re.S)
    assert chain, "README.md's Layout section has no chain line from `errors` to `cli`"
    layers = [set(re.findall(r"`(\w+)`", part)) for part in chain.group(0).split("→")]
    assert layers == LAYERS


def test_the_parser_reads_transcripts_command_lists_and_python(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n```bash\nmake run   # set-up\nA=1 emnist-tuner search --x 1 \\\n    --y 2\n```\n"
        "## Use\n```\n$ emnist-tuner runs   # all\nRuns\n...\n\n$ emnist-tuner bad\nerror: no\n```\n"
        "```python\nprint(1)\n```\n```text\n$ not run\n```\n"
    )
    got = [(s.kind, s.key, s.comment, s.shown, s.line, s.where()) for s in parse(page, "docs/page.md")]
    assert got == [
        ("shell", "make run", "set-up", None, 3, "docs/page.md:3"),
        ("shell", "A=1 emnist-tuner search --x 1 --y 2", "", None, 4, "docs/page.md:4"),
        ("shell", "emnist-tuner runs", "all", "Runs\n...", 9, "docs/page.md:9"),
        ("shell", "emnist-tuner bad", "", "error: no", 13, "docs/page.md:13"),
        ("python", "python: Use #1", "", None, 16, "docs/page.md:16"),
    ]


# ---------------------------------------------------------------------------------- running them


@pytest.mark.parametrize(("page", "snippet"), list(_params("output")))
def test_output(page, snippet, site, request):
    """Exit code and stdout as the page shows them."""
    result = _result(site, page, snippet, request)
    problems = output_problems(page, snippet, result, site.folder(page, snippet))
    source_page, source = SITE.source(page, snippet)
    command = command_run(source_page, source) if snippet.kind == "shell" else ""
    assert not problems, report(snippet, result, problems, command) + _context(site, page, snippet)


@pytest.mark.parametrize(("page", "snippet"), list(_params("stderr")))
def test_stderr(page, snippet, site, request):
    """stderr holds the page's `error:` lines and nothing else."""
    result = _result(site, page, snippet, request)
    problems = stderr_problems(page, snippet, result, site.folder(page, snippet))
    assert not problems, report(snippet, result, problems) + _context(site, page, snippet)


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


def _option_params():
    commands = set(_cli_options()) - {"", "*"}
    for page in SITE.pages:
        for (command, option), span in sorted(inline_options(page.path, page.program, commands).items()):
            key = f"{command} {option}".strip() or page.program
            bug = OPTION_BUGS.get(f"{page.label}: {key}")
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            yield pytest.param(page.label, command, option, span, id=f"{page.label}:{key}", marks=marks)


@pytest.mark.parametrize(("label", "command", "option", "span"), list(_option_params()))
def test_an_option_named_in_the_text_exists(label, command, option, span):
    """`emnist-tuner CMD … --option` in headings, prose and tables: CMD exists and has that option."""
    known = _cli_options().get(command)
    assert known is not None, f"{label}: `{span}`: no command {command!r}"
    assert not option or option in known or option in NOT_CLI_OPTIONS, (
        f"{label}: `{span}`: {command or 'emnist-tuner'} has no option {option}"
    )
