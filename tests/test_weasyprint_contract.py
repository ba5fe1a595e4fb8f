"""Every WeasyPrint internal the PDF writer relies on (see src/report_builder/writers/pdf/weasy.py),
one test each, failing with a message that names it: a WeasyPrint upgrade fails here first."""

from __future__ import annotations

import base64
import inspect
import io
import logging

import pikepdf
import pytest
import weasyprint

from report_builder.writers.pdf import weasy

#: one small document that has every box the writer reads: margin boxes with literal text, a
#: named string and counters, a footnote, a table header, an absolutely positioned box, a
#: contents entry whose generated number is hidden, an image
DOCUMENT = """<html lang="en"><style>
@page { size: 300px 600px; margin: 40px;
  @top-left { content: "Title" } @top-right { content: string(section, first) }
  @bottom-right { content: counter(page) " / " counter(pages) } }
h1 { string-set: section content() }
.note { float: footnote }
.toc a[data-page]::after { content: "108"; visibility: hidden }
.corner { position: absolute; top: 0; left: 0 }
</style>
<h1 id="one">One</h1>
<p id="p1">Words here<span class="note">A note.</span></p>
<table><thead><tr><th>Head</th></tr></thead><tbody><tr><td>Cell</td></tr></tbody></table>
<nav class="toc"><a href="#one" data-page="1">One</a></nav>
<div class="corner"><span>Corner</span></div>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">
</html>"""


@pytest.fixture(scope="module")
def document():
    return weasyprint.HTML(string=DOCUMENT).render(pdf_tags=True)


@pytest.fixture(scope="module")
def page_box(document):
    assert hasattr(document.pages[0], "_page_box"), "Page._page_box: the laid-out page's box tree"
    return document.pages[0]._page_box


