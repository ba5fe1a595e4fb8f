"""Bounded inputs and no internal errors: hostile YAML (alias bombs, deep nesting, huge integers),
wrong types in report.yaml, a bad SOURCE_DATE_EPOCH, oversized CSV cells, SVGs WeasyPrint cannot
load, and output folders that cannot be written are each one located line, exit 1, no traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from report_builder import ReportError
from report_builder.build import check
from report_builder.cli import main
from report_builder.errors import shorten
from report_builder.inputs import parse_yaml

ARTICLE = "---\ntitle: A\n---\n\nText.\n"
#: nine levels of nine: expanded, 387 million strings from 350 bytes
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi")
)
REPEATS = "aliases and merge keys repeat more than 100,000 values; write the data without them"
TOO_DEEP = "lists and mappings are nested more than 100 levels deep"


def problems(root) -> list[str]:
    with pytest.raises(ReportError) as raised:
        check(root)
    return [str(d) for d in raised.value.diagnostics]


def yaml_problems(text: str) -> list[str]:
    with pytest.raises(ReportError) as raised:
        parse_yaml(text, "x.yaml")
    return [str(d) for d in raised.value.diagnostics]


def png_header(width, height):
    """A PNG that is only a signature, an IHDR chunk and IEND: enough for a reader to know its size."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


# -- YAML: aliases --------------------------------------------------------------------------------


def test_an_alias_bomb_in_report_yaml_is_refused_at_its_alias(write_project):
    root = write_project({"report.yaml": "title: T\narticles: [a.md]\n" + BOMB + "date: *i\n", "content/a.md": ARTICLE})
    assert problems(root) == [f"report.yaml:8:8: error: {REPEATS}"]


def test_an_alias_bomb_in_a_fact_table_is_refused_at_its_alias(write_project):
    table = BOMB + "columns: [{key: value, type: number}]\nrows:\n  - {id: x, value: *i}\n"
    root = write_project({"content/facts/t.yaml": table, "content/a.md": ARTICLE})
    assert problems(root) == [f"content/facts/t.yaml:6:8: error: {REPEATS}"]


def test_an_alias_bomb_is_refused_within_a_second():
    started = time.perf_counter()
    found = yaml_problems(BOMB + "rows: *i\n")
    assert (found, time.perf_counter() - started < 1) == ([f"x.yaml:6:8: error: {REPEATS}"], True)


def test_an_alias_bomb_in_front_matter_is_refused_at_its_line_in_the_article(write_project):
    root = write_project({"content/a.md": "---\ntitle: A\n" + BOMB + "summary: *i\n---\n\nText.\n"})
    assert problems(root) == [f"content/a.md:8:8: error: {REPEATS}"]


def test_an_alias_bomb_written_as_block_lists_is_refused_at_the_alias_line():
    block = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{name}: &{name}\n" + f"  - *{previous}\n" * 9 for previous, name in zip("abcdefgh", "bcdefghi")
    )
    assert yaml_problems(block) == [f"x.yaml:43:5: error: {REPEATS}"]


def test_merge_keys_that_repeat_too_many_values_are_refused_at_the_merge_key():
    base = "base: &base {" + ", ".join(f"k{i}: {i}" for i in range(1000)) + "}\nrows:\n"
    assert yaml_problems(base + "  - {<<: *base, id: r}\n" * 101) == [f"x.yaml:103:6: error: {REPEATS}"]


def test_anchors_aliases_and_merge_keys_of_ordinary_size_still_load():
    text = "defaults: &d {unit: km, source: Ministry}\nrows:\n  - {<<: *d, id: a}\n  - {<<: *d, id: b, unit: m}\n"
    assert parse_yaml(text, "x.yaml")["rows"] == [
        {"unit": "km", "source": "Ministry", "id": "a"},
        {"unit": "m", "source": "Ministry", "id": "b"},
    ]


def test_an_alias_that_puts_its_anchor_too_deep_is_refused_at_the_alias():
    text = "a: &a [[[[1]]]]\nb: " + "[" * 97 + "*a" + "]" * 97 + "\n"
    assert yaml_problems(text) == [f"x.yaml:2:101: error: {TOO_DEEP}"]


def test_a_list_that_contains_itself_is_a_located_error():
    assert yaml_problems("a: &a [*a]\n") == [
        "x.yaml:1:4: error: YAML syntax error: found unconstructable recursive node"
    ]


# -- YAML: depth ----------------------------------------------------------------------------------


