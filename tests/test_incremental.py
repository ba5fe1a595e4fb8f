"""Incremental builds: an output is rebuilt exactly when one of its inputs changed."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from report_builder import ReportError, build
from report_builder.build import clean
from report_builder.project import builtin_dir
from report_builder.stamps import State

PROJECTS = Path(__file__).resolve().parent / "projects"


#: every output these tests build; the EPUB joins once its writer exists
ALL = ("pdf", "epub", "html")
#: the outputs laid out from the print edition (the EPUB page-list comes from the PDF layout)
PRINT = ("pdf", "epub")

SQUARE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#777"/></svg>\n'
)
TREND_YAML = """\
title: Arrivals by month
source: Test registry
columns:
  - {key: label, title: Month}
  - {key: value, title: Arrivals, type: number}
rows:
  - {id: jan, label: January, value: 120}
  - {id: feb, label: February, value: 340}
"""
ADDED_TO_ARTICLE = """
## A picture and a chart

![A grey square standing in for a photograph](images/square.svg "A grey square.")

```{chart} trend
:type: bar
:x: label
:y: value
```
"""


def reasons(*formats, why):
    return {fmt: why for fmt in formats}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The minimal project with an image and a chart-only fact table, built once."""
    root = tmp_path_factory.mktemp("baseline") / "minimal"
    shutil.copytree(PROJECTS / "minimal", root)
    (root / "content" / "images").mkdir()
    (root / "content" / "images" / "square.svg").write_text(SQUARE_SVG)
    (root / "content" / "facts" / "trend.yaml").write_text(TREND_YAML)
    with open(root / "content" / "only.md", "a") as article:
        article.write(ADDED_TO_ARTICLE)
    assert set(build(root, formats=ALL).outputs) == set(ALL)
    return root


@pytest.fixture
def built(baseline, tmp_path):
    """A fresh copy of the built baseline project, outputs and build state included."""
    return shutil.copytree(baseline, tmp_path / "minimal")


def outputs(root):
    return {fmt: root / "build" / f"minimal.{fmt}" for fmt in ALL}


def contents(root):
    return {fmt: path.read_bytes() for fmt, path in outputs(root).items()}


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- nothing changed ------------------------------------------------------------------------------


def test_a_second_build_rebuilds_nothing_and_reports_every_output_up_to_date(built):
    result = build(built, formats=ALL)
    assert (result.outputs, result.skipped) == ({}, outputs(built))


def test_a_build_result_counts_what_was_written_skipped_laid_out_and_forked(built):
    (built / "styles").mkdir()
    (built / "styles" / "custom-html.css").write_text("h1 { letter-spacing: 0.01em; }\n")
    result = build(built, formats=ALL, jobs=2)
    assert (set(result.outputs), set(result.skipped), result.chunks, result.forked) == ({"html"}, set(PRINT), 0, ())


def test_the_html_edition_is_written_in_a_process_of_its_own_while_the_print_edition_is_laid_out(built):
    assert (
        build(built, formats=ALL, jobs=2, force=True).forked,
        build(built, formats=ALL, jobs=1, force=True).forked,
    ) == (
        ("html",),
        (),
    )


def test_a_second_build_leaves_output_bytes_and_mtimes_untouched(built):
    before = {fmt: (path.read_bytes(), path.stat().st_mtime_ns) for fmt, path in outputs(built).items()}
    build(built, formats=ALL)
    assert {fmt: (path.read_bytes(), path.stat().st_mtime_ns) for fmt, path in outputs(built).items()} == before


def test_touching_an_article_rebuilds_nothing(built):
    os.utime(built / "content" / "only.md")
    assert build(built, formats=ALL).outputs == {}


def test_a_project_moved_to_another_folder_is_still_up_to_date(built, tmp_path):
    moved = built.rename(tmp_path / "renamed")
    assert build(moved, formats=ALL).outputs == {}


def test_a_build_with_nothing_to_do_reads_no_package_metadata(built, monkeypatch):
    import importlib.metadata

    from report_builder import stamps

    def refuse(package):
        raise AssertionError(f"read the version of {package}")

    monkeypatch.setattr(stamps, "_installed_now", None)  # nothing read earlier in this process
    monkeypatch.setattr(importlib.metadata, "version", refuse)
    assert build(built, formats=ALL).skipped == outputs(built)