def _every(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _every(getattr(child, "_box", child))


def _boxes_named(page_box, name):
    return [box for box in _every(page_box) if type(box).__name__ == name]


def _margin_box(page_box, name):
    found = [child for child in page_box.children if getattr(child, "at_keyword", None) == f"@{name}"]
    assert found, f"MarginBox.at_keyword: no @{name} among the page box's children"
    return found[0]


def test_weasyprint_is_of_the_series_the_internals_were_read_from():
    assert weasyprint.__version__.split(".")[0] == weasy.TESTED_SERIES, (
        f"weasyprint.__version__ {weasyprint.__version__} is not {weasy.TESTED_SERIES}.x: read weasy.py again"
    )


def test_the_version_read_without_importing_weasyprint_is_its_own():
    from importlib.metadata import version

    assert version("weasyprint") == weasyprint.__version__, "importlib.metadata's version of weasyprint"


def test_box_classes_the_page_walk_tells_apart():
    from weasyprint.formatting_structure import boxes

    for name in (
        "MarginBox",
        "FootnoteAreaBox",
        "TableRowGroupBox",
        "BlockContainerBox",
        "LineBox",
        "TextBox",
        "ReplacedBox",
    ):
        assert isinstance(getattr(boxes, name, None), type), f"formatting_structure.boxes.{name}"
    assert issubclass(boxes.MarginBox, boxes.BlockContainerBox), "boxes.MarginBox is a BlockContainerBox"


def test_a_table_header_row_group_says_it_is_one(page_box):
    groups = _boxes_named(page_box, "TableRowGroupBox")
    assert [group.is_header for group in groups] == [True, False], "TableRowGroupBox.is_header"
    assert [group.is_footer for group in groups] == [False, False], "TableRowGroupBox.is_footer"


def test_boxes_name_their_element_and_tag(page_box):
    paragraph = [box for box in _every(page_box) if getattr(box, "element_tag", None) == "p"]
    assert paragraph and paragraph[0].element.get("id") == "p1", "Box.element and Box.element_tag"
    call = [box for box in _every(page_box) if (getattr(box, "element_tag", "") or "").endswith("::footnote-call")]
    assert call, "Box.element_tag of a footnote call ends in ::footnote-call"


def test_absolutely_positioned_boxes_are_placeholders_holding_the_box(page_box):
    def raw(box):
        yield box
        for child in getattr(box, "children", ()):
            yield from raw(child)

    placeholders = [box for box in raw(page_box) if type(box).__name__ == "AbsolutePlaceholder"]
    assert [type(box._box).__name__ for box in placeholders] == ["BlockBox"], (
        "AbsolutePlaceholder._box: the absolutely positioned box it stands for"
    )


def test_text_boxes_carry_text_position_width_and_baseline(page_box):
    text = [box for box in _boxes_named(page_box, "TextBox") if box.text == "One"][0]
    for name in ("position_x", "position_y", "width", "baseline"):
        assert isinstance(getattr(text, name, None), (int, float)), f"TextBox.{name}"


def test_boxes_carry_the_named_strings_they_set(page_box):
    sets = [box.string_set for box in page_box.descendants() if box.string_set and box.string_set != "none"]
    assert sets == [[("section", "One")]], "Box.string_set: [(name, text)] of string-set"


def test_boxes_carry_their_footnote(page_box):
    notes = [box.footnote for box in _every(page_box) if getattr(box, "footnote", None) is not None]
    assert len(notes) == 1, "Box.footnote: the footnote a call stands for"


def test_margin_boxes_measure_their_margins(page_box):
    box = _margin_box(page_box, "top-left")
    assert callable(box.margin_width) and isinstance(box.margin_width(), float), "Box.margin_width()"
    assert callable(page_box.border_width) and page_box.border_width() == 300 - 2 * 40, "PageBox.border_width()"
    assert [type(child).__name__ for child in box.children] == ["LineBox"], "MarginBox.children: its line boxes"


def test_margin_box_content_is_a_list_of_kind_and_value(page_box):
    assert list(_margin_box(page_box, "top-left").style["content"]) == [("string", "Title")], (
        "computed content: ('string', text)"
    )
    assert list(_margin_box(page_box, "top-right").style["content"]) == [("string()", ("section", "first"))], (
        "computed content: ('string()', (name, keyword))"
    )
    assert list(_margin_box(page_box, "bottom-right").style["content"]) == [
        ("counter()", ("page", "decimal")),
        ("string", " / "),
        ("counter()", ("pages", "decimal")),
    ], "computed content: ('counter()', (name, style))"


@pytest.mark.parametrize("name", sorted(weasy.PLAIN_TEXT))
def test_computed_style_has_each_plain_text_property_at_its_plain_value(page_box, name):
    text = _boxes_named(page_box, "TextBox")[0]
    assert text.style[name] == weasy.PLAIN_TEXT[name], f"computed style {name!r} of plain text"


@pytest.mark.parametrize(
    "name",
    ["font_family", "font_style", "font_weight", "font_size", "visibility", "text_align_all"]
    + ["font_variant_alternates", "font_variant_east_asian", "color"],
)
def test_computed_style_has_the_keys_the_drawing_reads(page_box, name):
    style = _boxes_named(page_box, "TextBox")[0].style
    assert style[name] is not None, f"computed style {name!r}"


def test_a_computed_colour_converts_to_srgb(page_box):
    color = _boxes_named(page_box, "TextBox")[0].style["color"]
    assert tuple(color.to("srgb")) == (0, 0, 0, 1), "computed color .to('srgb'): (r, g, b, alpha)"


def test_font_features_takes_the_eight_properties_in_order():
    from weasyprint.text.fonts import font_features

    assert list(inspect.signature(font_features).parameters) == [
        "font_kerning",
        "font_variant_ligatures",
        "font_variant_position",
        "font_variant_caps",
        "font_variant_numeric",
        "font_variant_alternates",
        "font_variant_east_asian",
        "font_feature_settings",
    ], "text.fonts.font_features(...) parameters"
    assert font_features(font_variant_numeric=["tabular-nums"]) == {"kern": 1, "tnum": 1}, (
        "text.fonts.font_features → {tag: value}"
    )


def test_a_hidden_generated_number_leaves_an_empty_tagged_span(document):
    pdf = pikepdf.open(io.BytesIO(document.write_pdf(pdf_tags=True)))
    contents = pdf.pages[0].obj.Contents
    streams = contents if isinstance(contents, pikepdf.Array) else [contents]
    data = b"".join(stream.read_bytes() for stream in streams)
    assert len(weasy.EMPTY_MARKED_CONTENT.findall(data)) == 1, (
        "content stream of a hidden span: /Tag <</MCID n>> BDC EMC"
    )


def test_a_link_to_an_anchor_added_to_a_page_keeps_its_destination(document):
    pages = weasyprint.HTML(string='<a href="#elsewhere">there</a>').render().pages
    document = weasyprint.HTML(string='<a href="#elsewhere">there</a>').render()
    weasy.keep_links_to_missing_anchors(document, set())
    pdf = pikepdf.open(io.BytesIO(document.write_pdf()))
    names = [str(name) for name, _dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()]
    assert names == ["elsewhere"], "Page.anchors: an anchor added to a page is written as a named destination"
    assert pages[0].links[0][:2] == ("internal", "elsewhere"), "Page.links: (kind, target, rectangle, box)"


@pytest.mark.parametrize("message", sorted(weasy._FAILED_RESOURCE))
def test_weasyprint_logs_a_failed_resource_in_these_words(message):
    from weasyprint import css, images

    source = inspect.getsource(images) + inspect.getsource(css)
    assert f"'{message}'" in source, f"log message {message!r}"


def test_weasyprint_logs_a_failed_image_with_its_address_and_the_exception():
    with weasy.captured_log() as messages:
        weasyprint.HTML(string='<img src="data:image/png;base64,AAAA">').render()
    assert [(m.error, m.resource, m.url is not None, isinstance(m.cause, Exception)) for m in messages] == [
        (True, "image", True, True)
    ], "LOGGER.error('Failed to load image at %r: %s', url, exception)"


@pytest.mark.parametrize(
    "css, start, line",
    [
        ("p {\n colr: red }", "Ignored `", 2),
        ("p[ { }", "Parse error", 1),
        ("p:nope { color: red }", "Invalid or unsupported selector", None),
    ],
)
def test_weasyprint_logs_css_problems_in_these_words_at_a_position(css, start, line):
    with weasy.captured_log() as messages:
        weasyprint.CSS(string=css)
    assert [(m.text.startswith(start), m.line, m.reported_with_file) for m in messages] == [(True, line, True)], (
        f"CSS log message starting {start!r}, its position ' at line:column'"
    )


def test_weasyprint_logs_to_the_logger_named_weasyprint():
    assert weasyprint.LOGGER is logging.getLogger("weasyprint"), "logging.getLogger('weasyprint')"


def test_raster_images_are_named_by_the_third_argument_of_their_constructor():
    from weasyprint.images import RasterImage

    weasy.name_images_by_content()  # the signature read through the writer's wrapper too
    parameters = list(inspect.signature(RasterImage.__init__).parameters)
    assert parameters[:4] == ["self", "pillow_image", "image_id", "image_data"], "images.RasterImage.__init__"
    assert parameters.index("orientation") == 6, "images.RasterImage.__init__ orientation, the 7th parameter"


def test_images_are_named_by_their_bytes_once_the_writer_renames_them(tmp_path):
    png = DOCUMENT.split('src="data:image/png;base64,')[1].split('"')[0]
    names = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "dot.png").write_bytes(base64.b64decode(png))
        weasy.name_images_by_content()
        pdf = weasyprint.HTML(string='<img src="dot.png">', base_url=str(tmp_path / folder) + "/").write_pdf()
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            names.append(sorted(opened.pages[0].Resources.XObject.keys()))
    assert names[0] == names[1] and len(names[0]) == 1, "images.RasterImage image_id: the XObject's name"


