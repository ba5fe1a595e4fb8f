"""`html: {layout: pages}`: the web edition as a folder of one page per article, linked in order."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from lxml import html as lxml_html

from report_builder import build
from report_builder.build import clean
from report_builder.errors import ReportError

TABLE = "title: Numbers\nsource: Counted\ncolumns:\n  - {key: n, title: N}\nrows:\n  - {id: one, n: 1}\n"
REPORT = "title: T\nhtml:\n  layout: pages\narticles:\n  - a.md\n  - b.md\n  - c.md\n"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    files = {
        "report.yaml": REPORT,
        "content/a.md": "---\ntitle: First\n---\nSee [the second](#b) and {fact}`numbers.one.n`.[^1]\n\n[^1]: A note.\n",
        "content/b.md": "---\ntitle: Second\n---\n## Part\n\nBack to [the first](#a).\n",
        "content/c.md": "---\ntitle: Third\n---\nText.\n",
        "content/facts/numbers.yaml": TABLE,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    result = build(root, formats=["html"])
    folder = result.outputs["html"].parent
    return root, {path.name: lxml_html.fromstring(path.read_bytes()) for path in sorted(folder.glob("*.html"))}


def test_pages_layout_writes_one_page_per_article_and_one_for_the_sources(pages):
    _root, found = pages
    assert {name: page.xpath("//main/*[self::article or self::section]/@id") for name, page in found.items()} == {
        "index.html": ["a"],
        "b.html": ["b"],
        "c.html": ["c"],
        "sources.html": ["sources"],
    }


def test_pages_link_to_the_previous_and_next_page(pages):
    _root, found = pages
    assert [(a.get("rel"), a.get("href"), a.text) for a in found["b.html"].xpath("//nav[@class='pager']/a")] == [
        ("prev", "index.html", "Previous: First"),
        ("next", "c.html", "Next: Third"),
    ]


def test_every_link_between_pages_resolves(pages):
    _root, found = pages
    broken = []
    for name, page in found.items():
        for href in page.xpath("//a/@href[not(starts-with(., 'http'))]"):
            file, _, ident = href.partition("#")
            target = found.get(file or name)
            if target is None or (ident and not target.xpath(f"//*[@id='{unquote(ident)}']")):
                broken.append(f"{name}: {href}")
    assert broken == []


def test_the_contents_on_every_page_point_at_the_articles_pages(pages):
    _root, found = pages
    assert found["c.html"].xpath("//nav[@id='contents']//a/@href") == [
        "index.html#a",
        "b.html#b",
        "b.html#b-part",
        "#c",
        "sources.html#sources",
    ]


def test_clean_removes_the_folder_of_pages(pages, tmp_path):
    root, _found = pages
    assert (clean(root), (root / "build").exists()) == (["t/"], False)


def test_an_unknown_html_layout_is_a_located_error(write_project):
    root = write_project({"report.yaml": "title: T\nhtml:\n  layout: book\n", "content/a.md": "Text.\n"})
    with pytest.raises(ReportError) as raised:
        build(root, formats=["html"])
    assert [str(d) for d in raised.value.diagnostics] == [
        "report.yaml:3:11: error: html.layout must be one of single, pages, not 'book'"
    ]
