"""Articles kept between the builds of one process (article_cache.py): an edit re-renders what it
changed, and the web edition is byte-identical to a build that kept nothing."""

from __future__ import annotations

import re

import pytest

from report_builder import article_cache, render
from report_builder.build import build

TABLE = """title: Counts
source: Fixture
columns:
  - {key: label, title: Measure}
  - {key: value, title: Figure, type: number}
rows:
  - {id: one, label: First, value: 11}
  - {id: two, label: Second, value: 22}
"""


def _article(index: int) -> str:
    body = f"---\ntitle: Article {index}\n---\n\nArticle {index} says a plain thing.\n"
    if index == 5:
        body += "\nIt counts {fact}`counts.one`.\n\n```{facts} counts\n:id: tbl-counts\n```\n"
    if index == 6:
        body += "\nAs @tbl-counts shows, and [article one](a1.md) says.\n"
    return body


@pytest.fixture
def book(write_project):
    files = {f"content/a{i}.md": _article(i) for i in range(1, 7)}
    files["content/facts/counts.yaml"] = TABLE
    files["report.yaml"] = "title: T\nslug: t\nformats: [html]\narticles:\n" + "".join(
        f"  - a{i}.md\n" for i in range(1, 7)
    )
    root = write_project(files)
    article_cache.clear()
    build(root)
    return root


@pytest.fixture
def rendered(monkeypatch):
    """The names of the articles rendered for the web edition since the fixture was made."""
    names: list[str] = []
    original = render.render_article

    def counting(article, target, context):
        if target == "html":
            names.append(article.name)
        return original(article, target, context)

    monkeypatch.setattr(render, "render_article", counting)
    return names


def _articles(root) -> dict[str, str]:
    page = (root / "build" / "t.html").read_text(encoding="utf-8")
    found = re.findall(r'(<article class="article" id="([^"]+)".*?</article>)', page, re.S)
    return {name: html for html, name in found}


def _fresh(root) -> bytes:
    """The web edition as a build that keeps nothing makes it."""
    article_cache.clear()
    build(root, force=True)
    return (root / "build" / "t.html").read_bytes()


def test_an_edited_article_is_the_only_one_rendered_again_and_the_only_one_that_changes(book, rendered):
    before = _articles(book)
    (book / "content" / "a3.md").write_text(_article(3).replace("a plain thing", "a new thing"), encoding="utf-8")
    build(book)
    after = _articles(book)
    assert rendered == ["a3"]
    assert [name for name in before if before[name] != after[name]] == ["a3"]
    assert "a new thing" in after["a3"]
    assert (book / "build" / "t.html").read_bytes() == _fresh(book)


def test_a_changed_fact_table_renders_the_article_that_uses_it_again(book, rendered):
    (book / "content" / "facts" / "counts.yaml").write_text(TABLE.replace("value: 11", "value: 99"), encoding="utf-8")
    build(book)
    assert rendered == ["a5"]
    assert "99" in _articles(book)["a5"]
    assert (book / "build" / "t.html").read_bytes() == _fresh(book)


def test_a_new_project_template_of_the_tables_renders_the_article_with_a_table_again(book, rendered):
    (book / "templates").mkdir()
    builtin = (render.builtin_dir("templates") / "facts_table.html").read_text(encoding="utf-8")
    (book / "templates" / "facts_table.html").write_text("<!-- ours -->" + builtin, encoding="utf-8")
    build(book)
    assert rendered == ["a5"]
    assert "<!-- ours -->" in _articles(book)["a5"]
    assert (book / "build" / "t.html").read_bytes() == _fresh(book)


def test_a_changed_article_template_changes_every_article(book, rendered):
    (book / "templates").mkdir()
    builtin = (render.builtin_dir("templates") / "article.html").read_text(encoding="utf-8")
    (book / "templates" / "article.html").write_text(builtin.replace('class="article"', 'class="article ours"'))
    build(book)
    page = (book / "build" / "t.html").read_text(encoding="utf-8")
    assert page.count('<article class="article ours"') == 6
    assert (book / "build" / "t.html").read_bytes() == _fresh(book)


def test_a_project_template_used_by_an_article_keeps_it_from_being_kept(book, rendered):
    (book / "templates").mkdir()
    builtin = (render.builtin_dir("templates") / "facts_table.html").read_text(encoding="utf-8")
    (book / "templates" / "facts_table.html").write_text(builtin, encoding="utf-8")
    build(book)
    (book / "content" / "a1.md").write_text(_article(1) + "\nMore.\n", encoding="utf-8")
    build(book)
    assert rendered == ["a5", "a1", "a5"]  # a project template may read the whole publication


def test_a_table_numbered_earlier_renumbers_the_references_of_a_later_article(book, rendered):
    table = "\n```{facts} counts\n:id: tbl-first\n```\n"
    (book / "content" / "a2.md").write_text(_article(2) + table, encoding="utf-8")
    build(book)
    assert sorted(rendered) == ["a2", "a5", "a6"]
    assert ">Table 2</a>" in _articles(book)["a6"]
    assert (book / "build" / "t.html").read_bytes() == _fresh(book)
