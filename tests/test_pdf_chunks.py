"""A PDF laid out in parallel chunks equals the one laid out in a single process."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pypdf
import pytest

from conftest import build_single_layout, copy_project, margin_lines, outline, page_texts
from report_builder import build as build_project
from report_builder.build import load_publication
from report_builder.project import load_project
from report_builder.writers.pdf.furniture import Part, running_heads
from report_builder.writers.pdf.plan import MAX_ARTICLES_PER_CHUNK, chunk_parts, plan_chunks


def build(root, *, jobs=None, **options):
    """A build; with jobs=1 laid out in one process, not in chunks (build_single_layout)."""
    return build_single_layout(root, **options) if jobs == 1 else build_project(root, jobs=jobs, **options)


@pytest.fixture(scope="module")
def single_and_chunked(tmp_path_factory):
    single = copy_project("multilingual", tmp_path_factory.mktemp("single") / "p")
    chunked = copy_project("multilingual", tmp_path_factory.mktemp("chunked") / "p")
    single_pdf = build(single, formats=["pdf"], jobs=1).outputs["pdf"]
    chunked_pdf = build(chunked, formats=["pdf"], jobs=3).outputs["pdf"]
    return single_pdf, chunked_pdf


def test_the_multilingual_fixture_is_split_into_three_chunks(tmp_path):
    publication = load_publication(load_project(copy_project("multilingual", tmp_path / "p")))
    assert plan_chunks(publication, 3) == [(0,), (1,), (2,)]


def test_the_sources_are_a_chunk_of_their_own(tmp_path):
    publication = load_publication(load_project(copy_project("multilingual", tmp_path / "p")))
    parts = chunk_parts(publication, 3)
    assert [part.articles for part in parts] == [(0,), (1,), (2,), ()]
    assert [part.sources for part in parts] == [False, False, False, True]


def _sized(sizes, names=None):
    """A stand-in publication: articles of the given Markdown lengths."""
    from types import SimpleNamespace

    names = names or [f"a{index:03d}" for index in range(len(sizes))]
    return SimpleNamespace(
        articles=[
            SimpleNamespace(name=name, tokens=[SimpleNamespace(content="x" * size)]) for name, size in zip(names, sizes)
        ]
    )


def _named(publication, plan):
    return [[publication.articles[i].name for i in chunk] for chunk in plan]


def test_the_chunk_plan_is_the_same_for_any_worker_count():
    publication = _sized([8000 + 700 * (index % 5) for index in range(40)])
    assert plan_chunks(publication, 1) == plan_chunks(publication, 2) == plan_chunks(publication, 16)


def test_an_article_that_grows_moves_no_chunk_boundary():
    sizes = [8000 + 700 * (index % 5) for index in range(40)]
    grown = list(sizes)
    grown[3] *= 4
    assert plan_chunks(_sized(grown)) == plan_chunks(_sized(sizes))


def test_an_inserted_or_removed_article_changes_only_a_few_chunks_around_it():
    names = [f"a{index:03d}" for index in range(40)]
    before = _named(_sized([8000] * 40, names), plan_chunks(_sized([8000] * 40, names)))
    inserted = names[:10] + ["new"] + names[10:]
    after = _named(_sized([8000] * 41, inserted), plan_chunks(_sized([8000] * 41, inserted)))
    assert ([name for chunk in after for name in chunk], sum(chunk not in before for chunk in after) <= 3) == (
        inserted,
        True,
    )
    removed = names[:10] + names[11:]
    after = _named(_sized([8000] * 39, removed), plan_chunks(_sized([8000] * 39, removed)))
    assert ([name for chunk in after for name in chunk], sum(chunk not in before for chunk in after) <= 3) == (
        removed,
        True,
    )


def test_chunks_of_a_large_publication_hold_a_few_articles_each_and_never_more_than_the_limit():
    plan = plan_chunks(_sized([8000] * 100))
    assert (max(map(len, plan)) <= MAX_ARTICLES_PER_CHUNK, 12 <= len(plan) <= 34) == (True, True), plan


def test_an_edit_that_lengthens_an_article_lays_out_only_its_own_chunk(write_project):
    body = "A sentence of the article, long enough to fill some lines. " * 50
    files = {f"content/a{n}.md": f"---\ntitle: Article {n}\n---\n\n## Part {n}\n\n{body}\n" for n in range(12)}
    files["report.yaml"] = "title: T\narticles: [" + ", ".join(f"a{n}.md" for n in range(12)) + "]\n"
    root = write_project(files)
    build(root, formats=["pdf"], jobs=2)
    article = root / "content" / "a1.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n" + body * 3 + "\n", encoding="utf-8")
    publication = load_publication(load_project(root))
    assert plan_chunks(publication) == plan_chunks(load_publication(load_project(write_project(files, name="b"))))
    second = build(root, formats=["pdf"], jobs=2)
    assert (second.chunks_laid_out, second.chunks_reused) == (1, second.chunks - 1)


def test_a_publication_without_sources_numbers_its_last_chunks_contents_entries(write_project):
    """With no sources, the last chunk holds articles the contents lists."""
    body = "\n\n".join(
        f"## Part {n}\n\n" + "A sentence of the article, long enough to fill lines. " * 60 for n in range(1, 4)
    )
    files = {f"content/{name}.md": f"---\ntitle: Article {name}\n---\n\n{body}\n" for name in "abc"}
    files["report.yaml"] = "title: T\narticles: [a.md, b.md, c.md]\n"
    texts = []
    for jobs, name in ((1, "single"), (3, "chunked")):
        result = build(write_project(files, name=name), formats=["pdf"], jobs=jobs)
        assert (result.chunks > 1, result.chunks_laid_out == result.chunks) == (jobs > 1, True)
        texts.append([text.split() for text in page_texts(result.outputs["pdf"])])
    assert texts[1] == texts[0]
    assert any("Part" in words and "3" in words for words in texts[0][1:2])  # the contents lists the last parts


def internal_links(path) -> list[tuple[int, int]]:
    """(page index of the link, page index it reaches) of every internal link, in page order."""
    pdf = pikepdf.open(path)
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items()) if "/Names" in pdf.Root else {}
    found = []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            target = annotation.get("/Dest") if action is None else action.get("/D")
            if target is None:
                continue
            if not isinstance(target, pikepdf.Array):
                target = names[str(target)]
            found.append((index, pages[target[0].objgen]))
    return found


def test_chunked_internal_links_reach_the_same_pages_as_a_single_layout(single_and_chunked):
    single, chunked = single_and_chunked
    assert internal_links(chunked) == internal_links(single)
    assert len(internal_links(single)) > 10


def test_a_cross_reference_into_a_later_chunk_reaches_its_heading(write_project):
    """A link to a heading another chunk lays out: the merge gives it the real destination."""
    body = "\n\n".join(
        f"## Part {n}\n\n" + "A sentence of the article, long enough to fill lines. " * 40 for n in range(1, 3)
    )
    files = {f"content/{name}.md": f"---\ntitle: Article {name}\n---\n\n{body}\n" for name in "abc"}
    files["content/a.md"] = files["content/a.md"].replace("## Part 2", "See [the end](#c-part-2).\n\n## Part 2")
    files["content/c.md"] = files["content/c.md"].replace("## Part 1", "Back to [the start](#a-part-1).\n\n## Part 1")
    files["report.yaml"] = "title: T\narticles: [a.md, b.md, c.md]\n"
    links = []
    for jobs, name in ((1, "single"), (3, "chunked")):
        result = build(write_project(files, name=name), formats=["pdf"], jobs=jobs)
        links.append(internal_links(result.outputs["pdf"]))
    assert links[1] == links[0]
    assert any(source < target for source, target in links[0]) and any(source > target for source, target in links[0])


def test_chunked_layout_has_the_same_page_count(single_and_chunked):
    single, chunked = single_and_chunked
    assert len(pypdf.PdfReader(chunked).pages) == len(pypdf.PdfReader(single).pages)


def test_chunked_layout_has_the_same_text_on_every_page(single_and_chunked):
    """Same words in the same order; only line breaks may differ, as the page number is stamped."""
    single, chunked = single_and_chunked
    assert [text.split() for text in page_texts(chunked)] == [text.split() for text in page_texts(single)]


def test_chunked_page_numbers_run_on_across_chunks(single_and_chunked):
    _single, chunked = single_and_chunked
    texts = page_texts(chunked)
    for number, text in enumerate(texts[1:], start=2):
        assert f"Page {number} of {len(texts)}" in text


def footer_lines(path, index):
    """(text, x, y, size) in points of each line on a page that holds a page number."""
    found = []

    def visit(text, cm, tm, _font, size):
        if re.search(r"Page \d+ of \d+", text):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y, size * abs(tm[3] * cm[3])))

    pypdf.PdfReader(path).pages[index].extract_text(visitor_text=visit)
    return found


def test_chunked_page_numbers_are_drawn_where_the_single_layout_puts_them(single_and_chunked):
    single, chunked = single_and_chunked
    for index in range(1, len(pypdf.PdfReader(single).pages)):
        [(text, x, y, size)] = footer_lines(single, index)
        [(drawn, drawn_x, drawn_y, drawn_size)] = footer_lines(chunked, index)
        assert drawn == text
        assert abs(drawn_x - x) < 0.05 and abs(drawn_y - y) < 0.05 and abs(drawn_size - size) < 0.01, (index, text)


def page_content(path, index):
    """The PDF (pikepdf), one of its pages and that page's content stream, its parts joined."""
    pdf = pikepdf.open(path)
    page = pdf.pages[index]
    contents = page.obj.Contents
    parts = contents if isinstance(contents, pikepdf.Array) else [contents]
    return pdf, page, b"".join(part.read_bytes() for part in parts)


