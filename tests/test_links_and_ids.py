"""Names that become ids and file names, the ids of a publication, and links between articles.

File stems are checked before they name anything; every attribute from content is escaped;
`{…}` attributes keep an id, classes and (with raw_html) a sanitised style; every id is unique
in every edition; a link to another article is an internal link in each edition and any other
local path is refused, so that no output names a folder of the machine that built it.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest
from lxml import etree
from lxml import html as lxml_html

from report_builder import ReportError, build, check
from report_builder.project import STEM_RULE

IN_CI = bool(__import__("os").environ.get("CI"))
XHTML = {"x": "http://www.w3.org/1999/xhtml"}

THREE = {
    "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n  - c.md\n",
    "content/a.md": "---\ntitle: A\n---\nSee [b](b.md), [part](c.md#part-two), [dot](./c.md#c-part-two) "
    "and [intro](#intro).\n\n## Intro\n\nText.\n",
    "content/b.md": "---\ntitle: B\n---\nBack to [a](a.md#intro).\n",
    "content/c.md": "---\ntitle: C\n---\nText.\n\n## Part two\n\nMore.\n",
}

TABLE = (
    "title: Numbers\ncolumns:\n  - {key: label, title: Label}\n  - {key: value, title: Value, type: number}\n"
    "rows:\n  - {id: x, label: X, value: 1}\n  - {id: y, label: Y, value: 2}\n"
)


def problems(root) -> list[str]:
    with pytest.raises(ReportError) as caught:
        check(root)
    return [str(d) for d in caught.value.diagnostics]


def article(body: str, title: str = "A") -> str:
    return f"---\ntitle: {title}\n---\n{body}"


def epub_members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def epub_page(path, name) -> etree._Element:
    return etree.fromstring(epub_members(path)[f"EPUB/{name}"])  # raises unless well-formed XML


# -- file stems ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", ['a"b', "x<y", "ü", "-dash", "a b", "a" * 65])
def test_an_article_file_stem_outside_the_allowed_characters_is_refused(write_project, stem):
    root = write_project({"report.yaml": "title: T\n", f"content/{stem}.md": article("Text.\n")})
    shown = stem if len(stem) <= 40 else stem[:39] + "…"
    assert problems(root) == [f"content/{stem}.md: error: article file name '{shown}' cannot become an id: {STEM_RULE}"]


def test_a_listed_article_with_a_bad_stem_is_located_at_its_line_in_report_yaml(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - 'x<y.md'\n",
            "content/a.md": article("Text.\n"),
            "content/x<y.md": article("Text.\n"),
        }
    )
    assert problems(root) == [f"report.yaml:4:5: error: article file name 'x<y' cannot become an id: {STEM_RULE}"]


def test_the_allowed_characters_are_named_in_the_message():
    assert STEM_RULE == (
        "use only ASCII letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"
    )


@pytest.mark.parametrize("stem", ['a"b', "t<x", "ü"])
def test_a_fact_table_file_stem_outside_the_allowed_characters_is_refused(write_project, stem):
    root = write_project({"content/a.md": article("Text.\n"), f"content/facts/{stem}.yaml": TABLE})
    assert problems(root) == [
        f"content/facts/{stem}.yaml: error: fact table file name '{stem}' cannot become an id: {STEM_RULE}"
    ]


def test_an_article_named_like_a_part_of_the_publication_is_refused(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - sources.md\n",
            "content/a.md": article("Text.\n"),
            "content/sources.md": article("Text.\n", "S"),
        }
    )
    assert problems(root) == [
        "content/sources.md: error: article file name 'sources' is taken by an id the "
        "publication makes (its contents, sources, notes, numbered blocks, fact tables or "
        "charts); rename the file"
    ]


def test_an_article_named_like_another_articles_note_id_is_refused(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - a-fn1.md\n",
            "content/a.md": article("Text.\n"),
            "content/a-fn1.md": article("Text.\n", "F"),
        }
    )
    assert problems(root) == [
        "content/a-fn1.md: error: article file name 'a-fn1' is taken by an id the "
        "publication makes (its contents, sources, notes, numbered blocks, fact tables or "
        "charts); rename the file"
    ]


# -- escaped attributes and text -------------------------------------------------------------------

HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "p"
    files = {
        "report.yaml": "title: T\narticles:\n  - a.md\n",
        "content/a.md": (
            f"---\ntitle: '{HOSTILE}'\n---\n## Heading {HOSTILE}\n\n"
            f'![alt {HOSTILE}](images/dot.svg "caption \\{HOSTILE}")\n\n```{{facts}} nums\n```\n'
        ),
        "content/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        "content/facts/nums.yaml": TABLE.replace("title: Numbers", f"title: 'Numbers {HOSTILE}'"),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return build(root, formats=["html", "epub"], jobs=1).outputs


def _texts(tree) -> list[str]:
    return [text for text in tree.itertext() if HOSTILE in text]


def test_hostile_titles_headings_alt_text_captions_and_table_titles_stay_text_in_the_html(hostile_build):
    tree = lxml_html.fromstring(hostile_build["html"].read_bytes())
    assert tree.xpath("//script") == []
    assert sorted(set(_texts(tree.xpath("//main")[0]))) == sorted(
        {HOSTILE, f"Heading {HOSTILE}", f"caption {HOSTILE}", f"Numbers {HOSTILE}"}
    )
    assert tree.xpath("//main//img/@alt") == [f"alt {HOSTILE}"]


def test_hostile_text_leaves_the_epub_article_well_formed_xhtml_without_script(hostile_build):
    page = epub_page(hostile_build["epub"], "a.xhtml")
    assert page.xpath("//x:script", namespaces=XHTML) == []
    assert page.xpath("//x:img/@alt", namespaces=XHTML) == [f"alt {HOSTILE}"]
    assert page.xpath("//x:h1[@class='article-title']/text()", namespaces=XHTML) == [HOSTILE]
    assert page.xpath("//x:figcaption[@class='facts-title']/text()", namespaces=XHTML) == [f"Numbers {HOSTILE}"]


# -- {…} attributes ---------------------------------------------------------------------------------


def _web_body(write_project, body, raw_html=False, name="written") -> lxml_html.HtmlElement:
    yaml = "title: T\narticles:\n  - a.md\n" + ("raw_html: true\n" if raw_html else "")
    root = write_project({"report.yaml": yaml, "content/a.md": article(body)}, name=name)
    return lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())


def test_a_style_attribute_from_braces_is_dropped_without_raw_html(write_project):
    tree = _web_body(write_project, '`x`{style="color: red" .k}\n')
    assert [dict(code.attrib) for code in tree.xpath("//main//code")] == [{"class": "k"}]


def test_a_style_attribute_from_braces_keeps_only_plain_declarations_with_raw_html(write_project):
    body = '`x`{style="color: red; background: url(http://example.org/x.png); width: expression(1)"}\n'
    tree = _web_body(write_project, body, raw_html=True)
    assert [dict(code.attrib) for code in tree.xpath("//main//code")] == [{"style": "color: red"}]


def test_event_handler_attributes_from_braces_are_dropped(write_project):
    tree = _web_body(write_project, '[x](https://example.org){onclick="alert(1)" #here}\n', raw_html=True)
    assert [dict(a.attrib) for a in tree.xpath("//main//a[text()='x']")] == [
        {"href": "https://example.org", "id": "here", "class": "external"}
    ]


@pytest.mark.parametrize(
    "style, kept",
    [
        ("color: red; background-image: url(x.png)", "color: red"),
        ("@import url(x.css); color: blue", "color: blue"),
        ("color: \\75rl(x)", ""),
        ("behavior: url(x.htc)", ""),
        ("position: fixed; top: 0", ""),
        ("margin: 0 auto; color: rgb(1, 2, 3)", "margin: 0 auto; color: rgb(1, 2, 3)"),
    ],
)
def test_the_style_sanitiser_keeps_only_plain_presentational_declarations(style, kept):
    from report_builder.sanitize import sanitize_style

    assert sanitize_style(style) == kept


def test_a_style_attribute_in_raw_html_is_sanitised_like_one_from_braces():
    from report_builder.sanitize import sanitize_inline_tag

    assert (
        sanitize_inline_tag('<span style="color: red; background: url(http://e.org/x)">') == '<span style="color: red">'
    )


# -- ids ---------------------------------------------------------------------------------------------


def test_an_id_written_twice_is_located_at_its_second_use(write_project):
    root = write_project({"content/a.md": article("`x`{#dup} and\n`y`{#dup}\n")})
    assert problems(root) == [
        "content/a.md:5:5: error: id 'dup' is already used at content/a.md:4:5; ids must be unique"
    ]


def test_an_id_equal_to_a_headings_id_is_located(write_project):
    root = write_project({"content/a.md": article("## Intro\n\n`x`{#a-intro}\n")})
    assert problems(root) == ["content/a.md:6:5: error: id 'a-intro' is a heading's id; choose another"]


@pytest.mark.parametrize("ident", ["contents", "sources", "a-p3", "a-fn1", "a-title", "chart-nums", "page-2"])
def test_an_id_of_the_form_the_publication_makes_is_located(write_project, ident):
    root = write_project({"content/a.md": article(f"`x`{{#{ident}}}\n")})
    assert problems(root) == [
        f"content/a.md:4:5: error: id '{ident}' has the form of the ids the publication "
        "makes (contents, sources, notes, numbered blocks, fact tables, charts); choose another"
    ]


def test_an_id_equal_to_an_article_is_located(write_project):
    root = write_project({**THREE, "content/b.md": article("`x`{#c}\n", "B")})
    assert problems(root) == ["content/b.md:4:5: error: id 'c' is the id of the article 'c'; choose another"]


def test_the_same_id_in_two_articles_is_located(write_project):
    root = write_project(
        {
            **THREE,
            "content/b.md": article("`x`{#mine}\n", "B"),
            "content/c.md": article("`x`{#mine}\n\n## Part two\n", "C"),
        }
    )
    assert problems(root) == [
        "content/c.md:4:5: error: id 'mine' is already used at content/b.md:4:5; ids must be unique"
    ]


def test_a_heading_whose_id_another_article_owns_gives_way(write_project):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - a-b.md\n",
            "content/a.md": article("## B\n\n## Title\n\nText.\n"),
            "content/a-b.md": article("Text.\n", "AB"),
        }
    )
    tree = lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())
    assert tree.xpath("//article[@id='a']//h3/@id") == ["a-b-2", "a-title-2"]
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_two_charts_of_one_table_get_distinct_ids_that_their_svgs_refer_to(write_project):
    root = write_project(
        {"content/a.md": article("```{chart} nums\n```\n\n```{chart} nums\n```\n"), "content/facts/nums.yaml": TABLE}
    )
    tree = lxml_html.fromstring(build(root, formats=["html"], jobs=1).outputs["html"].read_bytes())
    charts = "//figure[contains(concat(' ', @class, ' '), ' chart ')]"
    assert tree.xpath(f"{charts}/@id") == ["chart-nums", "chart-nums-2"]
    assert tree.xpath(f"{charts}/div[contains(@class, 'chart-wide')]/*[local-name()='svg']/@aria-labelledby") == [
        "chart-nums-title chart-nums-desc",
        "chart-nums-2-title chart-nums-2-desc",
    ]
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))


# -- links -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_built(tmp_path_factory):
    root = tmp_path_factory.mktemp("links") / "p"
    for relative, text in THREE.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return build(root, formats=["html", "epub", "pdf"], jobs=1).outputs


def test_links_between_articles_are_in_document_anchors_in_the_html_edition(three_built):
    tree = lxml_html.fromstring(three_built["html"].read_bytes())
    assert tree.xpath("//article[@id='a']//div[@class='article-body']//a/@href") == [
        "#b",
        "#c-part-two",
        "#c-part-two",
        "#a-intro",
    ]
    assert tree.xpath("//article[@id='b']//div[@class='article-body']//a/@href") == ["#a-intro"]


def test_links_between_articles_name_the_other_file_in_the_epub(three_built):
    page = epub_page(three_built["epub"], "a.xhtml")
    assert page.xpath("//x:div[@class='article-body']//x:a/@href", namespaces=XHTML) == [
        "b.xhtml#b",
        "c.xhtml#c-part-two",
        "c.xhtml#c-part-two",
        "#a-intro",
    ]
    assert epub_page(three_built["epub"], "b.xhtml").xpath(
        "//x:div[@class='article-body']//x:a/@href", namespaces=XHTML
    ) == ["a.xhtml#a-intro"]


def _link_targets(path) -> list[tuple[int, int]]:
    """(page of the link, page its destination opens) of every link; no /URI allowed.

    The boxes inside a link (a cross-reference's printed page number) get annotations of their
    own, within the link's and to the same place: they count once."""
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}
        names = pikepdf.NameTree(pdf.Root.Names.Dests)
        found, last = [], None
        for number, page in enumerate(pdf.pages, 1):
            for annotation in page.obj.get("/Annots", []):
                if annotation.get("/Subtype") != "/Link":
                    continue
                assert "/URI" not in annotation.get("/A", {}), annotation.get("/A")
                dest = annotation.get("/Dest")
                if dest is None:
                    assert annotation.A.S == "/GoTo"
                    dest = annotation.A.D
                if isinstance(dest, pikepdf.String):
                    dest = names[str(dest)]
                rect = [float(v) for v in annotation.Rect]
                target = (number, pages[dest[0].objgen])
                if last and last[0] == target and last[1][0] <= rect[0] and rect[2] <= last[1][2] + 0.01:
                    continue
                found.append(target)
                last = (target, rect)
        return found


