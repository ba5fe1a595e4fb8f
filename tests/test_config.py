"""report.yaml → Config: defaults, and every problem reported at its line and column."""

from __future__ import annotations

import datetime as dt

import pytest

from report_builder import ReportError
from report_builder.config import load_config
from report_builder.project import load_project


def config_of(write_project, text):
    return load_config(load_project(write_project({"report.yaml": text})))


def errors_of(write_project, text) -> list[str]:
    with pytest.raises(ReportError) as raised:
        config_of(write_project, text)
    return [str(d) for d in raised.value.diagnostics]


# -- values and defaults ----------------------------------------------------------------


def test_a_title_alone_gives_the_documented_defaults(write_project, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config = config_of(write_project, "title: The Smoke and the Rails\n")
    assert (
        config.slug,
        config.language,
        config.date,
        config.formats,
        config.pdf.page_size,
        config.pdf.toc,
        config.articles,
    ) == ("the-smoke-and-the-rails", "en-GB", dt.date(1980, 1, 1), ("pdf", "epub", "html"), "A4", None, None)


def test_without_a_date_the_build_date_comes_from_source_date_epoch(write_project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1762300800")  # 2025-11-05 00:00 UTC
    assert config_of(write_project, "title: T\n").date == dt.date(2025, 11, 5)


def test_identifier_is_derived_from_the_slug_and_language_and_stable_across_loads(write_project):
    first = config_of(write_project, "title: T\nslug: brief\n").identifier
    again = config_of(write_project, "title: Another title\nslug: brief\n").identifier
    ukrainian = config_of(write_project, "title: T\nslug: brief\nlanguage: uk\n").identifier
    assert (first, again) == ("urn:uuid:8cbcc9f6-0197-5dd1-aa0c-33f09a1c790f",) * 2
    assert ukrainian.startswith("urn:uuid:") and ukrainian != first


def test_letter_page_size_and_contents_switch_are_read(write_project):
    config = config_of(write_project, "title: T\npdf:\n  page_size: Letter\n  toc: false\n")
    assert (config.pdf.page_size, config.pdf.toc) == ("Letter", False)


def test_a_single_author_may_be_written_as_text(write_project):
    assert config_of(write_project, "title: T\nauthors: Briefing Desk\n").authors == ("Briefing Desk",)


def test_articles_keep_the_order_report_yaml_gives(write_project):
    config = config_of(write_project, "title: T\narticles:\n  - b.md\n  - a.md\n")
    assert (config.articles, config.article_positions) == (("b.md", "a.md"), ((3, 5), (4, 5)))


# -- errors ------------------------------------------------------------------------------


def test_unknown_key_is_reported_at_its_line(project):
    with pytest.raises(ReportError) as raised:
        load_config(load_project(project("bad/unknown-key")))
    assert [str(d) for d in raised.value.diagnostics] == ["report.yaml:3:1: error: unknown key 'colour'"]


def test_misspelt_key_suggests_the_key_meant(write_project):
    assert errors_of(write_project, "title: T\nsubtitel: S\n") == [
        "report.yaml:2:1: error: unknown key 'subtitel'; did you mean 'subtitle'?"
    ]


def test_misspelt_nested_key_suggests_the_full_key_meant(write_project):
    assert errors_of(write_project, "title: T\npdf:\n  page_sise: A4\n") == [
        "report.yaml:3:3: error: unknown key 'pdf.page_sise'; did you mean 'pdf.page_size'?"
    ]


def test_yaml_syntax_error_is_reported_where_the_parser_stopped(write_project):
    assert errors_of(write_project, "title: T\narticles: [a.md\n") == [
        "report.yaml:3:1: error: YAML syntax error: expected ',' or ']', but got '<stream end>'"
    ]


def test_report_yaml_that_is_not_a_mapping_is_an_error(write_project):
    assert errors_of(write_project, "- title: T\n") == [
        "report.yaml:1:1: error: report.yaml must be a mapping of keys to values"
    ]


def test_missing_title_is_an_error(write_project):
    assert errors_of(write_project, "slug: brief\n") == ["report.yaml:1:1: error: missing required key 'title'"]


def test_missing_report_yaml_says_how_to_start_a_project(tmp_path):
    with pytest.raises(ReportError) as raised:
        load_config(load_project(tmp_path))
    assert [str(d) for d in raised.value.diagnostics] == [
        "report.yaml: error: no report.yaml here; run 'report-builder init DIR' to start a project"
    ]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("language: English", "report.yaml:2:11: error: language 'English' is not a BCP 47 tag such as 'en-GB'"),
        ("language: xx", "report.yaml:2:11: error: unknown language 'xx'"),
        ("date: soon", "report.yaml:2:7: error: 'date' must be a date written YYYY-MM-DD, not 'soon'"),
        ("date: 2025-13-01", "report.yaml:2:7: error: 'date' must be a date written YYYY-MM-DD, not '2025-13-01'"),
        (
            "slug: My Brief",
            "report.yaml:2:7: error: slug 'My Brief' must use lowercase letters, digits, '.', '_' and '-'",
        ),
        ("formats: [pdf, docx]", "report.yaml:2:10: error: formats must be a list drawn from pdf, epub, html"),
        ("articles: a.md", "report.yaml:2:11: error: articles must be a list of file names in content/"),
        ("authors: [1, 2]", "report.yaml:2:10: error: 'authors' must be a list of text"),
        ("subtitle: [a, b]", "report.yaml:2:11: error: 'subtitle' must be text"),
        ("marking: {level: secret}", "report.yaml:2:10: error: 'marking' must be text"),
        ("allow_remote_images: maybe", "report.yaml:2:22: error: 'allow_remote_images' must be true or false"),
        ("pdf: A4", "report.yaml:2:6: error: 'pdf' must be a mapping"),
        ("pdf: {page_size: A5}", "report.yaml:2:18: error: pdf.page_size must be one of A4, Letter, not 'A5'"),
        ("pdf: {toc: sometimes}", "report.yaml:2:12: error: pdf.toc must be true or false"),
        (
            "epub: {split_level: two}",
            "report.yaml:2:21: error: epub.split_level must be a whole number such as 1, not 'two'",
        ),
    ],
)
def test_a_value_of_the_wrong_kind_is_reported_at_the_value(write_project, line, error):
    assert errors_of(write_project, f"title: T\n{line}\n") == [error]