def test_drawn_page_numbers_are_an_artifact_in_an_embedded_subset_of_the_footer_font(single_and_chunked):
    _single, chunked = single_and_chunked
    _pdf, page, stream = page_content(chunked, 2)
    drawn = stream[stream.rindex(b"/Artifact") :]
    assert drawn.startswith(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC") and drawn.rstrip().endswith(b"EMC")
    name = re.search(rb"/(RBText\d+) [\d.]+ Tf", drawn).group(1).decode()
    font = page.obj.Resources.Font["/" + name]
    assert str(font.Subtype) == "/Type0" and str(font.Encoding) == "/Identity-H" and "/ToUnicode" in font
    assert re.fullmatch(r"/[A-Z]{6}\+Noto-Sans", str(font.BaseFont))
    assert len(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()) > 1000


def test_chunked_running_heads_title_and_marking_are_drawn_where_the_single_layout_puts_them(single_and_chunked):
    single, chunked = single_and_chunked
    pages = len(pypdf.PdfReader(single).pages)
    for index in range(pages):
        assert margin_lines(chunked, index) == margin_lines(single, index), index
    furniture = [text for index in range(pages) for text, *_position in margin_lines(chunked, index)]
    assert "MULTILINGUAL BRIEF" in furniture and "TEST MARKING" in furniture
    assert {"Winter Roads North", "A photograph", "Sources"} <= set(furniture)  # article title, section, sources


def test_chunked_furniture_is_drawn_after_the_content_as_header_and_footer_artifacts(single_and_chunked):
    _single, chunked = single_and_chunked
    _pdf, page, stream = page_content(chunked, 2)
    header = stream.index(b"/Artifact <</Type /Pagination /Subtype /Header>> BDC")
    footer = stream.index(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC")
    assert stream.rindex(b"/MCID") < header < footer  # after all tagged content, head before foot
    assert header < stream.index(b"/RBHead Do") < footer < stream.index(b"/RBFoot Do")
    assert str(page.obj.Resources.XObject.RBHead.Subtype) == "/Form"


#: a section heading too long for the running head's line, followed by a page and more of text
LONG_HEADING = (
    "\n\n## What the drivers said about the northern roads, the weather, the prices and the old bus "
    "they all called the hedgehog\n\n" + "They said a great deal about all of it. " * 150 + "\n"
)


@pytest.mark.parametrize(
    "css, heading, why",
    [
        ("", LONG_HEADING, "too long for one line"),
        ('@page { @top-center { content: "DRAFT"; } }', "", "the cover has margin boxes"),
        (
            '@page { @top-center { content: "DRAFT"; } } @page cover { @top-center { content: none; } }',
            "",
            "margin boxes top-center",
        ),
        ("@page { @top-right { letter-spacing: 0.1em; } }", "", "@top-right style"),
    ],
)
def test_furniture_the_drawing_cannot_reproduce_is_laid_out_like_a_single_layout(tmp_path, css, heading, why):
    pdfs = []
    for jobs in (1, 3):
        root = copy_project("multilingual", tmp_path / f"j{jobs}")
        (root / "styles").mkdir(exist_ok=True)
        (root / "styles" / "custom-pdf.css").write_text(css + "\n", encoding="utf-8")
        with open(root / "content" / "alpha.md", "a", encoding="utf-8") as article:
            article.write(heading)
        result = build(root, formats=["pdf"], jobs=jobs)
        pdfs.append(result.outputs["pdf"])
    assert any(why in note for note in result.notes), result.notes
    single, chunked = pdfs
    assert [text.split() for text in page_texts(chunked)] == [text.split() for text in page_texts(single)]
    for index in range(len(page_texts(single))):
        assert margin_lines(chunked, index) == margin_lines(single, index), index


def test_running_heads_resolve_named_strings_as_weasyprint_does():
    strings = [[], [["section", "One"], ["section", "Two"]], [], [["section", "Three"]], [["other", "x"]]]
    assert running_heads([Part("named", "section", "first")], strings) == ["", "One", "Two", "Three", "Three"]
    assert running_heads([Part("named", "section", "last")], strings) == ["", "Two", "Two", "Three", "Three"]
    assert running_heads([Part("text", "§ "), Part("named", "section", "first-except")], strings) == [
        "§",
        "§",
        "§ Two",
        "§",
        "§ Three",
    ]
    assert running_heads([Part("named", "section", "first")], [[["section", "  Aid and\n  evac\u00aduation "]]]) == [
        "Aid and evacuation"
    ]


@pytest.mark.parametrize(
    "footer, expected",
    [
        (
            '"p. " counter(page, lower-roman)',
            lambda number, total: f"p. {['ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x'][number - 2]}",
        ),
        ('counter(page) " / " counter(pages)', lambda number, total: f"{number} / {total}"),
    ],
)
def test_a_customised_footer_drawn_or_laid_out_matches_a_single_layout(tmp_path, footer, expected):
    css = f"@page {{ @bottom-right {{ content: {footer}; }} }}\n"
    pdfs = []
    for jobs in (1, 3):
        root = copy_project("multilingual", tmp_path / f"j{jobs}")
        (root / "styles").mkdir(exist_ok=True)
        (root / "styles" / "custom-pdf.css").write_text(css, encoding="utf-8")
        result = build(root, formats=["pdf"], jobs=jobs)
        pdfs.append(result.outputs["pdf"])
    single, chunked = pdfs
    assert [text.split() for text in page_texts(chunked)] == [text.split() for text in page_texts(single)]
    texts = page_texts(chunked)
    assert expected(2, len(texts)) in texts[1]


def test_a_footer_without_page_numbers_leaves_the_pages_unnumbered(tmp_path):
    root = copy_project("multilingual", tmp_path / "p")
    (root / "styles").mkdir(exist_ok=True)
    (root / "styles" / "custom-pdf.css").write_text("@page { @bottom-right { content: none; } }\n", encoding="utf-8")
    result = build(root, formats=["pdf"], jobs=3)
    assert result.chunks > 1
    assert not any(re.search(r"Page \d+ of", text) for text in page_texts(result.outputs["pdf"]))


def test_chunked_outline_has_the_same_entries_and_target_pages(single_and_chunked):
    single, chunked = single_and_chunked
    assert outline(chunked) == outline(single)
    assert [title for _depth, title, _page in outline(chunked)][:2] == ["Winter Roads North", "Leaving the capital"]


def _contents_links(path):
    """Each link on the contents page → the page index its named destination points to."""
    pdf = pikepdf.open(path)
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    links = {}
    for annotation in pdf.pages[1].get("/Annots", []):
        dest = annotation.get("/Dest")
        if dest is not None:
            links[str(dest)] = pages[names[str(dest)][0].objgen]
    return links


def test_chunked_contents_links_reach_the_heading_pages(single_and_chunked):
    single, chunked = single_and_chunked
    links = _contents_links(chunked)
    assert links == _contents_links(single)
    assert len(links) >= 8
    texts = page_texts(chunked)
    assert "Athens in Two Alphabets" in texts[links["beta"]]


def test_chunked_contents_page_numbers_match_where_headings_land(single_and_chunked):
    _single, chunked = single_and_chunked
    contents = page_texts(chunked)[1]
    texts = page_texts(chunked)
    for title in ("Winter Roads North", "Athens in Two Alphabets", "Cities by the Numbers", "Sources"):
        line = next(line for line in contents.splitlines() if line.startswith(title))
        printed = int(line.rsplit(" ", 1)[1])
        assert title in texts[printed - 1]


def placed_text(path, index):
    """(text, x, y, size) in points of every piece of text on a page, in reading order."""
    found = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y, size * abs(tm[3] * cm[3])))

    pypdf.PdfReader(path).pages[index].extract_text(visitor_text=visit)
    return found