def test_links_between_articles_are_goto_links_to_existing_destinations_in_the_pdf(three_built):
    reader = pypdf.PdfReader(three_built["pdf"])
    first = {
        title: next(n for n, page in enumerate(reader.pages, 1) if text in page.extract_text())
        for title, text in (("A", "See b"), ("B", "Back to a"), ("C", "More."))
    }
    body_links = [link for link in _link_targets(three_built["pdf"]) if link[0] >= first["A"]]
    assert body_links == [
        (first["A"], first["B"]),
        (first["A"], first["C"]),
        (first["A"], first["C"]),
        (first["A"], first["A"]),
        (first["B"], first["A"]),
    ]


def test_a_link_to_a_heading_three_articles_away_opens_its_page_in_a_chunked_pdf(write_project):
    long_c = article(
        "".join(f"Paragraph {n} " + "word " * 80 + "\n\n" for n in range(12)) + "## Part two\n\nMore.\n", "C"
    )
    files = {**THREE, "content/a.md": article("See [part](c.md#part-two).\n\n## Intro\n"), "content/c.md": long_c}
    pdf = build(write_project(files), formats=["pdf"], jobs=2).outputs["pdf"]
    reader = pypdf.PdfReader(pdf)
    heading_pages = [
        n
        for n, page in enumerate(reader.pages, 1)
        if "Part two" in page.extract_text() and "Contents" not in page.extract_text()
    ]
    article_a = [n for n, page in enumerate(reader.pages, 1) if "See part" in page.extract_text()]
    body_links = [(page, target) for page, target in _link_targets(pdf) if page in article_a]
    assert body_links == [(article_a[0], heading_pages[0])] and heading_pages[0] > article_a[0] + 1


