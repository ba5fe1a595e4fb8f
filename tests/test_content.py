"""Articles: Markdown and front matter in, headings, facts and figures out, and every
content problem reported at its file:line:col (lines count from the top of the file)."""

from __future__ import annotations

import pytest

from report_builder import ReportError, check
from report_builder.model import Heading, Image

NUMBERS = """\
title: Numbers
source: Kyiv general staff
columns:
  - {key: label, title: Measure}
  - {key: value, title: Figure, type: number}
  - {key: share, title: Share, type: percent}
rows:
  - {id: prewar_population, label: Pre-war population, value: 60000, qualifier: more than, share: 100}
  - {id: remaining, label: Residents remaining, value: 1200, qualifier: roughly, share: 2}
"""

PIXEL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>\n'


def article(body: str, front: str = "title: A\n") -> str:
    return f"---\n{front}---\n\n{body}"


def errors_of(root) -> list[str]:
    with pytest.raises(ReportError) as raised:
        check(root)
    return [str(d) for d in raised.value.diagnostics]


def errors_in(write_project, body: str, front: str = "title: A\n", **files) -> list[str]:
    """Diagnostics for content/a.md written from `body`, beside the NUMBERS table."""
    return errors_of(
        write_project(
            {
                "content/a.md": article(body, front),
                "content/facts/numbers.yaml": NUMBERS,
                **{path.replace("__", "/"): text for path, text in files.items()},
            }
        )
    )


# -- the model ---------------------------------------------------------------------------


def test_headings_give_the_article_its_outline_with_unique_ids(write_project):
    root = write_project(
        {
            "content/a.md": article(
                "## What’s at stake\n\nText.\n\n### Close up\n\nText.\n\n## What’s at stake\n\nAgain.\n",
                "title: The Smoke and the Rails\n",
            )
        }
    )
    assert check(root).articles[0].headings == [
        Heading(1, "The Smoke and the Rails", "a"),
        Heading(2, "What’s at stake", "a-what-s-at-stake"),
        Heading(3, "Close up", "a-close-up"),
        Heading(2, "What’s at stake", "a-what-s-at-stake-2"),
    ]


def test_inline_fact_shows_the_table_cell_with_its_qualifier(write_project):
    root = write_project(
        {
            "content/a.md": article("Once home to {fact}`numbers.prewar_population` people.\n"),
            "content/facts/numbers.yaml": NUMBERS,
        }
    )
    assert [(use.row, use.column, use.text, use.source) for use in check(root).facts_used] == [
        ("prewar_population", "value", "more than 60,000", "Kyiv general staff")
    ]


def test_inline_fact_may_name_another_column(write_project):
    root = write_project(
        {
            "content/a.md": article("A share of {fact}`numbers.remaining.share`.\n"),
            "content/facts/numbers.yaml": NUMBERS,
        }
    )
    assert [use.text for use in check(root).facts_used] == ["2%"]


def test_image_becomes_a_figure_with_alt_text_and_caption(write_project):
    root = write_project(
        {
            "content/a.md": article('![A map of the town](images/map.svg "The town in 2025")\n'),
            "content/images/map.svg": PIXEL_SVG,
        }
    )
    assert check(root).articles[0].images == [Image("content/images/map.svg", "A map of the town", "The town in 2025")]


def test_image_file_name_with_spaces_and_cyrillic_is_found(write_project):
    root = write_project(
        {"content/a.md": article("![Карта](<images/карта міста.svg>)\n"), "content/images/карта міста.svg": PIXEL_SVG}
    )
    assert [image.src for image in check(root).articles[0].images] == ["content/images/карта міста.svg"]


def test_articles_follow_the_order_of_report_yaml(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - b.md\n  - a.md\n",
            "content/a.md": article("Text.\n", "title: First by name\n"),
            "content/b.md": article("Text.\n", "title: First in report.yaml\n"),
        }
    )
    assert [a.title for a in check(root).articles] == ["First in report.yaml", "First by name"]


# -- located errors: the fixture cases ------------------------------------------------------


def test_reference_to_a_missing_row_is_reported_at_the_role(project):
    assert errors_of(project("bad/bad-fact-ref")) == [
        "content/a.md:9:15: error: fact table 'numbers' has no row 'nonexistent'"
    ]


