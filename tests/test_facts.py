"""Fact tables: values formatted per language with Babel, and every table problem at its file:line:col."""

from __future__ import annotations

import datetime as dt

import pytest

from report_builder import ReportError
from report_builder.facts import format_cell, format_value, load_fact_tables
from report_builder.project import load_project

NUMBERS = """\
title: Numbers behind the headlines
as_of: 2025-11-05
source: Kyiv general staff
columns:
  - {key: label, title: Measure}
  - {key: value, title: Figure, type: number}
rows:
  - {id: prewar_population, label: Pre-war population, value: 60000, qualifier: more than}
  - {id: russian_forces, label: Russian forces, value: 11000, qualifier: about, unit: troops}
  - {id: linkup, label: Distance to a link-up, type: range, value: [6, 8], qualifier: some, unit: km}
  - {id: force_ratio, label: Force ratio, type: ratio, value: [8, 1], qualifier: roughly}
"""


def tables_of(write_project, files: dict, locale="en_GB"):
    root = write_project({f"content/facts/{name}": text for name, text in files.items()})
    return load_fact_tables(load_project(root), locale)


def errors_of(write_project, files: dict) -> list[str]:
    with pytest.raises(ReportError) as raised:
        tables_of(write_project, files)
    return [str(d) for d in raised.value.diagnostics]


# -- formatting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_GB", "60,000"),
        ("de", "60.000"),
        ("uk", "60\u00a0000"),  # Babel's Ukrainian group separator is a no-break space
        ("fr", "60\u202f000"),  # and the French one a narrow no-break space
    ],
)
def test_numbers_use_the_document_language_separators(locale, expected):
    assert format_value(60000, "number", locale) == expected


@pytest.mark.parametrize(("locale", "expected"), [("en_GB", "12.5"), ("de", "12,5"), ("uk", "12,5")])
def test_decimal_numbers_use_the_document_language_decimal_mark(locale, expected):
    assert format_value(12.5, "number", locale) == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (41.5, "en_GB", "41.5%"),
        (7, "en_GB", "7%"),
        (12.25, "en_GB", "12.25%"),
        (41.5, "de", "41,5\u00a0%"),
        (41.5, "uk", "41,5%"),
    ],
)
def test_percentages_keep_their_decimals_in_the_document_language(value, locale, expected):
    assert format_value(value, "percent", locale) == expected


def test_a_range_is_joined_with_an_en_dash():
    assert format_value([6, 8], "range", "en_GB") == "6–8"


def test_a_range_of_large_numbers_groups_each_end():
    assert format_value([12000, 15000], "range", "de") == "12.000–15.000"


def test_a_ratio_is_joined_with_a_colon():
    assert format_value([8, 1], "ratio", "en_GB") == "8:1"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_GB", "5 November 2025"), ("de", "5. November 2025"), ("uk", "5 листопада 2025\u202fр.")],
)
def test_dates_are_written_out_in_the_document_language(locale, expected):
    assert format_value(dt.date(2025, 11, 5), "date", locale) == expected


@pytest.mark.parametrize(
    ("text", "qualifier", "unit", "expected"),
    [
        ("60,000", "more than", "", "more than 60,000"),
        ("6–8", "some", "km", "some 6–8 km"),
        ("11,000", "about", "troops", "about 11,000 troops"),
        ("41.5", "", "%", "41.5%"),
    ],
)
def test_qualifier_and_unit_wrap_the_formatted_value(text, qualifier, unit, expected):
    assert format_cell(text, qualifier, unit) == expected


# -- loading ---------------------------------------------------------------------------


def test_yaml_table_cells_carry_qualifier_unit_and_per_row_type(write_project):
    table = tables_of(write_project, {"numbers.yaml": NUMBERS})["numbers"]
    assert [row.cells["value"] for row in table.rows] == [
        "more than 60,000",
        "about 11,000 troops",
        "some 6–8 km",
        "roughly 8:1",
    ]


def test_yaml_table_keeps_its_title_source_and_date(write_project):
    table = tables_of(write_project, {"numbers.yaml": NUMBERS})["numbers"]
    assert (table.title, table.source, table.as_of, table.as_of_text) == (
        "Numbers behind the headlines",
        "Kyiv general staff",
        dt.date(2025, 11, 5),
        "5 November 2025",
    )


def test_cells_follow_the_language_of_the_publication(write_project):
    table = tables_of(write_project, {"numbers.yaml": NUMBERS}, locale="de")["numbers"]
    assert [row.cells["value"] for row in table.rows] == [
        "more than 60.000",
        "about 11.000 troops",
        "some 6–8 km",
        "roughly 8:1",
    ]


def test_csv_table_takes_its_columns_from_the_header_and_types_from_the_sidecar(write_project):
    tables = tables_of(
        write_project,
        {
            "cities.csv": "id,label,population,share\nkyiv,Київ,2952301,7.2\nlviv,Львів,717273,1.8\n",
            "cities.yaml": "title: Largest cities\ncolumns:\n  - {key: population, title: Population, type: number}\n"
            "  - {key: share, title: Share, type: percent}\n",
        },
    )
    table = tables["cities"]
    assert (
        table.title,
        [(c.key, c.title, c.type) for c in table.columns],
        [[row.cells[c.key] for c in table.columns] for row in table.rows],
    ) == (
        "Largest cities",
        [("label", "label", "text"), ("population", "Population", "number"), ("share", "Share", "percent")],
        [["Київ", "2,952,301", "7.2%"], ["Львів", "717,273", "1.8%"]],
    )


def test_csv_without_a_sidecar_is_a_table_of_text(write_project):
    table = tables_of(write_project, {"plain.csv": "id,label,value\na,Alpha,1000\n"})["plain"]
    assert (table.title, [c.type for c in table.columns], table.rows[0].cells) == (
        "Plain",
        ["text", "text"],
        {"label": "Alpha", "value": "1000"},
    )