#: what a build with nothing to do must not import: the writers' libraries and what only writing needs
NOT_IMPORTED_BY_A_NOOP = (
    "weasyprint",
    "pikepdf",
    "ebooklib",
    "vl_convert",
    "jinja2",
    "markdown_it",
    "pygments",
    "babel.messages",
    "babel.support",
    "importlib.metadata",
    "concurrent.futures.process",
    "report_builder.writers.print_layout",
)


def test_a_build_with_nothing_to_do_imports_no_writer_library(built):
    command = [sys.executable, "-m", "report_builder", "build", "html", "--project", str(built), "--force", "-q"]
    subprocess.run(command, check=True)  # stamped by a process whose packages are found where the next one's are
    listing = "import sys\nfrom report_builder.cli import main\nmain(sys.argv[1:])\nprint(*sorted(sys.modules))"
    printed = subprocess.run(
        [sys.executable, "-c", listing, "build", "html", "--project", str(built)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    imported = set(printed[-1].split())
    assert (printed[-2], sorted(name for name in NOT_IMPORTED_BY_A_NOOP if name in imported)) == ("nothing to do", [])


def test_a_package_upgraded_rebuilds_the_outputs_it_shapes(built, tmp_path, monkeypatch):
    installed = tmp_path / "site" / "ebooklib-99.0.dist-info"
    installed.mkdir(parents=True)
    (installed / "METADATA").write_text("Metadata-Version: 2.1\nName: ebooklib\nVersion: 99.0\n")
    monkeypatch.syspath_prepend(str(installed.parent))
    assert build(built, formats=ALL).reasons == {"epub": "tool versions changed"}


# -- one input changed ------------------------------------------------------------------------------


def test_editing_an_article_rebuilds_every_output_and_names_the_article(built):
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    result = build(built, formats=ALL)
    assert (set(result.outputs), result.reasons) == (set(ALL), reasons(*ALL, why="content/only.md changed"))


def test_the_rebuilt_output_carries_the_edit(built):
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    build(built, formats=ALL)
    assert "painting their doors" in (built / "build" / "minimal.html").read_text()


def test_editing_an_embedded_fact_table_rebuilds_every_output(built):
    edit(built / "content" / "facts" / "basic.yaml", "Test fixture data", "Test fixture records")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/facts/basic.yaml changed")


def test_editing_a_fact_table_used_only_by_a_chart_rebuilds_every_output(built):
    edit(built / "content" / "facts" / "trend.yaml", "value: 340", "value: 341")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/facts/trend.yaml changed")


def test_editing_an_image_rebuilds_every_output(built):
    edit(built / "content" / "images" / "square.svg", "#777", "#555")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/images/square.svg changed")


def test_an_edited_image_reaches_a_pdf_laid_out_in_parallel(tmp_path):
    root = shutil.copytree(PROJECTS / "multilingual", tmp_path / "multilingual")
    build(root, formats=["pdf"], jobs=2)
    before = pdf_images(root / "build" / "multilingual.pdf")
    (root / "content" / "images" / "photo.png").write_bytes(solid_png(64, 48, (200, 40, 40)))
    build(root, formats=["pdf"], jobs=2)
    assert pdf_images(root / "build" / "multilingual.pdf") != before


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf_images(path: Path) -> set[str]:
    """Digests of the image data drawn anywhere in a PDF."""
    import pypdf

    found = set()

    def walk(resources):
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        for reference in xobjects.get_object().values() if xobjects is not None else ():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.add(hashlib.sha256(xobject.get_data()).hexdigest())
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in pypdf.PdfReader(path).pages:
        walk(page.get("/Resources"))
    return found


def test_editing_report_yaml_rebuilds_every_output(built):
    edit(built / "report.yaml", "Test marking", "Restricted")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="report.yaml changed")


def test_adding_a_template_override_rebuilds_every_output(built):
    (built / "templates").mkdir()
    shutil.copy(builtin_dir("templates") / "article.html", built / "templates")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="templates/article.html added")


