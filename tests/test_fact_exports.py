"""Fact tables from the files people have: CSV, TSV and Excel exports as they come, figures kept exact."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from report_builder import ReportError
from report_builder.facts import format_value, load_fact_tables, parse_number, sniff_delimiter
from report_builder.project import load_project

ARTICLE = "---\ntitle: A\n---\n\n"

#: a statistics-office export: title rows above the header, notes below the table
OFFICE_CSV = """\
"Table 12. Population and labour force, by country"
"Release: May 2022"

Country,Code,Population (2021),Unemployment rate,Exchange rate,Small share,Reference date
Germany,DE,"83,237,124",5.7%,1.08345,0.0004,15/05/2022
France,FR,"67,656,682",6.0%,1.1,0.0012,15/05/2022

"Note: provisional figures."
"Source: statistics office."
"""
OFFICE_YAML = """\
title: Population and labour force
source: Statistics office
as_of: 2022-05-15
header_row: 4
footer_rows: 2
key: code
columns:
  - {key: Reference date, type: date, format: '%d/%m/%Y'}
"""


def tables_of(write_project, files: dict, locale="en_GB"):
    root = write_project({f"content/facts/{name}": text for name, text in files.items()})
    return load_fact_tables(load_project(root), locale)


def errors_of(write_project, files: dict, locale="en_GB") -> list[str]:
    with pytest.raises(ReportError) as raised:
        tables_of(write_project, files, locale)
    return [str(d) for d in raised.value.diagnostics]


def cells(table) -> list[list[str]]:
    return [[row.cells[c.key] for c in table.columns] for row in table.rows]


def html_of(write_project, files: dict, body: str, report: str = "title: T\narticles:\n  - a.md\n") -> str:
    from report_builder import build

    root = write_project(
        {
            "report.yaml": report,
            "content/a.md": ARTICLE + body,
            **{f"content/facts/{name}": text for name, text in files.items()},
        }
    )
    return build(root, formats=["html"]).outputs["html"].read_text(encoding="utf-8")


def table_cells(html: str, table: str) -> list[list[str]]:
    """The printed cells of one fact table in the HTML edition, header row first (without the
    column titles a cell repeats for a reflowed table)."""
    figure = re.search(rf'<figure class="facts" id="facts-{table}".*?</figure>', html, re.S).group(0)
    figure = re.sub(r'<span class="cell-label">.*?</span>', "", figure, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", figure, re.S)
    ]


def check_errors(root) -> list[str]:
    from report_builder.build import check

    with pytest.raises(ReportError) as caught:
        check(root)
    return [str(d) for d in caught.value.diagnostics]


# -- figures stay exact ------------------------------------------------------------------------------


def test_a_statistics_office_export_prints_every_figure_as_exported(write_project):
    table = tables_of(write_project, {"office.csv": OFFICE_CSV, "office.yaml": OFFICE_YAML})["office"]
    assert cells(table) == [
        ["Germany", "DE", "83,237,124", "5.7%", "1.08345", "0.0004", "15 May 2022"],
        ["France", "FR", "67,656,682", "6.0%", "1.1", "0.0012", "15 May 2022"],
    ]


def test_numbers_are_kept_as_the_decimals_written(write_project):
    table = tables_of(write_project, {"office.csv": OFFICE_CSV, "office.yaml": OFFICE_YAML})["office"]
    assert [table.rows[0].values[key] for key in ("Population (2021)", "Unemployment rate", "Exchange rate")] == [
        Decimal("83237124"),
        Decimal("5.7"),
        Decimal("1.08345"),
    ]


def test_a_yaml_table_keeps_the_trailing_zeros_of_the_decimals_written(write_project):
    table = tables_of(
        write_project,
        {
            "rates.yaml": (
                "title: Rates\ncolumns:\n  - {key: label, title: Rate}\n  - {key: value, title: Value, type: number}\n"
                "rows:\n  - {id: a, label: A, value: 1.10}\n  - {id: b, label: B, value: 2.500}\n"
                "  - {id: c, label: C, value: 0.0004}\n  - {id: d, label: D, value: 12_000.5}\n"
            )
        },
    )["rates"]
    assert cells(table) == [["A", "1.10"], ["B", "2.500"], ["C", "0.0004"], ["D", "12,000.5"]]


def test_the_html_edition_prints_the_exported_figures_in_table_and_prose(write_project):
    html = html_of(
        write_project,
        {"office.csv": OFFICE_CSV, "office.yaml": OFFICE_YAML},
        "Germany: {fact}`office.DE.population-2021`, {fact}`office.DE.Unemployment rate`, "
        "{fact}`office.FR.unemployment-rate`, {fact}`office.DE.exchange-rate`.\n\n```{facts} office\n```\n",
    )
    assert table_cells(html, "office") == [
        ["Country", "Code", "Population (2021)", "Unemployment rate", "Exchange rate", "Small share", "Reference date"],
        ["Germany", "DE", "83,237,124", "5.7%", "1.08345", "0.0004", "15 May 2022"],
        ["France", "FR", "67,656,682", "6.0%", "1.1", "0.0012", "15 May 2022"],
    ]
    assert re.findall(r'<span class="fact"[^>]*>([^<]*)</span>', html) == ["83,237,124", "5.7%", "6.0%", "1.08345"]


def test_a_column_may_set_its_decimals(write_project):
    table = tables_of(
        write_project,
        {
            "t.csv": "name,rate\nA,1.08345\nB,2\nC,0.125\n",
            "t.yaml": "columns:\n  - {key: rate, type: number, decimals: 2}\n",
        },
    )["t"]
    assert [row.cells["rate"] for row in table.rows] == ["1.08", "2.00", "0.13"]


@pytest.mark.parametrize("written", ["nan", "inf", "-Infinity", "1e999"])
def test_a_number_that_is_not_finite_or_out_of_range_is_a_located_error(write_project, written):
    message = (
        f"'{written}' is out of range: a number has at most 30 digits before and after the decimal mark"
        if written == "1e999"
        else f"'{written}' is not a finite number; write the figure, or leave the cell empty"
    )
    assert errors_of(
        write_project,
        {"t.csv": f"name,value\nA,1\nB,{written}\n", "t.yaml": "columns:\n  - {key: value, type: number}\n"},
    ) == [f"content/facts/t.csv:3:3: error: column 'value' (number): {message}"]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=12), st.data())
def test_any_decimal_written_with_n_decimals_prints_with_n_decimals(whole, decimals, data):
    fraction = data.draw(st.text("0123456789", min_size=decimals, max_size=decimals))
    written = f"{whole}.{fraction}" if decimals else str(whole)
    for locale, group, mark in (("en_GB", ",", "."), ("de", ".", ",")):
        printed = format_value(parse_number(written, "en_GB"), "number", locale)
        integer, _, printed_fraction = printed.partition(mark)
        assert (printed_fraction, integer.replace(group, "")) == (fraction, str(whole))


def test_a_percentage_keeps_its_written_decimals_beside_others(write_project):
    table = tables_of(write_project, {"t.csv": "name,rate\nA,5.7%\nB,6.0%\nC,7%\n"})["t"]
    assert ([c.type for c in table.columns], [row.cells["rate"] for row in table.rows]) == (
        ["text", "percent"],
        ["5.7%", "6.0%", "7%"],
    )


# -- a German publication, a semicolon export ---------------------------------------------------------

GERMAN_CSV = "Land;Einwohner;Anteil;Stichtag\nBayern;13.369.393;15,9 %;31.12.2022\nBerlin;3.755.251;4,5 %;31.12.2022\nSachsen;4.086.152;4,8%;31.12.2022\nHessen;6.391.360;7,6 %;31.12.2022\nNiedersachsen;11.280.257;13,4 %;31.12.2022\n"
GERMAN_YAML = "columns:\n  - {key: Anteil, type: percent}\n  - {key: Stichtag, type: date, format: '%d.%m.%Y'}\n"


def test_a_semicolon_export_with_decimal_commas_loads_in_a_german_publication(write_project):
    table = tables_of(write_project, {"laender.csv": GERMAN_CSV, "laender.yaml": GERMAN_YAML}, locale="de")["laender"]
    assert cells(table)[-1] == ["Niedersachsen", "11.280.257", "13,4\u00a0%", "31. Dezember 2022"]


def test_a_semicolon_export_in_german_style_loads_in_an_english_publication_with_its_locale(write_project):
    table = tables_of(write_project, {"laender.csv": GERMAN_CSV, "laender.yaml": "locale: de\n" + GERMAN_YAML})[
        "laender"
    ]
    assert cells(table)[-1] == ["Niedersachsen", "11,280,257", "13.4%", "31 December 2022"]


def test_german_figures_in_an_english_publication_without_a_locale_are_one_message_with_the_fix(write_project):
    assert errors_of(
        write_project,
        {"t.csv": "name;value\nA;1,5\nB;2,25\nC;3,75\n", "t.yaml": "columns:\n  - {key: value, type: number}\n"},
    ) == [
        "content/facts/t.csv:2:3: error: column 'value' (number): expected a number written as en_GB writes them, "
        "not '1,5' (3 rows like this, lines 2–4); if the figures are written in another language's style, "
        'add e.g. "locale: de" to t.yaml'
    ]


# -- formats -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter):
    lines = [
        delimiter.join(["name", "value", "note"]) + "\n",
        delimiter.join(["A", "1,5", "x; y"]) + "\n",
        delimiter.join(["B", "2", "z"]) + "\n",
    ]
    if delimiter != ",":
        lines[1] = delimiter.join(["A", "1,5", "x, y"]) + "\n"
    assert sniff_delimiter(lines) == delimiter


def test_a_tsv_file_is_a_fact_table(write_project):
    table = tables_of(write_project, {"t.tsv": "name\tvalue\nA, Ltd\t1,234\n"})["t"]
    assert cells(table) == [["A, Ltd", "1,234"]]


def test_the_sidecar_may_name_the_delimiter(write_project):
    table = tables_of(write_project, {"t.csv": "a;b|c\n1;2|3\n", "t.yaml": "delimiter: '|'\n"})["t"]
    assert ([c.key for c in table.columns], cells(table)) == (["a;b", "c"], [["1;2", "3"]])


def test_a_bom_and_crlf_line_ends_are_read(write_project):
    table = tables_of(write_project, {"t.csv": "\ufeffname,value\r\nA,1\r\nB,2\r\n".encode("utf-8")})["t"]
    assert ([c.key for c in table.columns], cells(table)) == (["name", "value"], [["A", "1"], ["B", "2"]])


def test_latin1_without_an_encoding_is_an_error_suggesting_the_sidecar_line(write_project):
    assert errors_of(write_project, {"t.csv": "name,city\nA,Köln\n".encode("latin-1")}) == [
        "content/facts/t.csv:2:4: error: byte 0xf6 is not UTF-8; if the file was saved as Latin-1, add this line "
        'to t.yaml: "encoding: latin-1" (or save the file as UTF-8)'
    ]


def test_windows_1252_bytes_suggest_cp1252(write_project):
    assert errors_of(write_project, {"t.csv": "name,price\nA,\u20ac5\n".encode("cp1252")}) == [
        "content/facts/t.csv:2:3: error: byte 0x80 is not UTF-8; if the file was saved as Windows-1252, add this "
        'line to t.yaml: "encoding: cp1252" (or save the file as UTF-8)'
    ]


def test_latin1_with_its_encoding_declared_loads(write_project):
    table = tables_of(
        write_project, {"t.csv": "name,city\nA,Köln\n".encode("latin-1"), "t.yaml": "encoding: latin-1\n"}
    )["t"]
    assert cells(table) == [["A", "Köln"]]


def test_an_xlsx_made_by_openpyxl_gives_its_numbers_dates_and_percentages_as_values(write_project):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["Country", "Code", "Population", "Unemployment", "Rate", "Date"])
    sheet.append(["Germany", "DE", 83237124, 0.057, 1.08345, dt.datetime(2022, 5, 15)])
    sheet.append(["France", "FR", 67656682, 0.06, 0.0004, dt.datetime(2022, 12, 31)])
    for row in (2, 3):
        sheet.cell(row, 3).number_format = "#,##0"
        sheet.cell(row, 4).number_format = "0.0%"
    other = book.create_sheet("Notes")
    other.append(["Nothing here"])
    data = io.BytesIO()
    book.save(data)
    table = tables_of(write_project, {"t.xlsx": data.getvalue(), "t.yaml": "key: Code\n"})["t"]
    assert ([c.type for c in table.columns], cells(table), table.row("DE").values["Population"]) == (
        ["text", "text", "number", "percent", "number", "date"],
        [
            ["Germany", "DE", "83,237,124", "5.7%", "1.08345", "15 May 2022"],
            ["France", "FR", "67,656,682", "6.0%", "0.0004", "31 December 2022"],
        ],
        Decimal("83237124"),
    )


def test_the_sidecar_names_the_sheet_and_an_unknown_one_is_located(write_project):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["a"])
    book.create_sheet("Figures").append(["name", "value"])
    book["Figures"].append(["A", 2.5])
    data = io.BytesIO()
    book.save(data)
    assert cells(tables_of(write_project, {"t.xlsx": data.getvalue(), "t.yaml": "sheet: Figures\n"})["t"]) == [
        ["A", "2.5"]
    ]
    assert errors_of(write_project, {"u.xlsx": data.getvalue(), "u.yaml": "sheet: Figurse\n"}) == [
        "content/facts/u.yaml:1:8: error: the workbook has no sheet 'Figurse' (its sheets: 'Sheet', 'Figures')"
    ]


def test_a_file_that_is_not_a_workbook_is_one_error(write_project):
    assert errors_of(write_project, {"t.xlsx": b"name,value\n"}) == [
        "content/facts/t.xlsx: error: cannot read the spreadsheet: File is not a zip file; save it as .xlsx"
    ]


def test_title_rows_without_header_row_suggest_the_sidecar_line(write_project):
    assert errors_of(write_project, {"t.csv": '"Table 1. Population"\n\nname,value\nA,1\nB,2\n'}) == [
        "content/facts/t.csv:3:1: error: expected 1 fields, found 2 (3 rows like this, lines 3–5); if the header "
        'is line 3, add this line to t.yaml: "header_row: 3"'
    ]


def test_notes_below_the_table_without_footer_rows_suggest_the_sidecar_line(write_project):
    assert errors_of(write_project, {"t.csv": 'name,value,x\nA,1,2\nB,2,3\n\n"Note: provisional"\n'}) == [
        "content/facts/t.csv:5:1: error: expected 3 fields, found 1; if the last 1 rows are notes, add this line "
        'to t.yaml: "footer_rows: 1"'
    ]


# -- keys and headers -----------------------------------------------------------------------------------


def test_a_table_without_ids_is_shown_and_charted(write_project):
    html = html_of(
        write_project,
        {"t.csv": "Airport,Passengers\nHeathrow,61614508\nGatwick,32839000\n"},
        "```{facts} t\n```\n\n```{chart} t\n:x: Airport\n:y: Passengers\n```\n",
    )
    assert (table_cells(html, "t"), "Heathrow: 61,614,508; Gatwick: 32,839,000" in html) == (
        [["Airport", "Passengers"], ["Heathrow", "61,614,508"], ["Gatwick", "32,839,000"]],
        True,
    )


def test_a_key_column_keeps_its_case_and_is_referenced(write_project):
    html = html_of(
        write_project,
        {
            "airports.csv": "iata,name,passengers\nJFK,John F. Kennedy,62464000\nLHR,Heathrow,61614508\n",
            "airports.yaml": "key: iata\n",
        },
        "JFK had {fact}`airports.JFK.passengers` passengers.\n",
    )
    assert re.findall(r'<span class="fact" data-fact="([^"]*)"[^>]*>([^<]*)</span>', html) == [
        ("airports.JFK", "62,464,000")
    ]


def test_a_duplicate_key_is_one_located_error(write_project):
    assert errors_of(
        write_project,
        {"t.csv": "code,name\nDE,Germany\nFR,France\nDE,Deutschland\nFR,Frankreich\n", "t.yaml": "key: code\n"},
    ) == [
        "content/facts/t.csv:4:1: error: duplicate code value 'DE' (first used on line 2) (2 rows like this, lines 4 "
        'and 5); to reference rows, each needs its own key: name a column of unique values with "key:" in t.yaml'
    ]


def test_an_unknown_key_column_is_located_in_the_sidecar(write_project):
    assert errors_of(write_project, {"t.csv": "iata_code,name\nJFK,x\n", "t.yaml": "key: iata\n"}) == [
        "content/facts/t.yaml:1:6: error: key 'iata' is not a column of t.csv; did you mean 'iata_code'?"
    ]


def test_headers_are_titles_exactly_as_written(write_project):
    table = tables_of(write_project, {"t.csv": 'Country,"GDP, US$ bn",gdp_growth\nDE,4072.2,1.8\n'})["t"]
    assert [(c.key, c.title, c.slug) for c in table.columns] == [
        ("Country", "Country", "country"),
        ("GDP, US$ bn", "GDP, US$ bn", "gdp-us-bn"),
        ("gdp_growth", "gdp_growth", "gdp_growth"),
    ]


def test_a_duplicate_header_is_an_error_at_its_cell(write_project):
    assert errors_of(write_project, {"t.csv": 'name,"Value, 2021",Value,Value\nA,1,2,3\n'}) == [
        "content/facts/t.csv:1:26: error: header 'Value' repeats the header of column 3; give each column its own header"
    ]


def test_an_empty_header_over_data_is_an_error_at_its_cell(write_project):
    assert errors_of(write_project, {"t.csv": 'name,"a, b",,c\nA,1,2,3\nB,1,,3\n'}) == [
        "content/facts/t.csv:1:13: error: column 3 has no header but has data (first on line 2); give it a header, "
        "or delete the column"
    ]


def test_empty_trailing_columns_without_data_are_ignored(write_project):
    table = tables_of(write_project, {"t.csv": "name,value,,\nA,1,,\nB,2,,\n"})["t"]
    assert ([c.key for c in table.columns], cells(table)) == (["name", "value"], [["A", "1"], ["B", "2"]])


# -- one message per problem --------------------------------------------------------------------------


def test_a_problem_repeated_across_rows_is_one_message_with_its_count_and_first_position(write_project):
    assert errors_of(
        write_project,
        {"t.csv": "name,value\nA,1\nB,n/a\nC,n/a\nD,n/a\n", "t.yaml": "columns:\n  - {key: value, type: number}\n"},
    ) == [
        "content/facts/t.csv:3:3: error: column 'value' (number): expected a number, not 'n/a' (3 rows like this, lines 3–5)"
    ]


def test_positions_are_right_after_quoted_and_multi_line_cells(write_project):
    text = 'name,note,value\n"A, the first","one\nline two\nline three",1\nB,"say ""hi""",lots\nC,"x\ny",also\n'
    assert errors_of(write_project, {"t.csv": text, "t.yaml": "columns:\n  - {key: value, type: number}\n"}) == [
        "content/facts/t.csv:5:16: error: column 'value' (number): expected a number, not 'lots' "
        "(2 rows like this, lines 5 and 7)"
    ]


