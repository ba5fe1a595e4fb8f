"""Two-sided printing (pdf.duplex, pdf.chapter_start) and the page labels, on real PDFs: single
layouts and chunked ones, which must equal them."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pikepdf
import pypdf
import pytest
from lxml import etree

from conftest import build_single_layout, margin_lines, outline, page_texts
from report_builder import build as build_project
from report_builder.config import load_config
from report_builder.labels import page_label
from report_builder.project import load_project

#: paragraphs per article: articles of one, two and three pages, so that chunks end on either side
PARAGRAPHS = (4, 11, 3, 12, 5, 3)
WORDS = [
    "the",
    "rail",
    "hub",
    "supply",
    "lines",
    "weather",
    "morale",
    "and",
    "routines",
    "of",
    "those",
    "who",
    "remain",
    "shape",
    "what",
    "commanders",
    "do",
]


def _paragraph(seed: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(90)).capitalize() + "."


def _files(chapter_start: str | None, duplex: bool = True) -> dict[str, str]:
    files = {}
    for n, count in enumerate(PARAGRAPHS):
        body = "\n\n".join(_paragraph(n * 31 + i) for i in range(count))
        files[f"content/a{n}.md"] = f"---\ntitle: Article {n}\n---\n\n## Part {n}\n\n{body}\n"
    files["content/a1.md"] += "\nSee [the last part](#a5-part-5).\n"
    start = f"  chapter_start: {chapter_start}\n" if chapter_start else ""
    files["report.yaml"] = (
        "title: Two Sides\nlanguage: en-GB\ndate: 2025-01-01\nmarking: Official\n"
        f"articles: [{', '.join(f'a{n}.md' for n in range(len(PARAGRAPHS)))}]\n"
        f"pdf:\n  duplex: {'true' if duplex else 'false'}\n{start}"
    )
    return files


def _write(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _build(root, chunked: bool, formats=("pdf",)):
    if chunked:
        return build_project(root, formats=list(formats), jobs=2)
    return build_single_layout(root, formats=list(formats))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """books[(chapter_start, layout)] → the build; layout is "single" or "chunked"."""
    found = {}
    for start in ("right", "any"):
        for layout in ("single", "chunked"):
            root = _write(tmp_path_factory.mktemp(f"{start}-{layout}") / "p", _files(start))
            formats = ("pdf", "epub") if (start, layout) == ("right", "chunked") else ("pdf",)
            found[(start, layout)] = _build(root, layout == "chunked", formats)
    return found


def pdf_of(books, start="right", layout="single"):
    return books[(start, layout)].outputs["pdf"]


def article_pages(path) -> list[int]:
    """The physical page (1 = the cover) each article starts on, read off the bookmarks."""
    return [index + 1 for depth, title, index in outline(path) if depth == 0 and title.startswith("Article")]


def folio(text: str) -> str | None:
    found = re.findall(r"Page (\d+) of \d+", text)
    assert len(found) <= 1, text
    return found[0] if found else None


def folio_x(path, index: int) -> tuple[float, float]:
    """Where the page number starts and the page's width, in points."""
    found = []

    def visit(text, cm, tm, _font, _size):
        if re.fullmatch(r"Page \d+ of \d+", text.strip()):
            found.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

    page = pypdf.PdfReader(path).pages[index]
    page.extract_text(visitor_text=visit)
    [x] = found
    return x, float(page.mediabox.width)


def test_the_contents_and_the_first_article_start_on_odd_pages(books):
    texts = page_texts(pdf_of(books))
    contents = next(n for n, text in enumerate(texts, 1) if "Contents" in text)
    firsts = [article_pages(pdf_of(books, start, layout))[0] for start, layout in books]
    assert (contents, firsts) == (3, [5, 5, 5, 5])


def test_the_page_after_the_cover_is_left_blank(books):
    assert page_texts(pdf_of(books))[1] == ""


def test_every_blank_page_carries_no_text_and_no_furniture(books):
    path = pdf_of(books)
    blank = [n for n, text in enumerate(page_texts(path), 1) if "OFFICIAL" not in text and n > 1]
    assert len(blank) >= 3
    for number in blank:
        shown = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"], capture_output=True, text=True
        )
        assert shown.stdout.strip() == "", number


def test_the_page_number_sits_on_the_outer_edge_of_odd_and_even_pages(books):
    path = pdf_of(books)
    numbered = [n for n, text in enumerate(page_texts(path), 1) if folio(text)]
    assert {n % 2 for n in numbered} == {0, 1}
    for number in numbered:
        x, width = folio_x(path, number - 1)
        assert (x > width / 2) == (number % 2 == 1), (number, x)


def test_the_running_heads_change_sides_with_the_page(books):
    texts = page_texts(pdf_of(books))
    even = next(n for n, text in enumerate(texts, 1) if n % 2 == 0 and folio(text))
    odd = next(n for n, text in enumerate(texts, 1) if n % 2 == 1 and n > 3 and folio(text))

    def head(number):  # the first line of text drawn in the top margin, by x
        found = []
        page = pypdf.PdfReader(pdf_of(books)).pages[number - 1]
        height = float(page.mediabox.height)

        def visit(text, cm, tm, _font, _size):
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and y > height - 24 * 72 / 25.4:
                found.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text.strip()))

        page.extract_text(visitor_text=visit)
        return [text for _x, text in sorted(found)]

    assert head(odd)[0] == "TWO SIDES" and head(even)[-1] == "TWO SIDES"


