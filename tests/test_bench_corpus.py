"""The benchmark corpus (bench/corpus.py): deterministic, and a project report-builder builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import load_bench_module


@pytest.fixture(scope="module")
def corpus():
    return load_bench_module("corpus")


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_the_same_article_count_gives_identical_files(corpus, tmp_path):
    first = _files(corpus.write_project(3, tmp_path / "first"))
    second = _files(corpus.write_project(3, tmp_path / "second"))
    assert first == second
    assert sorted(first) == [
        "content/a001.md",
        "content/a002.md",
        "content/a003.md",
        "content/facts/a001.yaml",
        "content/facts/a002.yaml",
        "content/facts/a003.yaml",
        "report.yaml",
    ]


def test_a_smaller_book_is_the_start_of_a_larger_one(corpus):
    small, large = corpus.project_files(2), corpus.project_files(5)
    assert {path: text for path, text in large.items() if path.startswith("content/") and path in small} == {
        path: text for path, text in small.items() if path.startswith("content/")
    }


def test_an_article_has_the_parts_of_a_news_story(corpus):
    markdown, table = corpus.write_article(7)
    body = markdown.split("\n---\n", 1)[1]
    assert 1000 <= len(body.split()) <= 1400
    assert 3 <= len(re.findall(r"^## ", body, re.M)) <= 5
    assert 1 <= len(re.findall(r"^> — ", body, re.M)) <= 2
    assert 1 <= len(re.findall(r"^\[\^\d\]: ", body, re.M)) <= 2
    assert re.search(r"^- ", body, re.M)
    assert "```{facts} a007\n```" in body
    assert len(re.findall(r"\{fact\}`a007\.r\d(\.share)?`", body)) == 2
    assert table.count("  - {id: r") == 8


def test_the_one_article_project_builds_a_pdf_without_warnings(corpus, tmp_path):
    from report_builder import build

    root = corpus.write_project(1, tmp_path / "bench-1")
    result = build(root, formats=["pdf"])
    assert [str(w) for w in result.warnings] == []
    assert len(PdfReader(result.outputs["pdf"]).pages) >= 4
