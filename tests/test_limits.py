"""Limits cover everything: non-regular files, images inside SVGs and the EPUB cover, the time of
the whole build, footnotes and table rows. Each refusal is one located line, and a file that
would block a reader (a FIFO) is refused at once instead of hanging the build."""

from __future__ import annotations

import base64
import os
import shutil
import struct
import zlib

import pytest

from conftest import copy_project

ARTICLE = "---\ntitle: A\n---\n\nText.\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">'


def png(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels (its image data is empty: never decoded)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


BIG = png(10_000, 6_000)  # 60,000,000 pixels


def svg_article(write_project, svg: str, extra=None):
    return write_project(
        {"content/a.md": ARTICLE + "\n![A chart](images/x.svg)\n", "content/images/x.svg": svg, **(extra or {})}
    )


# -- non-regular files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative", ["report.yaml", "content/a.md", "content/facts/x.yaml", "styles/custom.css", "templates/article.html"]
)
def test_a_fifo_among_the_inputs_is_refused_at_once_instead_of_blocking(write_project, run_cli, relative):
    root = write_project({"content/a.md": ARTICLE, "content/facts/.keep": ""})
    (root / relative).unlink(missing_ok=True)
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(root / relative)
    result = run_cli("check", "--project", root, timeout=30)
    assert (result.exit_code, result.stderr) == (
        1,
        f"{relative}: error: refused to read the file: it is a FIFO (named pipe), not a regular file\n",
    )


def test_a_fifo_image_is_refused_at_its_article_line(write_project, run_cli):
    root = write_project({"content/a.md": ARTICLE + "\n![A map](images/map.png)\n"})
    (root / "content" / "images").mkdir()
    os.mkfifo(root / "content" / "images" / "map.png")
    result = run_cli("build", "html", "--quiet", "--project", root, timeout=30)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:7:1: error: image 'images/map.png' cannot be used: it is a FIFO (named pipe), "
        "not a regular file\n",
    )


def test_a_fifo_stylesheet_stops_the_html_build_at_once(write_project, run_cli):
    root = write_project({"content/a.md": ARTICLE})
    (root / "styles").mkdir()
    os.mkfifo(root / "styles" / "custom.css")
    result = run_cli("build", "html", "--quiet", "--project", root, timeout=30)
    assert (result.exit_code, result.stderr, (root / "build" / "t.html").exists()) == (
        1,
        "styles/custom.css: error: refused to read the file: it is a FIFO (named pipe), not a regular file\n",
        False,
    )


def test_a_directory_named_like_a_fact_table_is_refused_at_its_path(write_project, run_cli):
    root = write_project({"content/a.md": ARTICLE})
    (root / "content" / "facts" / "x.yaml").mkdir(parents=True)
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/facts/x.yaml: error: refused to read the file: it is a directory, not a regular file\n",
    )


def test_the_build_state_counts_a_fifo_as_a_missing_input_without_reading_it(tmp_path):
    from report_builder.stamps import State

    os.mkfifo(tmp_path / "pipe")
    assert State(tmp_path / "out").file_hash(tmp_path / "pipe") is None


def test_a_character_device_is_refused_before_it_is_read():
    from pathlib import Path

    from report_builder.inputs import NotRegularFile, read_regular

    with pytest.raises(NotRegularFile, match="^it is a character device, not a regular file$"):
        read_regular(Path("/dev/zero"))


def test_the_fetcher_refuses_a_fifo_without_blocking(tmp_path):
    from report_builder.fetcher import SandboxFetcher

    os.mkfifo(tmp_path / "pipe.png")
    fetcher = SandboxFetcher([tmp_path])
    with pytest.raises(ValueError):
        fetcher.fetch((tmp_path / "pipe.png").as_uri())
    assert fetcher.refused == [
        f"refused to read '{tmp_path / 'pipe.png'}': it is a FIFO (named pipe), not a regular file"
    ]


# -- images inside SVGs, and the cover -------------------------------------------------------------------


def test_an_image_inside_an_svg_over_the_pixel_limit_is_refused_at_the_article_line(write_project, run_cli):
    root = svg_article(
        write_project, SVG + '<image href="big.png" width="10" height="10"/></svg>', {"content/images/big.png": BIG}
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:7:1: error: image 'images/x.svg' → 'big.png' has 60,000,000 pixels; the limit is 50,000,000\n",
    )


def test_a_data_uri_inside_an_svg_over_the_pixel_limit_is_refused(write_project, run_cli):
    uri = "data:image/png;base64," + base64.b64encode(BIG).decode()
    root = svg_article(write_project, SVG + f'<image href="{uri}" width="10" height="10"/></svg>')
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:7:1: error: image 'images/x.svg' → 'a data: URI' has 60,000,000 pixels; "
        "the limit is 50,000,000\n",
    )


