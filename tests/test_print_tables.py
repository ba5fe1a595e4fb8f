"""Tables and code in print, read back from the real PDF of tests/projects/print-tables: where
each row of a table falling at a page foot lands, wide tables with every column on the page,
code highlighted in every edition and wrapped, never clipped, in print."""

from __future__ import annotations

import re
import subprocess
import zipfile
from functools import cache

import pikepdf
import pytest
from lxml import etree, html

from conftest import copy_project
from report_builder import build
from report_builder.highlight import render_code
from report_builder.tablefit import Cell, fit_table
from test_epub import epubcheck  # noqa: F401 - the EPUBCheck fixture, run once per book
from test_pdf_chunks import build as build_in_one_process

NAME = "print-tables"


# -- reading the PDF -----------------------------------------------------------------------------


@cache
def words(path) -> tuple[dict, ...]:
    """Per page: its size and its words with their boxes, as pdftotext -bbox reads them."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page (.*?)</page>", out, re.S):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        found = [
            (float(a), float(b), float(c), float(d), unescape(text))
            for a, b, c, d, text in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', page
            )
        ]
        pages.append({"width": float(size.group(1)), "height": float(size.group(2)), "words": found})
    return tuple(pages)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def page_words(path) -> list[list[str]]:
    return [[word[4] for word in page["words"]] for page in words(path)]


def pages_of(path, prefix: str, count: int) -> dict[str, int]:
    """Row label → the (1-based) page it is printed on, for labels PREFIX01 … PREFIXnn."""
    found = {}
    for number, texts in enumerate(page_words(path), start=1):
        for text in texts:
            if re.fullmatch(rf"{prefix}\d\d", text):
                found.setdefault(text, number)
    assert len(found) == count, sorted(found)
    return found


def first_page_with(path, text: str) -> int:
    return next(number for number, texts in enumerate(page_words(path), start=1) if text in texts)


def rows_per_page(path, prefix: str, count: int) -> list[tuple[int, str, str, int]]:
    """(page, first row, last row, rows) for each page a table's rows are printed on."""
    by_page: dict[int, list[str]] = {}
    for label, page in pages_of(path, prefix, count).items():
        by_page.setdefault(page, []).append(label)
    return [(page, min(labels), max(labels), len(labels)) for page, labels in sorted(by_page.items())]


@pytest.fixture(scope="module")
def book(built):
    return built(NAME)


# -- tables that fall at a page foot (styles/custom-pdf.css puts them there) --------------------


def test_a_six_row_table_that_would_be_split_is_kept_whole_on_the_next_page(book):
    # the six table's article starts on page 3; there was room for four of its rows
    assert rows_per_page(book.pdf, "A", 6) == [(4, "A01", "A06", 6)]
    assert first_page_with(book.pdf, "six-row") == 3  # the paragraph before it stayed on the article's first page


def test_a_twelve_row_table_with_room_for_two_rows_moves_whole_to_the_next_page(book):
    assert rows_per_page(book.pdf, "B", 12) == [(6, "B01", "B12", 12)]


def test_a_twelve_row_table_with_room_for_ten_rows_carries_three_rows_over(book):
    assert rows_per_page(book.pdf, "D", 12) == [(7, "D01", "D09", 9), (8, "D10", "D12", 3)]


def test_a_ninety_row_table_leaves_at_least_three_rows_on_each_page(book):
    # 15 rows fit on the first page, 37 on each other: C90 alone would end it, so C88 and C89 go with it
    assert rows_per_page(book.pdf, "C", 90) == [
        (9, "C01", "C15", 15),
        (10, "C16", "C52", 37),
        (11, "C53", "C87", 35),
        (12, "C88", "C90", 3),
    ]


def test_a_table_caption_is_printed_above_its_header_on_the_page_of_its_first_row(book):
    for (
        caption,
        first,
    ) in (("Six rows", "A01"), ("Ninety rows", "C01")):
        page = words(book.pdf)[first_page_with(book.pdf, first) - 1]["words"]
        texts = [word[4] for word in page]
        header_y = next(word[1] for word in page if word[4] in ("Measure", "Row"))
        caption_y = [
            word[1]
            for index, word in enumerate(page)
            if texts[index : index + 2] == caption.split() and word[1] > 62  # below the running head
        ]
        assert caption_y and caption_y[-1] < header_y, caption