def test_a_field_after_a_multi_line_cell_is_located_on_its_own_line(write_project):
    text = 'name,note,value\nA,"one\nline two",lots\n'
    assert errors_of(write_project, {"t.csv": text, "t.yaml": "columns:\n  - {key: value, type: number}\n"}) == [
        "content/facts/t.csv:3:11: error: column 'value' (number): expected a number, not 'lots'"
    ]


def test_at_most_twenty_messages_per_file_and_the_rest_counted(write_project):
    header = ",".join(f"c{i}" for i in range(25))
    row = ",".join("x" for _ in range(25))
    columns = "".join(f"  - {{key: c{i}, type: number}}\n" for i in range(25))
    found = errors_of(write_project, {"t.csv": f"{header}\n{row}\n", "t.yaml": "columns:\n" + columns})
    assert (len(found), found[19], found[20]) == (
        21,
        "content/facts/t.csv:2:39: error: column 'c19' (number): expected a number, not 'x'",
        "content/facts/t.csv:2:41: error: … and 5 more problems in this file",
    )


# -- values as exported --------------------------------------------------------------------------------


def test_columns_are_inferred_from_all_their_cells(write_project):
    table = tables_of(
        write_project,
        {
            "t.csv": "name,year,zip,count,share,when,mixed\n"
            'A,2021,01001,"1,200",5.5%,2022-05-15,1\n'
            "B,2022,10115,300,6%,2022-06-01,n/a\n"
        },
    )["t"]
    assert ([c.type for c in table.columns], cells(table)[0]) == (
        ["text", "text", "text", "number", "percent", "date", "text"],
        ["A", "2021", "01001", "1,200", "5.5%", "15 May 2022", "1"],
    )