def test_editing_a_template_override_rebuilds_every_output(built):
    (built / "templates").mkdir()
    (built / "templates" / "article.html").write_text('{% extends "parts/base.html" %}\n')
    (built / "templates" / "parts").mkdir()
    shutil.copy(builtin_dir("templates") / "article.html", built / "templates" / "parts" / "base.html")
    build(built, formats=ALL)
    edit(built / "templates" / "parts" / "base.html", "<", "<!-- local -->\n<")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="templates/parts/base.html changed")


def test_editing_a_template_only_the_print_edition_includes_rebuilds_only_the_print_outputs(built):
    (built / "templates" / "parts").mkdir(parents=True)
    (built / "templates" / "parts" / "note.html").write_text("<p>For the printed copy.</p>\n")
    text = (builtin_dir("templates") / "print.html").read_text()
    (built / "templates" / "print.html").write_text(text.replace("</body>", '{% include "parts/note.html" %}\n</body>'))
    assert build(built, formats=ALL).reasons == reasons(*PRINT, why="templates/print.html added")
    edit(built / "templates" / "parts" / "note.html", "printed copy", "printed edition")
    assert build(built, formats=ALL).reasons == reasons(*PRINT, why="templates/parts/note.html changed")


def test_the_html_edition_is_stamped_with_the_templates_it_read_and_no_print_template(built):
    record = State(built / "build").records["html"]
    templates = sorted(name for name in record["files"] if name.startswith("templates/"))
    probed = sorted(pattern for pattern in record["listings"] if pattern.startswith("templates/"))
    assert (templates, "templates/web.html" in probed, "templates/print.html" in probed) == ([], True, False)


def test_every_output_is_stamped_with_the_versions_of_the_packages_that_shape_it(built):
    from importlib.metadata import version

    records = State(built / "build").records
    assert (
        records["pdf"]["versions"]["weasyprint"],
        records["epub"]["versions"]["ebooklib"],
        records["html"]["versions"]["markdown-it-py"],
        "weasyprint" in records["html"]["versions"],
    ) == (version("weasyprint"), version("ebooklib"), version("markdown-it-py"), False)


def test_every_output_is_stamped_with_the_packaged_font_files_it_is_made_from(built):
    from report_builder.fonts import font_paths

    records = State(built / "build").records
    fonts = {str(path.resolve()) for path in font_paths()}
    assert {fmt: sorted(fonts - set(records[fmt]["outside"])) for fmt in ALL} == {fmt: [] for fmt in ALL}


def test_adding_custom_pdf_css_rebuilds_only_the_print_outputs(built):
    (built / "styles").mkdir()
    (built / "styles" / "custom-pdf.css").write_text("h1 { letter-spacing: 0.01em; }\n")
    result = build(built, formats=ALL)
    assert (set(result.outputs), result.reasons) == (set(PRINT), reasons(*PRINT, why="styles/custom-pdf.css added"))


def test_editing_custom_pdf_css_rebuilds_only_the_print_outputs(built):
    (built / "styles").mkdir()
    (built / "styles" / "custom-pdf.css").write_text("h1 { letter-spacing: 0.01em; }\n")
    build(built, formats=ALL)
    edit(built / "styles" / "custom-pdf.css", "0.01em", "0.02em")
    assert build(built, formats=ALL).reasons == reasons(*PRINT, why="styles/custom-pdf.css changed")


def test_adding_custom_html_css_rebuilds_only_the_html_edition(built):
    (built / "styles").mkdir()
    (built / "styles" / "custom-html.css").write_text("h1 { letter-spacing: 0.01em; }\n")
    assert build(built, formats=ALL).reasons == {"html": "styles/custom-html.css added"}


def test_adding_custom_epub_css_rebuilds_only_the_epub(built):
    (built / "styles").mkdir()
    (built / "styles" / "custom-epub.css").write_text("h1 { letter-spacing: 0.01em; }\n")
    assert build(built, formats=ALL).reasons == {"epub": "styles/custom-epub.css added"}


@pytest.mark.parametrize(
    "name",
    ["content/notes.txt", "content/images/unused.svg", "content/facts/unused.yaml", "styles/notes.css", "README.md"],
)
def test_adding_a_file_no_output_uses_rebuilds_nothing(built, name):
    (built / name).parent.mkdir(exist_ok=True)
    (built / name).write_text(TREND_YAML if name.endswith(".yaml") else SQUARE_SVG)
    assert build(built, formats=ALL).outputs == {}