def test_the_header_repeats_on_every_page_a_table_spans(book):
    for page in (9, 10, 11, 12):
        texts = page_words(book.pdf)[page - 1]
        assert texts.count("Row") == 1 and texts.count("Figure") == 1, page


def test_a_continued_fact_table_says_so_on_its_later_pages_only(book):
    continued = [
        number
        for number, texts in enumerate(page_words(book.pdf), start=1)
        if any(texts[i : i + 3] == ["Ninety", "rows", "(continued)"] for i in range(len(texts)))
    ]
    assert continued == [10, 11, 12]


# -- wide tables ---------------------------------------------------------------------------------

WIDE = {
    "12-column Markdown table": (
        ["Region"]
        + [
            f"{m} M"
            for m in [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
            ]
        ],
        "M",
    ),
    "12-column fact table": (
        ["Region"]
        + [
            f"{m} total"
            for m in [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
            ]
        ],
        "T",
    ),
    "14-column Markdown table": (
        ["Region"]
        + [
            f"{m} W"
            for m in [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
                "Thirteenth",
            ]
        ],
        "W",
    ),
    "14-column fact table": (
        ["Region"]
        + [
            f"{m} total"
            for m in [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
                "Thirteenth",
            ]
        ],
        "F",
    ),
}


@pytest.mark.parametrize("table", WIDE)
def test_every_column_header_and_the_last_cell_of_every_row_of_a_wide_table_is_printed(book, table):
    headers, prefix = WIDE[table]
    wide = first_page_with(book.pdf, "wider")
    text = " ".join(" ".join(texts) for texts in page_words(book.pdf)[wide - 1 : wide + 2])
    missing = [header for header in headers if header not in text]
    assert missing == []
    assert [f"{prefix}{row}end" in text.split() for row in range(1, 5)] == [True] * 4


def test_a_wide_table_is_set_tighter_then_on_a_landscape_page(book):
    wide = first_page_with(book.pdf, "wider")
    sizes = [(round(page["width"]), round(page["height"])) for page in words(book.pdf)[wide - 1 : wide + 3]]
    # the 12-column Markdown table fits the column in 7 pt type; the 12-column fact table (whose
    # figures' headers never break) and the 14-column Markdown table share a landscape page; the
    # 14-column fact table needs one in 7 pt; the code article is upright again
    assert sizes == [(595, 842), (842, 595), (842, 595), (595, 842)]


def test_nothing_is_printed_outside_the_page(book):
    outside = [
        (number, word[4])
        for number, page in enumerate(words(book.pdf), start=1)
        for word in page["words"]
        if word[0] < 0 or word[1] < 0 or word[2] > page["width"] or word[3] > page["height"]
    ]
    assert outside == []


def test_no_text_runs_into_the_right_margin(book):
    # the text column ends 20 mm from the page's right edge
    beyond = [
        (number, word[4])
        for number, page in enumerate(words(book.pdf), start=1)
        for word in page["words"]
        if word[2] > page["width"] - 20 * 72 / 25.4 + 0.5
    ]
    assert beyond == []


def test_landscape_pages_are_furnished_as_a_single_layout_furnishes_them(book, tmp_path):
    single = build_in_one_process(copy_project(NAME, tmp_path / "p"), formats=["pdf"], jobs=1).outputs["pdf"]
    chunked, alone = words(book.pdf), words(single)
    assert len(chunked) == len(alone)
    landscape = [index for index, page in enumerate(alone) if page["width"] > page["height"]]
    assert len(landscape) == 2
    for index in landscape:
        furniture = [
            [(round(w[0], 1), round(w[1], 1), w[4]) for w in page["words"] if w[1] < 70 or w[1] > page["height"] - 70]
            for page in (chunked[index], alone[index])
        ]
        assert furniture[0] == furniture[1]
        assert [w[2] for w in furniture[1]][-4:] == ["Page", str(index + 1), "of", str(len(alone))]


def test_a_table_too_wide_even_for_a_landscape_page_is_a_located_warning_naming_its_columns(write_project, run_cli):
    header = "| " + " | ".join(f"Column{n:02d}Heading" for n in range(1, 13)) + " |"
    rule = "|" + "---|" * 12
    row = "| " + " | ".join("x" for _ in range(12)) + " |"
    root = write_project({"content/a.md": f"---\ntitle: A\n---\nText.\n\n{header}\n{rule}\n{row}\n"})
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr.splitlines()) == (
        0,
        [
            "content/a.md:6: warning: this table is 293 mm wide in 7 pt type, wider than a landscape page (255 mm): "
            "columns 'Column11Heading', 'Column12Heading' do not fit, so words in its cells are broken anywhere; "
            "show fewer columns (':columns:') or split the table"
        ],
    )


