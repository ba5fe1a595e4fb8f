"""`report-builder serve`: the open page reloads itself after an edit, shows errors, ignores logs."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from conftest import MINIMAL_ERROR, replace_in_article


class Server:
    """`report-builder serve --port 0` on a project, its output going to serve.log inside the project."""

    def __init__(self, root: Path, in_background):
        self.root = root
        self.log = root / "serve.log"
        with self.log.open("w") as handle:  # the server writes to its own copy of the descriptor
            self.process = in_background(
                root, "serve", "--port", "0", stdout=handle, env={**os.environ, "PYTHONUNBUFFERED": "1"}
            )
        self.url = self._wait_for_address()

    def _wait_for_address(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", self.output())
            if found:
                return found.group(1)
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        raise AssertionError(f"serve did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def rebuilds(self) -> list[str]:
        return [line for line in self.output().splitlines() if line.startswith("html: ")]


@pytest.fixture
def served(project, in_background):
    """serve on a fresh copy of the minimal project (the HTML edition only), logging into the project."""
    root = project("minimal")
    with (root / "report.yaml").open("a") as config:
        config.write("formats: [html]\n")
    return Server(root, in_background)


@pytest.fixture
def served_all(project, in_background):
    """serve on the minimal project with its PDF and EPUB built behind the page."""
    return Server(project("minimal"), in_background)


def open_page(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 700})
    tab = context.new_page()
    tab.goto(server.url)
    tab.wait_for_function("() => window.__reportBuilderStatus !== undefined")
    return context, tab


@pytest.fixture
def page(browser, served):
    context, tab = open_page(browser, served)
    yield tab
    context.close()


def overlay(tab) -> str:
    return tab.evaluate(
        "() => { const o = document.getElementById('report-builder-serve-errors');"
        " return o && o.style.display !== 'none' ? o.innerText : ''; }"
    )


def test_serve_listens_on_loopback_only(served):
    assert served.url.startswith("http://127.0.0.1:")


def test_serve_reloads_the_open_page_with_the_edited_text(served, page):
    replace_in_article(served.root, "sweeping their steps", "painting their doors")
    page.wait_for_function("() => document.body.innerText.includes('painting their doors')", timeout=10_000)
    assert "sweeping their steps" not in page.inner_text("main")


def test_serve_keeps_the_reader_scroll_position_across_a_reload(served, page):
    page.evaluate("() => window.scrollTo(0, 600)")
    page.wait_for_function("() => window.scrollY === 600")
    replace_in_article(served.root, "sweeping their steps", "painting their doors")
    page.wait_for_function("() => document.body.innerText.includes('painting their doors')", timeout=10_000)
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.scrollY") == 600


def test_serve_shows_a_located_error_in_the_page(served, page):
    replace_in_article(served.root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    page.wait_for_function("() => (window.__reportBuilderStatus.errors || []).length > 0", timeout=10_000)
    assert overlay(page).splitlines() == ["The build failed; the page shows the last good build.", "", MINIMAL_ERROR]


def test_serve_removes_the_error_overlay_once_the_error_is_fixed(served, page):
    replace_in_article(served.root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    page.wait_for_function("() => (window.__reportBuilderStatus.errors || []).length > 0", timeout=10_000)
    replace_in_article(served.root, "{fact}`basic.no_such_row`", "{fact}`basic.shelters`")  # as it was: no reload
    page.wait_for_function("() => window.__reportBuilderStatus.errors.length === 0", timeout=10_000)
    assert overlay(page) == ""


def test_serve_links_the_pdf_and_epub_built_behind_the_page(browser, served_all):
    context, page = open_page(browser, served_all)
    page.wait_for_function("() => window.__reportBuilderStatus.background.pdf === 'ready'", timeout=60_000)
    links = page.eval_on_selector_all("#report-builder-serve a", "links => links.map(a => a.getAttribute('href'))")
    pdf = page.request.get(served_all.url + "minimal.pdf").body()
    context.close()
    assert (sorted(links), pdf[:5]) == (["/minimal.epub", "/minimal.pdf"], b"%PDF-")


def test_a_failed_rebuild_leaves_no_pdf_or_epub_said_to_be_building(browser, served_all):
    """An edit stops the PDF and EPUB being built behind the page; when the edit fails, nothing is
    building any more, and the status must not say so."""
    context, page = open_page(browser, served_all)
    page.wait_for_function("() => window.__reportBuilderStatus.background.pdf === 'ready'", timeout=60_000)
    replace_in_article(served_all.root, "sweeping their steps", "painting their doors")
    page.wait_for_function("() => window.__reportBuilderStatus.background.pdf === 'building'", timeout=20_000)
    replace_in_article(served_all.root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    page.wait_for_function("() => (window.__reportBuilderStatus.errors || []).length > 0", timeout=20_000)
    time.sleep(1.0)
    background = page.evaluate("() => window.__reportBuilderStatus.background")
    bar = page.inner_text("#report-builder-serve")
    context.close()
    assert ("building" in background.values(), "building" in bar) == (False, False)


def test_serve_does_not_rebuild_on_a_log_written_inside_the_project(served):
    before = served.rebuilds()
    for _ in range(5):
        with (served.root / "serve.log").open("a") as log:
            log.write("a line of log\n")
        (served.root / "content" / "notes.log").write_text(f"{time.time()}\n")
        (served.root / "content" / ".only.md.swp").write_bytes(b"\0")
        time.sleep(0.2)
    time.sleep(1.0)  # well past the debounce
    assert (len(before), served.rebuilds()) == (1, before)


def test_the_built_html_file_has_no_reload_script(served, page):
    built = (served.root / "build" / "minimal.html").read_bytes()
    assert (b"__reportBuilderServe" in built, "__reportBuilderServe" in page.content()) == (False, True)


def test_serve_shows_its_status_and_errors_in_the_publications_language(project, in_background, browser):
    root = project("minimal")
    config = root / "report.yaml"
    config.write_text(config.read_text().replace("language: en-GB", "language: de") + "formats: [html]\n")
    context, tab = open_page(browser, Server(root, in_background))
    replace_in_article(root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    tab.wait_for_function("() => (window.__reportBuilderStatus.errors || []).length > 0", timeout=10_000)
    bar, errors = tab.inner_text("#report-builder-serve"), overlay(tab).splitlines()
    context.close()
    assert (bar, errors[0]) == (
        "Live-Vorschau",
        "Die Erstellung ist fehlgeschlagen; die Seite zeigt die letzte gelungene Fassung.",
    )