def test_chapter_start_right_puts_every_article_on_an_odd_page(books):
    assert [page % 2 for page in article_pages(pdf_of(books))] == [1] * len(PARAGRAPHS)


def test_chapter_start_any_starts_an_article_on_the_next_page_whichever_side(books):
    pages = article_pages(pdf_of(books, "any"))
    assert pages[0] == 5 and any(page % 2 == 0 for page in pages[1:])
    assert all(page_texts(pdf_of(books, "any"))[page - 2] != "" for page in pages[1:])  # no blank before


def test_duplex_defaults_to_chapter_start_right_and_simplex_to_any(tmp_path):
    duplex = load_config(load_project(_write(tmp_path / "d", _files(None))))
    simplex = load_config(load_project(_write(tmp_path / "s", _files(None, duplex=False))))
    assert (duplex.pdf.starts_right, simplex.pdf.starts_right) == (True, False)


def test_an_unknown_chapter_start_is_refused_at_its_place(tmp_path, run_cli):
    files = _files("left")
    result = run_cli("build", "pdf", "--project", _write(tmp_path / "p", files))
    line = files["report.yaml"].split("\n").index("  chapter_start: left") + 1
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        f"report.yaml:{line}:18: error: pdf.chapter_start must be one of right, any, not 'left'",
    )


@pytest.mark.parametrize("start", ["right", "any"])
def test_a_duplex_book_laid_out_in_chunks_equals_its_single_layout(books, start):
    single, chunked = pdf_of(books, start), pdf_of(books, start, "chunked")
    assert [text.split() for text in page_texts(chunked)] == [text.split() for text in page_texts(single)]
    assert [margin_lines(chunked, i) for i in range(len(page_texts(single)))] == [
        margin_lines(single, i) for i in range(len(page_texts(single)))
    ]
    assert article_pages(chunked) == article_pages(single)
    assert pypdf.PdfReader(chunked).page_labels == pypdf.PdfReader(single).page_labels


def test_chunks_that_fall_on_a_left_hand_page_are_laid_out_again_only_with_chapter_start_any(books):
    notes = {start: " ".join(books[(start, "chunked")].notes) for start in ("right", "any")}
    assert "laid out again, starting on the other side" in notes["any"]
    assert "laid out again" not in notes["right"] and "one process" not in notes["right"]


# -- page labels ----------------------------------------------------------------------------------


def assert_labels_are_the_folios(path):
    labels = pypdf.PdfReader(path).page_labels
    texts = page_texts(path)
    assert labels[0] == "Cover" and folio(texts[0]) is None
    for index, text in enumerate(texts[1:], start=1):
        assert labels[index] == folio(text) or (folio(text) is None and labels[index] == str(index + 1)), index


@pytest.mark.parametrize("start", ["right", "any"])
def test_the_page_labels_of_a_duplex_book_equal_the_printed_folio_of_every_page(books, start):
    assert_labels_are_the_folios(pdf_of(books, start, "chunked"))


def test_the_page_labels_of_a_simplex_book_equal_the_printed_folio_of_every_page(session_builds):
    assert_labels_are_the_folios(session_builds("multilingual", ["pdf"]).pdf)


def test_the_page_labels_are_a_cover_then_arabic_figures_from_two(books):
    pdf = pikepdf.open(pdf_of(books))
    labels = pdf.Root.PageLabels
    assert [(int(n), dict(d.items())) for n, d in zip(labels.Nums[::2], labels.Nums[1::2])] == [
        (0, {"/P": "Cover"}),
        (1, {"/S": "/D", "/St": 2}),
    ]


def test_the_contents_prints_the_label_of_the_page_each_article_starts_on(books):
    path = pdf_of(books, "any", "chunked")
    labels = pypdf.PdfReader(path).page_labels
    contents = page_texts(path)[2]
    for n, page in enumerate(article_pages(path)):
        assert re.search(rf"Article {n}\s*\.*\s*{labels[page - 1]}\b", contents), (n, labels[page - 1])


def test_the_epub_page_list_labels_equal_the_pdf_page_labels(books):
    built = books[("right", "chunked")]
    with zipfile.ZipFile(built.outputs["epub"]) as book:
        nav = etree.fromstring(book.read(next(name for name in book.namelist() if name.endswith("nav.xhtml"))))
    ns = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
    listed = [a.text for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", ns)]
    assert listed == list(pypdf.PdfReader(built.outputs["pdf"]).page_labels)


def test_the_cover_label_is_in_the_publications_language(tmp_path):
    files = _files(None)
    files["report.yaml"] = files["report.yaml"].replace("language: en-GB", "language: de")
    config = load_config(load_project(_write(tmp_path / "p", files)))
    assert (page_label(config, 1), page_label(config, 2)) == ("Umschlag", "2")