def test_the_columns_of_a_table_too_wide_for_a_landscape_page_are_all_printed_on_it(write_project):
    header = "| " + " | ".join(f"Column{n:02d}Heading" for n in range(1, 25)) + " |"
    rule = "|" + "---|" * 24
    row = "| " + " | ".join(f"cell{n:02d}" for n in range(1, 25)) + " |"
    root = write_project({"content/a.md": f"---\ntitle: A\n---\nText.\n\n{header}\n{rule}\n{row}\n"})
    pdf = build(root, formats=["pdf"]).outputs["pdf"]
    page = words(pdf)[-1]
    assert page["width"] > page["height"]
    assert [w for w in page["words"] if w[2] > page["width"] - 20 * 72 / 25.4 + 0.5] == []
    assert "cell24" in " ".join(w[4] for w in page["words"])


@pytest.mark.parametrize(
    ("page_size", "columns", "expected"),
    [
        ("A4", 8, "table-short"),
        ("A4", 10, "table-tight table-short"),
        ("A4", 12, "table-wide table-short"),
        ("A4", 15, "table-wide table-tight table-short"),
        ("Letter", 13, "table-wide table-tight table-short"),
        ("A4", 18, "table-wide table-tight table-overfull table-short"),
    ],
)
def test_a_table_is_set_in_the_first_setting_its_columns_fit(page_size, columns, expected):
    header = [f"Heading{n:02d}" for n in range(columns)]
    rows = [[Cell(text, bold=True) for text in header], [Cell("12,345", nowrap=True) for _ in header]]
    assert fit_table(header, rows, page_size).classes == expected


def test_a_table_of_more_than_eight_body_rows_is_not_kept_whole():
    rows = [[Cell("Head", bold=True)]] + [[Cell(str(n))] for n in range(9)]
    assert fit_table(["Head"], rows, "A4").classes == ""


# -- code ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        "TAILPY1",
        "TAILPY2",
        "TAILPLAIN",
        "aVeryLongTokenWithoutAnySpacesInsideItThatMustBreakSomewhereBeforeTheEdgeOfThePaperTAILTOKEN",
    ],
)
def test_the_last_characters_of_each_long_code_line_are_printed(book, tail):
    code = first_page_with(book.pdf, "def")
    assert tail in page_words(book.pdf)[code - 1]


def test_a_wrapped_code_line_continues_under_a_mark_in_its_indent(book, tmp_path):
    code = first_page_with(book.pdf, "def")
    page = words(book.pdf)[code - 1]
    start = next(w for w in page["words"] if w[4] == "an")  # "an unknown info string …"
    edge = next(w for w in page["words"] if w[4] == "edge:")  # … its continuation line
    assert edge[0] - start[0] == pytest.approx(2 * 0.6 * 7.5, abs=0.3)  # hangs two characters in
    # the mark: dark pixels in those two characters, on the continuation line and not on the first
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "144", "-f", str(code), "-l", str(code), str(book.pdf), str(tmp_path / "p")],
        check=True,
    )
    image = next(tmp_path.glob("p*.pgm")).read_bytes()
    width, height, pixels = _pgm(image)
    scale = 144 / 72

    def darkest(x0, x1, y0, y1):
        return min(
            pixels[y * width + x]
            for y in range(int(y0 * scale), int(y1 * scale))
            for x in range(int(x0 * scale), int(x1 * scale))
        )

    assert darkest(start[0], edge[0] - 0.5, edge[1], edge[3]) < 128  # the arrow
    assert darkest(start[0] - 8, start[0] - 1, start[1], start[3]) > 200  # no arrow before the first line


def _pgm(data: bytes):
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    return int(match.group(1)), int(match.group(2)), data[match.end() :]


def test_inline_code_leaves_no_wide_gaps_in_a_justified_line(book):
    code = first_page_with(book.pdf, "def")
    page = words(book.pdf)[code - 1]["words"]
    first = next(i for i, w in enumerate(page) if w[4] == "justified")
    lines: dict[float, list] = {}
    for word in page[first - 1 :]:
        if word[4] == "def":
            break
        lines.setdefault(round(word[3]), []).append(word)
    gaps = [b[0] - a[2] for line in list(lines.values())[:-1] for a, b in zip(line, line[1:])]
    assert len(lines) == 3 and max(gaps) < 5.0, gaps


