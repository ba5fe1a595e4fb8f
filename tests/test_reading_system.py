"""The EPUB in a real reading system: epub.js, paginated, in headless Chromium.

Each fixture book is paged through at phone and tablet sizes, at 100 % and 200 % text; every
table cell must have been wholly inside the screen on some page, and no word may be cut by a
page edge. epub.js and JSZip come from npm (.ci/run installs them into .ci/epubjs).
"""

from __future__ import annotations

import mimetypes
import os
import re
import zipfile
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "reading_system"
NODE = REPO / ".ci" / "epubjs" / "node_modules"
IN_CI = bool(os.environ.get("CI"))
ORIGIN = "http://reader.invalid"
#: the sample briefing, a 90-row ledger, a 12-column table, a right-to-left book (Arabic)
BOOKS = ["sample", "long-table", "wide-table", "arabic"]
SCREENS = [(360, 640), (768, 1024)]
TEXT_SIZES = ["100%", "200%"]
#: page turns before the test gives up on reaching the end of a book
MAX_PAGES = 2000
X = "{http://www.w3.org/1999/xhtml}"


def _missing(message: str):
    pytest.fail(message) if IN_CI else pytest.skip(message)


@pytest.fixture(scope="module")
def reader_browser(browser):
    """The session's Chromium (conftest.browser: one Playwright per session, since a second
    one inside the first fails), once epub.js is there to load."""
    files = [NODE / "epubjs" / "dist" / "epub.min.js", NODE / "jszip" / "dist" / "jszip.min.js"]
    if not all(path.is_file() for path in files):
        _missing("epub.js (npm epubjs, jszip) is needed; .ci/run installs it into .ci/epubjs")
    return browser


def _files(epub: Path) -> dict[str, Path]:
    return {
        "reader.html": HERE / "reader.html",
        "pager.js": HERE / "pager.js",
        "epub.min.js": NODE / "epubjs" / "dist" / "epub.min.js",
        "jszip.min.js": NODE / "jszip" / "dist" / "jszip.min.js",
        "book.epub": epub,
    }


def read_in_epubjs(browser, epub: Path, screen: tuple[int, int], text_size: str) -> dict:
    """Page through the whole book; the report of pager.js (texts seen per spine index, cut words)."""
    files = _files(epub)
    page = browser.new_page(viewport={"width": screen[0], "height": screen[1]})

    def serve(route):
        name = route.request.url.removeprefix(ORIGIN + "/").split("?")[0]
        if name not in files:
            route.fulfill(status=404, body="")
            return
        kind = "application/epub+zip" if name.endswith(".epub") else mimetypes.guess_type(name)[0]
        route.fulfill(status=200, body=files[name].read_bytes(), content_type=kind)

    try:
        page.route(ORIGIN + "/**", serve)
        page.goto(f"{ORIGIN}/reader.html")
        page.evaluate("size => openBook('book.epub', size)", text_size)
        return page.evaluate("limit => readAll(limit)", MAX_PAGES)
    finally:
        page.close()


def _text(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def table_texts(epub: Path) -> dict[str, list[str]]:
    """Spine index → the text of every table cell of that file (a cell's value without its
    label) and every column title, as the book's XHTML has them; not a chart's table of figures,
    which a closed disclosure (`details`) keeps off the page until the reader opens it."""
    with zipfile.ZipFile(epub) as book:
        container = etree.fromstring(book.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        opf = etree.fromstring(book.read(opf_path))
        hrefs = {item.get("id"): item.get("href") for item in opf.iterfind(".//{*}manifest/{*}item")}
        texts = {}
        for index, ref in enumerate(opf.iterfind(".//{*}spine/{*}itemref")):
            doc = etree.fromstring(book.read(base + hrefs[ref.get("idref")]))
            cells = []
            for cell in doc.iter(f"{X}td", f"{X}th"):
                if any(a.tag == f"{X}details" for a in cell.iterancestors()):
                    continue  # a chart's figures behind its disclosure: shown when the reader opens it
                value = cell.find(f"{X}span[@class='cell-value']")
                cells.append(_text(value if value is not None else cell))
            if cells:
                texts[str(index)] = cells
    return texts


@cache
def _reading(browser, epub: Path, screen: tuple[int, int], text_size: str) -> dict:
    return read_in_epubjs(browser, epub, screen, text_size)


CASES = [(book, screen, size) for book in BOOKS for screen in SCREENS for size in TEXT_SIZES]
IDS = [f"{book}-{w}x{h}-{size.rstrip('%')}" for book, (w, h), size in CASES]


@pytest.mark.parametrize(("name", "screen", "text_size"), CASES, ids=IDS)
def test_every_table_cell_is_wholly_on_screen_on_some_epubjs_page(reader_browser, built, name, screen, text_size):
    epub = built(name).epub
    report = _reading(reader_browser, epub, screen, text_size)
    expected = table_texts(epub)
    missing = {
        index: [text for text in texts if text and text not in report["seen"].get(index, [])]
        for index, texts in expected.items()
    }
    assert sum(len(texts) for texts in expected.values()) >= 12  # the Arabic book's table has 12 cells
    assert {index: texts for index, texts in missing.items() if texts} == {}


@pytest.mark.parametrize(("name", "screen", "text_size"), CASES, ids=IDS)
def test_no_epubjs_page_is_wider_or_taller_than_the_screen(reader_browser, built, name, screen, text_size):
    report = _reading(reader_browser, built(name).epub, screen, text_size)
    assert report["pages"] > 1
    assert report["cut"] == []


@pytest.mark.parametrize(("name", "screen", "text_size"), CASES, ids=IDS)
def test_a_table_header_is_drawn_above_its_first_row_on_every_epubjs_page(
    reader_browser, built, name, screen, text_size
):
    # only where the table does not reflow (a reflowed table hides its header row: every cell
    # carries its column's title); `headed` counts, per table, its pages and those with the header
    report = _reading(reader_browser, built(name).epub, screen, text_size)
    assert {table: seen["headed"] for table, seen in report["headed"].items()} == {
        table: seen["pages"] for table, seen in report["headed"].items()
    }


def test_the_long_tables_header_repeats_on_each_of_its_three_tablet_pages(reader_browser, built):
    report = _reading(reader_browser, built("long-table").epub, (768, 1024), "100%")
    assert report["headed"] == {"3: table 0": {"pages": 3, "headed": 3}}


#: what a phone or tablet shows of the web edition that lies outside the screen (cells, and any element)
_WEB_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const outside = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && (box.left < -0.5 || box.right > width + 0.5);
  };
  return {
    scroll: document.documentElement.scrollWidth - width,
    cells: Array.from(document.querySelectorAll("td, th")).filter(outside).map((e) => e.textContent.trim()).slice(0, 10),
  };
}"""


@pytest.mark.parametrize("name", BOOKS)
@pytest.mark.parametrize("width", [375, 768])
@pytest.mark.parametrize("text_size", TEXT_SIZES)
def test_the_web_edition_never_scrolls_sideways_and_shows_every_cell(browser, built, name, width, text_size):
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(built(name).html.as_uri())
        scale = int(text_size.rstrip("%")) / 100
        page.add_style_tag(content=f"html {{ font-size: {112.5 * scale}% !important; }}")
        assert page.evaluate(_WEB_OVERFLOW) == {"scroll": 0, "cells": []}
    finally:
        page.close()
