"""Reproducible outputs: the same inputs give the same bytes, wherever and whenever they are built,
and nothing about the machine that built them ends up inside.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import re
import shutil
import socket
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, copy_project

FORMATS = ["pdf", "html", "epub"]

A_DAY_IN_2023 = "1700000000"  # 2023-11-14
A_DAY_IN_2001 = "1000000000"  # 2001-09-09


def build_bytes(root: Path, formats=FORMATS, force=False, jobs=None) -> dict[str, bytes]:
    from report_builder import build

    result = build(root, formats=formats, force=force, jobs=jobs)
    return {fmt: path.read_bytes() for fmt, path in result.outputs.items()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The minimal project built twice in one folder and once in another, deeper one."""
    first = copy_project("minimal", tmp_path_factory.mktemp("first") / "project")
    elsewhere = copy_project("minimal", tmp_path_factory.mktemp("elsewhere") / "a" / "deeper" / "copy")
    once = build_bytes(first)
    time.sleep(1.1)  # a clock that leaks into an output now shows: its seconds have changed
    return {
        "first": once,
        "again": build_bytes(first, force=True),
        "elsewhere": build_bytes(elsewhere),
        "roots": (first, elsewhere),
    }


def test_every_available_format_was_built(builds):
    assert sorted(builds["first"]) == sorted(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_building_twice_gives_byte_identical_output(builds, fmt):
    assert builds["again"][fmt] == builds["first"][fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_building_in_another_folder_gives_byte_identical_output(builds, fmt):
    assert builds["elsewhere"][fmt] == builds["first"][fmt]


def test_a_pdf_laid_out_in_chunks_is_byte_identical_when_built_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", A_DAY_IN_2023)  # keep the font clock out of this test
    root = copy_project("minimal", tmp_path / "project")
    shutil.copy(root / "content" / "only.md", root / "content" / "second.md")
    config = root / "report.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "  - second.md\n", encoding="utf-8")
    first = build_bytes(root, formats=["pdf"], jobs=2)["pdf"]
    assert build_bytes(root, formats=["pdf"], force=True, jobs=2)["pdf"] == first


# -- nothing about the machine inside --------------------------------------------------------


def readable_parts(fmt: str, data: bytes) -> list[bytes]:
    """The bytes to search: the file itself, every decompressed PDF stream but the embedded fonts'
    (binary glyph data), every EPUB member."""
    if fmt == "epub":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [data] + [archive.read(name) for name in archive.namelist()]
    if fmt == "pdf":
        import pikepdf

        parts = [data]
        with pikepdf.open(io.BytesIO(data)) as pdf:
            fonts = {
                obj.objgen
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Dictionary)
                for key in ("/FontFile", "/FontFile2", "/FontFile3")
                if key in obj
                for obj in [obj[key]]
            }
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream) and obj.objgen not in fonts:
                    parts.append(obj.read_bytes())
                elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
                    parts.append(repr(obj).encode("utf-8", "replace"))
        return parts
    return [data]


def machine_traces(roots) -> list[str]:
    """What would give away where and by whom a file was built."""
    traces = {str(root) for root in roots} | {str(root.parent) for root in roots}
    traces |= {str(REPO), sys.prefix, sys.base_prefix, f"{Path.home()}/", "pytest-of-"}
    user = getpass.getuser()
    traces |= {f"/{user}/", f"\\{user}\\", f"{user}@"}
    return sorted(traces)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_holds_a_path_or_user_name(builds, fmt):
    parts = readable_parts(fmt, builds["elsewhere"][fmt])
    assert [trace for trace in machine_traces(builds["roots"]) if any(trace.encode() in part for part in parts)] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_holds_the_host_name(builds, fmt):
    host = re.compile(rb"(?<![\w.-])" + re.escape(socket.gethostname().encode()) + rb"(?![\w-])")
    parts = readable_parts(fmt, builds["elsewhere"][fmt])
    assert [part[:80] for part in parts if host.search(part)] == []


# -- dates -------------------------------------------------------------------------------------


def dates_in(html: bytes) -> set[str]:
    return set(re.findall(rb"\b(\d{4}-\d{2}-\d{2})\b", html))


def undated_project(tmp_path: Path, name: str) -> Path:
    root = copy_project("minimal", tmp_path / name)
    config = root / "report.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("date: 2024-03-01\n", ""), encoding="utf-8")
    return root