def test_a_currency_column_prints_its_currency(write_project):
    table = tables_of(
        write_project,
        {
            "t.csv": 'item,price\nA,"€1,234.50"\nB,12\n',
            "t.yaml": "columns:\n  - {key: price, type: currency, currency: EUR}\n",
        },
    )["t"]
    assert [row.cells["price"] for row in table.rows] == ["€1,234.50", "€12"]


def test_a_date_in_another_form_suggests_its_format(write_project):
    assert errors_of(
        write_project, {"t.csv": "name,when\nA,15/05/2022\n", "t.yaml": "columns:\n  - {key: when, type: date}\n"}
    ) == [
        "content/facts/t.csv:2:3: error: column 'when' (date): expected a date written YYYY-MM-DD, not '15/05/2022'; "
        "if the column's dates are written %d/%m/%Y, declare it: format: '%d/%m/%Y'"
    ]


# -- showing part of a table, and the sources ----------------------------------------------------------

BIG = "code,name,value\n" + "".join(f"C{i:04d},Name {i},{i * 7 % 1000}\n" for i in range(600))


def test_facts_options_choose_columns_sort_and_limit(write_project):
    html = html_of(
        write_project,
        {"big.csv": BIG, "big.yaml": "key: code\n"},
        "```{facts} big\n:columns: value, name\n:sort: value desc\n:limit: 3\n```\n",
    )
    assert table_cells(html, "big") == [
        ["value", "name"],
        ["997", "Name 571"],
        ["996", "Name 428"],
        ["995", "Name 285"],
    ]