def test_report_yaml_nested_ten_thousand_deep_is_one_located_error_at_level_101(write_project, run_cli):
    root = write_project({"report.yaml": "title: T\nx: " + "[" * 10_000 + "]" * 10_000 + "\n", "content/a.md": ARTICLE})
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (1, f"report.yaml:2:103: error: {TOO_DEEP}\n")


def test_a_fact_table_of_brackets_filling_the_size_limit_is_refused_within_a_second():
    started = time.perf_counter()
    found = yaml_problems("x: " + "[" * 2_500_000 + "]" * 2_500_000)
    assert (found, time.perf_counter() - started < 1) == ([f"x.yaml:1:103: error: {TOO_DEEP}"], True)


def test_block_mappings_nested_too_deep_are_refused_at_the_first_level_too_many():
    text = "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "x\n"
    assert yaml_problems(text) == [f"x.yaml:101:101: error: {TOO_DEEP}"]


def test_a_yaml_syntax_error_under_deep_nesting_is_refused_for_its_depth_first():
    assert yaml_problems("x: " + "[" * 1500 + "}") == [f"x.yaml:1:103: error: {TOO_DEEP}"]


def test_yaml_nested_exactly_one_hundred_levels_deep_loads():
    value = parse_yaml("x: " + "[" * 99 + "]" * 99 + "\n", "x.yaml")["x"]
    depth = 1
    while value:
        value, depth = value[0], depth + 1
    assert depth == 99


# -- YAML: integers and tags ----------------------------------------------------------------------


def test_a_5000_digit_integer_in_report_yaml_is_a_located_error(write_project, run_cli):
    root = write_project({"report.yaml": "title: T\nsubtitle: " + "9" * 5000 + "\n", "content/a.md": ARTICLE})
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "report.yaml:2:11: error: integer has 5,000 digits; the limit is 30\n",
    )


def test_a_5000_digit_integer_in_front_matter_is_a_located_error(write_project):
    root = write_project({"content/a.md": "---\ntitle: A\nsummary: " + "9" * 5000 + "\n---\n\nText.\n"})
    assert problems(root) == ["content/a.md:3:10: error: integer has 5,000 digits; the limit is 30"]


def test_a_5000_digit_integer_in_a_yaml_fact_table_cell_is_a_located_error(write_project):
    table = "columns: [{key: value, type: number}]\nrows:\n  - {id: r, value: " + "9" * 5000 + "}\n"
    root = write_project({"content/facts/t.yaml": table, "content/a.md": ARTICLE})
    assert problems(root) == ["content/facts/t.yaml:3:20: error: integer has 5,000 digits; the limit is 30"]


def test_a_5000_digit_number_in_a_csv_cell_is_a_located_error_quoting_its_start(write_project):
    root = write_project(
        {
            "content/facts/t.csv": "id,value\nr," + "9" * 5000 + "\n",
            "content/facts/t.yaml": "columns: [{key: value, type: number}]\n",
            "content/a.md": ARTICLE,
        }
    )
    assert problems(root) == [
        f"content/facts/t.csv:2:3: error: column 'value' (number): a number has at most 30 digits, not '{'9' * 40}…'"
    ]


def test_an_integer_of_thirty_digits_loads():
    assert parse_yaml("n: 123456789012345678901234567890\n", "x.yaml")["n"] == 123456789012345678901234567890


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("n: 0x" + "f" * 26, "x.yaml:1:4: error: integer has more than 30 digits; the limit is 30"),
        ("n: " + "1:" * 100 + "1", "x.yaml:1:4: error: integer has 101 digits; the limit is 30"),
    ],
)
def test_an_integer_written_short_but_too_large_is_refused(text, error):
    assert yaml_problems(text) == [error]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: !!seq abc", "x.yaml:1:4: error: expected a list, found a scalar"),
        ("a: !!map abc", "x.yaml:1:4: error: expected a mapping, found a scalar"),
        ("a: !!float x", "x.yaml:1:4: error: 'x' is not a number"),
        ("a: !!bool x", "x.yaml:1:4: error: 'x' is not true or false"),
        ("a: !!int x", "x.yaml:1:4: error: 'x' is not a whole number"),
    ],
)
def test_an_explicit_tag_on_the_wrong_kind_of_value_is_a_located_error(text, error):
    assert yaml_problems(text) == [error]


@pytest.mark.parametrize("tag", ["binary", "omap", "pairs", "set"])
def test_tags_that_build_more_than_plain_data_are_refused_at_the_value(tag):
    assert yaml_problems(f"a: !!{tag} [x]\n" if tag != "binary" else "a: !!binary aGk=\n") == [
        f"x.yaml:1:4: error: YAML tag '!!{tag}' is not allowed: write plain text, numbers, dates, lists and mappings"
    ]