@pytest.mark.parametrize(
    "link, message",
    [
        (
            "notes.txt",
            "link 'notes.txt' is not a published article; a link may point to an article (other.md, "
            "other.md#heading), a #heading of this article or a web address",
        ),
        (
            "images/dot.svg",
            "link 'images/dot.svg' is not a published article; a link may point to an article "
            "(other.md, other.md#heading), a #heading of this article or a web address",
        ),
        (
            "missing.md",
            "link 'missing.md' is not found; a link may point to an article (other.md, "
            "other.md#heading), a #heading of this article or a web address",
        ),
        (
            "/etc/passwd",
            "link '/etc/passwd' is an absolute path; link to another article by its file name "
            "(other.md, other.md#heading)",
        ),
        ("../../x", "link '../../x' points outside the project directory"),
        (
            "file:///etc/passwd",
            "link 'file:///etc/passwd' uses the file: scheme, which a publication may not link "
            "to; use an http(s) address or a #heading",
        ),
        (
            "//example.org/x",
            "link '//example.org/x' is an absolute path; link to another article by its file name "
            "(other.md, other.md#heading)",
        ),
        ("c.md#nope", "link 'c.md#nope': article 'content/c.md' has no heading or id 'nope'"),
        ("#nope", "link '#nope': no article has a heading or id 'nope'"),
        ("#part-tw", "link '#part-tw': no article has a heading or id 'part-tw'; did you mean 'part-two'?"),
    ],
)
def test_a_local_link_that_is_not_an_article_or_its_heading_is_located(write_project, link, message):
    files = {
        **THREE,
        "content/a.md": article(f"Text.\n\n## Part two\n\nSee [it]({link}) here.\n"),
        "content/b.md": article("Text.\n", "B"),
        "content/notes.txt": "x\n",
        "content/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
    }
    assert problems(write_project(files)) == [f"content/a.md:8:10: error: {message}"]