def test_a_new_article_rebuilds_every_output_of_a_project_that_takes_all_articles(built):
    edit(built / "report.yaml", "articles:\n  - only.md\n", "")
    build(built, formats=ALL)
    (built / "content" / "second.md").write_text("---\ntitle: A Second Look\n---\n\nThe count, repeated.\n")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/second.md added")


def test_a_new_version_of_the_builder_rebuilds_every_output(built, monkeypatch):
    import report_builder

    monkeypatch.setattr(report_builder, "__version__", "99.0")
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="tool versions changed")


def test_force_rebuilds_every_output(built):
    result = build(built, formats=ALL, force=True)
    assert (set(result.outputs), result.reasons) == (set(ALL), reasons(*ALL, why="--force"))


def test_deleting_the_pdf_rebuilds_only_the_pdf(built):
    (built / "build" / "minimal.pdf").unlink()
    assert build(built, formats=ALL).reasons == {"pdf": "minimal.pdf is missing"}


def test_an_output_edited_by_hand_is_rebuilt(built):
    (built / "build" / "minimal.html").write_text("<p>edited</p>\n")
    assert build(built, formats=ALL).reasons == {"html": "minimal.html was changed outside the build"}


def test_an_edit_saved_while_rendering_is_rebuilt_next_time(built, monkeypatch):
    engine = importlib.import_module("report_builder.build")  # the module, not the function it exports
    render = engine._write_outputs

    def render_while_the_editor_saves(*args, **kwargs):
        rendered = render(*args, **kwargs)
        edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
        return rendered

    (built / "build" / "minimal.html").unlink()
    monkeypatch.setattr(engine, "_write_outputs", render_while_the_editor_saves)
    build(built, formats=["html"])
    monkeypatch.undo()
    assert build(built, formats=["html"]).reasons == {"html": "content/only.md changed"}


# -- the chunk cache ------------------------------------------------------------------------------


def square_font(width: int) -> bytes:
    """A one-glyph TrueType font (a square for ★), `width` units wide, as a project might ship."""
    import io

    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    pen.moveTo((50, 0))
    for point in [(50, 700), (width - 50, 700), (width - 50, 0)]:
        pen.lineTo(point)
    pen.closePath()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "star"])
    builder.setupCharacterMap({0x2605: "star"})
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "star": pen.glyph()})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "star": (width, 50)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Brand", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    data = io.BytesIO()
    builder.save(data)
    return data.getvalue()


@pytest.fixture
def branded(write_project):
    """Two articles, so two chunks, whose headings are set in a font only the print stylesheet
    names (its bytes are in no chunk's key); the PDF built once."""
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n",
            "content/a.md": "---\ntitle: Alpha ★\n---\n\nThe first text.\n",
            "content/b.md": "---\ntitle: Beta ★\n---\n\nThe second text.\n",
            "styles/custom-pdf.css": (
                "@font-face { font-family: Brand; src: url(fonts/brand.ttf); }\nh1 { font-family: Brand, serif; }\n"
            ),
            "fonts/brand.ttf": square_font(700),
        }
    )
    assert build(root, formats=["pdf"], jobs=1).chunks == 2
    return root


def test_a_font_only_a_stylesheet_names_stays_an_input_of_a_pdf_made_from_cached_chunks(branded):
    with open(branded / "content" / "a.md", "a") as article:
        article.write("\n\n")  # the same HTML: every chunk comes from the cache
    result = build(branded, formats=["pdf"], jobs=1)
    files = State(branded / "build").records["pdf"]["files"]
    assert (result.reasons, result.chunks_laid_out, "fonts/brand.ttf" in files) == (
        {"pdf": "content/a.md changed"},
        0,
        True,
    )


def test_chunks_laid_out_in_a_font_that_changed_since_are_laid_out_again(branded):
    (branded / "fonts" / "brand.ttf").write_bytes(square_font(900))
    result = build(branded, formats=["pdf"], jobs=1)
    assert (result.reasons, result.chunks_laid_out) == ({"pdf": "fonts/brand.ttf changed"}, 2)


# -- the hash cache -------------------------------------------------------------------------------