def test_the_footnote_fix_finds_the_statements_it_replaces():
    import weasyprint.layout.block as block

    source = inspect.getsource(weasy._footnote_original or block._linebox_layout)
    assert source.count(weasy._FOOTNOTE_OLD) == 1, "layout.block._linebox_layout: the loop reporting footnotes"


def test_pydyf_sets_the_level_its_streams_are_compressed_at_where_the_change_expects():
    import pydyf

    assert weasy._PYDYF_COMPRESSOBJ in inspect.getsource(pydyf.Stream.data.fget), (
        "pydyf.Stream.data: compresses with zlib.compressobj(level=9)"
    )


def test_weasyprint_streams_are_compressed_at_the_chosen_level():
    import zlib

    import weasyprint

    weasy.prepare()
    text = "".join(f"<p>Paragraph {i}: {'several words of ordinary prose ' * 12}</p>" for i in range(40))
    pdf = weasyprint.HTML(string=text).write_pdf()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        contents = opened.pages[0].Contents
        raw, plain = contents.read_raw_bytes(), contents.read_bytes()
    levels = [level for level in range(1, 10) if zlib.compress(plain, level) == raw]
    assert weasy.STREAM_COMPRESSION_LEVEL in levels and 9 not in levels, "pydyf.zlib: the module its streams use"