# -- a key written twice -----------------------------------------------------------------------------


def test_a_section_written_twice_in_report_yaml_is_refused_at_the_second(write_project):
    """YAML keeps the last of two equal keys: the first `pdf:` would be lost without a word."""
    root = write_project(
        {"report.yaml": "title: T\npdf:\n  toc: true\nmarking: M\npdf:\n  duplex: true\n", "content/a.md": ARTICLE}
    )
    assert problems(root) == ["report.yaml:5:1: error: duplicate key 'pdf' (first on line 2)"]


def test_a_figure_written_twice_in_a_fact_row_is_refused_rather_than_one_kept():
    text = "rows:\n  - id: a\n    value: 100\n    value: 1000\n"
    assert yaml_problems(text) == ["x.yaml:4:5: error: duplicate key 'value' (first on line 3)"]


def test_a_key_merged_in_with_a_merge_key_may_still_be_overridden():
    assert parse_yaml("base: &b {k: 1, j: 2}\nmine:\n  <<: *b\n  k: 3\n", "x.yaml")["mine"] == {"k": 3, "j": 2}


# -- messages quote at most forty characters -------------------------------------------------------


def test_an_unknown_key_of_a_megabyte_is_quoted_by_its_first_forty_characters(write_project):
    root = write_project({"report.yaml": "title: T\n? " + "k" * 1_000_000 + "\n: 1\n", "content/a.md": ARTICLE})
    assert problems(root) == [f"report.yaml:2:3: error: unknown key '{'k' * 40}…'"]


def test_a_wrong_date_that_is_a_long_list_is_quoted_cut_to_forty_characters(write_project):
    root = write_project({"report.yaml": "title: T\ndate: [" + "1, " * 10_000 + "1]\n", "content/a.md": ARTICLE})
    assert problems(root) == [
        "report.yaml:2:7: error: 'date' must be a date written YYYY-MM-DD, not [1, 1, 1, 1, 1, 1, ...]"
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("short", "'short'"),
        ("x" * 41, f"'{'x' * 40}…'"),
        ("a\nb", "'a\\nb'"),
        (dt.date(2025, 1, 31), "2025-01-31"),
        ({"level": "secret"}, "{'level': 'secret'}"),
        (list(range(10**6)), "[0, 1, 2, 3, 4, 5, ...]"),
        ([[[["deep"]]]], "[[[[...]]]]"),
    ],
)
def test_shorten_quotes_a_value_as_written_cut_to_forty_characters(value, shown):
    assert shorten(value) == shown


# -- report.yaml: every setting's type ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            "epub: {cover: [a, b]}",
            "report.yaml:2:15: error: epub.cover must be the path of an image in the project, "
            "such as 'content/images/cover.png'",
        ),
        (
            "epub: {conforms_to: 11}",
            "report.yaml:2:21: error: epub.conforms_to must be text: the address or name of the "
            "standard the EPUB meets, such as 'EPUB Accessibility 1.1 - WCAG 2.1 Level AA'",
        ),
        (
            "epub: {split_level: x}",
            "report.yaml:2:21: error: epub.split_level must be a whole number such as 1, not 'x'",
        ),
        (
            "epub: {split_level: 2}",
            "report.yaml:2:21: error: epub.split_level 2 is not supported: the EPUB has one file "
            "per article (split_level: 1)",
        ),
        (
            "epub: {cover: content/none.png}",
            "report.yaml:2:15: error: epub.cover 'content/none.png' is not a file inside the project",
        ),
        (
            "epub: {cover: ../../etc/passwd}",
            "report.yaml:2:15: error: epub.cover '../../etc/passwd' is not a file inside the project",
        ),
        (
            "epub: {cover: content/a.md}",
            "report.yaml:2:15: error: epub.cover 'content/a.md' must be a PNG, JPEG, GIF or WebP image",
        ),
        ("epub: [cover]", "report.yaml:2:7: error: 'epub' must be a mapping"),
        ("pdf: {duplex: 1}", "report.yaml:2:15: error: pdf.duplex must be true or false"),
        ("pdf: {variant: [pdf/ua-1]}", "report.yaml:2:16: error: unknown PDF variant ['pdf/ua-1']"),
        ("pdf: {page_size: {a: 4}}", "report.yaml:2:18: error: pdf.page_size must be one of A4, Letter, not {'a': 4}"),
        ("formats: {pdf: true}", "report.yaml:2:10: error: formats must be a list drawn from pdf, epub, html"),
        ("articles: [1]", "report.yaml:2:11: error: articles must be a list of file names in content/"),
        ("authors: {name: A}", "report.yaml:2:10: error: 'authors' must be a list of text"),
        ("keywords: 5", "report.yaml:2:11: error: 'keywords' must be a list of text"),
        ("date: [2025]", "report.yaml:2:7: error: 'date' must be a date written YYYY-MM-DD, not [2025]"),
        ("raw_html: 'yes'", "report.yaml:2:11: error: 'raw_html' must be true or false"),
        ("subtitle: {a: b}", "report.yaml:2:11: error: 'subtitle' must be text"),
    ],
)
def test_a_setting_of_the_wrong_type_is_a_located_error(write_project, line, error):
    root = write_project({"report.yaml": f"title: T\n{line}\n", "content/a.md": ARTICLE})
    assert problems(root) == [error]