def test_a_file_rewritten_within_one_timestamp_tick_is_hashed_again(tmp_path):
    article = tmp_path / "a.md"
    article.write_text("first\n")
    stamp = article.stat().st_mtime_ns
    state = State(tmp_path / "build")
    first = state.file_hash(article)
    article.write_text("again\n")  # same size, and the same mtime as a coarse clock would give
    os.utime(article, ns=(stamp, stamp))
    assert state.file_hash(article) != first


def test_a_build_after_one_that_read_settled_inputs_hashes_none_of_them_again(built, monkeypatch):
    """The state keeps the digest of the bytes each input gave the build, with the mtime it had."""
    import time

    import report_builder.stamps as stamps

    an_hour_ago = time.time() - 3600
    for path in built.rglob("*"):
        if path.is_file() and "build" not in path.relative_to(built).parts:
            os.utime(path, (an_hour_ago, an_hour_ago))
    build(built, formats=ALL, force=True)
    hashed = []
    read = stamps.read_regular
    monkeypatch.setattr(stamps, "read_regular", lambda path, *args: hashed.append(path) or read(path, *args))
    assert (build(built, formats=ALL).outputs, [p for p in hashed if "build" not in p.relative_to(built).parts]) == (
        {},
        [],
    )


def test_a_settled_file_is_not_read_again_while_its_mtime_and_size_hold(tmp_path):
    article = tmp_path / "a.md"
    article.write_text("first\n")
    os.utime(article, ns=(10**18, 10**18))  # 2001: long settled
    state = State(tmp_path / "build")
    first = state.file_hash(article)
    article.write_text("again\n")
    os.utime(article, ns=(10**18, 10**18))
    assert state.file_hash(article) == first


# -- failures and recovery ------------------------------------------------------------------------


def test_a_build_with_a_content_error_leaves_the_previous_outputs_byte_identical(built):
    before = contents(built)
    edit(built / "content" / "only.md", "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    with pytest.raises(ReportError):
        build(built, formats=ALL)
    assert contents(built) == before


def test_after_a_failed_build_reverting_the_error_leaves_everything_up_to_date(built):
    article = built / "content" / "only.md"
    original = article.read_text()
    edit(article, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    with pytest.raises(ReportError):
        build(built, formats=ALL)
    article.write_text(original)
    assert build(built, formats=ALL).outputs == {}


def test_a_build_interrupted_while_writing_keeps_the_previous_outputs_and_leaves_no_temporary(built, monkeypatch):
    import report_builder.output as output

    before = contents(built)
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")

    def interrupted_replace(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "os", SimpleNamespace(**{**vars(os), "replace": interrupted_replace}))
    with pytest.raises(KeyboardInterrupt):
        build(built, formats=ALL)
    assert (contents(built), sorted(os.listdir(built / "build"))) == (
        before,
        sorted([".report-builder", *(f"minimal.{fmt}" for fmt in ALL)]),
    )


def test_temporaries_left_by_a_killed_build_are_removed_by_the_next_build(built):
    (built / "build" / ".minimal.pdf.report-builder-k1ll3d.tmp").write_bytes(b"%PDF-1.7 half")
    (built / "build" / ".report-builder" / ".state.json.report-builder-k1ll3d.tmp").write_text("{")
    build(built, formats=ALL)
    assert sorted(p.name for p in (built / "build").rglob("*.tmp")) == []


def test_a_users_temporary_files_in_the_output_folder_survive_build_and_clean(built):
    mine = [".notes.tmp", ".minimal.pdf.notes.tmp", "draft.print.html"]
    for name in mine:
        (built / "build" / name).write_text("mine\n")
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    build(built, formats=ALL)
    clean(built)
    assert sorted(os.listdir(built / "build")) == sorted(mine)


def test_clean_removes_the_print_html_the_build_kept_because_the_state_lists_it(built):
    build(built, formats=["html"], keep_intermediate=True)
    build(built, formats=["pdf"], keep_intermediate=True)
    assert (built / "build" / "minimal.print.html").is_file()
    assert sorted(clean(built)) == sorted([*(f"minimal.{fmt}" for fmt in ALL), "minimal.print.html"])


def fill_the_disk_on_write(monkeypatch, number: int):
    """Make the `number`-th file the build writes fail with ENOSPC, as a full disk does."""
    import errno

    import report_builder.output as output

    opened = []

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd, mode):
        opened.append(fd)
        handle = os.fdopen(fd, mode)
        return FullDisk(handle) if len(opened) == number else handle

    monkeypatch.setattr(output, "os", SimpleNamespace(**{**vars(os), "fdopen": fdopen}))


def test_a_full_disk_while_writing_the_second_output_leaves_every_previous_output_byte_identical(built, monkeypatch):
    before = contents(built)
    state = (built / "build" / ".report-builder" / "state.json").read_bytes()
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    fill_the_disk_on_write(monkeypatch, 2)
    with pytest.raises(ReportError) as failure:
        build(built, formats=ALL)
    assert (
        [d.message for d in failure.value.diagnostics],
        contents(built),
        (built / "build" / ".report-builder" / "state.json").read_bytes(),
        sorted(p.name for p in (built / "build").rglob("*.tmp")),
    ) == (["cannot write the output: No space left on device"], before, state, [])


def test_after_a_full_disk_the_next_build_rebuilds_every_output(built, monkeypatch):
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    fill_the_disk_on_write(monkeypatch, 2)
    with pytest.raises(ReportError):
        build(built, formats=ALL)
    monkeypatch.undo()
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/only.md changed")


def test_an_article_edited_just_after_it_was_read_gives_editions_that_agree_and_is_rebuilt_next(built, monkeypatch):
    """The editor saves while the build renders: every edition has the text as it was read (the
    HTML edition, rendered in another process, too), and the next build sees the edit."""
    import report_builder.content as content

    read = content.read_text

    saved = []

    def read_then_the_editor_saves(path, *args, **kwargs):
        text = read(path, *args, **kwargs)
        if Path(path).name == "only.md" and not saved:
            edit(path, "sweeping their steps", "painting their doors")
            saved.append(path)
        return text

    monkeypatch.setattr(content, "read_text", read_then_the_editor_saves)
    build(built, formats=ALL, force=True, jobs=2)
    monkeypatch.undo()
    import pypdf

    pages = pypdf.PdfReader(outputs(built)["pdf"]).pages
    texts = {"pdf": " ".join(page.extract_text() for page in pages), "html": outputs(built)["html"].read_text()}
    import zipfile

    with zipfile.ZipFile(outputs(built)["epub"]) as book:
        texts["epub"] = " ".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml"))
    assert {fmt: ("sweeping" in " ".join(text.split()), "painting" in text) for fmt, text in texts.items()} == {
        fmt: (True, False) for fmt in ALL
    }
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="content/only.md changed")


