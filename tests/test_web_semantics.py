"""The web edition's structure, parsed back: headings, captions, named notes and landmarks."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from lxml import html as lxml_html


def page(session_builds, name):
    return lxml_html.fromstring(session_builds(name, ["html"]).html.read_bytes())


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


@pytest.mark.parametrize("name", ["sample", "minimal"])
def test_the_publication_title_is_the_only_h1(session_builds, name):
    doc = page(session_builds, name)
    assert [text(h) for h in doc.xpath("//h1")] == [doc.xpath("string(//title)").split(":")[0]]


def test_article_titles_are_h2_and_their_sections_h3(session_builds):
    doc = page(session_builds, "minimal")
    assert (doc.xpath("//article/header/h2/@class"), len(doc.xpath("//article//h3")) > 0) == (["article-title"], True)


def test_a_fact_table_has_a_caption_and_its_source_and_date_as_text(session_builds):
    figure = page(session_builds, "minimal").xpath("//figure[@class='facts']")[0]
    assert (text(figure.xpath(".//table/caption")[0]), text(figure.xpath(".//p[@class='facts-source']")[0])) == (
        "Basic figures",
        "Source: Test fixture data. As of 1 March 2024.",
    )


def test_a_footnote_reference_and_its_back_link_are_named_with_their_number(session_builds):
    doc = page(session_builds, "minimal")
    reference = doc.xpath("//sup[@class='footnote-ref']/a")[0]
    back = doc.xpath("//a[@role='doc-backlink']")[0]
    assert [(reference.text, reference.get("aria-label")), (back.text, back.get("aria-label"))] == [
        ("1", "Note 1"),
        ("1.", "Back to the text of note 1"),
    ]


def test_each_article_has_one_notes_region_named_after_it(session_builds):
    doc = page(session_builds, "sample")
    regions = doc.xpath("//article")
    notes = [article.xpath(".//*[@role='doc-endnotes']") for article in regions]
    names = [" ".join(text(doc.get_element_by_id(i)) for i in n[0].get("aria-labelledby").split()) for n in notes if n]
    assert ([len(n) for n in notes if n], Counter(names).most_common(1)[0][1]) == ([1] * len(names), 1)


def test_the_contents_fold_into_a_details_element_with_a_summary(session_builds):
    doc = page(session_builds, "sample")
    assert [text(s) for s in doc.xpath("//details[@class='contents-drawer']/summary")] == ["Contents"]


def test_every_article_is_followed_by_a_link_back_to_the_contents(session_builds):
    doc = page(session_builds, "sample")
    assert [a.get("href") for a in doc.xpath("//main/p[@class='to-contents']/a")] == ["#contents"] * len(
        doc.xpath("//main/article")
    )


def _embedded_faces(session_builds, name) -> tuple[list, int]:
    css = page(session_builds, name).xpath("string(//style[@data-source='fonts.css'])")
    faces = re.findall(r"font-family: '([^']+)'; font-style: (\w+); font-weight: (\d+)", css)
    return sorted(faces), css.count("url(data:font/woff2;base64,")


def _faces(*families) -> list:
    return sorted((f, s, w) for f in families for s in ("italic", "normal") for w in ("400", "700"))


def test_the_web_edition_embeds_its_fonts_as_woff2_without_the_code_font_when_it_has_no_code(session_builds):
    assert _embedded_faces(session_builds, "minimal") == (_faces("Noto Sans", "Noto Serif"), 8)


def test_the_web_edition_with_code_embeds_the_code_font_too(session_builds):
    assert _embedded_faces(session_builds, "print-tables") == (_faces("JetBrains Mono", "Noto Sans", "Noto Serif"), 12)