def assert_same_places(chunked, single, index):
    drawn, laid_out = placed_text(chunked, index), placed_text(single, index)
    assert [text for text, *_ in drawn] == [text for text, *_ in laid_out]
    for (text, x, y, size), (_text, x1, y1, size1) in zip(drawn, laid_out):
        assert abs(x - x1) < 0.05 and abs(y - y1) < 0.05 and abs(size - size1) < 0.01, (text, x, y, x1, y1)


def test_chunked_contents_page_numbers_are_drawn_where_the_single_layout_puts_them(single_and_chunked):
    single, chunked = single_and_chunked
    assert_same_places(chunked, single, 1)
    assert sum(text.isdigit() for text, *_ in placed_text(chunked, 1)) >= 8


def test_chunked_contents_page_numbers_are_tagged_text_in_an_embedded_font(single_and_chunked):
    """Each number fills the span WeasyPrint left for it, as part of the content, not an artifact."""
    _single, chunked = single_and_chunked
    _pdf, page, stream = page_content(chunked, 1)
    numbers = re.findall(
        rb"/Span\s*<<\s*/MCID (\d+)\s*>>\s*BDC\s*q BT /(RBContents\d+) [\d.]+ Tf[^E]*ET Q\s*EMC", stream
    )
    assert len(numbers) >= 8 and len({mcid for mcid, _font in numbers}) == len(numbers)
    assert stream.index(b"/RBContents") < stream.index(b"/Artifact <</Type /Pagination")
    for name in {font for _mcid, font in numbers}:
        font = page.obj.Resources.Font["/" + name.decode()]
        assert str(font.Subtype) == "/Type0" and "/ToUnicode" in font
        assert len(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()) > 1000


