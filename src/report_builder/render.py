"""Publication + target → HTML: Markdown tokens through our renderer, pages through Jinja2.

One renderer serves the three targets; they differ only where the medium does:
footnotes (page-foot floats in print, pop-up asides in EPUB, a list in HTML), image
addresses and the XHTML the EPUB needs.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import jinja2
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML

from . import article_cache, readlog
from .content import make_parser
from .errors import Diagnostic, ReportError
from .highlight import render_code, render_inline_code
from .labels import N_, text
from .model import Article, Publication
from .project import Project, builtin_dir
from .tablefit import facts_fit, markdown_fit
from .templating import css_string, make_environment, render_template, style_text, within_limits  # noqa: F401

#: what the renderer itself writes, in English; translated through the catalogues (labels.py)
LABELS = {
    "source": N_("Source: %(source)s"),
    "note": N_("Note %(number)s"),
    # cross-references and the captions of numbered tables and figures
    "table": N_("Table %(number)s"),
    "figure": N_("Figure %(number)s"),
    # after a link in print, with a space before it
    "page_reference": N_("(p.\u00a0%(page)s)"),
}
#: the counter style the print stylesheet sets a cross-reference's page number in (see page_reference_css)
PAGE_COUNTER_STYLE = "page-reference"


class Note(NamedTuple):
    """One footnote as the notes list shows it: `lead` is the first paragraph's content, where the
    number and backlink go, `rest` the blocks after it (paragraphs, lists, quotes, code)."""

    id: str
    number: str
    html: str

    @property
    def lead(self) -> str:
        return self.html[3 : self.html.index("</p>")] if self._starts_with_paragraph else ""

    @property
    def rest(self) -> str:
        return self.html[self.html.index("</p>") + 4 :].strip() if self._starts_with_paragraph else self.html

    @property
    def _starts_with_paragraph(self) -> bool:
        return self.html.startswith("<p>") and "</p>" in self.html


@dataclass
class RenderedArticle:
    article: Article
    body: str
    footnotes: list[Note] = field(default_factory=list)
    #: the front matter's inline Markdown, rendered for this target
    title_html: str = ""
    subtitle_html: str = ""
    summary_html: str = ""
    key_points_html: list[str] = field(default_factory=list)


def column_band(count: int) -> str:
    """How wide a table of `count` columns is, for the stylesheets' reflow rules (ebook.css)."""
    return "narrow" if count <= 3 else "medium" if count <= 5 else "wide" if count <= 8 else "very-wide"