def test_an_image_in_an_svg_inside_an_svg_is_measured_too(write_project, run_cli):
    inner = SVG + '<image xlink:href="big.png" width="10" height="10"/></svg>'
    root = svg_article(
        write_project,
        SVG + '<image href="inner.svg" width="10" height="10"/></svg>',
        {"content/images/inner.svg": inner, "content/images/big.png": BIG},
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:7:1: error: image 'images/x.svg' → 'inner.svg' → 'big.png' has 60,000,000 pixels; "
        "the limit is 50,000,000\n",
    )


def test_a_chain_of_use_elements_is_refused_before_it_is_drawn(write_project, run_cli):
    groups = "".join(f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>" for i in range(1, 10))
    svg = SVG + '<defs><g id="l0"><rect width="1" height="1"/></g>' + groups + '</defs><use href="#l9"/></svg>'
    root = svg_article(write_project, svg)
    result = run_cli("check", "--project", root, timeout=60)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:7:1: error: image 'images/x.svg' draws more than 100,000 SVG elements once its <use> "
        "and <image> references are expanded; the limit is 100,000\n",
    )


def test_a_self_referring_use_costs_nothing_more():
    from report_builder.images import check_image

    svg = (SVG + '<g id="a"><use href="#a"/><rect width="1" height="1"/></g></svg>').encode()
    assert check_image(svg, "file:///x.svg", "x.svg", lambda url: b"") == 4


def test_an_svg_the_article_uses_through_a_stylesheet_is_refused_at_the_stylesheet_line(write_project, run_cli):
    root = write_project(
        {
            "content/a.md": ARTICLE,
            "content/images/big.png": BIG,
            "content/images/x.svg": SVG + '<image href="big.png" width="10" height="10"/></svg>',
            "styles/custom.css": "body {\n  background: url(content/images/x.svg);\n}\n",
        }
    )
    result = run_cli("build", "pdf", "--quiet", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "styles/custom.css:2:19: error: image 'content/images/x.svg' → 'big.png' has 60,000,000 pixels; "
        "the limit is 50,000,000\n",
    )


def test_an_epub_cover_over_the_pixel_limit_is_refused_at_its_setting(write_project, run_cli):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\nepub:\n  cover: cover.png\n",
            "content/a.md": ARTICLE,
            "cover.png": BIG,
        }
    )
    result = run_cli("build", "epub", "--quiet", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "report.yaml:5:10: error: epub.cover 'cover.png' has 60,000,000 pixels; the limit is 50,000,000\n",
    )


# -- the time limit -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_minimal(tmp_path_factory):
    from report_builder import build

    root = copy_project("minimal", tmp_path_factory.mktemp("limits") / "project")
    build(root, formats=["pdf", "html"])
    return root


def test_the_time_limit_stops_the_whole_build_and_leaves_the_outputs(built_minimal, tmp_path, run_cli):
    root = shutil.copytree(built_minimal, tmp_path / "project")
    before = {p.name: p.read_bytes() for p in (root / "build").iterdir() if p.is_file()}
    result = run_cli(
        "build", "pdf", "html", "--force", "--quiet", "--project", root, env={"REPORT_BUILDER_TIME_LIMIT": "0.5"}
    )
    after = {p.name: p.read_bytes() for p in (root / "build").iterdir() if p.is_file()}
    assert (result.exit_code, result.stderr, after == before) == (
        1,
        "build: error: the build took longer than 0.5 s and was stopped; set REPORT_BUILDER_TIME_LIMIT to "
        "the seconds a build may take (0 for no limit)\n",
        True,
    )


def test_a_time_limit_that_is_not_a_number_is_one_clear_line(write_project, run_cli):
    root = write_project({"content/a.md": ARTICLE})
    result = run_cli("build", "html", "--project", root, env={"REPORT_BUILDER_TIME_LIMIT": "soon"})
    assert (result.exit_code, result.stderr) == (
        1,
        "build: error: REPORT_BUILDER_TIME_LIMIT must be a number of seconds (0 for no limit), not 'soon'\n",
    )


# -- footnotes and table rows ----------------------------------------------------------------------------


def notes(count: int) -> str:
    body = "".join(f"Sentence {i} has a note.[^n{i}]\n\n" for i in range(1, count + 1))
    return ARTICLE + "\n" + body + "".join(f"[^n{i}]: The note of sentence {i}.\n" for i in range(1, count + 1))


def check_errors(root) -> list[str]:
    from report_builder.build import check
    from report_builder.errors import ReportError

    with pytest.raises(ReportError) as caught:
        check(root)
    return [str(d) for d in caught.value.diagnostics]


def test_a_footnote_over_the_limit_is_refused_at_its_definition(write_project, monkeypatch):
    monkeypatch.setattr("report_builder.content.MAX_FOOTNOTES_PER_ARTICLE", 3)
    root = write_project({"content/a.md": notes(5)})
    assert check_errors(root) == [
        "content/a.md:20:1: error: footnote [^n4] is one too many: an article may have at most 3 footnotes; "
        "split the article"
    ]


