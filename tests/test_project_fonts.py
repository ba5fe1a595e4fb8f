"""`fonts:` in report.yaml: project font files used by every edition, checked, counted as inputs."""

from __future__ import annotations

import io
import re
import zipfile

import pikepdf
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from report_builder import build

FAMILY = "House Sans"
#: the characters the test font has: the article is written in them alone
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:-0123456789éßЖ"


def house_font(letters: str = LETTERS, width: int = 500) -> bytes:
    """A tiny TrueType font: a box for every letter of `letters`."""
    names = [".notdef"] + [f"g{ord(c):04X}" for c in letters]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"g{ord(c):04X}" for c in letters})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        if name not in (".notdef", "g0020"):
            pen.moveTo((50, 0))
            pen.lineTo((50, 700))
            pen.lineTo((width - 50, 700))
            pen.lineTo((width - 50, 0))
            pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (width, 50) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


REPORT = f"""title: House Style
language: en-GB
date: 2024-01-01
articles:
  - a.md
fonts:
  - {{family: {FAMILY}, file: fonts/HouseSans.ttf, style: normal, weight: 400}}
"""
ARTICLE = "---\ntitle: House Style\n---\n\nPlain text in the house face, set in boxes at the café.\n"
CSS = f'body, h1, h2, p {{ font-family: "{FAMILY}", sans-serif; }}\n'


@pytest.fixture
def house_project(write_project):
    return write_project(
        {
            "report.yaml": REPORT,
            "content/a.md": ARTICLE,
            "styles/custom.css": CSS,
            "fonts/HouseSans.ttf": house_font(),
        }
    )


def test_a_project_font_is_embedded_in_the_pdf(house_project):
    result = build(house_project, formats=["pdf"])
    with pikepdf.open(result.outputs["pdf"]) as pdf:
        names = {
            str(font.get("/BaseFont")) for page in pdf.pages for font in (page.Resources.get("/Font") or {}).values()
        }
    assert any(name.endswith("+House-Sans") or "House" in name for name in names), names
    assert result.warnings == []


def test_a_project_font_is_in_the_epub_manifest_subset_to_the_book(house_project):
    result = build(house_project, formats=["epub"])
    with zipfile.ZipFile(result.outputs["epub"]) as book:
        opf = book.read("EPUB/content.opf").decode()
        items = re.findall(r'<item [^>]*href="(fonts/[^"]+)"[^>]*media-type="([^"]+)"', opf)
        assert items == [("fonts/House-Sans-400-normal.ttf", "font/ttf")]
        css = book.read("EPUB/styles/fonts.css").decode()
        font = TTFont(io.BytesIO(book.read("EPUB/fonts/House-Sans-400-normal.ttf")))
        article = book.read("EPUB/a.xhtml").decode()
    assert css == (
        "@font-face { font-family: 'House Sans'; src: url('../fonts/House-Sans-400-normal.ttf'); "
        "font-style: normal; font-weight: 400; }\n"
    )
    assert '<link rel="stylesheet" type="text/css" href="styles/fonts.css"/>' in article
    # a subset: printable ASCII and the book's other characters (é), not the rest (ß, Ж)
    assert set(font.getBestCmap()) == set(range(0x20, 0x7F)) & {ord(c) for c in LETTERS} | {ord("é")}


def test_a_project_font_is_embedded_in_the_web_edition_as_woff2(house_project):
    result = build(house_project, formats=["html"])
    html = result.outputs["html"].read_text(encoding="utf-8")
    rule = re.search(
        r"@font-face \{ font-family: 'House Sans'; src: url\('data:font/woff2;base64,([A-Za-z0-9+/=]+)'\); font-style: normal; font-weight: 400; \}",
        html,
    )
    assert rule is not None
    import base64

    font = TTFont(io.BytesIO(base64.b64decode(rule.group(1))))
    assert font.flavor == "woff2"
    assert (ord("é") in font.getBestCmap(), ord("Ж") in font.getBestCmap()) == (True, False)


def test_a_changed_font_file_rebuilds_every_edition(house_project):
    build(house_project)
    assert sorted(build(house_project).outputs) == []
    (house_project / "fonts" / "HouseSans.ttf").write_bytes(house_font(width=600))
    assert sorted(build(house_project).outputs) == ["epub", "html", "pdf"]


@pytest.mark.parametrize(
    ("entry", "files", "message"),
    [
        (
            "{family: House Sans, file: ../HouseSans.ttf}",
            {},
            "report.yaml:7:32: error: font '../HouseSans.ttf' is not a file inside the project",
        ),
        (
            "{family: House Sans, file: fonts/HouseSans.ttf}",
            {"fonts/HouseSans.ttf": b"not a font at all"},
            "report.yaml:7:32: error: font 'fonts/HouseSans.ttf' cannot be read as a font (fontTools)",
        ),
        (
            "{family: House Sans, file: fonts/HouseSans.woff}",
            {"fonts/HouseSans.woff": b"wOFF"},
            "report.yaml:7:32: error: font 'fonts/HouseSans.woff' must be a TrueType (.ttf), OpenType (.otf) or WOFF2 (.woff2) font",
        ),
        (
            "{family: House Sans, file: fonts/HouseSans.ttf, weight: bold}",
            {"fonts/HouseSans.ttf": house_font()},
            "report.yaml:7:61: error: fonts: weight must be a number from 1 to 1000 such as 400, not 'bold'",
        ),
        (
            "{family: House Sans, file: fonts/HouseSans.ttf, style: oblique}",
            {"fonts/HouseSans.ttf": house_font()},
            "report.yaml:7:60: error: fonts: style must be normal or italic, not 'oblique'",
        ),
    ],
)
def test_a_bad_font_entry_is_a_located_error(write_project, run_cli, entry, files, message):
    report = REPORT.replace(f"{{family: {FAMILY}, file: fonts/HouseSans.ttf, style: normal, weight: 400}}", entry)
    root = write_project({"report.yaml": report, "content/a.md": ARTICLE, **files})
    result = run_cli("build", "--project", root)
    assert (result.exit_code, result.stderr.strip().splitlines()[-1:]) == (1, [message])
    assert "Traceback" not in result.stderr


def test_a_font_file_over_the_size_limit_is_refused(write_project, run_cli, monkeypatch):
    from report_builder import project_fonts

    root = write_project({"report.yaml": REPORT, "content/a.md": ARTICLE, "fonts/HouseSans.ttf": house_font()})
    size = (root / "fonts" / "HouseSans.ttf").stat().st_size
    monkeypatch.setattr(project_fonts, "MAX_FONT_BYTES", size - 1)
    with pytest.raises(Exception) as raised:
        build(root)
    assert [str(d) for d in raised.value.diagnostics] == [
        f"report.yaml:7:32: error: font 'fonts/HouseSans.ttf' has {size:,} bytes; the limit is {size - 1:,}"
    ]