# -- errors ----------------------------------------------------------------------------


def test_text_in_a_number_column_is_reported_at_the_value(project):
    with pytest.raises(ReportError) as raised:
        load_fact_tables(load_project(project("bad/bad-type")), "en_GB")
    assert [str(d) for d in raised.value.diagnostics] == [
        "content/facts/t.yaml:11:12: error: column 'value' (number): expected a number, not 'lots'"
    ]


def test_text_in_a_csv_number_column_is_reported_at_its_line_and_field(write_project):
    assert errors_of(
        write_project,
        {
            "c.csv": "id,label,value\na,Alpha,1\nb,Beta,lots\n",
            "c.yaml": "columns:\n  - {key: value, type: number}\n",
        },
    ) == ["content/facts/c.csv:3:8: error: column 'value' (number): expected a number, not 'lots'"]


def test_an_impossible_date_in_a_date_column_is_reported_at_the_value(write_project):
    assert errors_of(
        write_project,
        {
            "d.yaml": "columns:\n  - {key: label}\n  - {key: when, type: date}\nrows:\n"
            "  - {id: a, label: A, when: 2025-13-01}\n",
        },
    ) == [
        "content/facts/d.yaml:5:29: error: column 'when' (date): expected a date written YYYY-MM-DD, not '2025-13-01'"
    ]


def test_a_range_needs_two_numbers(write_project):
    assert errors_of(
        write_project,
        {
            "r.yaml": "columns:\n  - {key: label}\n  - {key: value, type: range}\nrows:\n  - {id: a, label: A, value: [6]}\n",
        },
    ) == ["content/facts/r.yaml:5:30: error: column 'value' (range): expected two numbers such as [6, 8], not [6]"]


def test_duplicate_row_id_in_yaml_names_the_first_use(write_project):
    assert errors_of(
        write_project,
        {
            "n.yaml": "columns:\n  - {key: label}\nrows:\n  - {id: a, label: A}\n  - {id: a, label: B}\n",
        },
    ) == ["content/facts/n.yaml:5:10: error: duplicate row id 'a' (first used on line 4)"]


def test_duplicate_row_id_in_csv_names_the_first_use(write_project):
    assert errors_of(write_project, {"c.csv": "id,label\na,A\na,B\n"}) == [
        "content/facts/c.csv:3:1: error: duplicate row id 'a' (first used on line 2)"
    ]


def test_yaml_syntax_error_in_a_table_is_reported_at_its_line(write_project):
    assert errors_of(write_project, {"n.yaml": "title: x\ncolumns:\n  - {key: label\nrows: []\n"}) == [
        "content/facts/n.yaml:4:5: error: YAML syntax error: expected ',' or '}', but got ':'"
    ]


def test_a_cell_for_an_undeclared_column_is_reported_at_its_key(write_project):
    assert errors_of(
        write_project,
        {
            "n.yaml": "columns:\n  - {key: label}\nrows:\n  - {id: a, label: A, colour: red}\n",
        },
    ) == ["content/facts/n.yaml:4:23: error: unknown column 'colour' in row 'a'"]


def test_unknown_column_type_lists_the_known_types(write_project):
    assert errors_of(
        write_project,
        {
            "n.yaml": "columns:\n  - {key: label}\n  - {key: value, type: numbr}\nrows: []\n",
        },
    ) == [
        "content/facts/n.yaml:3:24: error: unknown column type 'numbr' "
        "(expected one of: text, number, percent, currency, date, range, ratio)"
    ]


def test_a_row_without_an_id_loads_and_cannot_be_referenced(write_project):
    table = tables_of(write_project, {"n.yaml": "columns:\n  - {key: label}\nrows:\n  - {label: A}\n"})["n"]
    assert ([(row.id, row.anchor, row.cells["label"]) for row in table.rows], table.row("A")) == (
        [(None, "", "A")],
        None,
    )


def test_a_csv_line_with_the_wrong_number_of_fields_is_reported(write_project):
    assert errors_of(write_project, {"c.csv": "id,label,value\na,A\n"}) == [
        "content/facts/c.csv:2:1: error: expected 3 fields, found 2"
    ]


def test_a_sidecar_column_missing_from_the_csv_header_is_reported_in_the_sidecar(write_project):
    assert errors_of(
        write_project,
        {
            "c.csv": "id,label\na,A\n",
            "c.yaml": "columns:\n  - {key: value, type: number}\n",
        },
    ) == ["content/facts/c.yaml:2:5: error: column 'value' is not in the header of c.csv"]


def test_invalid_utf8_in_a_csv_is_reported_at_its_line_and_column(write_project):
    assert errors_of(write_project, {"c.csv": b"id,label\na,Caf\xe9\n"}) == [
        "content/facts/c.csv:2:6: error: byte 0xe9 is not UTF-8; if the file was saved as Latin-1, "
        'add this line to c.yaml: "encoding: latin-1" (or save the file as UTF-8)'
    ]


def test_problems_in_several_tables_are_reported_together(write_project):
    assert errors_of(
        write_project,
        {
            "a.yaml": "columns:\n  - {key: label}\nrows:\n  - {id: x, label: X}\n  - {id: x, label: Y}\n",
            "b.csv": "id,label\ny,Y,extra\n",
            "c.yaml": "columns: [\n",
        },
    ) == [
        "content/facts/a.yaml:5:10: error: duplicate row id 'x' (first used on line 4)",
        "content/facts/b.csv:2:1: error: expected 2 fields, found 3",
        "content/facts/c.yaml:2:1: error: YAML syntax error: expected the node content, but found '<stream end>'",
    ]