def test_an_undated_publication_takes_its_date_from_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", A_DAY_IN_2023)
    html = build_bytes(undated_project(tmp_path, "undated"), formats=["html"])["html"]
    assert dates_in(html) == {b"2023-11-14"}


def test_another_source_date_epoch_changes_only_the_dates_of_an_undated_publication(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", A_DAY_IN_2023)
    one = build_bytes(undated_project(tmp_path, "one"), formats=["html"])["html"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", A_DAY_IN_2001)
    other = build_bytes(undated_project(tmp_path, "other"), formats=["html"])["html"]
    assert (
        other.replace(b"2001-09-09", b"2023-11-14").replace(b"9 September 2001", b"14 November 2023") == one,
        one != other,
    ) == (True, True)


def test_an_undated_publication_without_source_date_epoch_is_dated_1980_never_today(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html = build_bytes(undated_project(tmp_path, "undated"), formats=["html"])["html"]
    assert dates_in(html) == {b"1980-01-01"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_source_date_epoch_leaves_a_dated_publication_byte_identical(builds, tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", A_DAY_IN_2001)
    root = copy_project("minimal", tmp_path / "dated")
    assert build_bytes(root, formats=[fmt])[fmt] == builds["first"][fmt]


# -- any folder, any -j, any cache history ---------------------------------------------------------

CHUNKED_ARTICLE = """---
title: Article {name}
---

## Part one of {name}

{body}

## Part two of {name}

{body}
"""


def chunked_project(root: Path) -> Path:
    """Four short articles (a PDF laid out in chunks: see writers.pdf.plan.can_chunk), one with a PNG."""
    from PIL import Image

    body = "A sentence of the article, long enough to fill a line or two of the page. " * 12
    (root / "content" / "images").mkdir(parents=True)
    Image.new("RGB", (24, 16), (120, 40, 40)).save(root / "content" / "images" / "dot.png")
    for name in "abcd":
        (root / "content" / f"{name}.md").write_text(CHUNKED_ARTICLE.format(name=name, body=body), encoding="utf-8")
    with open(root / "content" / "b.md", "a", encoding="utf-8") as article:
        article.write('\n![A red dot standing in for a photograph](images/dot.png "A red dot.")\n')
    (root / "report.yaml").write_text(
        "title: Chunked\nslug: chunked\ndate: 2024-03-01\nlanguage: en-GB\narticles: [a.md, b.md, c.md, d.md]\n",
        encoding="utf-8",
    )
    return root


def digests(root: Path, jobs: int, force: bool = False) -> tuple[dict[str, str], int]:
    from report_builder import build

    result = build(root, formats=FORMATS, jobs=jobs, force=force)
    return (
        {fmt: hashlib.sha256(path.read_bytes()).hexdigest() for fmt, path in sorted(result.outputs.items())},
        result.chunks,
    )


def after_an_edit_and_its_revert(root: Path, jobs: int) -> tuple[dict[str, str], int]:
    """Build, lengthen an article and build, put it back and build: the cache has a history."""
    digests(root, jobs)
    article = root / "content" / "c.md"
    original = article.read_text(encoding="utf-8")
    article.write_text(original + "\nAnother paragraph, added and then taken out again. " * 40 + "\n", encoding="utf-8")
    digests(root, jobs)
    article.write_text(original, encoding="utf-8")
    return digests(root, jobs)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """(folder, -j, cache) → (sha256 per output, the chunks the print layout was split into)."""

    def fresh(name):
        return chunked_project(tmp_path_factory.mktemp(name) / "x" / name)

    return {
        ("one folder", 1, "fresh cache"): digests(fresh("one"), 1),
        ("another folder", 2, "fresh cache"): digests(fresh("another"), 2),
        ("one folder", 2, "edited and reverted"): after_an_edit_and_its_revert(fresh("one-history"), 2),
        ("another folder", 1, "edited and reverted"): after_an_edit_and_its_revert(fresh("another-history"), 1),
    }


def test_the_matrix_project_is_laid_out_in_chunks(matrix):
    assert [chunks > 1 for _digests, chunks in matrix.values()] == [True, True, True, True]


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_folder_any_jobs_and_any_cache_history_give_one_sha256_per_output(matrix, fmt):
    assert len({found[0][fmt] for found in matrix.values()}) == 1