def test_a_corrupt_state_file_rebuilds_every_output(built):
    (built / "build" / ".report-builder" / "state.json").write_text('{"stamp_vers')
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="no previous build")


# -- clean ----------------------------------------------------------------------------------------


def test_clean_removes_the_outputs_and_the_build_state(built):
    removed = clean(built)
    assert (sorted(removed), (built / "build").exists()) == (sorted(f"minimal.{fmt}" for fmt in ALL), False)


def test_clean_keeps_files_it_did_not_write(built):
    (built / "build" / "notes.txt").write_text("mine\n")
    clean(built)
    assert sorted(os.listdir(built / "build")) == ["notes.txt"]


def test_a_build_after_clean_rebuilds_every_output(built):
    clean(built)
    assert build(built, formats=ALL).reasons == reasons(*ALL, why="no previous build")


def test_a_file_that_gave_two_readers_of_one_build_different_bytes_fails_it_and_keeps_every_output(built, monkeypatch):
    """The HTML edition's process read the article after it was saved again: nothing is replaced."""
    import report_builder.readlog as readlog
    from report_builder.writers import WRITERS

    write = WRITERS["html"].write

    def render_as_if_the_file_had_changed(job):
        readlog.active().digests[str((job.project.root / "content" / "only.md").resolve())] = "0" * 64
        return write(job)

    before = contents(built)
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    monkeypatch.setitem(WRITERS, "html", dataclasses.replace(WRITERS["html"], write=render_as_if_the_file_had_changed))
    with pytest.raises(ReportError) as failure:
        build(built, formats=ALL, jobs=2)
    assert ([str(d) for d in failure.value.diagnostics], contents(built)) == (
        ["content/only.md: error: changed while the build was reading it; the previous outputs were kept: build again"],
        before,
    )