@pytest.mark.parametrize(
    "css, why",
    [
        (".toc a::after { font-variant-numeric: oldstyle-nums proportional-nums; color: #b3261e; }", None),
        (".toc-sections a::after { text-align: left; }", None),
        (".toc a::after { letter-spacing: 0.2em; }", "contents number style: ['letter_spacing']"),
    ],
)
def test_contents_numbers_styled_otherwise_are_drawn_or_laid_out_as_a_single_layout(tmp_path, css, why):
    pdfs = []
    for jobs in (1, 3):
        root = copy_project("multilingual", tmp_path / f"j{jobs}")
        (root / "styles").mkdir(exist_ok=True)
        (root / "styles" / "custom-pdf.css").write_text(css + "\n", encoding="utf-8")
        result = build(root, formats=["pdf"], jobs=jobs)
        pdfs.append(result.outputs["pdf"])
    laid_out = [note for note in result.notes if "contents page numbers laid out" in note]
    assert laid_out == ([f"pdf: contents page numbers laid out, not drawn: {why}"] if why else [])
    single, chunked = pdfs
    assert_same_places(chunked, single, 1)


def test_an_edit_that_adds_pages_lays_out_only_its_chunk_and_renumbers_the_contents(tmp_path):
    root = copy_project("multilingual", tmp_path / "p")
    first = build(root, formats=["pdf"], jobs=3)
    pages = len(page_texts(first.outputs["pdf"]))
    article = root / "content" / "alpha.md"
    article.write_text(
        article.read_text(encoding="utf-8") + "\n" + "More to say about the roads. " * 600 + "\n", encoding="utf-8"
    )
    second = build(root, formats=["pdf"], jobs=3)
    assert (second.chunks_laid_out, second.chunks_reused) == (1, second.chunks - 1)
    texts = page_texts(second.outputs["pdf"])
    assert len(texts) > pages
    contents = texts[1].splitlines()
    for title in ("Athens in Two Alphabets", "Cities by the Numbers", "Sources"):
        printed = int(next(line for line in contents if line.startswith(title)).rsplit(" ", 1)[1])
        assert title in texts[printed - 1]
    single = copy_project("multilingual", tmp_path / "single")
    (single / "content" / "alpha.md").write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    assert_same_places(second.outputs["pdf"], build(single, formats=["pdf"], jobs=1).outputs["pdf"], 1)