def test_the_limits_are_two_thousand_footnotes_per_article_and_ten_thousand_rows_per_table():
    from report_builder.content import MAX_FOOTNOTES_PER_ARTICLE, MAX_TABLE_ROWS

    assert (MAX_FOOTNOTES_PER_ARTICLE, MAX_TABLE_ROWS) == (2_000, 10_000)


def test_a_markdown_table_over_the_row_limit_is_refused_at_its_first_line(write_project, monkeypatch):
    monkeypatch.setattr("report_builder.content.MAX_TABLE_ROWS", 3)
    rows = "".join(f"| Row {i} | {i} |\n" for i in range(4))
    root = write_project({"content/a.md": ARTICLE + "\n| Label | Value |\n|---|---:|\n" + rows})
    assert check_errors(root) == ["content/a.md:7:1: error: this table has 4 rows; a table may have at most 3"]


def test_an_embedded_fact_table_over_the_shown_row_limit_asks_for_a_limit_at_its_directive(write_project, monkeypatch):
    monkeypatch.setattr("report_builder.content.MAX_SHOWN_ROWS", 3)
    rows = "".join(f"  - {{id: r{i}, label: Row {i}, value: {i}}}\n" for i in range(4))
    table = "title: Rows\ncolumns:\n  - {key: label, title: Label}\n  - {key: value, title: Value, type: number}\n"
    root = write_project(
        {"content/a.md": ARTICLE + "\n```{facts} rows\n```\n", "content/facts/rows.yaml": table + "rows:\n" + rows}
    )
    assert check_errors(root) == [
        "content/a.md:7:12: error: fact table 'rows' has 4 rows, too many to show whole (at most 3); show the first "
        "ones with ':limit: 20' on the next line (and ':sort: COLUMN desc' for the top ones)"
    ]


def test_a_facts_limit_over_the_row_limit_is_refused_at_its_value(write_project, monkeypatch):
    monkeypatch.setattr("report_builder.content.MAX_TABLE_ROWS", 3)
    rows = "".join(f"  - {{id: r{i}, label: Row {i}, value: {i}}}\n" for i in range(4))
    table = "title: Rows\ncolumns:\n  - {key: label, title: Label}\n  - {key: value, title: Value, type: number}\n"
    root = write_project(
        {
            "content/a.md": ARTICLE + "\n```{facts} rows\n:limit: 4\n```\n",
            "content/facts/rows.yaml": table + "rows:\n" + rows,
        }
    )
    assert check_errors(root) == ["content/a.md:8:9: error: ':limit:' is a number of rows from 1 to 3, not '4'"]


def test_two_thousand_footnotes_are_numbered_and_linked_in_the_html_edition(write_project):
    import re

    from report_builder import build

    root = write_project({"content/a.md": notes(2_000)})
    html = build(root, formats=["html"]).outputs["html"].read_text(encoding="utf-8")
    refs = re.findall(r'<a id="a-fnref(\d+)" href="#a-fn(\d+)"', html)
    notes_ = re.findall(r'id="a-fn(\d+)"', html)
    assert (
        len(refs),
        refs[-1],
        all(a == b for a, b in refs),
        len(notes_),
        notes_[-1],
        "The note of sentence 2000." in html,
    ) == (2_000, ("2000", "2000"), True, 2_000, "2000", True)


def test_an_svg_data_uri_that_does_not_start_with_svg_is_measured_as_an_svg():
    from report_builder.images import ImageRefused, check_image, read_local

    inner = (
        "<!-- a chart -->"
        + SVG
        + '<image href="data:image/png;base64,'
        + base64.b64encode(BIG).decode()
        + '" width="1" height="1"/></svg>'
    )
    outer = SVG + '<image href="data:image/svg+xml;base64,' + base64.b64encode(inner.encode()).decode() + '"/></svg>'
    with pytest.raises(ImageRefused, match="^image 'x.svg' → 'a data: URI' → 'a data: URI' has 60,000,000 pixels"):
        check_image(outer.encode(), "file:///x.svg", "x.svg", lambda url: read_local(url, 10**7))


def test_an_svg_saved_under_a_raster_name_is_measured_as_an_svg():
    from report_builder.images import ImageRefused, check_image

    svg = "<?xml version='1.0'?>\n<!-- x -->\n" + SVG + '<image href="big.png"/></svg>'
    with pytest.raises(ImageRefused, match="^image 'x.png' → 'big.png' has 60,000,000 pixels"):
        check_image(svg.encode(), "file:///p/x.png", "x.png", lambda url: BIG)


def test_svg_elements_nested_too_deep_are_refused_instead_of_recursing():
    from report_builder.images import ImageRefused, check_image

    svg = SVG + "<g>" * 5_000 + "</g>" * 5_000 + "</svg>"
    with pytest.raises(
        ImageRefused, match="^image 'x.svg' nests SVG elements and <use> references more than 200 levels deep$"
    ):
        check_image(svg.encode(), "file:///x.svg", "x.svg", lambda url: b"")