def test_a_reference_link_is_located_at_its_definition(write_project):
    files = {
        **THREE,
        "content/a.md": article("See [it][ref].\n\n[ref]: notes.txt\n"),
        "content/notes.txt": "x\n",
        "content/b.md": article("Text.\n", "B"),
    }
    assert problems(write_project(files)) == [
        "content/a.md:6:8: error: link 'notes.txt' is not a published article; a link may point to an article "
        "(other.md, other.md#heading), a #heading of this article or a web address"
    ]


def test_a_link_without_an_address_is_located(write_project):
    root = write_project({"content/a.md": article("See [it]() here.\n")})
    assert problems(root) == [
        "content/a.md:4:10: error: link has no address; write [text](other.md), [text](#heading) or [text](https://…)"
    ]


def test_no_output_names_a_folder_of_the_machine_or_a_file_uri(tmp_path):
    root = tmp_path / "Zq7-distinctive-folder"
    files = {
        **THREE,
        "content/b.md": article("![dot](images/dot.svg)\n\nBack to [a](a.md#intro).\n", "B"),
        "content/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "report_builder", "build", "--project", str(root), "--keep-intermediate", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    out = root / "build"
    decompressed = io.BytesIO()
    with pikepdf.open(out / "t.pdf") as pdf:
        pdf.save(
            decompressed,
            qdf=True,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
        )
    texts = {
        "t.pdf": decompressed.getvalue(),
        "t.html": (out / "t.html").read_bytes(),
        "t.print.html": (out / "t.print.html").read_bytes(),
        **{f"t.epub/{name}": data for name, data in epub_members(out / "t.epub").items()},
    }
    # the home folder with its slash: "/root" alone is also the start of "</rootfiles>"
    needles = [b"Zq7-distinctive-folder", b"file:", str(Path.home() / "x")[:-1].encode(), str(tmp_path).encode()]
    assert len(texts) > 10
    assert [(name, needle) for name, data in texts.items() for needle in needles if needle in data] == []


def test_every_bad_link_and_id_of_an_article_is_reported_in_one_run(write_project):
    body = "[p](/etc/passwd) [n](notes.txt) `c`{#b} [h](c.md#zz) {fact}`nope.x`\n"
    files = {**THREE, "content/a.md": article(body), "content/notes.txt": "x\n"}
    assert problems(write_project(files)) == [
        "content/a.md:4:5: error: link '/etc/passwd' is an absolute path; link to another article by its file "
        "name (other.md, other.md#heading)",
        "content/a.md:4:22: error: link 'notes.txt' is not a published article; a link may point to an article "
        "(other.md, other.md#heading), a #heading of this article or a web address",
        "content/a.md:4:37: error: id 'b' is the id of the article 'b'; choose another",
        "content/a.md:4:45: error: link 'c.md#zz': article 'content/c.md' has no heading or id 'zz'",
        "content/a.md:4:54: error: unknown fact table 'nope'",
        "content/b.md:4:13: error: link 'a.md#intro': article 'content/a.md' has no heading or id 'intro'",
    ]


def test_a_hash_link_to_another_articles_heading_id_is_an_internal_link(write_project):
    files = {**THREE, "content/b.md": article("See [it](#c-part-two) and [a](a.md#intro).\n", "B")}
    tree = lxml_html.fromstring(build(write_project(files), formats=["html"], jobs=1).outputs["html"].read_bytes())
    assert tree.xpath("//article[@id='b']//div[@class='article-body']//a/@href") == ["#c-part-two", "#a-intro"]


def test_a_template_link_to_a_local_file_is_refused_at_its_line_and_never_a_file_uri(write_project, run_cli):
    repo = Path(__file__).resolve().parents[1]
    root = write_project({"content/a.md": "---\ntitle: A\n---\nText.\n", "notes/private.txt": "secret\n"})
    assert run_cli("build", "pdf", "-q", "--project", root).exit_code == 0
    before = (root / "build" / "t.pdf").read_bytes()
    print_html = (repo / "templates" / "print.html").read_text(encoding="utf-8")
    line = print_html[: print_html.index("<body")].count("\n") + 2
    (root / "templates").mkdir()
    lines = print_html.split("\n")
    lines.insert(line - 1, '<p><a href="notes/private.txt">notes</a></p>')
    (root / "templates" / "print.html").write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("build", "pdf", "-q", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        f"templates/print.html:{line}:13: error: link 'notes/private.txt' points at a file, not at a web address "
        "or an article; link to an article by its file name (other.md)\n",
    )
    assert (root / "build" / "t.pdf").read_bytes() == before
