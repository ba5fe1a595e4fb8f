"""The chunk plan and the merge on tiny inputs: a merge bug reproduces here without a full build."""

from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

import pikepdf
import pytest

from report_builder.writers.pdf.furniture import DrawnFurniture, DrawnLook
from report_builder.writers.pdf.merge import merge_pdfs
from report_builder.writers.pdf.plan import MAX_ARTICLES_PER_CHUNK, MIN_ARTICLES_PER_CHUNK, plan_chunks
from report_builder.writers.pdf.workers import lay_out_chunk


def publication(count: int):
    return SimpleNamespace(articles=[SimpleNamespace(name=f"article-{index}.md") for index in range(count)])


# -- the plan -------------------------------------------------------------------------------------


def test_one_article_is_one_chunk():
    assert plan_chunks(publication(1)) == [(0,)]


def test_a_small_publication_is_cut_into_four_chunks_of_equal_count_the_last_shorter():
    assert plan_chunks(publication(5)) == [(0, 1), (2, 3), (4,)]
    assert plan_chunks(publication(8)) == [(0, 1), (2, 3), (4, 5), (6, 7)]


def test_a_large_publication_is_cut_by_name_between_the_minimum_and_the_maximum():
    chunks = plan_chunks(publication(40))
    assert [index for chunk in chunks for index in chunk] == list(range(40))
    assert all(MIN_ARTICLES_PER_CHUNK <= len(chunk) <= MAX_ARTICLES_PER_CHUNK for chunk in chunks[:-1])
    assert plan_chunks(publication(40), jobs=1) == plan_chunks(publication(40), jobs=7) == chunks


# -- the merge ------------------------------------------------------------------------------------