def test_a_long_table_shown_whole_asks_for_a_limit(write_project):
    root = write_project({"content/a.md": ARTICLE + "```{facts} big\n```\n", "content/facts/big.csv": BIG})
    assert check_errors(root) == [
        "content/a.md:5:12: error: fact table 'big' has 600 rows, too many to show whole (at most 500); show the "
        "first ones with ':limit: 20' on the next line (and ':sort: COLUMN desc' for the top ones)"
    ]


def test_facts_options_are_validated_at_their_line(write_project):
    root = write_project(
        {
            "content/a.md": ARTICLE
            + "```{facts} big\n:columns: value, nmae\n:sort: vlaue\n:limit: ten\n:colour: red\n```\n",
            "content/facts/big.csv": BIG,
        }
    )
    assert check_errors(root) == [
        "content/a.md:6:18: error: table 'big' has no column 'nmae'; did you mean 'name'?",
        "content/a.md:7:8: error: ':sort:' names a column and optionally 'asc' or 'desc'; table 'big' has no column "
        "'vlaue'; did you mean 'value'?",
        "content/a.md:8:9: error: ':limit:' is a number of rows from 1 to 10,000, not 'ten'",
        "content/a.md:9:2: error: unknown {facts} option ':colour:'; did you mean 'columns'? (expected one of: :columns:, :sort:, :limit:, :id:)",
    ]


