"""The standalone web edition, parsed back with lxml: self-contained, navigable, complete."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from lxml import html as lxml_html

EDITIONS = ("sample", "multilingual", "long-table")
PROJECTS = Path(__file__).resolve().parent / "projects"


@cache
def _parse(path):
    return lxml_html.fromstring(path.read_bytes())


def page(built_print, name):
    return _parse(built_print(name).html)


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


@pytest.mark.parametrize("name", EDITIONS)
def test_web_edition_declares_the_document_language(built_print, name):
    assert page(built_print, name).get("lang") == "en-GB"


@pytest.mark.parametrize("name", EDITIONS)
def test_web_edition_has_a_viewport_for_small_screens(built_print, name):
    assert page(built_print, name).xpath("//meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"]


@pytest.mark.parametrize("name", EDITIONS)
def test_web_edition_references_no_external_resource(built_print, name):
    doc = page(built_print, name)
    addresses = doc.xpath("//@src | //link/@href | //object/@data | //@srcset | //@poster")
    styles = " ".join(doc.xpath("//style/text()") + doc.xpath("//@style"))
    css_urls = re.findall(r"""url\(\s*['"]?([^'")]*)""", styles) + re.findall(r"@import\s+['\"]?([^'\";\s]+)", styles)
    assert [a for a in addresses + css_urls if not a.startswith("data:")] == []


def test_web_edition_inlines_each_image_as_a_data_uri(built_print):
    sources = page(built_print, "multilingual").xpath("//img/@src")
    assert [re.match(r"data:[^;,]+;base64,", src).group(0) if src.startswith("data:") else src for src in sources] == [
        "data:image/svg+xml;base64,",
        "data:image/png;base64,",
    ]


def test_web_edition_keeps_each_image_alt_text(built_print):
    assert page(built_print, "multilingual").xpath("//img/@alt") == [
        "A bar chart of four bars of increasing height labelled A to D",
        "A smooth colour gradient from dark blue to orange, standing in for a photograph",
    ]


@pytest.mark.parametrize("name", EDITIONS)
def test_every_id_in_the_web_edition_is_unique(built_print, name):
    counts = Counter(page(built_print, name).xpath("//@id"))
    assert [ident for ident, count in counts.items() if count > 1] == []


def test_web_contents_lists_articles_sections_and_sources(built_print):
    links = page(built_print, "multilingual").xpath("//nav[@role='doc-toc']//a")
    assert [text(a) for a in links] == [
        "Winter Roads North",
        "Leaving the capital",
        "Ґанок and other words",
        "Athens in Two Alphabets",
        "Greek in running text",
        "A simple chart",
        "Cities by the Numbers",
        "The largest cities",
        "A photograph",
        "Sources",
    ]


@pytest.mark.parametrize("name", EDITIONS)
def test_every_contents_link_points_to_an_element_of_the_page(built_print, name):
    doc = page(built_print, name)
    ids = set(doc.xpath("//@id"))
    targets = doc.xpath("//nav[@role='doc-toc']//a/@href")
    assert targets and [href for href in targets if not (href.startswith("#") and href[1:] in ids)] == []


@pytest.mark.parametrize("name", EDITIONS)
def test_every_contents_link_leads_to_the_heading_it_names(built_print, name):
    doc = page(built_print, name)
    mismatched = []
    for link in doc.xpath("//nav[@role='doc-toc']//a"):
        target = doc.get_element_by_id(link.get("href")[1:])
        heading = target if re.fullmatch(r"h[1-6]", target.tag) else target.xpath(".//*[self::h1 or self::h2][1]")[0]
        if text(heading) != text(link):
            mismatched.append((text(link), text(heading)))
    assert mismatched == []


def test_web_fact_table_shows_every_row_formatted(built_print):
    rows = page(built_print, "multilingual").xpath("//figure[@id='facts-cities']//tbody/tr")
    assert [[text(cell.find_class("cell-value")[0]) for cell in row.xpath("th|td")] for row in rows] == [
        ["Київ", "2,952,301", "7.2%"],
        ["Харків", "1,421,125", "3.5%"],
        ["Одеса", "1,010,537", "2.5%"],
        ["Дніпро", "968,502", "2.4%"],
        ["Львів", "717,273", "1.8%"],
        ["Запоріжжя", "710,052", "1.7%"],
    ]


def test_web_fact_table_has_its_column_headers(built_print):
    headers = page(built_print, "multilingual").xpath("//figure[@id='facts-cities']//thead//th")
    assert [(text(th), th.get("scope")) for th in headers] == [
        ("City", "col"),
        ("Population", "col"),
        ("Share of national population", "col"),
    ]


def test_web_inline_facts_read_exactly_as_the_table_cells(built_print):
    facts = page(built_print, "sample").xpath("//span[@class='fact']")
    assert [(f.get("data-fact"), text(f)) for f in facts] == [
        ("numbers.prewar_population", "more than 60,000"),
        ("numbers.remaining", "roughly 1,200"),
        ("military.infiltrated", "approximately 200"),
        ("military.linkup_distance", "some 6–8 km"),
        ("migration.poland_jan_aug", "roughly 45,000"),
        ("migration.poland_after_easing", "almost 100,000"),
        ("migration.germany_late_august", "around 100 a week"),
        ("migration.germany_october", "more than 1,400 a week"),
    ]


@pytest.mark.parametrize("name", ("sample", "multilingual"))
def test_every_footnote_call_links_to_its_note(built_print, name):
    doc = page(built_print, name)
    calls = doc.xpath("//a[@role='doc-noteref']")
    notes = {note.get("id") for note in doc.xpath("//*[@role='doc-footnote']")}
    assert calls and [a.get("href") for a in calls if a.get("href")[1:] not in notes] == []


@pytest.mark.parametrize("name", ("sample", "multilingual"))
def test_every_footnote_back_link_returns_to_its_call(built_print, name):
    doc = page(built_print, name)
    calls = {a.get("id"): a.get("href") for a in doc.xpath("//a[@role='doc-noteref']")}
    pairs = [
        (link.get("href")[1:], "#" + link.xpath("ancestor::*[@role='doc-footnote']")[0].get("id"))
        for link in doc.xpath("//a[@role='doc-backlink']")
    ]
    assert pairs and [(call, note) for call, note in pairs if calls.get(call) != note] == []


def test_web_footnotes_keep_their_text(built_print):
    notes = page(built_print, "sample").xpath("//*[@role='doc-footnote']")
    assert [text(note) for note in notes] == [
        "1. The Institute for the Study of War (ISW) is a Washington-based think tank that publishes "
        "daily assessments of the fighting in Ukraine.",
        "2. DeepState is an independent Ukrainian mapping project that tracks the front line from "
        "open-source and geolocated material.",
    ]


def test_external_link_is_marked_external_once(built_print):
    links = page(built_print, "sample").xpath("//a[starts-with(@href, 'http')]")
    assert [(a.get("href"), a.get("class")) for a in links] == [("https://understandingwar.org", "external")]


def test_web_chart_is_an_inline_svg_with_a_title_and_description(built_print):
    svg = page(built_print, "multilingual").xpath(
        "//figure[@id='chart-cities']/div[contains(@class, 'chart-wide')]/*[local-name()='svg']"
    )[0]
    assert (
        svg.get("role"),
        svg.xpath("*[local-name()='title']/text()"),
        svg.xpath("*[local-name()='desc']/text()"),
    ) == (
        "img",
        ["Population by city"],
        ["Київ: 2,952,301; Харків: 1,421,125; Одеса: 1,010,537; Дніпро: 968,502; Львів: 717,273; Запоріжжя: 710,052"],
    )


def test_web_edition_is_the_same_after_the_print_edition_was_rendered_from_the_same_model():
    from report_builder import check
    from report_builder.project import load_project
    from report_builder.render import render_document

    root = load_project(PROJECTS / "minimal")
    alone = render_document(check(root.root), root, "html")
    publication = check(root.root)
    render_document(publication, root, "pdf")
    assert render_document(publication, root, "html") == alone
