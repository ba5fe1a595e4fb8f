"""Right to left: an Arabic publication in all three editions (tests/projects/arabic)."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

from fontTools.ttLib import TTFont
from lxml import etree, html

NS = {"opf": "http://www.idpf.org/2007/opf"}
#: bidi controls pdftotext writes around right-to-left runs, and its page feeds
_CONTROLS = re.compile("[\u202a-\u202e\u200e\u200f\f]")


def pdf_text(path, page: int, region: tuple[int, int, int, int] | None = None) -> list[str]:
    """pdftotext's lines of one page (or of a region x, y, width, height in points), without bidi controls."""
    crop = [item for pair in zip(["-x", "-y", "-W", "-H"], map(str, region)) for item in pair] if region else []
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), *crop, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.strip() for line in _CONTROLS.sub("", out).splitlines() if line.strip()]


def test_every_edition_of_an_arabic_publication_is_right_to_left(built):
    book = built("arabic")
    page = html.fromstring(book.html.read_bytes())
    with zipfile.ZipFile(book.epub) as epub:
        roots = {name: etree.fromstring(epub.read(name)).attrib for name in epub.namelist() if name.endswith(".xhtml")}
    assert (page.get("lang"), page.get("dir")) == ("ar", "rtl")
    assert {name: (root.get("dir"), root.get("lang")) for name, root in roots.items()} == {
        name: ("rtl", "ar") for name in roots
    }


def test_an_arabic_epub_turns_its_pages_right_to_left(built):
    with zipfile.ZipFile(built("arabic").epub) as epub:
        opf = etree.fromstring(epub.read("EPUB/content.opf"))
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"


def test_an_english_epub_sets_no_page_progression(built):
    with zipfile.ZipFile(built("sample").epub) as epub:
        opf = etree.fromstring(epub.read("EPUB/content.opf"))
        article = etree.fromstring(epub.read("EPUB/pokrovsk.xhtml"))
    assert opf.find("opf:spine", NS).get("page-progression-direction") is None
    assert article.get("dir") == "ltr"


def test_an_arabic_epub_embeds_its_script_font_subset_to_the_book(built):
    with zipfile.ZipFile(built("arabic").epub) as epub:
        opf = epub.read("EPUB/content.opf").decode()
        fonts = {
            name: TTFont(io.BytesIO(epub.read(name))) for name in epub.namelist() if name.startswith("EPUB/fonts/")
        }
        text = "".join(
            "".join(etree.fromstring(epub.read(n)).itertext()) for n in epub.namelist() if n.endswith(".xhtml")
        )
    items = re.findall(r'href="(fonts/[^"]+)" media-type="([^"]+)"', opf) or re.findall(
        r'<item [^>]*href="(fonts/[^"]+)"[^>]*media-type="([^"]+)"', opf
    )
    assert sorted(items) == [
        ("fonts/IBM-Plex-Sans-Arabic-400-normal.ttf", "font/ttf"),
        ("fonts/IBM-Plex-Sans-Arabic-700-normal.ttf", "font/ttf"),
    ]
    arabic = {ord(c) for c in text if "\u0600" <= c <= "\u06ff"}
    for font in fonts.values():
        cmap = set(font.getBestCmap())
        assert arabic <= cmap  # every Arabic letter of the book
        assert 0x06A9 not in cmap  # and not the rest (keheh, Persian)


def test_an_arabic_pdf_extracts_in_the_order_it_was_written(built):
    lines = pdf_text(built("arabic").pdf, 3)
    assert "• أعيد فتح المدارس في أربعة أحياء." in lines
    assert "• ما زالت الطرق الجنوبية مغلقة." in lines
    assert lines[0] == "عودة السكان إلى المدينة"
    # lam-alef (لا, لأ) is one glyph for two letters; pdftotext gives them reversed in
    # right-to-left text (آلاف → آالف): the only ligatures kept (fonts._required_ligatures_only)


def test_an_arabic_pdf_mirrors_its_page_furniture(built):
    pdf = built("arabic").pdf
    top_right = pdf_text(pdf, 3, (298, 0, 298, 70))
    top_left = pdf_text(pdf, 3, (0, 0, 298, 70))
    bottom_right = pdf_text(pdf, 4, (298, 770, 298, 72))
    bottom_left = pdf_text(pdf, 4, (0, 770, 298, 72))
    assert (top_right, top_left) == (["المدينة بعد الحصار"], ["عودة السكان إلى المدينة"])
    # pdftotext puts a space inside the marking's first word; the page count reads "4 / 5" from the right
    assert ([line.replace(" ", "") for line in bottom_right], bottom_left) == (["للتوزيعالداخلي"], ["5/4"])