class BriefingRenderer(RendererHTML):
    """markdown-it renderer for one target; methods named after token types are rules."""

    def __init__(self, target: str, article: Article, context: RenderContext):
        super().__init__()
        self.target = target
        self.article = article
        self.context = context
        self.footnote_numbers: dict[int, str] = {}
        self.open_links: list[str | None] = []  # of each link being rendered: the id it refers to in print

    # -- footnotes ------------------------------------------------------------
    def footnote_ref(self, tokens, idx, options, env):
        meta = tokens[idx].meta
        number = str(meta["id"] + 1)
        note_id = escapeHtml(f"{self.article.name}-fn{number}")
        ref_id = escapeHtml(f"{self.article.name}-fnref{number}" + (f"-{meta['subId']}" if meta.get("subId") else ""))
        if self.target == "pdf":
            return f'<span class="footnote">{self.context.footnote_html[self.article.name][meta["id"]]}</span>'
        if self.target == "epub":
            return (
                f'<a class="noteref" epub:type="noteref" role="doc-noteref" id="{ref_id}" '
                f'href="#{note_id}">{number}</a>'
            )
        label = escapeHtml(text(self.context.publication.config, LABELS["note"], number=number))
        return (
            f'<sup class="footnote-ref"><a id="{ref_id}" href="#{note_id}" role="doc-noteref" '
            f'aria-label="{label}">{number}</a></sup>'
        )

    # -- headings -------------------------------------------------------------
    def heading_open(self, tokens, idx, options, env):
        return self._heading(tokens, idx, options, env)

    def heading_close(self, tokens, idx, options, env):
        return self._heading(tokens, idx, options, env)

    def _heading(self, tokens, idx, options, env):
        """In the web edition the publication title is the page's h1 and articles are h2: body
        headings one level down (the tokens are shared by every target, so put back after)."""
        token = tokens[idx]
        if self.target != "html":
            return self.renderToken(tokens, idx, options, env)
        level = token.tag
        token.tag = f"h{min(int(level[1]) + 1, 6)}"
        try:
            return self.renderToken(tokens, idx, options, env)
        finally:
            token.tag = level

    # -- facts, figures, quotes ----------------------------------------------
    def myst_role(self, tokens, idx, options, env):
        use = tokens[idx].meta.get("fact")
        if use is None:
            return escapeHtml(tokens[idx].content)
        config = self.context.publication.config
        said = text(config, LABELS["source"], source=use.source)
        source = f' title="{escapeHtml(said)}"' if use.source and self.target != "pdf" else ""
        return f'<span class="fact" data-fact="{escapeHtml(use.table)}.{escapeHtml(use.row)}"{source}>{escapeHtml(use.text)}</span>'

    def fence(self, tokens, idx, options, env):
        meta = tokens[idx].meta or {}
        directive = meta.get("directive")
        # the loader chose each embed's id suffix for the whole publication: ids stay unique in
        # every document and chunk, and the same in every target
        numbered = meta.get("number")
        if directive == "facts":
            from .facts import table_view

            suffix = meta.get("suffix", "")
            table = table_view(self.context.publication.tables[meta["table"]], *meta.get("view", ()))
            fit = facts_fit(table, self.context.page_size, tokens[idx]).classes if self.target == "pdf" else ""
            return self.context.render_partial(
                "facts_table.html", table=table, target=self.target, suffix=suffix, print_fit=fit, numbered=numbered
            )
        if directive == "chart":
            from .charts import ChartFailed, render_chart

            table = self.context.publication.tables[meta["table"]]
            options_ = {k: v for k, (v, _line) in meta["options"].items()}
            ident = f"chart-{table.name}{meta.get('suffix', '')}"
            try:
                chart = render_chart(table, options_, self.context.locale, ident, self.target)
            except ChartFailed as exc:
                raise ReportError(
                    [Diagnostic(self.article.path, meta.get("line"), None, f"the chart could not be drawn: {exc}")]
                ) from None
            return self.context.render_partial(
                "chart.html",
                table=table,
                target=self.target,
                chart=chart,
                chart_type=options_.get("type", "bar"),
                numbered=numbered,
            )
        return render_code(tokens[idx].content, tokens[idx].info, self.target)

    def code_block(self, tokens, idx, options, env):
        return render_code(tokens[idx].content, "", self.target)

    def code_inline(self, tokens, idx, options, env):
        return render_inline_code(tokens[idx].content, self.target, self.renderAttrs(tokens[idx]))

    def paragraph_open(self, tokens, idx, options, env):
        meta = tokens[idx].meta
        if meta.get("figure"):
            return f'<figure class="figure"{_id_attr(tokens[idx])}>'
        if meta.get("attribution"):
            return f'</blockquote>\n<figcaption class="attribution"{_id_attr(tokens[idx])}>'
        return self.renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens, idx, options, env):
        meta = tokens[idx].meta
        if meta.get("figure"):
            return "</figure>\n"
        if meta.get("attribution"):
            return "</figcaption>\n"
        return self.renderToken(tokens, idx, options, env)

    def blockquote_open(self, tokens, idx, options, env):
        if tokens[idx].meta.get("attributed"):
            return f'<figure class="quote"{_id_attr(tokens[idx])}>\n<blockquote>\n'
        return self.renderToken(tokens, idx, options, env)

    def blockquote_close(self, tokens, idx, options, env):
        if tokens[idx].meta.get("attributed"):
            return "</figure>\n"
        return self.renderToken(tokens, idx, options, env)

    def image(self, tokens, idx, options, env):
        token = tokens[idx]
        alt = escapeHtml(self.renderInlineAsText(token.children, options, env))
        src = escapeHtml(self.context.image_href(token.meta.get("project_path", ""), self.target))
        classes = token.attrGet("class")
        extra = _id_attr(token) + (f' class="{escapeHtml(str(classes))}"' if classes else "")
        img = f'<img src="{src}" alt="{alt}"{extra} />'
        caption = token.attrGet("title")
        numbered = token.meta.get("number")
        if token.meta.get("figure") and numbered is not None:
            config = self.context.publication.config
            return f"{img}<figcaption>{caption_label(config, numbered)}{escapeHtml(numbered.caption)}</figcaption>"
        if token.meta.get("figure") and caption:
            return f"{img}<figcaption>{escapeHtml(caption)}</figcaption>"
        return img

    def list_item_open(self, tokens, idx, options, env):
        token = tokens[idx]
        html = self.renderToken(tokens, idx, options, env)
        if token.meta and "checked" in token.meta:  # a task list item: `- [x] done`
            checked = ' checked="checked"' if token.meta["checked"] else ""
            label = "done" if token.meta["checked"] else "not done"
            if self.target == "pdf":
                done = " done" if token.meta["checked"] else ""
                return html + f'<span class="task-box{done}" role="img" aria-label="{label}"></span>'
            html += (
                f'<input class="task-list-item-checkbox" type="checkbox" disabled="disabled"{checked} '
                f'aria-label="{label}" /> '
            )
        return html

    # A Markdown table: each body cell repeats its column's title in a label the stylesheets
    # show where the table reflows into one block per row (see facts_table.html)
    def table_open(self, tokens, idx, options, env):
        titles = []
        for token in tokens[idx + 1 :]:
            if token.type in ("thead_close", "table_close"):
                break
            if token.type == "inline":
                titles.append(self.renderInlineAsText(token.children or [], options, env))
        env["table_titles"] = titles
        band = column_band(len(titles))
        fit = markdown_fit(tokens, idx, self.context.page_size).classes if self.target == "pdf" else ""
        return f'<div class="table-wrap columns-{band}{" " + fit if fit else ""}">\n' + self.renderToken(
            tokens, idx, options, env
        )

    def table_close(self, tokens, idx, options, env):
        env.pop("table_titles", None)
        return self.renderToken(tokens, idx, options, env) + "</div>\n"

    def span_open(self, tokens, idx, options, env):
        # `[phrase]{lang=de}`: XHTML (the EPUB) reads xml:lang, HTML lang; the tokens serve every target
        token = tokens[idx]
        tag = token.attrGet("lang")
        if self.target != "epub" or tag is None:
            return self.renderToken(tokens, idx, options, env)
        return self.renderToken(tokens, idx, options, env)[:-1] + f' xml:lang="{escapeHtml(str(tag))}">'

    def tr_open(self, tokens, idx, options, env):
        env["table_column"] = 0
        return self.renderToken(tokens, idx, options, env)

    def td_open(self, tokens, idx, options, env):
        titles, column = env.get("table_titles", []), env.get("table_column", 0)
        env["table_column"] = column + 1
        title = escapeHtml(titles[column]) if column < len(titles) else ""
        label = f'<span class="cell-label">{title}</span> '
        return self.renderToken(tokens, idx, options, env) + label + '<span class="cell-value">'

    def td_close(self, tokens, idx, options, env):
        return "</span>" + self.renderToken(tokens, idx, options, env)

    def numref(self, tokens, idx, options, env):
        """`@tbl-ports`: "Table 3", linked to the table; `-@tbl-ports`: "3"."""
        meta = tokens[idx].meta
        target = meta.get("target")
        if target is None:
            return escapeHtml(tokens[idx].content)
        config = self.context.publication.config
        said = str(target.number) if meta.get("bare") else text(config, LABELS[target.kind], number=target.number)
        return f'<a class="numref" href="#{escapeHtml(target.id)}">{escapeHtml(said)}</a>'

    def link_close(self, tokens, idx, options, env):
        ident = self.open_links.pop() if self.open_links else None
        close = self.renderToken(tokens, idx, options, env)
        if ident is None:
            return close
        return self.context.page_reference(ident) + close

    def link_open(self, tokens, idx, options, env):
        token = tokens[idx]
        href = token.attrGet("href") or ""
        self.open_links.append(token.meta.get("xref") if self.target == "pdf" else None)
        # the tokens are shared by every target, so mark a link once however often it is rendered
        if (
            href.startswith(("http://", "https://", "mailto:"))
            and "external" not in (token.attrGet("class") or "").split()
        ):
            token.attrJoin("class", "external")
        return self.renderToken(tokens, idx, options, env)