def _structure(path):
    """The tag tree with its text, as a screen reader gets it (object numbers left out)."""
    import subprocess

    text = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True).stdout
    return [
        re.sub(r"\b\d+-(\d+)-(\d+)\b", r"N-\1-\2", line)
        for line in text.splitlines()
        if not line.strip().startswith("Object ")
    ]


def test_chunked_pdf_is_tagged_with_the_same_structure_tree(single_and_chunked):
    single, chunked = single_and_chunked
    assert pikepdf.open(chunked).Root.MarkInfo.Marked
    structure = _structure(chunked)
    assert structure == _structure(single)
    assert structure[0] == "Document" and len(structure) > 400  # the sources list only the rows quoted


def test_chunked_metadata_matches_single(single_and_chunked):
    single, chunked = single_and_chunked
    assert pypdf.PdfReader(chunked).metadata == pypdf.PdfReader(single).metadata


def test_an_edit_lays_out_only_the_chunk_that_holds_it(tmp_path):
    root = copy_project("multilingual", tmp_path / "p")
    first = build(root, formats=["pdf"], jobs=3)
    assert (first.chunks, first.chunks_laid_out) == (4, 4)  # three of articles, the sources
    article = root / "content" / "beta.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    second = build(root, formats=["pdf"], jobs=3)
    assert (second.chunks_laid_out, second.chunks_reused) == (1, 3)


