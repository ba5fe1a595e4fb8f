"""The PDF briefing, read back from the real file: metadata, bookmarks, contents, page
furniture, fonts, facts, long tables, footnotes and structural validity."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from functools import cache

import pikepdf
import pytest

from report_builder import build, check

PRINTED = ("sample", "multilingual", "long-table")

MARKINGS = {
    "sample": "FOR INTERNAL DISTRIBUTION",  # the footer sets the marking in capitals
    "multilingual": "TEST MARKING",
    "long-table": "TEST MARKING",
}

HEADING_TREES = {
    "sample": [
        (1, "The Smoke and the Rails"),
        (2, "What’s at stake"),
        (2, "On the ground: voices and images"),
        (2, "Numbers behind the headlines"),
        (2, "Why Ukraine can’t simply plug the gap"),
        (2, "Everyday resilience and the cultural pulse"),
        (2, "What does the world do now?"),
        (1, "Sources"),
        (2, "The military situation"),
        (2, "Numbers behind the headlines"),
        (2, "Mobilisation and migration"),
    ],
    "multilingual": [
        (1, "Winter Roads North"),
        (2, "Leaving the capital"),
        (2, "Ґанок and other words"),
        (1, "Athens in Two Alphabets"),
        (2, "Greek in running text"),
        (3, "Accents and final sigma"),
        (2, "A simple chart"),
        (1, "Cities by the Numbers"),
        (2, "The largest cities"),
        (2, "A photograph"),
        (1, "Sources"),
        (2, "Largest cities of Ukraine"),
    ],
    "long-table": [
        (1, "The Ledger"),
        (2, "Line items"),
        (1, "Sources"),
        (2, "Ledger of line items"),
    ],
}


# -- reading the PDF -----------------------------------------------------------------


@cache
def page_lines(path) -> tuple[tuple[str, ...], ...]:
    """Each page's text laid out as on paper, one stripped line per printed line."""
    pages = _pdftotext(path, "-layout")
    return tuple(tuple(line.strip() for line in page.splitlines()) for page in pages)


@cache
def page_texts(path) -> tuple[str, ...]:
    """Each page's text in drawing order, hyphenation undone and whitespace collapsed."""
    return tuple(_joined(page) for page in _pdftotext(path, "-raw"))


def _pdftotext(path, mode):
    completed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", mode, str(path), "-"], capture_output=True, text=True, check=True
    )
    return completed.stdout.split("\f")[:-1]


def _joined(text: str) -> str:
    text = re.sub(r"\u2010[ \t]*\n\s*", "", text)  # a hyphen the layout added
    text = re.sub(r"([-—])[ \t]*\n\s*", r"\1", text)  # a line broken after a hyphen or dash in the text
    return re.sub(r"\s+", " ", text).strip()


def pages_containing(path, needle: str) -> list[int]:
    return [number for number, text in enumerate(page_texts(path), 1) if needle in text]


def document_text(path) -> str:
    return " ".join(page_texts(path))


def landing_pages(path, titles) -> list[int | None]:
    """The page where each heading lands: the first page, from the previous heading's page on,
    with a line reading exactly that title (page 1 is the cover and never holds a heading)."""
    lines = page_lines(path)
    found, start = [], 2
    for title in titles:
        page = next((number for number in range(start, len(lines) + 1) if title in lines[number - 1]), None)
        found.append(page)
        start = page or start
    return found