def test_image_without_alt_text_is_reported_where_the_image_starts(project):
    assert errors_of(project("bad/missing-alt")) == [
        "content/a.md:10:1: error: image 'images/x.svg' has no alt text; describe it between the brackets: "
        "![what it shows](images/x.svg)"
    ]


def test_a_table_that_fails_to_load_is_not_also_called_unknown_where_it_is_used(project):
    assert errors_of(project("bad/bad-type")) == [
        "content/facts/t.yaml:11:12: error: column 'value' (number): expected a number, not 'lots'"
    ]


# -- located errors: front matter -------------------------------------------------------------


def test_yaml_error_in_front_matter_is_reported_at_its_line_in_the_file(write_project):
    assert errors_in(write_project, "Text.\n", front="title: A\nsummary: S\n  byline: B\n") == [
        "content/a.md:4:9: error: YAML syntax error: mapping values are not allowed here"
    ]


def test_unclosed_front_matter_value_is_reported_at_the_closing_fence(write_project):
    assert errors_in(write_project, "Text.\n", front='title: A\nsummary: "unclosed\n') == [
        "content/a.md:4:1: error: YAML syntax error: found unexpected end of stream"
    ]


def test_front_matter_value_of_the_wrong_kind_is_reported_at_the_value(write_project):
    assert errors_in(write_project, "Text.\n", front="title: A\ndate: tomorrow\nkey_points: one\n") == [
        "content/a.md:3:7: error: 'date' must be written YYYY-MM-DD, not 'tomorrow'",
        "content/a.md:4:13: error: 'key_points' must be a list of short sentences",
    ]


def test_article_without_a_title_is_an_error(write_project):
    assert errors_in(write_project, "## Section\n\nText.\n", front="summary: S\n") == [
        "content/a.md:1:1: error: the article has no title; add 'title: …' to its front matter or start it with '# Title'"
    ]


def test_empty_article_is_an_error(write_project):
    assert errors_of(write_project({"content/a.md": "---\ntitle: A\n---\n"})) == [
        "content/a.md:1:1: error: the article is empty"
    ]


def test_invalid_utf8_in_an_article_is_reported_at_its_line_and_column(write_project):
    assert errors_of(write_project({"content/a.md": b"---\ntitle: A\n---\n\nLine five\nCaf\xe9 here\n"})) == [
        "content/a.md:6:4: error: invalid UTF-8 byte 0xe9; save the file as UTF-8"
    ]


# -- located errors: the body -------------------------------------------------------------------


def test_unknown_table_in_a_facts_directive_suggests_the_table_meant(write_project):
    assert errors_in(write_project, "```{facts} numbrs\n```\n") == [
        "content/a.md:5:12: error: unknown fact table 'numbrs'; did you mean 'numbers'?"
    ]


def test_unknown_table_in_a_fact_role_is_reported_at_the_role(write_project):
    assert errors_in(write_project, "Some {fact}`census.total` here.\n") == [
        "content/a.md:5:6: error: unknown fact table 'census'"
    ]


def test_misspelt_row_in_a_fact_role_suggests_the_row_meant(write_project):
    assert errors_in(write_project, "Once {fact}`numbers.prewar_populaton` people.\n") == [
        "content/a.md:5:6: error: fact table 'numbers' has no row 'prewar_populaton'; did you mean 'prewar_population'?"
    ]


def test_misspelt_column_in_a_fact_role_suggests_the_column_meant(write_project):
    assert errors_in(write_project, "A\nB {fact}`numbers.remaining.shares` left.\n") == [
        "content/a.md:6:3: error: fact table 'numbers' has no column 'shares'; did you mean 'share'?"
    ]


def test_fact_reference_without_a_row_is_explained(write_project):
    assert errors_in(write_project, "See {fact}`numbers`.\n") == [
        "content/a.md:5:5: error: a fact reference reads table.row or table.row.column, not 'numbers'"
    ]