def test_an_arabic_web_edition_embeds_its_script_font(built):
    text = built("arabic").html.read_text(encoding="utf-8")
    assert re.findall(
        r"@font-face \{ font-family: '([^']+)'; src: url\('data:font/woff2;base64,[^']+'\); font-style: normal; font-weight: (\d+); \}",
        text,
    ) == [
        ("IBM Plex Sans Arabic", "400"),
        ("IBM Plex Sans Arabic", "700"),
    ]


def test_an_arabic_publication_has_a_font_for_every_character(built):
    assert [str(warning) for warning in built("arabic").warnings] == []


# -- Hebrew: no packaged font and no catalogue; the project brings both (fonts:, labels:) ------


def test_every_edition_of_a_hebrew_publication_is_right_to_left(built):
    book = built("hebrew")
    page = html.fromstring(book.html.read_bytes())
    with zipfile.ZipFile(book.epub) as epub:
        opf = etree.fromstring(epub.read("EPUB/content.opf"))
        roots = {name: etree.fromstring(epub.read(name)).attrib for name in epub.namelist() if name.endswith(".xhtml")}
    assert (page.get("lang"), page.get("dir")) == ("he", "rtl")
    assert {name: (root.get("dir"), root.get("lang")) for name, root in roots.items()} == {
        name: ("rtl", "he") for name in roots
    }
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"


def test_a_hebrew_pdf_extracts_in_the_order_it_was_written(built):
    lines = pdf_text(built("hebrew").pdf, 2)
    assert lines[0] == "חזרת התושבים לעיר"
    assert "• יותר ממחצית התושבים חזרו לעיר." in lines
    assert "— תושבת השכונה הצפונית" in lines
    # the table's cells, row by row from the right; its figures in their own order
    start = lines.index("שכונה")
    assert lines[start : start + 12] == [
        "שכונה", "חוזרים", "שיעור",
        "השכונה הצפונית", "12,500", "61.5%",
        "השכונה המזרחית", "8,300", "40.2%",
        "השכונה המערבית", "4,100", "22.75%",
    ]  # fmt: skip


def test_a_hebrew_pdf_mirrors_its_page_furniture_and_shows_the_projects_labels(built):
    pdf = built("hebrew").pdf
    assert pdf_text(pdf, 2, (298, 0, 298, 70)) == ["העיר אחרי המצור"]
    assert pdf_text(pdf, 2, (0, 0, 298, 70)) == ["חזרת התושבים לעיר"]
    assert pdf_text(pdf, 2, (298, 780, 298, 62)) == ["להפצה פנימית"]
    assert pdf_text(pdf, 2, (0, 780, 298, 62)) == ["3/2"]  # "2 / 3" read from the right; pdftotext drops the spaces
    assert "עיקרי הדברים" in pdf_text(pdf, 2)  # labels: Key points


def test_a_hebrew_publication_carries_its_project_font_in_every_edition(built):
    book = built("hebrew")
    fonts = subprocess.run(["pdffonts", str(book.pdf)], capture_output=True, text=True, check=True).stdout
    with zipfile.ZipFile(book.epub) as epub:
        opf = epub.read("EPUB/content.opf").decode()
        regular = TTFont(io.BytesIO(epub.read("EPUB/fonts/IBM-Plex-Sans-Hebrew-400-normal.ttf")))
        text = "".join(
            "".join(etree.fromstring(epub.read(n)).itertext()) for n in epub.namelist() if n.endswith(".xhtml")
        )
    embedded = sorted({line.split()[0].split("+", 1)[1] for line in fonts.splitlines()[2:] if "Hebrew" in line})
    assert embedded == ["IBM-Plex-Sans-Hebrew", "IBM-Plex-Sans-Hebrew-Bold"]
    assert sorted(re.findall(r'<item [^>]*href="(fonts/[^"]+)"', opf)) == [
        "fonts/IBM-Plex-Sans-Hebrew-400-normal.ttf",
        "fonts/IBM-Plex-Sans-Hebrew-700-normal.ttf",
    ]
    assert {ord(c) for c in text if "\u0590" <= c <= "\u05ff"} <= set(regular.getBestCmap())
    assert re.findall(
        r"@font-face \{ font-family: '([^']+)'; src: url\('data:font/woff2;", book.html.read_text(encoding="utf-8")
    ) == [
        "IBM Plex Sans Hebrew",
        "IBM Plex Sans Hebrew",
    ]


def test_a_hebrew_publication_warns_only_that_its_labels_fall_back_to_english(built):
    assert [str(warning) for warning in built("hebrew").warnings] == [
        "report.yaml:7:11: warning: no catalogue of labels for language 'he': the generated labels (Contents, "
        "Notes, Page X of Y …) are in English; the languages with one are ar, de, en, es, fr, it, nl, pl, pt, uk"
    ]