CHUNK = """<html lang="en"><body>
<h1 id="{own}">Title {own}</h1>
<h2 id="{own}-part">Part of {own}</h2>
<p>Text of {own}, and a link to <a href="#{other}">the other chunk</a>.</p>
<p style="break-before: page">Second page of {own}.</p>
</body></html>"""


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("merge") / "p"
    (root / "content").mkdir(parents=True)
    (root / "report.yaml").write_text("title: T\narticles:\n  - a.md\n", encoding="utf-8")
    (root / "content" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    first = lay_out_chunk(str(root), CHUNK.format(own="a", other="b"), "id")
    second = lay_out_chunk(str(root), CHUNK.format(own="b", other="a"), "id")
    nothing = DrawnFurniture(DrawnLook(head=None, foot=None, running=None, footer=None), b"", [""] * 4, 4, [])
    return first, second, pikepdf.open(io.BytesIO(merge_pdfs([first, second], nothing)))


def _page_index(pdf) -> dict:
    return {page.objgen: index for index, page in enumerate(pdf.pages)}


def _destinations(pdf) -> dict[str, int]:
    pages = _page_index(pdf)
    return {str(name): pages[dest[0].objgen] for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def test_each_chunk_knows_where_its_anchors_are_and_no_more(merged):
    first, second, _pdf = merged
    assert (first.pages, first.anchors) == (2, {"a": 0, "a-part": 0})
    assert (second.pages, second.anchors) == (2, {"b": 0, "b-part": 0})


def test_the_merged_pdf_has_every_page_of_every_chunk_in_order(merged):
    _first, _second, pdf = merged
    texts = [page.obj.Contents.read_bytes() for page in pdf.pages]
    assert len(pdf.pages) == 4 and len(set(texts)) == 4


def test_named_destinations_point_at_the_page_of_the_chunk_that_lays_them_out(merged):
    assert _destinations(merged[2]) == {"a": 0, "a-part": 0, "b": 2, "b-part": 2}


def test_links_across_chunks_reach_the_other_chunk(merged):
    pdf = merged[2]
    destinations = _destinations(pdf)
    links = {}
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            target = annotation.get("/Dest") or annotation.A.D
            links[index] = destinations[str(target)]
    assert links == {0: 2, 2: 0}


def test_the_outline_is_both_chunks_outlines_with_merged_pages(merged):
    pdf = merged[2]
    pages = _page_index(pdf)
    with pdf.open_outline() as outline:
        entries = [
            (item.title, pages[item.destination[0].objgen], [child.title for child in item.children])
            for item in outline.root
        ]
    assert entries == [("Title a", 0, ["Part of a"]), ("Title b", 2, ["Part of b"])]


def test_every_structure_element_of_both_chunks_hangs_from_the_one_root(merged):
    pdf = merged[2]
    root = pdf.Root.StructTreeRoot
    top = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    kids = list(top.K)
    assert all(kid.P.objgen == top.objgen for kid in kids if isinstance(kid, pikepdf.Dictionary))
    headings = [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/H1"]
    assert len(headings) == 2


def test_the_parent_tree_has_one_entry_for_each_page_and_link_of_both_chunks(merged):
    pdf = merged[2]
    root = pdf.Root.StructTreeRoot
    nums = list(root.ParentTree.Nums)
    keys = [int(nums[index]) for index in range(0, len(nums), 2)]
    referenced = sorted(
        [int(page.obj.StructParents) for page in pdf.pages]
        + [int(annotation.StructParent) for page in pdf.pages for annotation in page.obj.get("/Annots", [])]
    )
    assert keys == sorted(set(keys)) == referenced


# -- the chunk cache ------------------------------------------------------------------------------


def _readings():
    from report_builder.writers.pdf.contents import NumberPlace, NumberPlaces
    from report_builder.writers.pdf.furniture import Fit, Part, TextLine

    line = TextLine(
        parts=(Part("text", "p. "), Part("page")),
        align="right",
        x=510.25,
        baseline=801.1,
        font="/fonts/NotoSans.ttf",
        size=9.5,
        color=(0.2, 0.2, 0.2),
        sample="p. 2",
        sample_width=17.3,
        fit=Fit(room=595.0, neighbour=120.5, sugar=0.0),
    )
    furniture = DrawnLook(head=2, foot=None, running=line, footer=line, page=(793.7, 1122.5))
    number = NumberPlace(0, 7, "one", 500.0, "right", 300.5, "/fonts/NotoSans.ttf", 11.0, (0, 0, 0), (("kern", 1),))
    # a cross-reference's page number, drawn padded to its stand-in's width
    padded = NumberPlace(1, 3, "two", 80.0, "left", 120.0, "/fonts/NotoSans.ttf", 11.0, (0, 0, 0), (), digits=2)
    return furniture, NumberPlaces((number, padded))


def test_a_cached_chunk_reads_back_as_the_typed_readings_it_was_stored_with(tmp_path):
    from report_builder.writers.pdf.cache import load_cached, store_cached
    from report_builder.writers.pdf.workers import ChunkResult

    furniture, numbers = _readings()
    (tmp_path / "logo.png").write_bytes(b"not even a picture")
    result = ChunkResult(
        pdf=b"%PDF-1.7 tiny",
        pages=2,
        anchors={"one": 1},
        page_starts=[[], [["one", 0]]],
        strings=[[], [["section", "One"]]],
        furniture=furniture,
        numbers=numbers,
        fetched={str(tmp_path / "logo.png"): hashlib.sha256(b"not even a picture").hexdigest()},
    )
    store_cached(tmp_path / "cache", "key", result, tmp_path)
    assert load_cached(tmp_path / "cache", "key", tmp_path) == result


def test_a_cached_chunk_laid_out_from_a_file_that_changed_since_is_laid_out_again(tmp_path):
    from report_builder.writers.pdf.cache import load_cached, store_cached
    from report_builder.writers.pdf.workers import ChunkResult

    (tmp_path / "brand.ttf").write_bytes(b"the font as laid out")
    fetched = {str(tmp_path / "brand.ttf"): hashlib.sha256(b"the font as laid out").hexdigest()}
    store_cached(tmp_path / "cache", "key", ChunkResult(pdf=b"%PDF", pages=1, anchors={}, fetched=fetched), tmp_path)
    (tmp_path / "brand.ttf").write_bytes(b"the font as saved since")
    assert load_cached(tmp_path / "cache", "key", tmp_path) is None


def test_a_cached_chunk_of_another_format_is_laid_out_again(tmp_path):
    from report_builder.writers.pdf.cache import CHUNK_CACHE_VERSION, load_cached, store_cached
    from report_builder.writers.pdf.workers import ChunkResult

    store_cached(tmp_path, "key", ChunkResult(pdf=b"%PDF", pages=1, anchors={}), tmp_path)
    meta = (tmp_path / "key.json").read_text(encoding="utf-8")
    written = f'"format": "{CHUNK_CACHE_VERSION}"'
    assert written in meta
    (tmp_path / "key.json").write_text(meta.replace(written, '"format": "6"'), encoding="utf-8")
    assert load_cached(tmp_path, "key", tmp_path) is None