def caption_label(config, numbered) -> str:
    """The label a numbered table's or figure's caption starts with: `<span …>Figure 2</span> `."""
    label = escapeHtml(text(config, LABELS[numbered.kind], number=numbered.number))
    return f'<span class="caption-label">{label}.</span> '


def page_digits(publication: Publication) -> int:
    """How many figures a cross-reference's page number takes in print, from a generous estimate
    of the page count: the number is set in that many figure widths in every layout, so that a
    chunked layout, which learns the numbers only after the merge, breaks its lines as a single
    layout does (see writers/pdf/chunked.py). Estimated once per publication: each chunk asks."""
    if _estimated and _estimated[0] is publication:
        return _estimated[1]
    if not any(article.env.get("xrefs") for article in publication.articles):
        return 1  # no cross-reference prints a page number
    characters = rows = images = 0
    for article in publication.articles:
        images += len(article.images) + len(article.charts)
        for token in article.tokens:
            characters += len(token.content)
            rows += token.type == "tr_open"
        rows += sum(len(publication.tables[name].rows) for name in article.tables)
    pages = 1.25 * (3 + len(publication.articles) + characters / 2500 + rows / 35 + images / 3)
    _estimated[:] = [publication, 1 if pages < 10 else 2 if pages < 100 else 3]
    return _estimated[1]