def test_an_edit_that_keeps_the_page_count_reuses_the_contents_and_the_page_numbers(tmp_path):
    """Only the edited chunk's cache entry is replaced; the contents, the sources and the
    furniture sample are taken from the cache untouched."""
    root = copy_project("multilingual", tmp_path / "p")
    build(root, formats=["pdf"], jobs=3)
    cache = root / "build" / ".report-builder" / "chunks"
    before = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.pdf")}
    pages = len(pypdf.PdfReader(root / "build" / "multilingual.pdf").pages)
    article = root / "content" / "beta.md"
    article.write_text(article.read_text(encoding="utf-8").replace("Greek", "Greek,", 1), encoding="utf-8")
    second = build(root, formats=["pdf"], jobs=3)
    after = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.pdf")}
    assert len(pypdf.PdfReader(second.outputs["pdf"]).pages) == pages
    kept = {name for name in after if before.get(name) == after[name]}
    assert len(before) == len(after) == 6  # four chunks, the cover and contents, the furniture sample
    assert (len(before) - len(kept), len(after) - len(kept)) == (1, 1)


def test_a_pdf_ua_variant_laid_out_in_chunks_passes_the_pdf_ua_rules(tmp_path):
    import page

    root = copy_project("multilingual", tmp_path / "p")
    config = root / "report.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("pdf:\n", "pdf:\n  variant: pdf/ua-1\n"), encoding="utf-8"
    )
    result = build(root, formats=["pdf"], jobs=2)
    assert result.chunks > 1
    report = page.validate_pdf(str(result.outputs["pdf"]), profile="ua1")
    assert [failure.rule_id for failure in report.failures] == []
    assert report.is_compliant