def test_a_cover_over_the_pixel_limit_is_refused_when_checking(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles: [a.md]\nepub:\n  cover: content/images/c.png\n",
            "content/images/c.png": png_header(10_000, 10_000),
            "content/a.md": ARTICLE,
        }
    )
    assert problems(root) == [
        "report.yaml:4:10: error: epub.cover 'content/images/c.png' has 100,000,000 pixels; the limit is 50,000,000"
    ]


def test_check_reports_epub_settings_and_content_problems_in_one_run(write_project, run_cli):
    root = write_project(
        {
            "report.yaml": "title: T\narticles: [a.md]\nepub:\n  cover: [x]\n  conforms_to: 11\n",
            "content/a.md": "---\ntitle: A\nsubtitle: [s]\n---\n\nText.\n",
        }
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr.splitlines()) == (
        1,
        [
            "content/a.md:3:11: error: 'subtitle' must be text",
            "report.yaml:4:10: error: epub.cover must be the path of an image in the project, such as "
            "'content/images/cover.png'",
            "report.yaml:5:16: error: epub.conforms_to must be text: the address or name of the standard the EPUB meets, "
            "such as 'EPUB Accessibility 1.1 - WCAG 2.1 Level AA'",
        ],
    )


# -- SOURCE_DATE_EPOCH ------------------------------------------------------------------------------


@pytest.mark.parametrize("epoch", ["99999999999999999", "253402300800", "yesterday", "-1", "1.5"])
def test_a_source_date_epoch_that_is_no_time_is_one_line_naming_the_variable(write_project, run_cli, epoch):
    root = write_project({"content/a.md": ARTICLE})
    result = run_cli("check", "--project", root, env={"SOURCE_DATE_EPOCH": epoch})
    assert (result.exit_code, result.stderr) == (
        1,
        (
            f"report-builder: error: SOURCE_DATE_EPOCH={shorten(epoch)} is not a time from 1970 to 9999: set it to the "
            "seconds since 1970-01-01 00:00 UTC (date +%s), or give report.yaml a date\n"
        ),
    )


def test_source_date_epoch_is_not_read_when_report_yaml_gives_the_date(write_project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999999")
    root = write_project({"report.yaml": "title: T\ndate: 2025-01-31\narticles: [a.md]\n", "content/a.md": ARTICLE})
    assert check(root).config.date == dt.date(2025, 1, 31)


def test_an_empty_source_date_epoch_counts_as_unset(write_project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert check(write_project({"content/a.md": ARTICLE})).config.date == dt.date(1980, 1, 1)


# -- CSV -------------------------------------------------------------------------------------------


def test_a_csv_cell_over_128_kb_is_refused_at_its_line(write_project):
    root = write_project({"content/facts/t.csv": "id,label\nr1,x\nr2," + "x" * 140_000 + "\n", "content/a.md": ARTICLE})
    assert problems(root) == [
        "content/facts/t.csv:3:1: error: a field is longer than 131,072 characters, the limit for a CSV cell"
    ]


# -- resources WeasyPrint cannot load -------------------------------------------------------------


def test_an_svg_that_is_not_xml_is_refused_at_the_article_line_with_the_reason(write_project, run_cli):
    root = write_project(
        {
            "content/a.md": ARTICLE + "\n![A drawing](images/x.svg)\n",
            "content/images/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'><rect</svg>\n",
        }
    )
    result = run_cli("build", "pdf", "-q", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "content/a.md:7:1: error: image 'images/x.svg' cannot be loaded: content/images/x.svg is not valid XML: "
            "not well-formed (invalid token): line 1, column 45\n"
        ),
    )


def test_an_image_an_svg_takes_from_outside_is_refused_at_the_image_line_as_written(write_project, run_cli):
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>\n"
        "<image href='../../../../../../etc/hostname' width='5' height='5'/></svg>\n"
    )
    root = write_project({"content/a.md": ARTICLE + "\n![A drawing](images/y.svg)\n", "content/images/y.svg": svg})
    result = run_cli("build", "pdf", "-q", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "content/a.md:7:1: error: image 'images/y.svg' → '../../../../../../etc/hostname' is outside the project; "
            "copy the file into the project\n"
        ),
    )