#: the last publication page_digits estimated, and its estimate
_estimated: list = []


def page_reference_css(digits: int) -> str:
    """The counter style of cross-references' page numbers: padded to `digits` with figure spaces."""
    return (
        f'@counter-style {PAGE_COUNTER_STYLE} {{ system: extends decimal; pad: {digits} "\\2007"; }}\n'
        f".page-number::after {{ content: target-counter(attr(data-href url), page, {PAGE_COUNTER_STYLE}); }}\n"
        ".page-number[data-page]::after { content: attr(data-page); }\n"
    )


@dataclass
class RenderContext:
    """What rendering needs beyond the tokens: the publication, templates and resource paths."""

    publication: Publication
    project: Project
    jinja: jinja2.Environment
    footnote_html: dict[str, dict[int, str]] = field(default_factory=dict)
    epub_images: dict[str, str] = field(default_factory=dict)
    part: PrintPart | None = None  # print only: which part of the document, and its page references
    page_digits: int = 1

    def page_reference(self, ident: str) -> str:
        """`<span class="page-ref"> (p. N)</span>` after a cross-reference in print: N from the
        layout (target-counter), or known (data-page), or a stand-in drawn over after the merge."""
        said = " " + text(self.publication.config, LABELS["page_reference"], page="\0")
        before, _, after = said.partition("\0")
        digits = self.page_digits
        known = dict(self.part.xref_pages or ()) if self.part is not None else {}
        if self.part is not None and self.part.xref_stand_ins:
            page = f' data-page="{STAND_IN_PAGE[:digits]}"'
        elif ident in known:
            page = f' data-page="{str(known[ident]).rjust(digits, FIGURE_SPACE)}"'
        else:
            page = ""
        return (
            f'<span class="page-ref">{escapeHtml(before)}<span class="page-number" '
            f'data-href="#{escapeHtml(ident)}"{page}></span>{escapeHtml(after)}</span>'
        )

    @property
    def locale(self) -> str:
        return self.publication.config.babel_locale

    @property
    def page_size(self) -> str:
        return self.publication.config.pdf.page_size

    def render_partial(self, name, **values):
        return render_template(self.jinja, name, publication=self.publication, **values)

    def image_href(self, project_path: str, target: str) -> str:
        if target == "pdf":
            return project_path  # resolved against the project root by the sandboxed fetcher
        if target == "epub":
            return self.epub_images.setdefault(project_path, epub_image_name(project_path))
        from .readlog import read_bytes

        data = read_bytes(self.project.root / project_path)
        mime = mimetypes.guess_type(project_path)[0] or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def epub_image_name(project_path: str) -> str:
    """The image's file name in the book: its project path flattened, in the characters EPUB file names
    may safely use (a name that had others gets a digest of its path, so two never meet)."""
    flat = project_path.removeprefix("content/").removeprefix("images/").replace("/", "-")
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", flat)
    if safe != flat:
        stem, dot, suffix = safe.rpartition(".")
        digest = hashlib.sha256(project_path.encode("utf-8")).hexdigest()[:10]
        safe = f"{stem}-{digest}{dot}{suffix}" if dot else f"{safe}-{digest}"
    return "images/" + safe