def test_unknown_directive_suggests_the_directive_meant(write_project):
    assert errors_in(write_project, "Text.\n\n```{fatcs} numbers\n```\n") == [
        "content/a.md:7:4: error: unknown directive '{fatcs}'; did you mean 'facts'?"
    ]


def test_missing_image_is_reported_where_the_image_starts(write_project):
    assert errors_in(write_project, "See ![a map](images/none.png).\n") == [
        "content/a.md:5:5: error: image 'images/none.png' not found"
    ]


def test_remote_image_is_refused(write_project):
    assert errors_in(write_project, "![a map](https://example.org/map.png)\n") == [
        "content/a.md:5:1: error: remote image 'https://example.org/map.png' is not allowed; "
        "put the file in content/images/"
    ]


def test_image_outside_the_project_is_refused(write_project):
    assert errors_in(write_project, "Text ![secret](../../../etc/passwd)\n") == [
        "content/a.md:5:6: error: image '../../../etc/passwd' is outside the project directory"
    ]


def test_level_one_heading_in_the_body_is_an_error(write_project):
    assert errors_in(write_project, "# Big\n\nText.\n") == [
        "content/a.md:5: error: a second '#' heading: the title is the front matter's 'title' or the first '#' "
        "heading; use '##' for sections, or add 'heading_offset: 1' when the document uses '#' for sections"
    ]


def test_footnote_without_a_definition_is_reported_at_the_call(write_project):
    assert errors_in(write_project, "Text with a note.[^9]\n") == [
        "content/a.md:5:18: error: footnote [^9] has no definition; add '[^9]: text' below"
    ]


def test_chart_of_a_text_column_is_an_error(write_project):
    assert errors_in(write_project, "```{chart} numbers\n:y: label\n```\n") == [
        "content/a.md:6: error: chart values need a number column; 'label' is text"
    ]


def test_missing_article_is_reported_at_its_entry_in_report_yaml(write_project):
    root = write_project(
        {"report.yaml": "title: T\narticles:\n  - a.md\n  - missing.md\n", "content/a.md": article("Text.\n")}
    )
    assert errors_of(root) == ["report.yaml:4:5: error: article 'content/missing.md' not found"]


# -- all problems of a run together -------------------------------------------------------------


def test_problems_in_tables_articles_and_the_article_list_are_reported_together(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n  - c.md\n",
            "content/a.md": article("Text.\n\n![](images/x.svg)\n", "title: A\nsubtitle: [S]\n"),
            "content/b.md": "---\nsummary: S\n---\n\nText.\n",
            "content/facts/numbers.yaml": NUMBERS.replace("- {id: remaining", "- {id: prewar_population"),
        }
    )
    assert errors_of(root) == [
        "content/a.md:3:11: error: 'subtitle' must be text",
        "content/a.md:8:1: error: image 'images/x.svg' has no alt text; describe it between the brackets: "
        "![what it shows](images/x.svg)",
        "content/a.md:8:1: error: image 'images/x.svg' not found",
        "content/b.md:1:1: error: the article has no title; add 'title: …' to its front matter or start it with '# Title'",
        "content/facts/numbers.yaml:9:10: error: duplicate row id 'prewar_population' (first used on line 8)",
        "report.yaml:5:5: error: article 'content/c.md' not found",
    ]


def test_a_broken_table_does_not_hide_a_bad_reference_to_a_healthy_table(write_project):
    root = write_project(
        {
            "content/a.md": article("Once {fact}`numbers.nope` people.\n"),
            "content/facts/numbers.yaml": NUMBERS,
            "content/facts/broken.csv": "id,label\nx,X\nx,Y\n",
        }
    )
    assert errors_of(root) == [
        "content/a.md:5:6: error: fact table 'numbers' has no row 'nope'",
        "content/facts/broken.csv:3:1: error: duplicate row id 'x' (first used on line 2)",
    ]


def test_report_yaml_problems_are_reported_together_with_content_problems(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\ncolour: red\narticles:\n  - a.md\n",
            "content/a.md": article("Text.\n", "title: A\nsubtitle: [S]\n"),
        }
    )
    assert errors_of(root) == [
        "content/a.md:3:11: error: 'subtitle' must be text",
        "report.yaml:2:1: error: unknown key 'colour'",
    ]