def test_every_problem_in_report_yaml_is_reported_together(write_project):
    text = "titel: T\nlanguage: xx\ndate: soon\npdf:\n  toc: sometimes\nsubtitle: [a]\n"
    assert errors_of(write_project, text) == [
        "report.yaml:1:1: error: missing required key 'title'",
        "report.yaml:1:1: error: unknown key 'titel'; did you mean 'title'?",
        "report.yaml:2:11: error: unknown language 'xx'",
        "report.yaml:3:7: error: 'date' must be a date written YYYY-MM-DD, not 'soon'",
        "report.yaml:5:8: error: pdf.toc must be true or false",
        "report.yaml:6:11: error: 'subtitle' must be text",
    ]


# -- the options table ------------------------------------------------------------------


def readme_keys() -> list[str]:
    """The keys of the README's report.yaml table, in its order."""
    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("### report.yaml\n", 1)[1].strip().split("\n\n", 1)[0]
    return [line.split("|")[1].strip().strip("`") for line in table.splitlines()[2:]]


def test_the_readme_table_lists_every_report_yaml_key_and_no_other():
    from report_builder.config import options

    assert readme_keys() == [option.key for option in options()]


def test_every_key_has_a_line_of_documentation():
    from report_builder.config import options

    assert [option.key for option in options() if not option.doc.strip()] == []


def test_a_key_that_was_never_read_is_refused_with_what_to_do(write_project):
    assert errors_of(write_project, "title: T\naccessibility:\n  summary: yes\n") == [
        "report.yaml:2:1: error: 'accessibility' is not read: the EPUB's accessibility metadata is derived from "
        "the content; remove the key"
    ]


def test_the_html_layout_is_single_by_default_and_accepts_single(write_project):
    assert (
        config_of(write_project, "title: T\n").html.layout,
        config_of(write_project, "title: T\nhtml: {layout: single}\n").html.layout,
    ) == ("single", "single")


def test_another_html_layout_is_an_error_at_its_value(write_project):
    assert errors_of(write_project, "title: T\nhtml: {layout: book}\n") == [
        "report.yaml:2:16: error: html.layout must be one of single, pages, not 'book'"
    ]


def test_a_key_declared_with_its_type_alone_is_read_and_checked_from_the_declaration():
    """What adding a key takes (see README, Development): one field, its type and its doc."""
    import dataclasses

    from report_builder import config
    from report_builder.errors import Collector
    from report_builder.inputs import parse_yaml

    @dataclasses.dataclass(frozen=True)
    class Extra:
        depth: int = config.option(2, "levels")
        names: tuple[str, ...] = config.option((), "names")
        strict: bool = config.option(False, "a switch")

    def read(text):
        errors = Collector()
        values = config._read(Extra, config._Reader(parse_yaml(text, "x.yaml"), "extra.", errors, "x.yaml", None))
        return Extra(**values), sorted(str(d) for d in errors.diagnostics)

    assert read("depth: 3\nnames: [a, b]\nstrict: true\n") == (Extra(3, ("a", "b"), True), [])
    assert read("depth: two\nnames: 5\nstrict: 1\nother: 1\n") == (
        Extra(),
        [
            "x.yaml:1:8: error: extra.depth must be a whole number, not 'two'",
            "x.yaml:2:8: error: extra.names must be a list of text",
            "x.yaml:3:9: error: extra.strict must be true or false",
            "x.yaml:4:1: error: unknown key 'extra.other'",
        ],
    )


def test_a_long_title_gives_a_slug_cut_at_a_word_that_makes_a_file_name(write_project):
    """A 300-character title made a file name over the 255 bytes a file system allows."""
    title = ("Regional water infrastructure outlook and quarterly briefing for the ministry " * 4)[:300].strip()
    slug = load_config(load_project(write_project({"report.yaml": f'title: "{title}"\n'}))).slug
    assert len(slug) <= 200 and slug.startswith("regional-water-") and not slug.endswith("-")
    assert title.lower().replace(" ", "-").startswith(slug + "-")  # whole words only


def test_a_slug_longer_than_a_file_name_allows_is_an_error_at_its_line(write_project):
    root = write_project({"report.yaml": "title: T\nslug: " + "a" * 201 + "\n"})
    with pytest.raises(ReportError) as raised:
        load_config(load_project(root))
    assert [str(d) for d in raised.value.diagnostics] == [
        "report.yaml:2:7: error: slug has 201 characters; at most 200 make a file name"
    ]


def test_running_title_is_the_head_title_and_the_title_otherwise(write_project):
    shown = []
    for extra in ("", "running_title: Outlook\n"):
        config = load_config(
            load_project(write_project({"report.yaml": f"title: Long title\n{extra}"}, name=extra[:3] or "x"))
        )
        shown.append(config.head_title)
    assert shown == ["Long title", "Outlook"]
