"""The running head is one line, however long the title: cut at a word with an ellipsis, or
`running_title` instead; chunked and single layouts alike, simplex and duplex."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path

import pytest

from report_builder import build

#: 300 characters, as the cover allows
LONG_TITLE = ("Regional water infrastructure outlook and quarterly briefing for the ministry " * 4)[:300].strip()
SECTION = "Alpha section with a fairly long heading"
ARTICLES = {
    "content/a.md": f"# {SECTION}\n\nText.\n",
    "content/b.md": "# Beta\n\nText.\n",
}
#: what the section half of a head says: nothing on the contents page, else an article's title
SECTIONS = {"", SECTION, "Beta"}
#: the top margin is 24 mm: the head sits above it
HEAD_BAND = 24 / 25.4 * 72


def words(path: Path) -> list[list[tuple[float, float, float, str]]]:
    """Per page: (xMin, yMin, yMax, text) of each word, as pdftotext -bbox reads them."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [
        [
            (float(x), float(y0), float(y1), unescape(text))
            for x, y0, _x1, y1, text in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', page
            )
        ]
        for page in re.findall(r"<page .*?</page>", out, re.S)
    ]


def head_lines(path: Path) -> list[list[str]]:
    """Per page after the cover: the lines of text in the head band, each as its words."""
    pages = []
    for page in words(path)[1:]:
        lines: dict[float, list[tuple[float, str]]] = {}
        for x, _y0, y1, text in page:
            if y1 < HEAD_BAND:
                lines.setdefault(round(y1), []).append((x, text))
        pages.append([[text for _x, text in sorted(line)] for _y, line in sorted(lines.items())])
    return pages


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    """heads(articles, report) → the head lines of the built PDF, per page after the cover."""
    made: dict = {}

    def get(articles: tuple[str, ...], report: str) -> list[list[list[str]]]:
        key = (articles, report)
        if key not in made:
            root = tmp_path_factory.mktemp("head")
            for name in articles:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(ARTICLES[name], encoding="utf-8")
            (root / "report.yaml").write_text(report, encoding="utf-8")
            made[key] = head_lines(build(root, formats=["pdf"]).outputs["pdf"])
        return made[key]

    return get


LAYOUTS = {"single": ("content/a.md",), "chunked": ("content/a.md", "content/b.md")}


@pytest.mark.parametrize("duplex", [False, True], ids=["simplex", "duplex"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_300_character_title_is_one_line_cut_at_a_word_with_an_ellipsis(heads, layout, duplex):
    report = f'title: "{LONG_TITLE}"\n' + ("pdf:\n  duplex: true\n" if duplex else "")
    pages = [lines for lines in heads(LAYOUTS[layout], report) if lines]
    assert pages, "the pages after the cover have running heads"
    title_words = LONG_TITLE.upper().split()
    for lines in pages:
        assert len(lines) == 1, lines  # title and section on one line together
        shown = [word for word in lines[0] if word.isupper() or word.endswith("…")]
        *whole, last = shown
        assert last.endswith("…") and whole == title_words[: len(whole)] and len(whole) >= 4
        assert last[:-1] in ("", title_words[len(whole)]), "cut after a whole word"
        rest = [word for word in lines[0] if word not in shown]
        assert " ".join(rest) in SECTIONS, "the section whole beside the cut title"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_running_title_is_the_head_s_title(heads, layout):
    report = f'title: "{LONG_TITLE}"\nrunning_title: Water outlook\n'
    pages = [lines for lines in heads(LAYOUTS[layout], report) if lines]
    assert pages and all(lines == [["WATER", "OUTLOOK", *lines[0][2:]]] for lines in pages)
    assert {" ".join(lines[0][2:]) for lines in pages} <= SECTIONS


def test_a_short_title_is_not_cut(heads):
    pages = [lines for lines in heads(LAYOUTS["chunked"], "title: Water outlook\n") if lines]
    assert pages and all(lines[0][:2] == ["WATER", "OUTLOOK"] and "…" not in " ".join(lines[0]) for lines in pages)