def outline(path) -> list[tuple[int, str, int]]:
    """(level, title, page) of every bookmark, depth first."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        items = []

        def walk(children, level):
            for item in children:
                destination = item.destination
                page = pages.get(destination[0].objgen) if isinstance(destination, pikepdf.Array) else None
                items.append((level, item.title, page))
                walk(item.children, level + 1)

        with pdf.open_outline() as tree:
            walk(tree.root, 1)
        return items


def contents_entries(path) -> list[tuple[str, int]]:
    """(title, printed page number) of each line of the contents page."""
    entries = []
    for lines in page_lines(path):
        if "Contents" not in lines:
            continue
        for line in lines:
            match = re.fullmatch(r"(.+?)\s{2,}(\d+)", line)  # the leader dots are not text
            if match:
                entries.append((match.group(1), int(match.group(2))))
    return entries


def fonts(path) -> list[dict]:
    """Every font dictionary a page or form can use: name, subtype and whether its file is embedded."""
    found = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
                continue
            if obj.get("/Subtype") in ("/CIDFontType0", "/CIDFontType2"):
                continue  # a descendant, described with its Type 0 parent
            described = obj.DescendantFonts[0] if obj.get("/Subtype") == "/Type0" else obj
            descriptor = described.get("/FontDescriptor", pikepdf.Dictionary())
            found.append(
                {
                    "name": str(obj.get("/BaseFont", "")),
                    "subtype": str(obj.get("/Subtype")),
                    "embedded": any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")),
                }
            )
    return found


def family(base_font: str) -> str:
    name = re.sub(r"^[A-Z]{6}\+", "", base_font.lstrip("/"))
    for known in ("Noto-Serif", "Noto-Sans"):
        if name == known or name.startswith(known + "-"):
            return known
    return name


def page_sizes(path) -> set[tuple[float, float]]:
    with pikepdf.open(path) as pdf:
        return {
            (
                round(float(page.mediabox[2]) - float(page.mediabox[0]), 1),
                round(float(page.mediabox[3]) - float(page.mediabox[1]), 1),
            )
            for page in pdf.pages
        }


# -- metadata --------------------------------------------------------------------------


def test_document_info_carries_title_author_subject_and_keywords_from_report_yaml(built_print):
    with pikepdf.open(built_print("sample").pdf) as pdf:
        info = {key: str(pdf.docinfo[key]) for key in ("/Title", "/Author", "/Subject", "/Keywords")}
    assert info == {
        "/Title": "The Smoke and the Rails",
        "/Author": "Briefing Desk",
        "/Subject": "A briefing on the battle for the Donetsk rail hub of Pokrovsk, the civilians who "
        "remain there and the manpower strain shaping Ukraine’s defence.",
        "/Keywords": "Pokrovsk, Donetsk region, Russia–Ukraine war, siege warfare, mobilisation, "
        "migration, air defence",
    }


@pytest.mark.parametrize(
    ("name", "date"), [("sample", "D:20251105"), ("multilingual", "D:20240615"), ("long-table", "D:20240901")]
)
def test_creation_and_modification_dates_are_the_report_date(built_print, name, date):
    with pikepdf.open(built_print(name).pdf) as pdf:
        assert (str(pdf.docinfo["/CreationDate"]), str(pdf.docinfo["/ModDate"])) == (date, date)


@pytest.mark.parametrize("name", PRINTED)
def test_pdf_declares_the_document_language(built_print, name):
    with pikepdf.open(built_print(name).pdf) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"


def test_pages_are_a4_by_default(built_print):
    assert page_sizes(built_print("sample").pdf) == {(595.3, 841.9)}


def test_pages_are_letter_when_report_yaml_asks_for_it(project):
    root = project("minimal")
    config = root / "report.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "pdf:\n  page_size: Letter\n", encoding="utf-8")
    result = build(root, formats=["pdf"])
    assert page_sizes(result.outputs["pdf"]) == {(612.0, 792.0)}


# -- bookmarks and contents ------------------------------------------------------------


@pytest.mark.parametrize("name", PRINTED)
def test_bookmarks_mirror_the_heading_tree(built_print, name):
    assert [(level, title) for level, title, _page in outline(built_print(name).pdf)] == HEADING_TREES[name]


@pytest.mark.parametrize("name", PRINTED)
def test_each_bookmark_opens_the_page_where_its_heading_lands(built_print, name):
    pdf = built_print(name).pdf
    items = outline(pdf)
    assert [page for _level, _title, page in items] == landing_pages(pdf, [title for _l, title, _p in items])


CONTENTS = {
    "sample": [
        "The Smoke and the Rails",
        "What’s at stake",
        "On the ground: voices and images",
        "Numbers behind the headlines",
        "Why Ukraine can’t simply plug the gap",
        "Everyday resilience and the cultural pulse",
        "What does the world do now?",
        "Sources",
    ],
    "multilingual": [
        "Winter Roads North",
        "Leaving the capital",
        "Ґанок and other words",
        "Athens in Two Alphabets",
        "Greek in running text",
        "A simple chart",
        "Cities by the Numbers",
        "The largest cities",
        "A photograph",
        "Sources",
    ],
}


@pytest.mark.parametrize("name", CONTENTS)
def test_contents_lists_articles_their_sections_and_sources_in_order(built_print, name):
    assert [title for title, _page in contents_entries(built_print(name).pdf)] == CONTENTS[name]


@pytest.mark.parametrize("name", CONTENTS)
def test_every_contents_page_number_is_the_page_where_the_heading_lands(built_print, name):
    pdf = built_print(name).pdf
    entries = contents_entries(pdf)
    assert [page for _title, page in entries] == landing_pages(pdf, [title for title, _page in entries])


def test_no_contents_page_when_report_yaml_turns_it_off(built_print):
    assert [
        number for number, lines in enumerate(page_lines(built_print("long-table").pdf), 1) if "Contents" in lines
    ] == []


# -- page furniture --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sample",
        "multilingual",
        "long-table",
    ],
)
def test_every_page_after_the_cover_carries_the_marking_and_its_page_number(built_print, name):
    pages = page_lines(built_print(name).pdf)
    footers = [[line for line in lines if line][-1] for lines in pages[1:]]
    wrong = [
        footer
        for number, footer in enumerate(footers, 2)
        if not re.fullmatch(rf"{MARKINGS[name]}\s+Page {number} of {len(pages)}", footer)
    ]
    assert (len(footers), wrong) == (len(pages) - 1, [])


@pytest.mark.parametrize("name", PRINTED)
def test_the_cover_has_no_page_number(built_print, name):
    assert "Page 1 of" not in page_texts(built_print(name).pdf)[0]


@pytest.mark.parametrize(("name", "page"), [("sample", 3), ("multilingual", 3), ("long-table", 2)])
def test_first_article_follows_the_cover_and_contents_with_no_page_between(built_print, name, page):
    first_article = HEADING_TREES[name][0][1]
    assert landing_pages(built_print(name).pdf, [first_article]) == [page]


# -- fonts -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRINTED)
def test_every_font_is_embedded_and_subset(built_print, name):
    problems = [
        f["name"] for f in fonts(built_print(name).pdf) if not (f["embedded"] and re.match(r"/[A-Z]{6}\+", f["name"]))
    ]
    assert problems == []


@pytest.mark.parametrize("name", PRINTED)
def test_only_noto_serif_and_noto_sans_are_used(built_print, name):
    assert {family(f["name"]) for f in fonts(built_print(name).pdf)} == {"Noto-Serif", "Noto-Sans"}


@pytest.mark.parametrize("name", PRINTED)
def test_all_fonts_are_outline_fonts_with_no_type3_fallback(built_print, name):
    assert {f["subtype"] for f in fonts(built_print(name).pdf)} == {"/Type0"}


# -- text, facts and links -------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "The bus left Київ before dawn.",
        "“Η Αθήνα είναι η πρωτεύουσα της Ελλάδας”",
        "compare “Ελλάδας” with “σας”.",
        "Ґанок and other words",
        "Ukrainian letters є, і, ї and ґ must survive every output format.",
        "Запоріжжя 710,052 1.7%",
        "‘better than last year’s’ – which, all agreed, was not saying much…",
    ],
)
def test_cyrillic_greek_and_typographic_punctuation_survive_into_the_pdf_text(built_print, phrase):
    assert phrase in document_text(built_print("multilingual").pdf)


FACTS = [
    # (project, the sentence around an inline {fact}, the table row showing the same figure)
    ("sample", "once home to more than 60,000 people", "Pre-war population of Pokrovsk more than 60,000"),
    ("sample", "now counts roughly 1,200 souls", "Residents remaining roughly 1,200"),
    (
        "sample",
        "development: approximately 200 Russian soldiers",
        "Russian soldiers infiltrated into the town centre approximately 200",
    ),
    ("sample", "but still some 6–8 km from a full link-up", "a full link-up with units to the north some 6–8 km"),
    ("sample", "data showed roughly 45,000 men", "Men aged 18–22 entering Poland January–August roughly 45,000"),
    ("sample", "swelled by almost 100,000.", "since the easing Since late August almost 100,000"),
    ("sample", "from around 100 a week in late August", "Germany Late August around 100 a week"),
    ("sample", "to more than 1,400 a week by October", "Germany October more than 1,400 a week"),
    ("multilingual", "The capital is home to 2,952,301 people, roughly 7.2% of", "Київ 2,952,301 7.2%"),
    ("multilingual", "counts 717,273 — a figure", "Львів 717,273 1.8%"),
    ("long-table", "The first entry, 138,271, and the last, 222,233,", "Rations, batch 1 138,271 2.3% 2022 Q1"),
]


@pytest.mark.parametrize(("name", "prose", "row"), FACTS)
def test_inline_fact_is_printed_in_the_prose_as_formatted(built_print, name, prose, row):
    assert prose in document_text(built_print(name).pdf)


@pytest.mark.parametrize(("name", "prose", "row"), FACTS)
def test_the_fact_table_row_shows_the_same_formatted_figure(built_print, name, prose, row):
    assert row in document_text(built_print(name).pdf)


def test_external_link_address_is_printed_after_the_link_text(built_print):
    assert "Institute for the Study of War (https://understandingwar.org)" in document_text(built_print("sample").pdf)


def test_external_link_stays_clickable(built_print):
    with pikepdf.open(built_print("sample").pdf) as pdf:
        uris = [
            str(annotation.A.URI)
            for page in pdf.pages
            for annotation in page.get("/Annots", [])
            if annotation.get("/Subtype") == "/Link" and "/A" in annotation and "/URI" in annotation.A
        ]
    assert "https://understandingwar.org" in uris


# -- long tables -----------------------------------------------------------------------

LEDGER_HEADER = "Item Amount Share of total Period"


def ledger_rows(root) -> list[str]:
    """Each row of the ledger as the table prints it: its cells in order."""
    table = check(root).tables["ledger"]
    return [" ".join(row.cells[column.key] for column in table.columns) for row in table.rows]


def test_long_table_repeats_its_header_row_on_every_page_it_spans(built_print):
    built = built_print("long-table")
    rows = ledger_rows(built.root)
    texts = page_texts(built.pdf)
    spanned = [
        number
        for number, text in enumerate(texts, 1)
        if any(row in text for row in rows) and "Every figure in this publication" not in text
    ]
    assert len(spanned) >= 3  # the fixture is long enough to need several pages
    assert [number for number in spanned if LEDGER_HEADER not in texts[number - 1]] == []


def test_long_table_splits_no_row_across_pages(built_print):
    built = built_print("long-table")
    texts = page_texts(built.pdf)
    broken = [row for row in ledger_rows(built.root) if not any(row in text for text in texts)]
    assert broken == []


# -- footnotes -------------------------------------------------------------------------

FOOTNOTES = [
    # (project, the text just before the call followed by the call's number, the note as printed)
    (
        "sample",
        "(https://understandingwar.org)1",
        "1. The Institute for the Study of War (ISW) is a Washington-based think tank",
    ),
    ("sample", "produced by DeepState2", "2. DeepState is an independent Ukrainian mapping project"),
    ("multilingual", "somewhere dry to wait.1", "1. The letter ґ was removed from the official alphabet"),
]


@pytest.mark.parametrize(("name", "call", "note"), FOOTNOTES)
def test_footnote_lands_on_the_page_of_its_call(built_print, name, call, note):
    pdf = built_print(name).pdf
    call_pages = pages_containing(pdf, call)
    assert len(call_pages) == 1
    assert pages_containing(pdf, note) == call_pages


# -- validity --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
@pytest.mark.parametrize("name", PRINTED)
def test_qpdf_finds_no_structural_errors(built_print, name):
    completed = subprocess.run(["qpdf", "--check", str(built_print(name).pdf)], capture_output=True, text=True)
    assert (completed.returncode, completed.stderr) == (0, "")


@pytest.mark.parametrize("name", PRINTED)
def test_building_a_good_fixture_reports_no_warnings(built_print, name):
    assert [str(warning) for warning in built_print(name).warnings] == []


# -- the footnote fix and the WeasyPrint version guard (writers/pdf/weasy.py) --------------------

#: a paragraph whose second line no longer fits once the footnote above is on the page: orphans
#: keep the first line from staying alone, so WeasyPrint 70 moves that footnote to the next page
#: to make room, a page after its call
ORPHAN_AFTER_A_FOOTNOTE = """<style>
@page { size: 200px 100px; margin: 0; @footnote { margin: 0; padding: 0 } }
html { font: 10px/10px sans-serif } body { margin: 0 }
p { margin: 0; orphans: 2; widows: 2 }
.note { float: footnote } ::footnote-call { content: "*" } ::footnote-marker { content: "" }
</style>
<p>Call<span class="note">NOTEBODY</span></p>
<div style="height: 60px"></div>
<p>first line<br>second line<br>third line<br>fourth line</p>
"""


def _pages_of(pdf: bytes, *words: str) -> list[list[int]]:
    import io

    import pypdf

    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    return [[index for index, text in enumerate(texts) if word in text] for word in words]


def _footnote_layout(write_project) -> bytes:
    from report_builder.project import load_project
    from report_builder.writers.pdf import layout_pdf, write_pdf

    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nText.\n"})
    layout = layout_pdf(ORPHAN_AFTER_A_FOOTNOTE, load_project(root), "id")
    return write_pdf(layout, "id")


def test_a_footnote_stays_on_the_page_of_its_call_when_the_next_paragraph_cannot_break(write_project):
    pdf = _footnote_layout(write_project)
    assert _pages_of(pdf, "Call", "NOTEBODY", "first line") == [[0], [0], [1]]


def test_without_the_fix_weasyprint_70_puts_that_footnote_a_page_after_its_call(write_project):
    """The document above shows the bug the fix is for: without it the test above would fail."""
    from report_builder.writers.pdf import weasy

    _footnote_layout(write_project)  # the writer applies the fix
    assert weasy.footnote_fix_applied()
    with weasy.footnote_fix_undone():
        pdf = _footnote_layout(write_project)
    assert _pages_of(pdf, "Call", "NOTEBODY", "first line") == [[0], [1], [0]]


def test_the_footnote_fix_refuses_to_apply_to_a_function_it_was_not_written_for(monkeypatch):
    import weasyprint.layout.block as block

    from report_builder.writers.pdf import weasy

    monkeypatch.setattr(weasy, "_footnote_original", None)
    monkeypatch.setattr(block, "_linebox_layout", lambda *args: None)
    with pytest.raises(AssertionError, match="_linebox_layout changed: the footnote fix cannot apply"):
        weasy.apply_footnote_fix()


def test_another_weasyprint_series_is_laid_out_in_one_process_and_says_so_once(project, monkeypatch):
    from report_builder.writers.pdf import weasy

    monkeypatch.setattr(weasy, "installed_version", lambda: "71.0")
    root = project("multilingual")
    result = build(root, formats=["pdf", "epub"], jobs=2)
    notes = [note for note in result.notes if "WeasyPrint" in note]
    assert notes == [
        "pdf: WeasyPrint 71.0 is not the tested 70.x: its public API only (one layout in one process, "
        "images named by address, footnotes as it places them, EPUB page starts at element boundaries)",
    ]
    assert not any("chunk" in note for note in result.notes)
    pages = len(pikepdf.open(result.outputs["pdf"]).pages)
    with zipfile.ZipFile(result.outputs["epub"]) as book:  # page starts from the pages' anchors
        nav = book.read(next(name for name in book.namelist() if name.endswith("nav.xhtml"))).decode()
    listed = re.search(r'epub:type="page-list".*?</nav>', nav, re.S).group(0)
    assert pages > 3 and len(re.findall(r"<li", listed)) == pages