def test_every_read_of_a_file_within_a_build_gets_the_bytes_of_the_first(tmp_path):
    from report_builder import readlog

    article = tmp_path / "a.md"
    article.write_text("first\n")
    with readlog.recording() as log:
        first = readlog.read_bytes(article)
        article.write_text("saved again\n")
        digest = log.digests[str(article.resolve())]
        assert (readlog.read_bytes(article), digest) == (first, hashlib.sha256(b"first\n").hexdigest())


def test_what_each_output_read_is_recorded_for_that_output_alone(tmp_path):
    from report_builder import readlog

    for name in ("shared.md", "print.html", "web.html"):
        (tmp_path / name).write_text(name)
    with readlog.recording(["pdf", "html"]) as log:
        readlog.read_bytes(tmp_path / "shared.md")
        with readlog.reading_for(["pdf"]):
            readlog.read_bytes(tmp_path / "print.html")
            readlog.probe_file(tmp_path, tmp_path / "custom-pdf.css")
        with readlog.reading_for(["html"]):
            readlog.read_bytes(tmp_path / "web.html")
            readlog.read_bytes(tmp_path / "shared.md")  # again: from the bytes kept, still noted
    records = {fmt: log.record_for(fmt) for fmt in ("pdf", "html")}
    assert {fmt: (sorted(Path(key).name for key in r.digests), r.listings) for fmt, r in records.items()} == {
        "pdf": (["print.html", "shared.md"], {"custom-pdf.css": []}),
        "html": (["shared.md", "web.html"], {}),
    }


# -- signals during the commit --------------------------------------------------------------------


def build_stopped_at(root: Path, point: str, signum: int, tmp_path: Path) -> int:
    """Run `build` in a child process, pause it at `point` of the commit, send it `signum`;
    return its exit code."""
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / f"paused-{point}"
    env = {
        **os.environ,
        "REPORT_BUILDER_TEST_PAUSE_AT": point,
        "REPORT_BUILDER_TEST_PAUSE_MARKER": str(marker),
        "REPORT_BUILDER_TEST_PAUSE_SECONDS": "1",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "report_builder", "build", "--project", str(root), "-j", "1", "-q", *ALL],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # a test run started in the background (`pytest &`) ignores SIGINT, and so would the build
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the build never reached the pause"
    child.send_signal(signum)
    return child.wait(timeout=60)


#: (where the build is stopped, with which signal, the outputs it leaves, its exit code)
STOPS = [
    ("staged", "SIGINT", "old", 130),
    ("renaming", "SIGINT", "new", 130),
    ("renaming", "SIGTERM", "new", -15),
    ("renaming", "SIGKILL", "old", -9),
]


@pytest.mark.parametrize("point, name, kept, code", STOPS)
def test_a_signal_during_the_commit_leaves_every_output_old_or_every_output_new_and_the_next_build_knows(
    built, tmp_path, point, name, kept, code
):
    """Stopped before the renames: every output old, all rebuilt next. Interrupted during them
    (SIGINT, SIGTERM are held until they are done): every output new, none rebuilt next."""
    import signal

    before = contents(built)
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    exit_code = build_stopped_at(built, point, getattr(signal, name), tmp_path)
    after = contents(built)
    rebuilt = set(build(built, formats=ALL).outputs)
    assert (
        exit_code,
        [fmt for fmt in ALL if after[fmt] == before[fmt]],
        rebuilt,
        sorted(p.name for p in (built / "build").rglob("*.tmp")),
    ) == (code, list(ALL) if kept == "old" else [], set(ALL) if kept == "old" else set(), [])


def test_a_build_killed_between_two_renames_is_completed_by_the_next_without_an_up_to_date_mixed_set(built, tmp_path):
    import signal

    before = contents(built)
    edit(built / "content" / "only.md", "sweeping their steps", "painting their doors")
    assert build_stopped_at(built, "between-renames", signal.SIGKILL, tmp_path) == -9
    mixed = contents(built)
    assert [fmt for fmt in ALL if mixed[fmt] == before[fmt]] == list(ALL[1:])  # the first rename landed, no other
    result = build(built, formats=ALL)
    assert (sorted(result.outputs), sorted(result.skipped), contents(built)["pdf"]) == (
        sorted(ALL[1:]),
        ["pdf"],
        mixed["pdf"],
    )
    assert build(built, formats=ALL).outputs == {}
