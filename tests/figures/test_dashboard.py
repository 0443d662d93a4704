"""`report --html`: one self-contained page (inline images, no script, no outside address), and the
page as a person sees it: rendered by headless Chromium, not blank, every image decoded."""

from __future__ import annotations

import base64
import io
import re

from helpers import chromium, run_cli
from PIL import Image, ImageStat

from emnist_tuner.figures.dashboard import dashboard_html

IMG = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"')


def test_page_is_self_contained_and_has_every_figure(search_run):
    page = dashboard_html(search_run)
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page), "an address outside the file"
    images = IMG.findall(page)
    assert [alt.split(":")[0] for alt, _ in images] == [
        "history",
        "curves",
        "pareto",
        "importance",
        "effects",
        "confusion",
        "per-class",
        "confused-images",
    ]
    for _, data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            image.verify()
    assert "Against the study" in page and "Search summary" in page  # the report's own sections
    assert "transfer: no transfer run yet" in page  # what is not drawn, and why


def test_the_report_is_html_tables_with_a_table_of_contents(search_run):
    page = dashboard_html(search_run)
    assert '<pre class="report">' not in page and "Confusion (rows: true class" not in page  # no terminal dump
    toc = re.search(r'<nav class="toc" id="contents">(.*?)</nav>', page, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', toc)
    for section in ("report", "the-search", "the-final-model", "not-drawn"):
        assert section in targets
    assert {"history", "confusion", "per-class"} <= set(targets)
    for target in targets:  # every link reaches one element of the page
        assert len(re.findall(rf'id="{re.escape(target)}"', page)) == 1, target
    headings = re.findall(r'<h3 id="report-[^"]+">([^<]+)</h3>', page)
    assert headings[:2] == ["Search summary", "The winner"] and "Per-class test accuracy" in headings
    per_class = page.split('<h3 id="report-per-class-test-accuracy">')[1].split("</table>")[0]
    # one row per class, one set of columns (the terminal's side-by-side halves stacked again)
    assert per_class.count("<th>") == 4 and per_class.count("<tr>") == 1 + 10
    assert '<a href="#confusion">' in page  # the heatmap's place points to the drawn figure


def test_cli_writes_the_dashboard_and_checks_the_path_first(search_run, tmp_path, capsys):
    out = tmp_path / "dash.html"
    code, stdout, err = run_cli(capsys, "report", str(search_run), "--html", str(out))
    assert code == 0, err
    assert "Search summary" in stdout and out.read_text().count("<img ") == 8
    code, stdout, err = run_cli(capsys, "report", str(search_run), "--html", str(tmp_path / "no" / "d.html"))
    assert code == 2 and err.startswith("error: --html") and err.count("\n") == 1 and stdout == ""


def _look_at(path, shot):
    """Render ``path`` like a reader's laptop would, full height; (per-image [alt, decoded, width,
    box], screenshot)."""
    driver = chromium()
    try:
        driver.get(path.resolve().as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(height + 200, 16000))
        images = driver.execute_script(
            "return Array.from(document.images).map(i => { const r = i.getBoundingClientRect();"
            " return [i.alt.split(':')[0], i.complete && i.naturalWidth > 0, i.naturalWidth,"
            " [r.left, r.top + window.scrollY, r.width, r.height]]; })"
        )
        driver.save_screenshot(str(shot))
    finally:
        driver.quit()
    return images, Image.open(shot).convert("L")


def test_chromium_renders_the_page_and_every_image(search_run, tmp_path):
    page = tmp_path / "dash.html"
    page.write_text(dashboard_html(search_run))
    images, shot = _look_at(page, tmp_path / "shot.png")
    assert ImageStat.Stat(shot).stddev[0] > 20, "the page rendered blank"
    assert len(images) == 8 and all(decoded and width > 300 for _, decoded, width, _ in images), images
    for name, _, _, (left, top, w, h) in images:  # each picture is on screen, drawn (not a blank box)
        assert w > 200 and h > 100, name
        crop = shot.crop((int(left), int(top), int(left + w), int(min(top + h, shot.height))))
        assert ImageStat.Stat(crop).stddev[0] > 10, f"{name} shows nothing"


def test_clicking_a_contents_link_reaches_its_section(search_run, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "dash.html"
    page.write_text(dashboard_html(search_run))
    driver = chromium()
    try:
        driver.set_window_size(1280, 800)
        driver.get(page.resolve().as_uri())
        toc = driver.find_element(By.ID, "contents")
        reached = {}
        for target in ("the-final-model", "per-class", "report-the-winner", "not-drawn"):
            driver.execute_script("window.scrollTo(0, 0)")
            toc.find_element(By.CSS_SELECTOR, f'a[href="#{target}"]').click()
            top = driver.execute_script(
                "return document.getElementById(arguments[0]).getBoundingClientRect().top", target
            )
            at_end = driver.execute_script(
                "return scrollY + innerHeight >= document.documentElement.scrollHeight - 2"
                " && arguments[0] < innerHeight",
                top,
            )
            reached[target] = (driver.execute_script("return location.hash"), top, at_end)
        back = driver.find_element(By.CSS_SELECTOR, "#the-final-model .back a")
        back.click()
        at_contents = driver.execute_script("return document.getElementById('contents').getBoundingClientRect().top")
    finally:
        driver.quit()
    for target, (hash_, top, at_end) in reached.items():
        assert hash_ == f"#{target}", target
        # the section's start is at the top of the window (or in view, where the page ends below it)
        assert -2 <= top <= 60 or at_end, (target, top)
    assert reached["the-final-model"][1] <= 60 and reached["per-class"][1] <= 60
    assert -2 <= at_contents <= 60


def test_the_browser_check_sees_a_broken_image(search_run, tmp_path):
    page = tmp_path / "broken.html"
    text = dashboard_html(search_run)
    first = IMG.search(text).group(2)
    page.write_text(text.replace(first, "iVBORw0KGgoAAAAbroken", 1))
    images, _ = _look_at(page, tmp_path / "shot.png")
    assert [decoded for _, decoded, _, _ in images] == [False] + [True] * 7