def test_the_sources_section_of_a_table_shown_whole_is_one_entry_with_the_quoted_rows(write_project):
    html = html_of(
        write_project,
        {"big.csv": BIG, "big.yaml": "title: Big table\nsource: Office\nkey: code\n"},
        "Quoted: {fact}`big.C0007.value`.\n\n```{facts} big\n:limit: 50\n```\n",
    )
    section = re.search(r'<section class="sources".*?</section>\s*</section>', html, re.S).group(0)
    entries = re.findall(r'<section class="source-table">(.*?)</section>', section, re.S)
    assert (len(entries), re.findall(r"<li>(.*?)</li>", entries[0], re.S), "Big table" in entries[0]) == (
        1,
        ['<span class="source-label">Name 7</span>: value 49'],
        True,
    )


# -- the printed editions --------------------------------------------------------------------------------


def test_the_pdf_and_epub_print_the_exported_figures(write_project):
    import subprocess
    import zipfile

    from report_builder import build

    root = write_project(
        {
            "content/a.md": ARTICLE + "Rate: {fact}`office.DE.unemployment-rate`.\n\n```{facts} office\n```\n",
            "content/facts/office.csv": OFFICE_CSV,
            "content/facts/office.yaml": OFFICE_YAML,
        }
    )
    outputs = build(root, formats=["pdf", "epub"]).outputs
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(outputs["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    with zipfile.ZipFile(outputs["epub"]) as book:
        xhtml = next(book.read(n).decode() for n in book.namelist() if n.endswith("a.xhtml"))
    wanted = ["83,237,124", "5.7%", "6.0%", "0.0004", "1.08345", "15 May 2022"]
    assert ([w for w in wanted if w not in pdf_text], [w for w in wanted if f">{w}<" not in xhtml]) == ([], [])


# -- three realistic exports -------------------------------------------------------------------------------


def test_three_realistic_exports_print_as_exported(project):
    from report_builder import build

    html = build(project("exports"), formats=["html"]).outputs["html"].read_text(encoding="utf-8")
    assert (
        table_cells(html, "unemployment")[3],
        table_cells(html, "unemployment")[-1],
        table_cells(html, "laender")[1:3],
        table_cells(html, "gdp")[:2],
        re.findall(r'<span class="fact"[^>]*>([^<]*)</span>', html),
    ) == (
        ["DE", "Germany", "3.7%", "3.6%", "3.1%"],
        ["CH", "Switzerland", "4.8%", "5.1%", ""],
        [
            ["Berlin", "3,755,251", "891.12", "4,214.1", "31 December 2022"],
            ["Hamburg", "1,892,122", "755.09", "2,505.8", "31 December 2022"],
        ],
        [
            ["Country Name", "GDP (current US$ bn)", "GDP growth (annual %)", "Last updated"],
            ["Germany", "4,082.5", "1.8%", "25 July 2023"],
        ],
        ["3.1%", "12.9%", "11,280,257", "31 December 2022", "1.8%"],
    )


def test_a_reference_into_a_table_without_a_key_names_the_sidecar_line(write_project):
    root = write_project(
        {"content/a.md": ARTICLE + "It is {fact}`t.Berlin.value`.\n", "content/facts/t.csv": "city,value\nBerlin,1\n"}
    )
    assert check_errors(root) == [
        "content/a.md:5:7: error: fact table 't' has no key column naming its rows; to reference rows, name one in "
        't.yaml: "key: city"'
    ]


def test_missing_markers_are_empty_cells(write_project):
    table = tables_of(write_project, {"t.csv": "name,value\nA,:\nB,2\n", "t.yaml": "missing: [':', 'n/a']\n"})["t"]
    assert ([c.type for c in table.columns], cells(table)) == (["text", "number"], [["A", ""], ["B", "2"]])


def test_check_verbose_lists_each_tables_inferred_columns(write_project, run_cli):
    root = write_project(
        {
            "content/a.md": ARTICLE + "Text.\n",
            "content/facts/t.csv": "code,name,share,when\nDE,Germany,5.7%,2022-05-15\n",
            "content/facts/t.yaml": "key: code\ncolumns:\n  - {key: name, title: Country}\n",
        }
    )
    result = run_cli("check", "-v", "--project", root)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        0,
        "content/facts/t.csv: 1 row, key 'code'; columns: 'code' text (inferred), 'name' text, "
        "'share' percent (inferred), 'when' date (inferred)",
    )


def test_a_spreadsheet_that_unpacks_past_the_limit_is_refused_before_it_is_parsed(write_project, monkeypatch):
    import openpyxl

    monkeypatch.setattr("report_builder.facts.MAX_XLSX_UNPACKED", 1000)
    book = openpyxl.Workbook()
    book.active.append(["name", "value"])
    data = io.BytesIO()
    book.save(data)
    found = errors_of(write_project, {"t.xlsx": data.getvalue()})
    assert (
        re.fullmatch(
            r"content/facts/t\.xlsx: error: the spreadsheet unpacks to [\d,]+ bytes; the limit is 1,000: "
            r"save the table in a workbook of its own",
            found[0],
        )
        and len(found) == 1
    )


def test_a_spreadsheet_over_the_cell_limit_is_refused_at_its_row(write_project, monkeypatch):
    import openpyxl

    monkeypatch.setattr("report_builder.facts.MAX_XLSX_CELLS", 10)
    book = openpyxl.Workbook()
    for i in range(8):
        book.active.append([f"r{i}", i])
    data = io.BytesIO()
    book.save(data)
    assert errors_of(write_project, {"t.xlsx": data.getvalue()}) == [
        "content/facts/t.xlsx:6:1: error: the sheet has more than 10 cells, the limit for a spreadsheet; save the "
        "table on a sheet of its own"
    ]


def test_a_formula_is_read_as_the_value_excel_saved_never_evaluated(write_project):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "value"])
    book.active.append(["A", '=WEBSERVICE("http://example.invalid/")'])
    data = io.BytesIO()
    book.save(data)
    assert cells(tables_of(write_project, {"t.xlsx": data.getvalue()})["t"]) == [["A", ""]]


def test_a_cp1252_export_builds_a_pdf_whose_font_check_reads_it_in_its_encoding(write_project):
    from report_builder import build

    root = write_project(
        {
            "content/a.md": ARTICLE + "```{facts} t\n```\n",
            "content/facts/t.csv": "Stadt;Einwohner\nKöln;1.084.831\n".encode("cp1252"),
            "content/facts/t.yaml": "encoding: cp1252\nlocale: de\n",
        }
    )
    result = build(root, formats=["pdf"])
    assert (sorted(result.outputs), [str(w) for w in result.warnings]) == (["pdf"], [])


def test_the_sources_name_each_quoted_row_by_its_label_not_its_key(project):
    from report_builder import build

    html = build(project("exports"), formats=["html"]).outputs["html"].read_text(encoding="utf-8")
    section = re.search(r'<section class="sources".*?</section>\s*</section>', html, re.S).group(0)
    assert [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", section, re.S)] == [
        "Germany: 2022 3.1%",
        "Spain: 2022 12.9%",
        "Baden-Württemberg: Bevölkerung am 31.12.2022 11,280,257; Stichtag 31 December 2022",
        "Germany: GDP growth (annual %) 1.8%",
    ]