def _processes_in_session(session: int) -> list[int]:
    """Processes whose session id is `session` (field 6 of /proc/PID/stat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            found.append(int(stat.parent.name))
    return found


def _build_in_own_session(project):
    """Run `report-builder build pdf -j 2` as the leader of a new session: (its pid, exit code, stderr)."""
    command = [sys.executable, "-m", "report_builder", "build", "pdf", "-j", "2", "--project", str(project)]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _out, err = process.communicate(timeout=300)
    return process.pid, process.returncode, err.decode()


reads_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@reads_proc
def test_the_epub_pages_are_rendered_while_the_chunks_are_laid_out(tmp_path, monkeypatch):
    """The main process renders the EPUB's pages while it waits for the workers: before the
    merge, once, and the book still gets its page-list from the merged layout."""
    import zipfile

    from report_builder.writers import epub
    from report_builder.writers.pdf import chunked

    events = []
    draft, merge = epub.draft_epub, chunked.merge_pdfs
    monkeypatch.setattr(epub, "draft_epub", lambda *a, **k: events.append("draft") or draft(*a, **k))
    monkeypatch.setattr(chunked, "merge_pdfs", lambda *a, **k: events.append("merge") or merge(*a, **k))
    root = copy_project("multilingual", tmp_path / "p")
    result = build(root, formats=["pdf", "epub"], jobs=3)
    assert events == ["draft", "merge"]
    pages = len(pypdf.PdfReader(result.outputs["pdf"]).pages)
    with zipfile.ZipFile(result.outputs["epub"]) as book:
        nav = book.read(next(name for name in book.namelist() if name.endswith("nav.xhtml"))).decode()
    listed = re.search(r'epub:type="page-list".*?</nav>', nav, re.S).group(0)
    assert len(re.findall(r"<li", listed)) == pages


def test_no_layout_worker_outlives_the_build_command(tmp_path):
    """The workers start before the content is loaded; the command reaps them before it exits."""
    session, code, err = _build_in_own_session(copy_project("multilingual", tmp_path / "p"))
    assert code == 0, err
    assert _processes_in_session(session) == []


@reads_proc
def test_a_build_that_fails_while_loading_stops_its_layout_workers(tmp_path):
    project = copy_project("multilingual", tmp_path / "p")
    article = sorted((project / "content").glob("*.md"))[0]
    article.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    session, code, err = _build_in_own_session(project)
    assert code == 1 and f"content/{article.name}:3:1: error: YAML syntax error" in err
    deadline = time.monotonic() + 10  # a worker still importing WeasyPrint exits when it sees its parent gone
    while _processes_in_session(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in_session(session) == []