@functools.cache
def _render_options():
    """The renderer's options (XHTML output and the like): one parser's worth, made once."""
    return make_parser().options


def render_article(article: Article, target: str, context: RenderContext) -> RenderedArticle:
    options = _render_options()
    renderer = BriefingRenderer(target, article, context)
    tokens, notes = _split_footnotes(article.tokens)
    _number_blocks(article, tokens)
    footnotes = []
    html_by_id = {}
    for note_id, note_tokens in notes:
        inner = renderer.render(note_tokens, options, article.env).strip()
        if target == "pdf":
            inner = note_as_inline(inner)
        html_by_id[note_id] = inner
        footnotes.append(Note(f"{article.name}-fn{note_id + 1}", str(note_id + 1), inner))
    context.footnote_html[article.name] = html_by_id
    body = renderer.render(tokens, options, article.env)

    def inline(tokens) -> str:
        return renderer.renderInline(tokens[0].children, options, article.env) if tokens else ""

    return RenderedArticle(
        article=article,
        body=body,
        footnotes=footnotes,
        title_html=inline(article.title_tokens) or escapeHtml(article.title),
        subtitle_html=inline(article.subtitle_tokens) or escapeHtml(article.subtitle),
        summary_html=inline(article.summary_tokens) or escapeHtml(article.summary),
        key_points_html=[inline(tokens) for tokens in article.key_point_tokens]
        or [escapeHtml(point) for point in article.key_points],
    )


def _render_web(article: Article, context: RenderContext, settings: str) -> RenderedArticle:
    """The article rendered for the web edition, kept from an earlier build while nothing that shapes it
    changed (see article_cache.py)."""

    def render() -> tuple[RenderedArticle, dict[int, str]]:
        rendered = render_article(article, "html", context)
        return rendered, context.footnote_html[article.name]

    rendered, notes = article_cache.kept_rendering(article, settings, context.project.templates_dir, render)
    context.footnote_html[article.name] = notes
    return rendered


#: block elements a note may hold; in print they become spans (see `note_as_inline`)
_NOTE_BLOCK = re.compile(
    r"<(/?)(p|ul|ol|li|blockquote|pre|div|figure|figcaption|table|thead|tbody|tr|th|td|dl|dt|dd|hr|h[1-6])\b"
    r"((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(\s*/?)>"
)


def note_as_inline(html: str) -> str:
    """A note's HTML as phrasing content, to float out of the paragraph that cites it.

    Print sets a note where it is cited, inside a `<p>`: a block element there would end the
    paragraph and spill the note's rest into the body. So the first paragraph is unwrapped and each
    later block becomes a `<span class="note-TAG">` that print.css displays as its block."""
    if html.startswith("<p>") and "</p>" in html:
        end = html.index("</p>")
        html = html[3:end] + html[end + 4 :]

    def span(match: re.Match) -> str:
        closing, tag, attributes, empty = match.groups()
        if closing:
            return "</span>"
        classes = f"note-{tag}"
        found = re.search(r'\sclass="([^"]*)"', attributes)
        if found:
            classes += " " + found.group(1)
            attributes = attributes[: found.start()] + attributes[found.end() :]
        return f'<span class="{classes}"{attributes}>' + ("</span>" if empty.strip() else "")

    return _spaces_for_newlines(_NOTE_BLOCK.sub(span, html).strip())