def test_the_layout_context_reports_footnotes_as_the_fix_expects():
    from weasyprint.layout import LayoutContext

    for name in ("report_footnote", "layout_footnote", "unlayout_footnote"):
        assert callable(getattr(LayoutContext, name, None)), f"layout.LayoutContext.{name}"
    assert "current_page_footnotes" in inspect.getsource(LayoutContext.__init__), (
        "layout.LayoutContext.current_page_footnotes"
    )


def test_the_pdf_variants_the_configuration_accepts_are_weasyprints():
    from weasyprint.pdf import VARIANTS

    from report_builder.config import PDF_VARIANTS

    assert sorted(PDF_VARIANTS) == sorted(set(VARIANTS) - {"debug"}), "pdf.VARIANTS: the variants report.yaml may name"


def test_weasyprint_warns_of_an_empty_fontconfig_in_these_words():
    from weasyprint.text import fonts

    assert f"'{weasy.EMPTY_FONTCONFIG_WARNING}." in inspect.getsource(fonts), (
        "text.fonts: warn('No fonts configured in FontConfig. …'), silenced by fonts.allow_empty_fontconfig"
    )


# -- the finisher (weasy.metadata_finisher): the pydyf PDF WeasyPrint hands it ---------------------

LINK_WITH_A_SPAN = '<html lang="en"><title>T</title><p><a href="https://example.org/"><span>In</span> a link</a></p>'


def test_the_finisher_receives_the_xmp_as_an_uncompressed_stream_it_may_replace():
    seen = []
    finisher = weasy.metadata_finisher(lambda xmp: seen.append(xmp) or xmp.replace(b"WeasyPrint", b"Weasy-Print"))
    written = weasyprint.HTML(string=LINK_WITH_A_SPAN).write_pdf(pdf_variant="pdf/a-2a", finisher=finisher)
    pdf = pikepdf.open(io.BytesIO(written))
    assert seen[0].startswith(b"<?xpacket"), "pdf.catalog['Metadata'] → a pydyf Stream of the XMP packet"
    assert "/Filter" not in pdf.Root.Metadata and b"Weasy-Print" in pdf.Root.Metadata.read_bytes()


def test_weasyprint_hangs_the_annotation_of_a_box_inside_a_link_under_that_box():
    """What weasy._link_annotations_under_links mends: the parent tree maps a span's link
    annotation to the Span element (pdf.catalog['StructTreeRoot'] → ParentTree → Nums)."""

    def parents(finisher=None):
        written = weasyprint.HTML(string=LINK_WITH_A_SPAN).write_pdf(pdf_tags=True, finisher=finisher)
        pdf = pikepdf.open(io.BytesIO(written))
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        return sorted(str(tree[int(a.StructParent)].S) for a in pdf.pages[0].Annots)

    assert parents() == ["/Link", "/Span"]
    assert parents(weasy.metadata_finisher(lambda xmp: xmp)) == ["/Link", "/Link"]


def test_a_page_left_blank_before_a_right_hand_page_says_so_in_its_page_type():
    """weasy.blank_pages: PageBox.page_type.blank, the pages `@page :blank` selects."""
    import weasyprint

    html = "<p>one</p><p style='break-before: right'>three</p>"
    pages = weasyprint.HTML(string=html).render().pages
    assert [page._page_box.page_type.blank for page in pages] == [False, True, False]


def test_a_line_clamped_margin_box_marks_its_cut_line_with_the_ellipsis_it_draws():
    css = "@page { size: 300px 200px; margin: 40px; @top-left { content: '%s'; line-clamp: 1; } }"
    cut, whole = (
        weasyprint.HTML(string="<p>x</p>").render(stylesheets=[weasyprint.CSS(string=css % text)]).pages[0]._page_box
        for text in ("word " * 40, "Title")
    )
    lines = [[line.block_ellipsis for line in _margin_box(box, "top-left").children] for box in (cut, whole)]
    assert lines == [["auto"], ["none"]], "LineBox.block_ellipsis: 'auto' on the line a line-clamp cut"