def test_an_epub_dated_after_2107_builds_with_its_zip_dated_2107(write_project):
    import zipfile

    from report_builder import build

    root = write_project({"report.yaml": "title: T\ndate: 2200-01-01\narticles: [a.md]\n", "content/a.md": ARTICLE})
    epub = build(root, formats=["epub"], jobs=1).outputs["epub"]
    assert {info.date_time for info in zipfile.ZipFile(epub).infolist()} == {(2107, 12, 31, 0, 0, 0)}


# -- output folders ---------------------------------------------------------------------------------


@pytest.fixture
def built_html(write_project, monkeypatch):
    """A project with its HTML edition built into build/, the working folder its root."""
    root = write_project({"content/a.md": ARTICLE})
    monkeypatch.chdir(root)
    assert main(["build", "html", "-q"]) == 0
    return root, (root / "build" / "t.html").read_bytes()


def test_an_output_folder_that_is_a_file_is_one_line(write_project, run_cli):
    root = write_project({"content/a.md": ARTICLE, "out": "not a folder\n"})
    result = run_cli("build", "html", "-q", "--out", "out", cwd=root)
    assert (result.exit_code, result.stderr, (root / "out").read_text()) == (
        1,
        "report-builder: error: cannot write to out: it is a file, not a folder\n",
        "not a folder\n",
    )


def test_a_full_disk_is_one_line_naming_the_output_and_leaves_it_untouched(built_html, monkeypatch, capsys):
    root, before = built_html
    (root / "content" / "a.md").write_text(ARTICLE + "More.\n")

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    code = main(["build", "html", "-q"])
    assert (code, capsys.readouterr().err, (root / "build" / "t.html").read_bytes()) == (
        1,
        "build/t.html: error: cannot write the output: No space left on device\n",
        before,
    )


def _mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return (
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True).returncode
        == 0
    )


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB tmpfs, where the machine lets the tests mount one (root in a container does)."""
    folder = tmp_path / "disk"
    if not _mount_tmpfs(folder, "size=256k"):
        pytest.skip("cannot mount a tmpfs here; test_a_full_disk_is_one_line… injects the fault instead")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_disk_leaves_the_previous_output_byte_identical(write_project, run_cli, small_disk):
    root = write_project({"content/a.md": ARTICLE})
    assert run_cli("build", "html", "-q", "--project", root, "--out", small_disk).exit_code == 0
    before = (small_disk / "t.html").read_bytes()
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 1024))
    (root / "content" / "a.md").write_text(ARTICLE + "Long text. " * 2000 + "\n")
    result = run_cli("build", "html", "-q", "--project", root, "--out", small_disk)
    assert (result.exit_code, result.stderr, (small_disk / "t.html").read_bytes()) == (
        1,
        f"{small_disk / 't.html'}: error: cannot write the output: No space left on device\n",
        before,
    )


def test_a_read_only_output_folder_is_one_line(write_project, run_cli, tmp_path):
    root = write_project({"content/a.md": ARTICLE})
    folder = tmp_path / "read-only"
    mounted = _mount_tmpfs(folder, "ro,size=64k")
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("root writes anywhere and cannot mount a read-only tmpfs here")
        folder.chmod(0o555)
    try:
        result = run_cli("build", "html", "-q", "--project", root, "--out", folder / "out")
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
    reason = "Read-only file system" if mounted else "Permission denied"
    assert (result.exit_code, result.stderr) == (1, f"report-builder: error: cannot write {folder / 'out'}: {reason}\n")


def test_a_control_character_in_an_article_is_refused_at_its_place(write_project):
    root = write_project({"content/a.md": "---\ntitle: T\n---\nForm\ffeed.\n"})
    assert problems(root) == [
        "content/a.md:4:5: error: character U+000C cannot be published (no edition can carry "
        "a control character); remove it"
    ]


def test_a_control_character_written_as_a_yaml_escape_is_refused_at_its_value(write_project):
    root = write_project(
        {
            "report.yaml": 'title: T\nmarking: "Internal\\f"\narticles: [a.md]\n',
            "content/a.md": "---\ntitle: T\n---\nText.\n",
        }
    )
    assert problems(root) == [
        "report.yaml:2:10: error: character U+000C cannot be published (no edition can carry "
        "a control character); remove it"
    ]