def _spaces_for_newlines(html: str) -> str:
    """Newlines as spaces, except in code: WeasyPrint 70 keeps a footnote's line breaks (its text
    is taken out of the flow before white space collapses), so hard-wrapped notes would not reflow."""
    out, pos, depth = [], 0, 0  # depth: spans open inside a note's code block
    for tag in re.finditer(r"<(/?)span\b[^>]*>", html):
        text = html[pos : tag.start()]
        out.append(text if depth else text.replace("\n", " "))
        out.append(tag.group(0))
        if depth:
            depth += -1 if tag.group(1) else 1
        elif 'class="note-pre' in tag.group(0):
            depth = 1
        pos = tag.end()
    out.append(html[pos:] if depth else html[pos:].replace("\n", " "))
    return "".join(out)


#: body blocks that get a stable id, the same in every target, so that where a printed page
#: begins (found in the PDF layout) can be located in the EPUB: see pagelist.py
BLOCK_IDS = {"paragraph_open": "p", "list_item_open": "li", "blockquote_open": "q", "table_open": "t", "tr_open": "r"}


def _number_blocks(article: Article, tokens) -> None:
    """Give each body block without an id one: `<article>-p3`, `<article>-li2`, … (idempotent)."""
    taken = {heading.id for heading in article.headings}
    counts = dict.fromkeys(BLOCK_IDS.values(), 0)
    for token in tokens:
        kind = BLOCK_IDS.get(token.type)
        if kind is None:
            continue
        counts[kind] += 1
        if token.attrGet("id") is None:
            ident = f"{article.name}-{kind}{counts[kind]}"
            while ident in taken:
                ident += "_"
            token.attrSet("id", ident)


def _id_attr(token) -> str:
    ident = token.attrGet("id")
    return f' id="{escapeHtml(str(ident))}"' if ident else ""


def _split_footnotes(tokens):
    """Separate the footnote block markdown-it appends: (body tokens, [(id, tokens)])."""
    body, notes, current = [], [], None
    inside = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif token.type == "footnote_open":
            current = (token.meta["id"], [])
            notes.append(current)
        elif token.type in ("footnote_close", "footnote_anchor"):
            continue
        elif inside and current is not None:
            current[1].append(token)
        elif not inside:
            body.append(token)
    return body, notes


#: pads a page number to its figures (U+2007 FIGURE SPACE is as wide as a figure)
FIGURE_SPACE = "\u2007"
#: the stand-in page numbers of a chunked layout, cut to the figures they take: drawn over after the merge
STAND_IN_PAGE = "108"


@dataclass(frozen=True)
class PrintPart:
    """Which part of the print document to render: all of it, or one chunk of a parallel layout."""

    articles: tuple[int, ...] | None = None  # indexes into publication.articles; None: all
    cover: bool = True
    toc: bool = True
    sources: bool = True
    toc_pages: tuple[tuple[str, int], ...] | None = None  # heading id → printed page, when known
    margin_boxes: bool = True  # False in a chunked layout: the page furniture is drawn after the merge
    page_digits: int | None = None  # the figures of a cross-reference's page number; None: see page_digits
    xref_stand_ins: bool = False  # True: cross-references' page numbers are stand-ins, drawn after the merge
    xref_pages: tuple[tuple[str, int], ...] | None = None  # id → printed page, when known
    first_verso: bool = False  # True: a two-sided chunk whose first page is a left-hand one (verso)


#: WeasyPrint lays out and draws a page's margin boxes in this order
MARGIN_BOXES = (
    "top-left",
    "top-center",
    "top-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
    "left-top",
    "left-middle",
    "left-bottom",
    "right-top",
    "right-middle",
    "right-bottom",
    "top-left-corner",
    "top-right-corner",
    "bottom-left-corner",
    "bottom-right-corner",
)


def margin_boxes_none(keep: tuple[str, ...] = (), pages: str = "") -> str:
    """CSS that leaves every margin box but `keep` out of the pages (those `pages` selects, e.g. ":nth(3)")."""
    rules = " ".join(f"@{box} {{ content: none; }}" for box in MARGIN_BOXES if box not in keep)
    return f"@page {pages + ' ' if pages else ''}{{ {rules} }}"


