"""Print-shop output (pdf.print: trim, bleed, crop marks) and the cover's options (image, logo,
marking band, long titles), checked on real PDFs built once for the module."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from PIL import Image, ImageDraw

from conftest import REPO, copy_project
from report_builder.writers.epub import render_cover_png
from test_pdf_chunks import build

MM = 72 / 25.4
BLEED = 3 * MM
BAND = (0x1D, 0x2B, 0x3A)  # the cover band's colour (print.css)
PRINT_SHOP = """
marking_style: restricted
cover:
  image: content/images/cover-picture.png
  image_alt: A reservoir under a yellow sun
  logo: content/images/press-logo.png
"""
LONG_TITLE = ("Municipal Census Practice, Shelter Provision and Volunteer Coordination in Winter " * 4)[:300].strip()
LONG_SUBTITLE = "".join(
    f"  Line {n}: a subtitle that runs on, as a committee's subtitles do, clause by clause.\n" for n in range(10)
)


def _images(root: Path) -> None:
    """A logo and a cover picture: small PNGs of flat colour."""
    folder = root / "content" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    logo = Image.new("RGB", (240, 80), (255, 255, 255))
    ImageDraw.Draw(logo).rectangle([0, 0, 79, 79], fill=(200, 40, 30))
    logo.save(folder / "press-logo.png")
    picture = Image.new("RGB", (300, 150), (120, 170, 200))
    ImageDraw.Draw(picture).ellipse([30, 30, 120, 120], fill=(240, 200, 60))
    picture.save(folder / "cover-picture.png")


def print_shop_project(destination: Path, extra: str = "") -> Path:
    """The multilingual fixture (three articles, contents) with a 3 mm bleed, crop marks and the cover options."""
    root = copy_project("multilingual", destination)
    _images(root)
    yaml = (
        (root / "report.yaml")
        .read_text(encoding="utf-8")
        .replace("pdf:\n", "pdf:\n  print: {bleed: 3mm, marks: crop}\n")
    )
    (root / "report.yaml").write_text(yaml + PRINT_SHOP + extra, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def bleed_pdfs(tmp_path_factory):
    """(single layout, chunked layout, the single build's outputs: EPUB and HTML too) of the print-shop project."""
    single = print_shop_project(tmp_path_factory.mktemp("print-single") / "p")
    chunked = print_shop_project(tmp_path_factory.mktemp("print-chunked") / "p")
    single_result = build(single, formats=["pdf", "epub", "html"], jobs=1)
    chunked_result = build(chunked, formats=["pdf"], jobs=3)
    assert (single_result.chunks, chunked_result.chunks > 1) == (0, True)
    return single_result.outputs["pdf"], chunked_result.outputs["pdf"], single_result.outputs


@pytest.fixture(scope="module")
def long_title_pdf(tmp_path_factory):
    """A Letter publication whose cover has a 300-character title, a 10-line subtitle, a
    description, a picture, a logo and a marking band."""
    root = copy_project("minimal", tmp_path_factory.mktemp("long-title") / "p")
    _images(root)
    yaml = (root / "report.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace("title: Minimal Brief", f'title: "{LONG_TITLE}"\nsubtitle: |\n{LONG_SUBTITLE}')
    yaml += "description: A sentence or two about the briefing.\npdf:\n  page_size: Letter\n  toc: true\n"
    yaml += "  print: {bleed: 3mm}\n" + PRINT_SHOP.replace("  image_alt: A reservoir under a yellow sun\n", "")
    (root / "report.yaml").write_text(yaml, encoding="utf-8")
    return build(root, formats=["pdf"], jobs=1).outputs["pdf"]


def boxes(path) -> list[dict[str, list[float]]]:
    with pikepdf.open(path) as pdf:
        return [
            {key: [round(float(v), 3) for v in page.obj[key]] for key in ("/MediaBox", "/TrimBox", "/BleedBox")}
            for page in pdf.pages
        ]


def render(path, index: int, scale: float = 2.0) -> Image.Image:
    """Page `index` rendered whole (its media box, the bleed included), `scale` pixels a point."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[index].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


@pytest.mark.parametrize("layout", [0, 1], ids=["single", "chunked"])
def test_a_bleed_makes_every_media_box_the_trim_box_and_twice_the_bleed_each_way(bleed_pdfs, layout):
    found = boxes(bleed_pdfs[layout])
    a4 = [0.0, 0.0, 595.276, 841.89]
    expected_media = [round(-BLEED, 3), round(-BLEED, 3), round(a4[2] + BLEED, 3), round(a4[3] + BLEED, 3)]
    assert len(found) > 4
    assert [page["/TrimBox"] for page in found] == [a4] * len(found)
    assert [page["/MediaBox"] for page in found] == [expected_media] * len(found)


@pytest.mark.parametrize("layout", [0, 1], ids=["single", "chunked"])
def test_a_bleed_of_3mm_sets_the_bleed_box_to_the_whole_bleed_on_every_page(bleed_pdfs, layout):
    found = boxes(bleed_pdfs[layout])
    assert [page["/BleedBox"] for page in found] == [page["/MediaBox"] for page in found]


def test_the_chunked_bleed_layout_has_the_boxes_and_text_of_the_single_one(bleed_pdfs):
    single, chunked, _outputs = bleed_pdfs
    assert boxes(chunked) == boxes(single)
    assert _text(chunked) == _text(single)


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _words(path, page: int) -> list[tuple[str, float, float]]:
    """(word, x, y) of a page's words, pdftotext's coordinates (points from the media box's top left)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (word, round(float(x), 1), round(float(y), 1))
        for x, y, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)
    ]


def test_the_furniture_drawn_on_a_chunked_bleed_page_sits_where_the_single_layout_puts_it(bleed_pdfs):
    single, chunked, _outputs = bleed_pdfs
    footer = [word for word in _words(single, 3) if word[0] in ("Page", "TEST", "MARKING")]
    assert [word for word, _x, _y in footer] == ["TEST", "MARKING", "Page"]
    assert _words(chunked, 3) == _words(single, 3)


def test_crop_marks_are_drawn_in_the_bleed_and_never_inside_the_trim_box(bleed_pdfs):
    page = render(bleed_pdfs[0], 2)  # an article page: white at its corners
    bleed = round(BLEED * 2)
    width, height = page.size

    def dark(x0, y0, x1, y1):
        return sum(1 for x in range(x0, x1) for y in range(y0, y1) if sum(page.getpixel((x, y))) < 300)

    corners = [(0, 0), (width - bleed, 0), (0, height - bleed), (width - bleed, height - bleed)]
    assert all(dark(x, y, x + bleed, y + bleed) > 0 for x, y in corners)
    # the trim box's corner areas, 10 mm square, hold no mark
    inside = round(10 * MM * 2)
    trim_corners = [(bleed, bleed), (width - bleed - inside, bleed), (bleed, height - bleed - inside)]
    assert [dark(x, y, x + inside, y + inside) for x, y in trim_corners] == [0, 0, 0]


def test_the_cover_band_reaches_the_media_box_edge_and_nothing_else_bleeds(bleed_pdfs):
    cover, article = render(bleed_pdfs[0], 0), render(bleed_pdfs[0], 2)
    width = cover.size[0]
    band_y = next(y for y in range(cover.size[1]) if cover.getpixel((width // 2, y)) == BAND)
    middle = band_y + 20
    assert [cover.getpixel((0, middle)), cover.getpixel((width - 1, middle))] == [BAND, BAND]
    # the marking band above it stays inside the margins; an article page is white to its edges
    marking_y = next(y for y in range(cover.size[1]) if cover.getpixel((width // 2, y)) != (255, 255, 255))
    assert marking_y < band_y
    assert [cover.getpixel((x, marking_y + 5)) for x in (0, 2, width - 1)] == [(255, 255, 255)] * 3
    assert {article.getpixel((1, y)) for y in range(round(BLEED * 2) + 2, article.size[1] // 2)} == {(255, 255, 255)}


def test_an_epub_cover_drawn_from_a_bleed_pdf_is_its_trimmed_page_without_marks(bleed_pdfs):
    cover = Image.open(__import__("io").BytesIO(render_cover_png(bleed_pdfs[0].read_bytes(), height=594)))
    assert (abs(cover.size[0] - 420) <= 1, cover.size[1]) == (True, 594)  # A4's proportions, not the bleed's
    assert cover.getpixel((0, 0)) == (255, 255, 255)  # no crop mark, no bleed


def test_the_cover_prints_the_logo_and_the_picture_with_their_text_alternatives(bleed_pdfs):
    with pikepdf.open(bleed_pdfs[0]) as pdf:
        xobjects = pdf.pages[0].obj.Resources.XObject
        sizes = sorted((int(x.Width), int(x.Height)) for x in xobjects.values() if x.Subtype == "/Image")
        figures = []

        def walk(element):
            if isinstance(element, pikepdf.Dictionary) and element.get("/S") == "/Figure":
                figures.append(str(element.get("/Alt", "")))
            kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
                if isinstance(kid, pikepdf.Dictionary):
                    walk(kid)

        walk(pdf.Root.StructTreeRoot)
    assert {(240, 80), (300, 150)} <= set(sizes)
    assert figures[:2] == ["Test Press", "A reservoir under a yellow sun"]


def test_the_marking_band_prints_its_word_on_the_cover(bleed_pdfs):
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(bleed_pdfs[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert first.split()[:3] == ["RESTRICTED", "Test", "marking"]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _six(colour: str) -> str:
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


def test_every_marking_band_has_a_text_contrast_of_at_least_4_5_and_its_own_grey(bleed_pdfs):
    css = (REPO / "styles" / "print.css").read_text(encoding="utf-8")
    rule = r"\.marking-(\w+) \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{3}|#[0-9a-f]{6});"
    bands = {name: (background, _six(colour)) for name, background, colour in re.findall(rule, css)}
    assert sorted(bands) == ["official", "public", "restricted"]
    contrasts = {}
    for name, (background, colour) in bands.items():
        light, dark = sorted([_luminance(background), _luminance(colour)], reverse=True)
        contrasts[name] = (light + 0.05) / (dark + 0.05)
    assert min(contrasts.values()) >= 4.5
    greys = sorted(_luminance(background) for background, _colour in bands.values())
    assert min(b - a for a, b in zip(greys, greys[1:])) > 0.2  # three greys apart in grayscale print
    # the printed band has the colour of the stylesheet
    cover = render(bleed_pdfs[0], 0)
    x = cover.size[0] // 2
    drawn = next(cover.getpixel((x, y)) for y in range(cover.size[1]) if cover.getpixel((x, y)) != (255, 255, 255))
    assert "#{:02x}{:02x}{:02x}".format(*drawn) == bands["restricted"][0]


def test_a_300_character_title_and_a_10_line_subtitle_keep_the_cover_one_page(long_title_pdf):
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(long_title_pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in (1, 2)
    ]
    assert "Line 9:" in pages[0] and "Test Author" in pages[0]
    assert "Contents" in pages[1].split("\n") and LONG_TITLE[-20:] not in pages[1].replace("\n", " ")


def test_the_long_cover_texts_do_not_overlap(long_title_pdf):
    words = _words(long_title_pdf, 1)
    last_subtitle = max(y for word, _x, y in words if word == "9:")
    author = next(y for word, _x, y in words if word == "Author")
    assert last_subtitle < author


# -- report.yaml: the options checked at their lines -------------------------------------------


def _errors(write_project, text: str, files: dict | None = None) -> list[str]:
    from report_builder.config import load_config
    from report_builder.errors import ReportError
    from report_builder.project import load_project

    with pytest.raises(ReportError) as raised:
        load_config(load_project(write_project({"report.yaml": text, **(files or {})})))
    return [str(d) for d in raised.value.diagnostics]


def test_a_bleed_is_read_in_mm_pt_or_in_and_kept_in_millimetres(write_project):
    from report_builder.config import load_config
    from report_builder.project import load_project

    found = [
        load_config(
            load_project(write_project({"report.yaml": f"title: T\npdf:\n  print: {{bleed: {b}}}\n"}, name=b))
        ).pdf.print
        for b in ("3mm", "8.5pt", "0.125in")
    ]
    assert [(p.bleed, p.marks_css) for p in found] == [("3mm", "crop"), ("2.999mm", "crop"), ("3.175mm", "crop")]


def test_a_bleed_beyond_10mm_or_without_a_unit_is_an_error_at_its_value(write_project):
    assert _errors(write_project, "title: T\npdf:\n  print: {bleed: 12mm}\n") + _errors(
        write_project, "title: T\npdf:\n  print:\n    bleed: 3\n"
    ) == [
        "report.yaml:3:18: error: pdf.print.bleed must be a length from 0 to 10mm written with mm, pt or in, "
        "such as 3mm, not '12mm'",
        "report.yaml:4:12: error: pdf.print.bleed must be a length from 0 to 10mm written with mm, pt or in, "
        "such as 3mm, not 3",
    ]


def test_unknown_marks_and_marks_without_a_bleed_are_errors_at_their_value(write_project):
    assert _errors(write_project, "title: T\npdf:\n  print: {marks: trim}\n") + _errors(
        write_project, "title: T\npdf:\n  print: {bleed: 0mm, marks: crop}\n"
    ) == [
        "report.yaml:3:18: error: pdf.print.marks must be one of crop, cross, crop cross, none, not 'trim'",
        "report.yaml:3:30: error: pdf.print.marks crop are drawn in the bleed: give pdf.print.bleed a length such as 3mm",
    ]


def test_a_cover_image_missing_outside_the_project_or_unreadable_is_an_error_at_its_line(write_project):
    text = "title: T\npublisher: P\ncover:\n  image: content/images/none.png\n  logo: ../logo.png\n"
    broken = "title: T\ncover:\n  image: content/images/broken.png\n"
    assert _errors(write_project, text) + _errors(
        write_project, broken, {"content/images/broken.png": "not a png"}
    ) == [
        "report.yaml:4:10: error: cover.image 'content/images/none.png' is not a file inside the project",
        "report.yaml:5:9: error: cover.logo '../logo.png' is not a file inside the project",
        "report.yaml:3:10: error: cover.image 'content/images/broken.png' cannot be read as a PNG image",
    ]


def test_a_logo_without_a_publisher_to_name_it_is_an_error(write_project, tmp_path):
    root = write_project({"report.yaml": "title: T\ncover:\n  logo: content/images/press-logo.png\n"})
    _images(root)
    from report_builder.config import load_config
    from report_builder.errors import ReportError
    from report_builder.project import load_project

    with pytest.raises(ReportError) as raised:
        load_config(load_project(root))
    assert [str(d) for d in raised.value.diagnostics] == [
        "report.yaml:3:9: error: cover.logo needs 'publisher': the logo is printed in place of the name, "
        "which is its text alternative"
    ]


def test_an_unknown_marking_style_and_a_title_too_long_for_the_cover_are_errors(write_project):
    assert _errors(write_project, f"title: {'T' * 501}\nmarking_style: secret\n") == [
        "report.yaml:1:8: error: 'title' has 501 characters; the cover holds at most 500 (one page)",
        "report.yaml:2:16: error: 'marking_style' must be one of restricted, official, public, not 'secret'",
    ]


def test_an_edited_logo_rebuilds_the_pdf_laid_out_in_chunks(tmp_path):
    root = print_shop_project(tmp_path / "p")
    first = build(root, formats=["pdf"], jobs=2)
    logo = Image.new("RGB", (240, 80), (20, 120, 40))
    logo.save(root / "content" / "images" / "press-logo.png")
    second = build(root, formats=["pdf"], jobs=2)
    with pikepdf.open(second.outputs["pdf"]) as pdf:
        colours = {
            bytes(x.read_bytes()[:3])
            for x in pdf.pages[0].obj.Resources.XObject.values()
            if x.Subtype == "/Image" and int(x.Width) == 240
        }
    assert (first.outputs.keys(), second.outputs.keys(), colours) == ({"pdf"}, {"pdf"}, {bytes((20, 120, 40))})


def test_the_epub_cover_is_the_printed_cover_trimmed(bleed_pdfs):
    import io
    import zipfile

    with zipfile.ZipFile(bleed_pdfs[2]["epub"]) as book:
        name = next(n for n in book.namelist() if n.endswith("cover.png"))
        cover = Image.open(io.BytesIO(book.read(name)))
    width, height = cover.size
    assert (abs(width / height - 210 / 297) < 0.002, cover.getpixel((0, 0))) == (True, (255, 255, 255))


def test_the_web_edition_masthead_shows_the_marking_band_the_logo_and_the_picture(bleed_pdfs):
    from lxml import html as lxml_html

    masthead = next(lxml_html.parse(str(bleed_pdfs[2]["html"])).getroot().iter("header"))
    band = masthead.find_class("marking-band")[0]
    images = [(img.getparent().get("class"), img.get("alt"), img.get("src")[:15]) for img in masthead.iter("img")]
    assert (band.text_content(), band.get("class")) == (
        "Restricted Test marking",
        "marking marking-band marking-restricted",
    )
    assert images == [
        ("masthead-logo", "Test Press", "data:image/png;"),
        ("masthead-image", "A reservoir under a yellow sun", "data:image/png;"),
    ]
    assert "Test Press" not in masthead.find_class("masthead-meta")[0].text_content()  # the logo stands for it


@pytest.fixture(scope="module")
def letter_bleed_pdf(tmp_path_factory):
    """A Letter publication with a 5 mm bleed, crop marks and crosses, and no marking above the band."""
    root = copy_project("minimal", tmp_path_factory.mktemp("letter-bleed") / "p")
    yaml = (root / "report.yaml").read_text(encoding="utf-8").replace("marking: Test marking\n", "")
    yaml += "pdf:\n  page_size: Letter\n  print: {bleed: 5mm, marks: crop cross}\n"
    (root / "report.yaml").write_text(yaml, encoding="utf-8")
    return build(root, formats=["pdf"], jobs=1).outputs["pdf"]


def test_a_5mm_bleed_on_letter_gives_the_media_box_and_weasyprints_10pt_bleed_box(letter_bleed_pdf):
    bleed, letter = 5 * MM, [0.0, 0.0, 612.0, 792.0]
    media = [round(-bleed, 3), round(-bleed, 3), round(612 + bleed, 3), round(792 + bleed, 3)]
    assert boxes(letter_bleed_pdf)[0] == {
        "/MediaBox": media,
        "/TrimBox": letter,
        "/BleedBox": [-10.0, -10.0, 622.0, 802.0],
    }


def test_a_band_at_the_top_of_the_cover_bleeds_there_too_with_its_crop_marks_drawn_over_it_in_white(letter_bleed_pdf):
    cover = render(letter_bleed_pdf, 0)  # 2 px a point
    bleed = 5 * MM * 2
    assert [cover.getpixel((x, 0)) for x in (0, cover.size[0] // 2, cover.size[0] - 1)] == [BAND] * 3
    # the top-left mark: a vertical line on the trim's left edge, a horizontal one on its top edge
    vertical = [cover.getpixel((round(bleed) + dx, round(bleed / 4))) for dx in (-1, 0, 1)]
    horizontal = [cover.getpixel((round(bleed / 4), round(bleed) + dy)) for dy in (-1, 0, 1)]
    assert max(map(sum, vertical)) > 600 and max(map(sum, horizontal)) > 600
    assert sum(cover.getpixel((round(bleed / 2), round(bleed / 2)))) == sum(BAND)  # between the two lines: the band


def test_furniture_laid_out_in_its_own_pages_sits_on_a_bleed_page_where_a_single_layout_puts_it(tmp_path):
    """Furniture the drawing cannot reproduce is stamped from pages laid out with the same bleed."""
    pdfs = []
    for jobs in (1, 3):
        root = print_shop_project(tmp_path / f"j{jobs}")
        (root / "styles").mkdir(exist_ok=True)
        (root / "styles" / "custom-pdf.css").write_text("@page { @top-right { letter-spacing: 0.1em; } }\n")
        result = build(root, formats=["pdf"], jobs=jobs)
        pdfs.append(result.outputs["pdf"])
    assert any("@top-right style" in note for note in result.notes), result.notes
    single, chunked = pdfs
    assert _words(chunked, 3) == _words(single, 3)
    assert boxes(chunked) == boxes(single)