def test_fenced_code_is_highlighted_in_the_web_edition(book):
    tree = html.parse(str(book.html))
    pre = tree.xpath("//pre[contains(@class, 'code')]")
    assert [p.get("class") for p in pre] == ["code highlight", "code", "code"]
    assert pre[0].xpath("string(.//span[@class='k'][1])") == "def"
    assert pre[0].xpath("string(.//span[@class='nf'][1])") == "long_function"
    assert pre[0].xpath("count(.//span[@class='line'])") == 3


def test_fenced_code_is_highlighted_in_the_ebook(book):
    with zipfile.ZipFile(book.epub) as epub:
        name = next(n for n in epub.namelist() if n.endswith("code.xhtml"))
        tree = etree.fromstring(epub.read(name))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pre = tree.xpath("//x:pre[contains(@class, 'code')]", namespaces=ns)
    assert [p.get("class") for p in pre] == ["code highlight", "code", "code"]
    assert tree.xpath("string((//x:pre)[1]//x:span[@class='k'][1])", namespaces=ns) == "def"
    assert tree.xpath("string((//x:pre)[1]//x:span[@class='c1'][1])", namespaces=ns) == "# ends with TAILPY1"


def test_the_ebook_with_highlighted_code_and_wide_tables_passes_epubcheck(epubcheck):  # noqa: F811
    code, messages = epubcheck(NAME)
    assert (code, [m["message"] for m in messages]) == (0, [])


def test_an_unknown_info_string_is_set_as_plain_text(book):
    assert render_code("x = 1\n", "no-such-language", "html") == (
        '<pre class="code"><code class="language-no-such-language"><span class="line">x = 1</span></code></pre>\n'
    )
    assert [str(w) for w in book.warnings] == []


def test_code_is_escaped_whether_highlighted_or_not():
    for info in ("python", "", "nope"):
        out = render_code('<script>"&"</script>\n', info, "pdf")
        assert "<script>" not in out and "&lt;" in out, info


def test_the_print_fonts_embedded_for_code_are_a_subset_of_jetbrains_mono(book):
    pdf = pikepdf.open(book.pdf)
    names = {str(font.get("/BaseFont")) for page in pdf.pages for font in (page.Resources.get("/Font") or {}).values()}
    assert any(name.endswith("JetBrainsMono-Regular") or "JetBrains" in name for name in names), names


def test_landscape_pages_are_furnished_as_a_single_layout_when_the_furniture_is_laid_out(tmp_path):
    pdfs = []
    for jobs in (1, 3):
        root = copy_project(NAME, tmp_path / f"j{jobs}")
        # a box the drawing cannot reproduce: the chunks' furniture is laid out on blank pages
        with open(root / "styles" / "custom-pdf.css", "a", encoding="utf-8") as css:
            css.write('@page { @top-center { content: "DRAFT"; } } @page cover { @top-center { content: none; } }\n')
        result = build_in_one_process(root, formats=["pdf"], jobs=jobs)
        pdfs.append(result.outputs["pdf"])
    assert any("laid out, not drawn" in note for note in result.notes), result.notes
    single, chunked = (words(pdf) for pdf in pdfs)
    landscape = [index for index, page in enumerate(single) if page["width"] > page["height"]]
    assert len(landscape) == 2 and [chunked[i]["width"] > chunked[i]["height"] for i in landscape] == [True, True]
    for index in landscape:
        furniture = [
            [(round(w[0], 1), round(w[1], 1), w[4]) for w in page["words"] if w[1] < 70 or w[1] > page["height"] - 70]
            for page in (chunked[index], single[index])
        ]
        assert furniture[0] == furniture[1] and "DRAFT" in [w[2] for w in furniture[1]]


def test_the_tables_and_code_pass_the_pdf_ua_rules(tmp_path):
    import page

    root = copy_project(NAME, tmp_path / "p")
    with open(root / "report.yaml", "a", encoding="utf-8") as config:
        config.write("pdf:\n  variant: pdf/ua-1\n")
    pdf = build(root, formats=["pdf"]).outputs["pdf"]
    report = page.validate_pdf(str(pdf), profile="ua1")
    assert [failure.rule_id for failure in report.failures] == []