def render_document(
    publication: Publication,
    project: Project,
    target: str,
    extra_styles: Sequence[tuple[str, str]] = (),
    part: PrintPart = PrintPart(),
) -> str:
    """The single HTML document for the PDF ('print.html') or the web edition ('web.html')."""
    template = {"pdf": "print.html", "html": "web.html"}[target]
    return within_limits(template, _render_document, publication, project, target, extra_styles, part)


def _render_document(publication, project, target, extra_styles, part) -> str:
    jinja = make_environment(project)
    digits = part.page_digits or page_digits(publication)
    context = RenderContext(publication, project, jinja, part=part if target == "pdf" else None, page_digits=digits)
    chosen = publication.articles if part.articles is None else [publication.articles[i] for i in part.articles]
    if target == "html":
        settings = repr(publication.config)
        articles = [_render_web(article, context, settings) for article in chosen]
    else:
        articles = [render_article(a, target, context) for a in chosen]
    template = {"pdf": "print.html", "html": "web.html"}[target]
    styles = [(name, style_text(css)) for name, css in extra_styles] + _styles(project, target)
    if target == "pdf":
        styles.insert(len(extra_styles), ("page-references.css", page_reference_css(digits)))
    return render_template(
        jinja,
        template,
        publication=publication,
        config=publication.config,
        articles=articles,
        target=target,
        styles=styles,
        part=part,
        toc_pages=dict(part.toc_pages or ()),
        # the two-sided page style sets boxes on :left and :right pages too (print_page_duplex.html)
        no_margin_boxes="\n".join(margin_boxes_none(pages=pages) for pages in ("", ":left", ":right")),
        cover_images=cover_images(publication.config, context, target),
    )


def cover_images(config, context: RenderContext, target: str) -> dict[str, str]:
    """The addresses of `cover.image` and `cover.logo` for the target ("image", "logo"; "" when not set)."""
    named = {"image": config.cover.image, "logo": config.cover.logo}
    return {key: context.image_href(path, target) if path else "" for key, path in named.items()}


STYLESHEETS = {
    "pdf": ("base.css", "print.css"),
    "html": ("base.css", "screen.css"),
    "epub": ("base.css", "ebook.css"),
}


#: the line of ebook.css and screen.css that stands for the fact-table rules both share
TABLE_RULES_MARK = "/* Fact tables on screens and in reading systems: templates/table_reflow.css */"


def with_table_rules(css: str, project: Project) -> str:
    """A screen or ebook stylesheet with its mark replaced by the rules table_reflow.css writes."""
    if TABLE_RULES_MARK not in css:
        return css
    rules = render_template(make_environment(project), "table_reflow.css")
    return css.replace(TABLE_RULES_MARK, rules.rstrip("\n"), 1)


def style_files(project: Project, target: str) -> list[Path]:
    """Stylesheets for a target: each built-in one, or the project's file of the same name,
    then the project's `custom.css` and `custom-<target>.css` when present."""
    files = []
    for name in STYLESHEETS[target]:
        own = project.styles_dir / name
        readlog.probe_file(project.root, own)  # the output depends on whether it exists
        if own.exists():
            files.append(own)  # a FIFO is refused when read
        else:
            files.append(builtin_dir("styles") / name)
            readlog.depend(files[-1])
    for extra in ("custom.css", f"custom-{target}.css"):
        own = project.styles_dir / extra
        readlog.probe_file(project.root, own)
        if own.exists():
            files.append(own)
    return files


def _styles(project, target):
    """(name, CSS) of each stylesheet; a project's print stylesheet may not point outside the project."""
    from .inputs import read_text

    styles, problems = [], []
    for path in style_files(project, target):
        own = project.styles_dir in path.parents  # the project's file, even when it links elsewhere
        css = read_text(path, project.display(path), inside=project.root) if own else path.read_text(encoding="utf-8")
        if own and target in ("pdf", "epub"):  # the web edition's references are the reader's browser's business
            from .fetcher import base_url, check_stylesheet_references, project_sandbox

            problems.extend(
                check_stylesheet_references(css, project.display(path), project_sandbox(project), base_url(project))
            )
        if target == "html":
            css = with_table_rules(css, project)
        styles.append((path.name, style_text(css)))  # its `</style>` ends no element
    if problems:
        raise ReportError(problems)
    return styles
