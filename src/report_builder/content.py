"""Markdown + front matter → Article: parse, resolve facts and images, record headings.

Articles are parsed once into markdown-it tokens (our document tree); `render.py` turns the
same tokens into HTML for each output format.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from urllib.parse import quote, unquote

from babel.dates import format_date
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from . import article_cache
from .errors import Collector, Diagnostic, ReportError, shorten
from .facts import Cells, fact_table_files
from .images import ImageRefused, ImageUnreadable, check_image_file
from .inputs import LocatedDict, LocatedList, parse_yaml, read_text
from .model import Article, FactTable, FactUse, Heading, Image, Numbered
from .project import Project, stem_problem
from .sanitize import raw_images, sanitize_html, sanitize_inline_tag, sanitize_style, without_dropped_content

_FRONT_MATTER_KEYS = {
    "title",
    "subtitle",
    "byline",
    "dateline",
    "date",
    "summary",
    "key_points",
    "keywords",
    "lang",
    "language",
    "heading_offset",
    "draft",
}
#: what Pandoc, Quarto, Jekyll and Hugo call our front matter keys
FRONT_MATTER_ALIASES = {
    "author": "byline",
    "authors": "byline",
    "description": "summary",
    "abstract": "summary",
    "tags": "keywords",
    "categories": "keywords",
}
#: a date as other tools write it: `2024-10-26`, `2024-10-26 14:32:10 +0200`, `2024-10-26T09:00:00Z`
_DATE_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
#: the largest `heading_offset:` (a document whose sections start at `#` needs 1)
MAX_HEADING_OFFSET = 4
#: at most this many keywords an article adds to the publication's metadata
MAX_KEYWORDS = 50
DIRECTIVES = ("facts", "chart")
FACTS_OPTIONS = ("columns", "sort", "limit", "id")
#: rows a {facts} shows without ':limit:'; a longer table asks for one (MAX_TABLE_ROWS bounds what is shown)
MAX_SHOWN_ROWS = 500
UNSAFE_LINK_SCHEMES = ("javascript", "vbscript", "file", "data")
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
#: per article: WeasyPrint lays a footnote out in about 20 ms, so 2,000 notes are some 40 s of layout
MAX_FOOTNOTES_PER_ARTICLE = 2_000
#: per table ({facts}, {chart} or Markdown): a row is 15–40 ms of print layout (bench/scaling.py), 10,000 are minutes
MAX_TABLE_ROWS = 10_000
#: the messages this stage writes that are not errors
LABELS = {
    "draft": "left out: the front matter says 'draft: true' (build with --drafts to include it)",
    "raw_html": "raw HTML is printed as text (the first of this article is here); to keep it, sanitised, "
    "set 'raw_html: true' in report.yaml",
}
#: a paragraph that opens with an HTML tag: raw HTML, when raw_html is off
_RAW_TAG = re.compile(r"\s*</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
#: `![alt](my photo.png)` left as text: an address with a space, not in `<…>`
_UNPARSED_ADDRESS = re.compile(r"(!?)\[([^\]\n]*)\]\(([^()<>\n]*?[^\s()<>\"'][ \t]+[^()<>\n\"']*?)\)")
#: HTML stops at h6: a heading shifted deeper stays an h6
MAX_HEADING_LEVEL = 6
#: `{#id .class key=value}` at the end of a heading (Pandoc's header attributes)
_HEADING_ATTRIBUTES = re.compile(r"\s*\{((?:\s*(?:#[A-Za-z][\w:.-]*|\.[A-Za-z_-][\w-]*|[\w-]+=\S+|-))+)\s*\}\s*$")
#: an id an author writes with `{#id}`: a valid XML id and CSS identifier
AUTHOR_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")
#: ids of the publication's own parts, and the prefixes of the ids of its fact tables and charts
GENERATED_IDS = frozenset(
    {
        "contents",
        "contents-title",
        "sources",
        "sources-title",
        "main",
        "titlepage-title",
        "landmarks",
        "landmarks-title",
        "page-list",
        "page-list-title",
    }
)
GENERATED_PREFIXES = ("chart-", "facts-", "fact-", "source-", "sources-", "toc-", "page-")
#: what follows an article's name in the ids made for it: title, notes, numbered blocks
_ARTICLE_ID_SUFFIX = re.compile(r"-(title|fn\d+|fnref\d+(-\d+)?|(p|li|q|t|r)\d+_*)")
#: `{…}` attributes a link, image or code span keeps; `style` only with raw_html, sanitised
KEPT_ATTRIBUTES = {
    "link_open": {"href", "title"},
    "image": {"src", "alt", "title"},
    "code_inline": set(),
    "span_open": set(),  # [a phrase]{lang=de}
}


def make_parser(allow_html: bool = False) -> MarkdownIt:
    """CommonMark + GFM (tables, strikethrough, task lists, bare addresses) + footnotes + {attrs} + {role}`…`."""
    md = MarkdownIt("commonmark", {"html": allow_html, "xhtmlOut": True, "typographer": False, "tasklists": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(attrs_plugin, spans=True).use(myst_role_plugin).use(gfm_autolink_plugin)
    # HTML comments are notes to the editor: never printed, whether raw HTML is on or off
    md.block.ruler.before("html_block", "html_comment_block", _comment_block)
    md.inline.ruler.before("html_inline", "html_comment", _comment_inline)
    md.core.ruler.before("footnote_tail", "footnote_definitions", _record_footnote_definitions)
    # Keep file:, javascript:, vbscript: and data: addresses as links and images instead of
    # silently leaving them as text: the loader refuses each one at its line (see _Walker).
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def _comment_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """An HTML comment that starts a block: it and the rest of its last line are dropped."""
    pos = state.bMarks[start] + state.tShift[start]
    if silent or state.is_code_block(start) or not state.src.startswith("<!--", pos):
        return False
    line = start
    while line < end:
        first = pos + 4 if line == start else state.bMarks[line]
        close = state.src.find("-->", first, state.eMarks[line])
        if close >= 0:
            if state.src[close + 3 : state.eMarks[line]].strip():
                return False  # text follows on its line: a comment inside a paragraph (see _comment_inline)
            break
        line += 1
    state.line = min(line + 1, end)
    return True


def _record_footnote_definitions(state: StateCore) -> None:
    """Where each `[^label]:` is defined, before the footnote plugin keeps only the last one cited."""
    state.env["footnote_definitions"] = [
        (token.meta["label"], token.map[0] if token.map else None)
        for token in state.tokens
        if token.type == "footnote_reference_open"
    ]


def _comment_inline(state: StateInline, silent: bool) -> bool:
    """An HTML comment inside a paragraph: dropped; an unclosed one stays text."""
    if not state.src.startswith("<!--", state.pos):
        return False
    close = state.src.find("-->", state.pos + 4)
    if close < 0:
        return False
    state.pos = close + 3
    return True


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter, body, line number where the body starts minus one)."""
    if not text.startswith("---\n"):
        return None, text, 0
    end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        return text[4:], "", text.count("\n") + 1
    front = text[4 : 4 + end.start()]
    body = text[4 + end.end() :].removeprefix("\n")
    return front, body, front.count("\n") + 2


@dataclass(frozen=True)
class ContentOptions:
    """What report.yaml and the command line decide for every article."""

    heading_offset: int = 0
    toc_depth: int = 3
    drafts: bool = False  # include articles marked `draft: true`


def load_article(
    project: Project,
    path: Path,
    tables: dict[str, FactTable],
    locale: str,
    parser: MarkdownIt,
    allow_html: bool = False,
    options: ContentOptions = ContentOptions(),
):
    """Parse one article: it, the facts it uses, its ids and links still to check, and its problems so far.

    An unreadable file or front matter raises ReportError; an article that parsed is returned with
    its problems, so that its links and ids are checked in the same run. A draft left out is
    returned with `draft` set and nothing parsed."""
    shown = project.display(path)
    text = read_text(path, shown, inside=project.root)
    errors = Collector()
    if re.match(r"\+\+\+[ \t]*\n", text):
        errors.error(
            shown,
            1,
            1,
            "front matter in TOML ('+++') is not read; convert it to YAML between '---' lines "
            '(key = "value" becomes key: "value")',
        )
        errors.raise_if_any()
    front_text, body, offset = split_front_matter(text)
    meta = _parse_front_matter(front_text, shown, errors)
    _check_front_matter(meta, shown, errors)
    draft = _draft(meta, shown, errors)
    if draft and not options.drafts:
        return Article(name=article_name(path), path=shown, title="", draft=True), [], _Anchors(), errors.diagnostics
    env: dict = {}
    tokens = parser.parse(body, env)
    article = Article(name=article_name(path), path=shown, title="", tokens=tokens, env=env, draft=draft)
    walker = _Walker(project, path, shown, body, offset, tables, errors, article, allow_html)
    front = _FrontMatterWalker(walker, front_text or "")
    title = meta.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        front.error_at(meta, "title", "'title' must be text")
    elif title is not None:
        article.title_tokens = front.inline(parser, meta, "title", env)
        _drop_repeated_title(tokens, title)
    elif _title_from_heading(article, tokens, walker):
        walker.title_anchor(plain_text(article.title_tokens[0].children))
    else:
        errors.error(
            shown, 1, 1, "the article has no title; add 'title: …' to its front matter or start it with '# Title'"
        )
    if not body.strip() and not meta.get("summary") and not _alias_value(meta, "summary"):
        errors.error(shown, 1, 1, "the article is empty")
    _fill_front_matter(article, meta, locale, front, parser, env)
    article.heading_offset = _heading_offset(meta, shown, errors, options.heading_offset)
    walker.options = options
    walker.walk()
    article.title = plain_text(article.title_tokens[0].children) if article.title_tokens else ""
    article.headings[0] = Heading(1, article.title, article.name)
    return article, walker.facts_used, walker.anchors, errors.diagnostics


def article_name(path: Path) -> str:
    """The article's id and EPUB file name: its (checked) file stem in lower case, '_' written '-'."""
    return re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-") or "article"


def _parse_front_matter(front_text, shown, errors) -> LocatedDict:
    """The front matter's mapping; a YAML syntax error says how such errors are usually fixed."""
    if front_text is None:
        return LocatedDict()
    try:
        parsed = parse_yaml(front_text, shown, line_offset=1)
    except ReportError as exc:
        errors.extend(_with_yaml_hint(d, front_text) for d in exc.diagnostics)
        errors.raise_if_any()
        raise
    if parsed is not None and not isinstance(parsed, LocatedDict):
        errors.error(shown, 2, 1, "front matter must be a mapping of keys to values")
        return LocatedDict()
    return parsed if parsed is not None else LocatedDict()


def _with_yaml_hint(diagnostic: Diagnostic, front_text: str) -> Diagnostic:
    """Add the usual fix to a YAML syntax error on a `key: value` line: quote the value.

    Titles are where it happens: `title: Fishing: a history`, `title: *Bold* plan`, `[Draft] …`."""
    if not diagnostic.message.startswith("YAML syntax error") or diagnostic.line is None:
        return diagnostic
    lines = front_text.split("\n")
    written = lines[diagnostic.line - 2] if 0 <= diagnostic.line - 2 < len(lines) else ""
    key, _, value = written.partition(": ")
    value = value.strip()
    if not value or not re.fullmatch(r"[\w-]+", key):
        return diagnostic
    if ": " in value:
        why = "contains ': '"
    elif value[0] in _YAML_INDICATORS:
        why = f"starts with '{value[0]}'"
    else:
        return diagnostic
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    hint = f"; a value that {why} must be quoted: {key}: {_cut(chr(34) + quoted + chr(34))}"
    return replace(diagnostic, message=diagnostic.message + hint)


#: characters YAML reads as syntax at the start of a plain value
_YAML_INDICATORS = frozenset("[]{}*&!@`|>%")


def _check_front_matter(meta, shown, errors):
    """Unknown keys are warnings: other tools' front matter carries keys of theirs (`layout`, `slug`)."""
    known = sorted(_FRONT_MATTER_KEYS | set(FRONT_MATTER_ALIASES))
    for key in meta:
        if key in _FRONT_MATTER_KEYS or key in FRONT_MATTER_ALIASES:
            continue
        line, col = meta.key_pos[key]
        close = difflib.get_close_matches(str(key), known, n=1) if len(str(key)) <= 64 else []
        hint = f"; did you mean '{close[0]}'?" if close else ""
        errors.diagnostics.append(
            Diagnostic(shown, line, col, f"unknown front matter key {shorten(key)} is ignored{hint}", "warning")
        )
    for ours in sorted(set(FRONT_MATTER_ALIASES.values())):
        given = [key for key in meta if key == ours or FRONT_MATTER_ALIASES.get(key) == ours]
        for key in given[1:]:
            line, col = meta.key_pos[key]
            errors.error(shown, line, col, f"'{key}' and '{given[0]}' both set the {ours}; keep one")


def _alias_value(meta, ours):
    """The value of `ours` or of the first of its aliases given (Pandoc's `abstract` for `summary`)."""
    for key in meta:
        if key == ours or FRONT_MATTER_ALIASES.get(key) == ours:
            return key, meta[key]
    return None


def _draft(meta, shown, errors) -> bool:
    value = meta.get("draft", False)
    if not isinstance(value, bool):
        line, col = meta.value_pos["draft"]
        errors.error(shown, line, col, f"'draft' is true or false, not {shorten(value)}")
        return False
    return value


def _heading_offset(meta, shown, errors, default: int) -> int:
    value = meta.get("heading_offset", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HEADING_OFFSET:
        line, col = meta.value_pos["heading_offset"]
        errors.error(
            shown, line, col, f"'heading_offset' is a number from 0 to {MAX_HEADING_OFFSET}, not {shorten(value)}"
        )
        return default
    return value


def _drop_repeated_title(tokens, title: str) -> None:
    """Jekyll and Hugo pages often repeat the front matter's title as their first `#` heading: print it once."""
    index = next((i for i, t in enumerate(tokens) if t.type == "heading_open"), None)
    if index is not None and tokens[index].tag == "h1" and tokens[index + 1].content.strip() == title.strip():
        del tokens[index : index + 3]


def _title_from_heading(article, tokens, walker) -> bool:
    """Take the first heading for the title when it is a `#` one (as Pandoc and Quarto do); remove it."""
    index = next((i for i, t in enumerate(tokens) if t.type == "heading_open"), None)
    if index is None or tokens[index].tag != "h1":
        return False
    article.title_tokens = [tokens[index + 1]]
    walker._inline(tokens[index + 1], tokens[index])  # its facts and links, before it leaves the body
    del tokens[index : index + 3]
    return True


def _byline(value) -> str | None:
    """`author: Ada`, `authors: [Ada, Bo]` or Quarto's `- name: Ada`: the names, comma-separated."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            return None
        names.append(name.strip())
    return ", ".join(names)


def _keywords(value) -> list[str] | None:
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(
        isinstance(k, (str, int, float)) and not isinstance(k, bool) for k in value
    ):
        return None
    return [str(k).strip() for k in value if str(k).strip()]


def parse_date(value) -> dt.date | None:
    """A date as YAML reads it, or as other tools write it in quotes: the date part, as written."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and (match := _DATE_TEXT.fullmatch(value.strip())):
        try:
            return dt.date.fromisoformat(match.group(1))
        except ValueError:
            return None
    return None


def _fill_front_matter(article, meta, locale, front, parser, env):
    locale = _article_language(article, meta, front.body.shown, front.body.errors) or locale
    for key in ("subtitle", "dateline"):
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            front.error_at(meta, key, f"'{key}' must be text")
        elif value and value.strip():
            if key == "subtitle":
                article.subtitle_tokens = front.inline(parser, meta, key, env)
            else:
                article.dateline = value.strip()
    for ours in ("byline", "summary", "keywords"):
        given = _alias_value(meta, ours)
        if given is None:
            continue
        key, value = given
        if ours == "byline":
            byline = _byline(value)
            if byline is None:
                front.error_at(meta, key, f"'{key}' is a name or a list of names")
            article.byline = byline or ""
        elif ours == "summary":
            if not isinstance(value, str):
                front.error_at(meta, key, f"'{key}' must be text")
            elif value.strip():
                article.summary_tokens = front.inline(parser, meta, key, env)
        else:
            keywords = _keywords(value)
            if keywords is None or len(keywords) > MAX_KEYWORDS:
                front.error_at(meta, key, f"'{key}' is a list of at most {MAX_KEYWORDS} words or phrases")
            article.keywords = (keywords or [])[:MAX_KEYWORDS]
    if "date" in meta:
        date = parse_date(meta["date"])
        if date is None:
            front.error_at(meta, "date", f"'date' must be written YYYY-MM-DD, not {shorten(meta['date'])}")
        else:
            article.date = date
            article.date_text = format_date(date, "long", locale=locale)
    points = meta.get("key_points")
    if points is not None:
        if not isinstance(points, LocatedList) or not all(isinstance(p, str) for p in points):
            front.error_at(meta, "key_points", "'key_points' must be a list of short sentences")
        else:
            article.key_point_tokens = [
                front.inline(parser, meta, "key_points", env, text=point, item=number)
                for number, point in enumerate(points)
                if point.strip()
            ]
    article.subtitle = plain_text(article.subtitle_tokens[0].children) if article.subtitle_tokens else ""
    article.summary = plain_text(article.summary_tokens[0].children) if article.summary_tokens else ""
    article.key_points = [plain_text(tokens[0].children) for tokens in article.key_point_tokens]


class _FrontMatterWalker:
    """Inline Markdown and `{fact}` in front matter values: parsed, checked and located like the body's."""

    def __init__(self, body: _Walker, front_text: str):
        self.body = body
        self.walker = _Walker(
            body.project, body.path, body.shown, front_text, 1, body.tables, body.errors, body.article, body.allow_html
        )
        self.walker.facts_used = body.facts_used
        self.walker.anchors = body.anchors
        self.walker.ids = body.ids

    def error_at(self, meta, key, message):
        line, col = meta.value_pos.get(key, (None, None))
        self.body.errors.error(self.body.shown, line, col, message)

    def inline(self, parser, meta, key, env, text=None, item=None) -> list:
        """The value as one inline token, its facts resolved and its links recorded."""
        value = (meta[key] if text is None else text).strip()
        # the body's link reference definitions serve here too; its notes do not (a note is cited in the body)
        tokens = parser.parseInline(value, {"references": env.get("references", {})})
        line, _col = meta.value_pos.get(key, (2, 1))
        if item is not None:
            positions = getattr(meta[key], "item_pos", [])
            line = positions[item][0] if item < len(positions) else line
        tokens[0].map = [line - 2, line - 1]
        self.walker._inline(tokens[0], tokens[0])
        return tokens


def plain_text(children) -> str:
    """Inline tokens as text: markup dropped, entities decoded, link text and fact values kept."""
    parts = []
    for child in children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "myst_role":
            fact = child.meta.get("fact")
            parts.append(fact.text if fact else child.content)
        elif child.type == "image":
            parts.append(plain_text(child.children))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): lower case, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _article_language(article, meta, shown, errors) -> str | None:
    """`language:` (or `lang:`) of the front matter: set on the article in every edition; its
    Babel locale, for the article's own dates, or None when it has none."""
    from .labels import language_problem

    key = "language" if "language" in meta else "lang"
    tag = meta.get(key)
    if tag is None:
        return None
    problem = language_problem(tag)
    if problem:
        line, col = meta.value_pos[key]
        errors.error(shown, line, col, problem)
        return None
    article.language = tag
    return tag.replace("-", "_")


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^\w]+", "-", text).strip("-_") or "section"


@dataclass
class _Link:
    """A link to the article itself (`target` None) or to a project file, resolved once all are loaded."""

    token: object
    target: Path | None
    fragment: str
    written: str
    where: tuple[int | None, int | None]


#: the kinds of numbered blocks, by the prefix of their id (Quarto's): `tbl-ports` is a table
NUMBERED_KINDS = {"tbl": "table", "fig": "figure"}
#: a reference to a numbered table or figure: `@tbl-ports`, `[@tbl-ports]`, `-@tbl-ports` (number only)
_REFERENCE = re.compile(
    r"(?<![\w@.\[-])(?P<open>\[)?(?P<bare>-)?@(?P<id>(?:tbl|fig)-[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)"
    r"(?(open)\])"
)


@dataclass
class _Numberable:
    """A table or figure with an id that numbers it: a {facts} or {chart} fence, or an image."""

    kind: str  # "table" or "figure"
    ident: str
    token: object
    caption: str
    where: tuple[int | None, int | None]


@dataclass
class _Reference:
    """`@tbl-ports` in the text: the token that will show the label, and where it is written."""

    token: object
    ident: str
    where: tuple[int | None, int | None]


@dataclass
class _Anchors:
    """What an article's ids and links become only once every article is loaded."""

    headings: list = field(default_factory=list)  # (heading_open token, index in article.headings, slug)
    explicit: list = field(default_factory=list)  # (id, line, col) written `{#id}`
    directives: list = field(default_factory=list)  # fence tokens of {facts} and {chart}
    links: list[_Link] = field(default_factory=list)
    numbered: list[_Numberable] = field(default_factory=list)  # in the order they appear
    references: list[_Reference] = field(default_factory=list)  # `@tbl-x`, `[@fig-y]`, `-@tbl-x`
    aliases: dict[str, str] = field(default_factory=dict)  # another name a link may use → id


class _Walker:
    """One pass over an article's tokens: ids, headings, directives, facts, figures, quotes."""

    def __init__(self, project, path, shown, body, offset, tables, errors, article, allow_html=False):
        self.project, self.path, self.shown = project, path, shown
        self.lines = body.split("\n")
        self.offset = offset
        self.tables, self.errors, self.article = tables, errors, article
        self.allow_html = allow_html
        self.facts_used: list[FactUse] = []
        self.ids: set[str] = {article.name}
        self.anchors = _Anchors()
        self.claimed: dict[str, set] = {}  # where each needle was found, for `_locate_next`
        self.options = ContentOptions()
        self.warned_html = False  # raw HTML printed as text: said once per article
        self.github_anchors: dict[str, int] = {}  # how often each GitHub anchor was made

    def line_of(self, token) -> int | None:
        return token.map[0] + 1 + self.offset if token.map else None

    def locate(self, token, needle: str) -> tuple[int | None, int | None]:
        """Find `needle` in the source lines of a block token: (line, col) in the original file."""
        if not token.map:
            return None, None
        start, end = token.map
        for index in range(start, min(end, len(self.lines))):
            col = self.lines[index].find(needle)
            if col >= 0:
                return index + 1 + self.offset, col + 1
        return start + 1 + self.offset, None

    def _locate_next(self, block, needle: str) -> tuple[int | None, int | None]:
        """Like `locate`, but each call finds the next place `needle` is written in the block."""
        if not block.map:
            return None, None
        claimed = self.claimed.setdefault(needle, set())
        for index in range(block.map[0], min(block.map[1], len(self.lines))):
            col = self.lines[index].find(needle)
            while col >= 0 and (index, col) in claimed:
                col = self.lines[index].find(needle, col + 1)
            if col >= 0:
                claimed.add((index, col))
                return index + 1 + self.offset, col + 1
        return block.map[0] + 1 + self.offset, None

    def error(self, token, message, needle=None):
        line, col = self.locate(token, needle) if needle else (self.line_of(token), None)
        self.errors.error(self.shown, line, col, message)

    def walk(self):
        tokens = self.article.tokens
        self.article.headings.append(Heading(1, self.article.title, self.article.name))
        self.article.env["footnotes_html"] = {}
        for index, token in enumerate(tokens):
            if token.type == "fence" and token.info.strip().startswith("{"):
                self._directive(token)
            elif token.type == "blockquote_open":
                self._attributed_quote(tokens, index)
            elif token.type == "html_block":
                self._raw_images(token, token.content)
                token.content = sanitize_html(token.content)
            elif token.type == "inline":
                block = tokens[index - 1] if index else token
                self._inline(token, block if block.map else token)
                if block.type == "heading_open":
                    self._heading(block, token, tokens[index + 1])
                self._mark_figure(tokens, index)
            elif token.type == "footnote_open":
                self._check_nested_footnotes(tokens, index)
                if token.meta.get("id") == MAX_FOOTNOTES_PER_ARTICLE:
                    self._too_many_footnotes(tokens, index)
            elif token.type == "table_open":
                self._check_table_rows(token)
                token.meta["line"] = self.line_of(token)  # where a table too wide for print is reported
        self._check_undefined_footnotes(tokens)
        self._check_footnote_definitions()

    def _check_footnote_definitions(self):
        """A note defined twice is an error (which one would print?); one never cited, a warning."""
        cited = {
            label.removeprefix(":")
            for label, ident in self.article.env.get("footnotes", {}).get("refs", {}).items()
            if ident >= 0
        }
        first: dict[str, int | None] = {}
        for label, index in self.article.env.get("footnote_definitions", []):
            line, col = (
                (index + 1 + self.offset, self.lines[index].find("[^") + 1) if index is not None else (None, None)
            )
            if label in first:
                earlier = f" (first defined on line {first[label]})" if first[label] is not None else ""
                self.errors.error(self.shown, line, col, f"footnote [^{label}] is defined twice{earlier}; keep one")
                continue
            first[label] = line
            if label not in cited:
                self.errors.diagnostics.append(
                    Diagnostic(
                        self.shown,
                        line,
                        col,
                        f"footnote [^{label}] is never cited; cite it with [^{label}] or remove it",
                        "warning",
                    )
                )

    def _too_many_footnotes(self, tokens, index):
        """Refuse the first footnote over the limit, at its definition."""
        label = tokens[index].meta.get("label", "")
        block = next((t for t in tokens[index + 1 : index + 3] if t.map), tokens[index])
        line, col = self.locate(block, f"[^{label}]:") if block.map else (None, None)
        self.errors.error(
            self.shown,
            line,
            col,
            f"footnote [^{label}] is one too many: an article may have at most "
            f"{MAX_FOOTNOTES_PER_ARTICLE:,} footnotes; split the article",
        )

    def _check_table_rows(self, token):
        """A Markdown table has one line per row: its header, its delimiter row, its body rows."""
        if token.map and token.map[1] - token.map[0] - 2 > MAX_TABLE_ROWS:
            rows = token.map[1] - token.map[0] - 2
            self.errors.error(
                self.shown,
                self.line_of(token),
                1,
                f"this table has {rows:,} rows; a table may have at most {MAX_TABLE_ROWS:,}",
            )

    def _check_nested_footnotes(self, tokens, start):
        """A footnote may not cite a footnote: the PDF sets each note at the foot of its page."""
        for index in range(start + 1, len(tokens)):
            token = tokens[index]
            if token.type == "footnote_close":
                return
            if token.type != "inline":
                continue
            for child in token.children or []:
                if child.type == "footnote_ref":
                    label = child.meta.get("label", "")
                    line, col = self._locate_citation(tokens[index - 1] if tokens[index - 1].map else token, label)
                    self.errors.error(
                        self.shown, line, col, f"footnote [^{label}] is cited inside a footnote; footnotes cannot nest"
                    )

    def _locate_citation(self, block, label):
        """(line, col) of `[^label]` used as a citation, not as the `[^label]:` that defines a note."""
        citation = re.compile(re.escape(f"[^{label}]") + "(?!:)")
        start, end = block.map or (0, 0)
        for index in range(start, min(end, len(self.lines))):
            match = citation.search(self.lines[index])
            if match:
                return index + 1 + self.offset, match.start() + 1
        return self.line_of(block), None

    def _unique_id(self, base):
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def _heading(self, token, inline, close):
        """Level (shifted by `heading_offset`), `{#id .class}`, id and the text the contents show."""
        written = int(token.tag[1])
        if written == 1 and self.article.heading_offset == 0:
            self.error(
                token,
                "a second '#' heading: the title is the front matter's 'title' or the first '#' heading; "
                "use '##' for sections, or add 'heading_offset: 1' when the document uses '#' for sections",
            )
            return
        level = min(written + self.article.heading_offset, MAX_HEADING_LEVEL)
        token.tag = close.tag = f"h{level}"
        self._heading_attributes(token, inline)
        if level > self.options.toc_depth:
            token.attrJoin("class", "unlisted")
        plain = plain_text(inline.children)
        explicit = token.attrGet("id")
        if explicit is not None:
            self.article.headings.append(Heading(level, plain, str(explicit)))
            return
        slug = slugify(plain)
        anchor = github_slug(plain)
        repeated = self.github_anchors.get(anchor, 0)  # GitHub numbers a repeated anchor: `-1`, `-2`…
        self.github_anchors[anchor] = repeated + 1
        token.meta["github_slug"] = f"{anchor}-{repeated}" if repeated else anchor
        ident = self._unique_id(f"{self.article.name}-{slug}")
        token.attrSet("id", ident)
        self.anchors.headings.append((token, len(self.article.headings), slug))
        self.article.headings.append(Heading(level, plain, ident))

    def _heading_attributes(self, token, inline):
        """Pandoc's `## Heading {#id .class}`: the braces set the heading's id and classes."""
        last = inline.children[-1] if inline.children else None
        if last is None or last.type != "text":
            return
        match = _HEADING_ATTRIBUTES.search(last.content)
        if match is None:
            return
        last.content = last.content[: match.start()]
        inline.content = inline.content[: inline.content.rfind("{")].rstrip()
        for part in match.group(1).split():
            if part.startswith("#"):
                token.attrSet("id", part[1:])
            elif part.startswith("."):
                token.attrJoin("class", part[1:])
            elif part == "-":
                token.attrJoin("class", "unnumbered")
        if token.attrGet("id") is not None and not self._explicit_id(token, token):
            del token.attrs["id"]

    def _directive(self, token):
        match = re.fullmatch(r"\{([\w-]+)\}\s*(.*)", token.info.strip())
        if not match:
            self.error(token, f"cannot read directive {token.info.strip()!r}; write ```{{facts}} NAME")
            return
        kind, argument = match.group(1), match.group(2).strip()
        if kind not in DIRECTIVES:
            hint = _hint(kind, DIRECTIVES)
            self.error(token, f"unknown directive '{{{kind}}}'{hint}", needle="{" + kind)
            return
        table = self._table(token, argument, needle=argument or "{" + kind)
        options = self._options(token)
        token.meta = {"directive": kind, "table": argument, "options": options, "line": self.line_of(token)}
        if table is None:
            return
        if kind == "facts":
            view = self._facts_view(token, table, options, argument)
            if view is not None:
                token.meta["view"] = view
                self.anchors.directives.append(token)
                self.article.tables.append(table.name)
                self._numbered_directive(token, options, table.title)
            return
        if len(table.rows) > MAX_TABLE_ROWS:
            self.error(
                token,
                f"fact table '{table.name}' has {len(table.rows):,} rows; an embedded table or chart "
                f"may have at most {MAX_TABLE_ROWS:,}",
                needle=argument,
            )
            return
        self.anchors.directives.append(token)
        self._check_chart(token, table, options)
        self.article.charts.append(table.name)
        self._numbered_directive(token, options, options.get("title", ("",))[0] or table.title)

    def _numbered_directive(self, token, options, caption):
        """`:id: tbl-ports` (or `fig-…`) numbers a {facts} table or a {chart} and names it for `@tbl-ports`."""
        if "id" not in options:
            return
        ident, line = options["id"]
        where = (line, self._option_col(line, ident))
        kind = NUMBERED_KINDS.get(ident.split("-", 1)[0]) if "-" in ident else None
        if kind is None or not AUTHOR_ID.fullmatch(ident):
            self.errors.error(
                self.shown,
                *where,
                f"':id: {_cut(ident)}' must start with 'tbl-' (a numbered table) or 'fig-' (a numbered figure) "
                "and go on in ASCII letters, digits, '-' and '_', e.g. ':id: tbl-ports'",
            )
            return
        token.meta["ident"] = ident
        self.anchors.explicit.append((ident, *where))
        self.anchors.numbered.append(_Numberable(kind, ident, token, caption, where))

    def _options(self, token):
        options = {}
        for number, raw in enumerate(token.content.split("\n")):
            line = raw.strip()
            if not line:
                continue
            match = re.fullmatch(r":([\w-]+):\s*(.*)", line)
            source_line = (token.map[0] + 2 + number + self.offset) if token.map else None
            if not match:
                self.errors.error(
                    self.shown, source_line, 1, f"expected an option line such as ':type: bar', found {line!r}"
                )
                continue
            options[match.group(1)] = (match.group(2).strip(), source_line)
        return options

    def _facts_view(self, token, table, options, argument):
        """(columns, sort column, descending, limit) from `:columns:`, `:sort:`, `:limit:`, or None after an error."""
        before = len(self.errors.diagnostics)

        def error(key, message, needle=None):
            value, line = options[key]
            self.errors.error(self.shown, line, self._option_col(line, needle or value), message)

        known = [c.key for c in table.columns]
        for key in options:
            if key not in FACTS_OPTIONS:
                self.errors.error(
                    self.shown,
                    options[key][1],
                    2,
                    f"unknown {{facts}} option ':{key}:'{_hint(key, FACTS_OPTIONS)} (expected one of: "
                    f"{', '.join(':' + o + ':' for o in FACTS_OPTIONS)})",
                )
        columns = None
        if "columns" in options:
            names = [name.strip() for name in options["columns"][0].split(",") if name.strip()]
            if not names:
                error(
                    "columns", f"':columns:' lists columns separated by commas, e.g. ':columns: {', '.join(known[:2])}'"
                )
            missing = [name for name in names if table.column(name) is None]
            for name in missing:
                error("columns", f"table '{table.name}' has no column '{name}'{_hint(name, known)}", needle=name)
            columns = tuple(dict.fromkeys(table.column(name).key for name in names if name not in missing))
        sort, descending = None, False
        if "sort" in options:
            match = re.fullmatch(r"(.+?)(?:\s+(asc|desc))?", options["sort"][0], flags=re.IGNORECASE)
            name = match.group(1).strip() if match else ""
            descending = bool(match and match.group(2) and match.group(2).lower() == "desc")
            if table.column(name) is None:
                error(
                    "sort",
                    f"':sort:' names a column and optionally 'asc' or 'desc'; table '{table.name}' has no "
                    f"column '{name}'{_hint(name, known)}",
                )
            else:
                sort = table.column(name).key
        limit = None
        if "limit" in options:
            text = options["limit"][0]
            if not re.fullmatch(r"\d{1,6}", text) or not 1 <= int(text) <= MAX_TABLE_ROWS:
                error("limit", f"':limit:' is a number of rows from 1 to {MAX_TABLE_ROWS:,}, not {text!r}")
            else:
                limit = int(text)
        elif len(table.rows) > MAX_SHOWN_ROWS:
            self.error(
                token,
                f"fact table '{table.name}' has {len(table.rows):,} rows, too many to show whole (at most "
                f"{MAX_SHOWN_ROWS:,}); show the first ones with ':limit: 20' on the next line "
                "(and ':sort: COLUMN desc' for the top ones)",
                needle=argument,
            )
        if len(self.errors.diagnostics) > before:
            return None
        return columns, sort, descending, limit

    def _option_col(self, line, value):
        """The column of an option's value on its line, 2 (after the ':') when it cannot be found."""
        index = (line or 0) - 1 - self.offset
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        found = text.find(value, text.find(":", text.find(":") + 1) + 1) if value else -1
        return found + 1 if found >= 0 else 2

    def _check_chart(self, token, table, options):
        from .charts import check_options

        for line, message in check_options(table, options, _hint):
            self.errors.error(self.shown, line or self.line_of(token), None, message)

    def _table(self, token, name, needle):
        if not name:
            self.error(token, "name the fact table, e.g. ```{facts} numbers", needle=needle)
            return None
        table = self.tables.get(name)
        if table is None:
            known = {path.stem for path in fact_table_files(self.project)}
            if name not in known:  # a table that exists but did not load has its own errors
                self.error(token, f"unknown fact table '{name}'{_hint(name, known)}", needle=needle)
        return table

    def _inline(self, inline, block):
        if not self.allow_html and not self.warned_html and _RAW_TAG.match(inline.content):
            self.warned_html = True
            line, col = self.locate(block, "<") if block.map else (None, None)
            self.errors.diagnostics.append(Diagnostic(self.shown, line, col, LABELS["raw_html"], "warning"))
        if any(child.type == "html_inline" for child in inline.children or []):
            for child in inline.children:
                if child.type == "html_inline":
                    self._raw_images(block, child.content)
            inline.children = without_dropped_content(inline.children)
        if any(child.type == "text" and "@" in child.content for child in inline.children or []):
            inline.children = self._references(inline.children, block)
        children = inline.children or []
        for index, child in enumerate(children):
            if child.type in KEPT_ATTRIBUTES:
                self._attributes(child, block)
            if child.type == "myst_role":
                self._role(child, block)
            elif child.type == "image":
                self._image(child, block)
            elif child.type == "link_open":
                self._link(child, block)
                self._mark_address(child, children[index + 1] if index + 1 < len(children) else None)
            elif child.type == "html_inline":
                child.content = sanitize_inline_tag(child.content)
            elif child.type == "text" and "](" in child.content:
                self._unparsed_address(child, block)

    def _raw_images(self, block, fragment: str) -> None:
        """A warning at each `<img>` of raw HTML: the sanitiser drops it (an image reaches the
        outputs only with a text alternative, from Markdown)."""
        for needle, source in raw_images(fragment):
            line, col = self._locate_next(block, needle)
            # a web address is not fetched: the advice names a project file instead
            local = source and len(source) <= 80 and not re.match(r"[a-z][a-z0-9+.-]*:|//", source, re.I)
            shown = source if local else "images/picture.png"
            self.errors.diagnostics.append(
                Diagnostic(
                    self.shown,
                    line,
                    col,
                    f"raw HTML <img> is removed: an image is included with Markdown and its text "
                    f"alternative, ![what the image shows]({shown})",
                    "warning",
                )
            )

    def title_anchor(self, title: str) -> None:
        """A title taken from a `#` heading keeps the anchor GitHub gives that heading."""
        anchor = github_slug(title)
        self.github_anchors[anchor] = 1
        self.anchors.aliases[anchor] = self.article.name

    def _mark_address(self, link, text):
        """Autolinks and bare addresses show their address once; `mailto:` shows it without the scheme."""
        href = str(link.attrGet("href") or "")
        if link.markup == "autolink":
            link.attrJoin("class", "autolink")
        if href.lower().startswith("mailto:"):
            address = unquote(href[7:])
            link.attrSet("data-address", address)
            link.attrJoin("class", "mail")
            if text is not None and text.type == "text" and text.content.lower().startswith("mailto:"):
                text.content = text.content[7:]

    def _unparsed_address(self, text, block):
        """`![alt](my photo.png)` is no image in CommonMark (an address may not hold a space): say so."""
        for match in _UNPARSED_ADDRESS.finditer(text.content):
            bang, label, address = match.groups()
            kind = "image" if bang else "link"
            line, col = self._locate_next(block, match.group(0))
            self.errors.error(
                self.shown,
                line,
                col,
                f"{kind} address '{_cut(address)}' contains a space; write it in angle brackets: "
                f"{bang}[{_cut(label, 30)}](<{_cut(address)}>)",
            )

    def _references(self, children, block) -> list:
        """Split `@tbl-ports` out of text into `numref` tokens (not inside a link's text)."""
        from markdown_it.token import Token

        result, depth = [], 0
        for child in children:
            depth += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type != "text" or depth or "@" not in child.content:
                result.append(child)
                continue
            position = 0
            for match in _REFERENCE.finditer(child.content):
                if match.start() > position:
                    result.append(_text_token(child.content[position : match.start()]))
                reference = Token("numref", "", 0, content=match.group(0))
                reference.meta = {"ident": match.group("id"), "bare": bool(match.group("bare"))}
                result.append(reference)
                where = self._locate_next(block, match.group(0))
                self.anchors.references.append(_Reference(reference, match.group("id"), where))
                position = match.end()
            if position < len(child.content):
                result.append(_text_token(child.content[position:]))
        return result

    def _attributes(self, token, block):
        """Keep what `{…}` may set: an id, classes, a title, a language; a sanitised style with raw_html."""
        for name in list(token.attrs):
            if name == "lang" and self._language(token, block):
                continue
            if name in KEPT_ATTRIBUTES[token.type] or name in ("class", "title"):
                continue
            if name == "id" and self._explicit_id(token, block):
                continue
            style = sanitize_style(str(token.attrs[name])) if name == "style" and self.allow_html else None
            if style:
                token.attrSet("style", style)
            else:
                del token.attrs[name]

    def _language(self, token, block) -> bool:
        """Whether `{lang=…}` names a language (a BCP 47 tag CLDR knows); an error at it if not."""
        from .labels import language_problem

        tag = token.attrGet("lang")
        problem = language_problem(str(tag))
        if problem:
            self.errors.error(self.shown, *self._locate_next(block, "lang="), problem)
        return problem is None

    def _explicit_id(self, token, block) -> bool:
        ident = str(token.attrGet("id"))
        where = next(
            (
                pos
                for needle in (f"#{ident}", f"id={ident}", f'id="{ident}"', f"id='{ident}'")
                if (pos := self._locate_next(block, needle))[1] is not None
            ),
            self.locate(block, "{"),
        )
        if not AUTHOR_ID.fullmatch(ident):
            self.errors.error(
                self.shown,
                *where,
                f"id '{_cut(ident)}' is not a valid id: use ASCII letters, "
                "digits, '-' and '_', starting with a letter, at most 128 characters",
            )
            return False
        self.anchors.explicit.append((ident, *where))
        kind = NUMBERED_KINDS.get(ident.split("-", 1)[0]) if "-" in ident else None
        if kind is not None and token.type == "image":
            caption = token.attrGet("title") or "".join(child.content for child in token.children or []).strip()
            self.anchors.numbered.append(_Numberable(kind, ident, token, str(caption), where))
        return True

    def _link(self, token, block):
        href = token.attrGet("href") or ""
        written = unquote(href)
        where = self._locate_link(block, href, written)
        if block.type == "heading_open":
            token.meta["in_heading"] = True  # no printed page number: it would join the running head

        def error(message):
            self.errors.error(self.shown, *where, message)

        scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]+):", href)  # one letter is a drive: C:/x
        if scheme and scheme.group(1).lower() in UNSAFE_LINK_SCHEMES:
            error(
                f"link '{_cut(written)}' uses the {scheme.group(1).lower()}: scheme, which a publication "
                "may not link to; use an http(s) address or a #heading"
            )
            return
        if scheme:
            return  # an address on the web (https:, mailto:, …): no file of this machine
        path, _, fragment = written.partition("#")
        path = path.split("?", 1)[0]
        if not path and not fragment:
            error("link has no address; write [text](other.md), [text](#heading) or [text](https://…)")
        elif not path:
            self.anchors.links.append(_Link(token, None, fragment, written, where))
        elif path.startswith(("/", "\\")) or re.match(r"[a-zA-Z]:", path) or "\\" in path:
            error(
                f"link '{_cut(written)}' is an absolute path; link to another article by its file name "
                "(other.md, other.md#heading)"
            )
        elif (target := self.project.resolve_inside(self.path.parent, path)) is None:
            error(f"link '{_cut(written)}' points outside the project directory")
        else:
            self.anchors.links.append(_Link(token, target, fragment, written, where))

    def _locate_link(self, block, href, written):
        """(line, col) of a link's address as written: `](address` or a reference `[label]: address`."""
        for needle, skip in ((f"]({written}", 2), (f"](<{written}>", 3), (f"]({href}", 2)):
            line, col = self._locate_next(block, needle)
            if col is not None:
                return line, col + skip
        for index, text in enumerate(self.lines):
            match = re.match(r" {0,3}\[[^\]]+\]:\s*<?" + re.escape(written), text)
            if match:
                return index + 1 + self.offset, match.end() - len(written) + 1
        return self.line_of(block), None

    def _role(self, token, block):
        name = token.meta.get("name")
        needle = f"{{{name}}}`{token.content}`"
        if name != "fact":
            self.error(block, f"unknown role '{{{name}}}'; the inline role is {{fact}}`table.row`", needle=needle)
            return
        parts = token.content.strip().split(".")
        if len(parts) not in (2, 3) or not all(parts):
            self.error(
                block, f"a fact reference reads table.row or table.row.column, not {token.content!r}", needle=needle
            )
            return
        table = self._table(block, parts[0], needle=needle)
        if table is None:
            return
        if not table.key:
            sidecar = Path(table.path).with_suffix(".yaml").name
            first = table.columns[0].key if table.columns else "COLUMN"
            self.error(
                block,
                f"fact table '{table.name}' has no key column naming its rows; to reference rows, name "
                f'one in {sidecar}: "key: {first}"',
                needle=needle,
            )
            return
        row = table.row(parts[1])
        if row is None:
            ids = [r.id for r in table.rows if r.id is not None]
            self.error(block, f"fact table '{table.name}' has no row '{parts[1]}'{_hint(parts[1], ids)}", needle=needle)
            return
        column_key = parts[2] if len(parts) == 3 else ("value" if table.column("value") else None)
        column = table.column(column_key) if column_key else None
        if column is None:
            wanted = column_key or "value"
            self.error(
                block,
                f"fact table '{table.name}' has no column '{wanted}'{_hint(wanted, [c.key for c in table.columns])}",
                needle=needle,
            )
            return
        text = row.cells.get(column.key, "")
        if text and self.article.language and isinstance(row.cells, Cells):
            text = row.cells.formatted_in(column.key, self.article.language.replace("-", "_"))
        if not text:
            self.error(block, f"row '{row.id}' of '{table.name}' has no value in column '{column.key}'", needle=needle)
            return
        label_column = table.label_column
        use = FactUse(
            table=table.name,
            row=row.id,
            column=column.key,
            text=text,
            label=row.cells.get(label_column.key, row.id) if label_column.key != column.key else row.id,
            source=row.source or table.source,
        )
        token.meta["fact"] = use
        self.facts_used.append(use)

    def _image(self, token, block):
        # markdown-it percent-encodes the address; the file name and messages use it as written
        src = unquote(token.attrGet("src") or "")
        alt = "".join(child.content for child in token.children or []).strip()
        where = self._locate_image(block, src)

        def error(message):
            self.errors.error(self.shown, *where, message)

        if not alt:
            error(f"image '{src}' has no alt text; describe it between the brackets: ![what it shows]({src})")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src):
            if src.startswith(("http://", "https://")):
                error(f"remote image '{src}' is not allowed; put the file in content/images/")
            else:
                error(f"image '{src}' must be a file inside the project")
            return
        target = self.project.resolve_inside(self.path.parent, src)
        if target is None:
            error(f"image '{src}' is outside the project directory")
            return
        if not target.exists():
            error(f"image '{src}' not found")
            return
        if target.suffix.lower() not in IMAGE_SUFFIXES:
            error(f"image '{src}' is not a supported image type ({', '.join(sorted(IMAGE_SUFFIXES))})")
            return
        try:
            check_image_file(target, src, self.project.root)
        except ImageUnreadable:
            error(f"image '{src}' cannot be read as a {target.suffix.lower().lstrip('.').upper()} image")
            return
        except ImageRefused as exc:
            error(str(exc))
            return
        relative = target.relative_to(self.project.root).as_posix()
        token.meta["project_path"] = relative
        self.article.images.append(Image(src=relative, alt=alt, caption=token.attrGet("title") or ""))

    def _locate_image(self, block, src):
        """(line, col) of the `![` that opens the image with this address."""
        for needle in (f"]({src}", f"](<{src}>", f"]({quote(src, safe='/:')}"):
            line, col = self.locate(block, needle)
            if line is not None and col is not None:
                start = self.lines[line - 1 - self.offset].rfind("![", 0, col - 1)
                return line, (start + 1 if start >= 0 else col)
        return self.locate(block, "![")

    def _mark_figure(self, tokens, index):
        inline = tokens[index]
        children = [
            c
            for c in inline.children or []
            if not (c.type in ("softbreak",) or (c.type == "text" and not c.content.strip()))
        ]
        if (
            len(children) == 1
            and children[0].type == "image"
            and index > 0
            and tokens[index - 1].type == "paragraph_open"
        ):
            tokens[index - 1].meta["figure"] = True
            tokens[index + 1].meta["figure"] = True
            children[0].meta["figure"] = True

    def _attributed_quote(self, tokens, start):
        """A block quote whose last paragraph starts with an em dash is an attributed quote."""
        depth, index = 0, start
        last_paragraph = None
        for index in range(start, len(tokens)):
            token = tokens[index]
            if token.type == "blockquote_open":
                depth += 1
            elif token.type == "blockquote_close":
                depth -= 1
                if depth == 0:
                    break
            elif token.type == "paragraph_open" and depth == 1:
                last_paragraph = index
        if last_paragraph is None or last_paragraph == start + 1:
            return
        inline = tokens[last_paragraph + 1]
        if inline.content.lstrip().startswith("—") and tokens[last_paragraph + 2].type == "paragraph_close":
            tokens[start].meta["attributed"] = True
            tokens[index].meta["attributed"] = True
            tokens[last_paragraph].meta["attribution"] = True
            tokens[last_paragraph + 2].meta["attribution"] = True

    def _check_undefined_footnotes(self, tokens):
        for token in tokens:
            if token.type != "inline":
                continue
            for child in token.children or []:
                if child.type == "text":
                    for match in re.finditer(r"\[\^([^\]\s]+)\]", child.content):
                        self.error(
                            token,
                            f"footnote [^{match.group(1)}] has no definition; add '[^{match.group(1)}]: text' below",
                            needle=match.group(0),
                        )


def _text_token(content: str):
    from markdown_it.token import Token

    return Token("text", "", 0, content=content)


def _hint(word, choices) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _cut(text: str, limit: int = 60) -> str:
    """A value as shown in a message: a few dozen characters at most."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_articles(project: Project, names, tables, locale, allow_html=False, options=ContentOptions()):
    """Load the articles in order; every article's problems are reported together.

    Returns the articles, the facts they use, and the warnings and notes found (drafts left out)."""
    parser = make_parser(allow_html)
    errors = Collector()
    loaded, facts_used = [], []
    published = {}  # resolved path → article name, for links between articles
    for path, (line, col) in names:
        where = ("report.yaml", line, col) if line is not None else (project.display(path), None, None)
        if line is not None and project.resolve_inside(project.root, str(path)) is None:  # listed in report.yaml
            written = os.path.relpath(path, project.content_dir)
            errors.error("report.yaml", line, col, f"article '{written}' is outside the project directory")
            continue
        if not path.exists():  # a FIFO or folder of this name is refused when read
            errors.error("report.yaml", line, col, f"article '{project.display(path)}' not found")
            continue
        if stem_problem(path):
            errors.error(where[0], where[1], where[2], f"article {stem_problem(path)}")
            continue
        published[path.resolve()] = article_name(path)
        try:
            article, uses, anchors, found = article_cache.kept_article(
                path,
                (str(project.root), locale, allow_html, options),
                tables,
                partial(
                    load_article, project, path, locale=locale, parser=parser, allow_html=allow_html, options=options
                ),
            )
        except ReportError as exc:
            errors.extend(exc.diagnostics)
            continue
        errors.extend(found)
        if article.draft and not options.drafts:
            del published[path.resolve()]
            errors.diagnostics.append(Diagnostic(article.path, None, None, LABELS["draft"], "note"))
            continue
        loaded.append((article, anchors))
        facts_used.extend(uses)
    articles = [article for article, _anchors in loaded]
    article_cache.forget_others(path for path, _where in names)
    errors.extend(_name_problems(articles))
    _assign_ids(loaded, tables, errors)
    _resolve_links(project, loaded, published, errors)
    _number_tables_and_figures(loaded, errors)
    errors.raise_if_any()
    return articles, facts_used, [d for d in errors.diagnostics if d.severity != "error"]


def _name_problems(articles) -> list[Diagnostic]:
    """Two files with one name, or a name the publication's own ids use."""
    seen: dict[str, object] = {}
    problems: list[Diagnostic] = []
    names = {article.name for article in articles}
    for article in articles:
        if article.name in seen:
            problems.append(Diagnostic(article.path, 1, 1, f"article file name clashes with {seen[article.name]}"))
        elif _is_generated(article.name, names - {article.name}) or article.name in _PART_NAMES:
            problems.append(
                Diagnostic(
                    article.path,
                    None,
                    None,
                    f"article file name '{article.name}' is taken by an id the publication makes "
                    "(its contents, sources, notes, numbered blocks, fact tables or charts); rename the file",
                )
            )
        seen[article.name] = article.path
    return problems


#: names whose `NAME-…` ids the publication makes itself
_PART_NAMES = {prefix.rstrip("-") for prefix in GENERATED_PREFIXES} | {"contents", "titlepage", "landmarks"}


def _is_generated(ident: str, names) -> bool:
    """Is `ident` an id the publication makes: one of its parts, or an article's title, note or block?"""
    if ident in GENERATED_IDS or ident.startswith(GENERATED_PREFIXES) or ident in names:
        return True
    return any(
        ident[:cut] in names and _ARTICLE_ID_SUFFIX.fullmatch(ident[cut:])
        for cut in range(1, len(ident))
        if ident[cut] == "-"
    )


def _assign_ids(loaded, tables, errors) -> None:
    """Make every id unique in the publication: headings and embeds give way, an author's `{#id}` may not clash."""
    names = {article.name for article, _anchors in loaded}
    used = set(names)
    for article, anchors in loaded:
        for token, index, _slug in anchors.headings:
            # the id as loaded, before it gave way: an article kept from an earlier build is numbered anew
            base = ident = token.meta.setdefault("loaded_id", token.attrGet("id"))
            number = 2
            while ident in used or _is_generated(ident, names):
                ident, number = f"{base}-{number}", number + 1
            used.add(ident)
            if ident != token.attrGet("id") or ident != article.headings[index].id:
                token.attrSet("id", ident)
                heading = article.headings[index]
                article.headings[index] = Heading(heading.level, heading.text, ident)
    for _article, anchors in loaded:
        for token in anchors.directives:
            token.meta["suffix"] = _embed_suffix(token.meta, tables[token.meta["table"]], used)
    first: dict[str, tuple] = {}
    for article, anchors in loaded:
        for ident, line, col in anchors.explicit:
            if ident in first:
                where = ":".join(str(part) for part in first[ident] if part is not None)
                errors.error(article.path, line, col, f"id '{ident}' is already used at {where}; ids must be unique")
            elif ident in names:
                errors.error(
                    article.path, line, col, f"id '{ident}' is the id of the article '{ident}'; choose another"
                )
            elif _is_generated(ident, names):
                errors.error(
                    article.path,
                    line,
                    col,
                    f"id '{ident}' has the form of the ids the publication makes "
                    "(contents, sources, notes, numbered blocks, fact tables, charts); "
                    "choose another",
                )
            elif ident in used:
                errors.error(article.path, line, col, f"id '{ident}' is a heading's id; choose another")
            first.setdefault(ident, (article.path, line, col))


def _embed_suffix(meta, table, used) -> str:
    """'' or '-2', '-3'…: the first suffix that leaves every id of this fact table or chart unused."""
    number = 1
    while True:
        suffix = "" if number == 1 else f"-{number}"
        if meta["directive"] == "facts":
            ids = [f"facts-{table.name}{suffix}"] + [
                f"fact-{table.name}-{row.anchor}{suffix}" for row in table.rows if row.anchor
            ]
        else:
            ids = [
                f"chart-{table.name}{suffix}",
                f"chart-{table.name}{suffix}-title",
                f"chart-{table.name}{suffix}-desc",
                f"chart-{table.name}{suffix}-n-title",
                f"chart-{table.name}{suffix}-n-desc",
            ]
        if not any(ident in used for ident in ids):
            used.update(ids)
            return suffix
        number += 1


def _resolve_links(project, loaded, published, errors) -> None:
    """Point each link to an article (`other.md#part`, `#part`) at its id in the publication; refuse other files.

    `#part` names a heading or id of the article itself first, else any article's or heading's id."""
    by_name = {article.name: (article, _targets(article, anchors)) for article, anchors in loaded}
    everywhere = {ident for _article, targets in by_name.values() for ident in targets.values()}
    before = len(errors.diagnostics)
    _check_links(loaded, published, project, by_name, everywhere, errors)
    # a reference link used five times is one problem, reported at its definition once
    kept, seen = [], set()
    for diagnostic in errors.diagnostics[before:]:
        if str(diagnostic) not in seen:
            seen.add(str(diagnostic))
            kept.append(diagnostic)
    errors.diagnostics[before:] = kept


def _check_links(loaded, published, project, by_name, everywhere, errors) -> None:
    for article, anchors in loaded:
        for link in anchors.links:
            name = article.name if link.target is None else _published_name(link.target, published)
            if name is None and (hint := _article_hint(project, article, link, published)):
                errors.error(article.path, *link.where, f"link '{_cut(link.written)}' is not found{hint}")
                continue
            if name is None:
                kind = (
                    "a folder"
                    if link.target.is_dir()
                    else "not a published article"
                    if link.target.exists()
                    else "not found"
                )
                errors.error(
                    article.path,
                    *link.where,
                    f"link '{_cut(link.written)}' is {kind}; a link may point to an article (other.md, "
                    "other.md#heading), a #heading of this article or a web address",
                )
                continue
            if name not in by_name:
                continue  # an article that did not load has its own errors
            target, targets = by_name[name]
            fragment = link.fragment
            ident = targets.get(fragment) or targets.get(f"{name}-{fragment}")
            if ident is None and link.target is None and fragment in everywhere:
                ident = fragment
            if ident is None:
                where = "no article has a" if link.target is None else f"article '{target.path}' has no"
                hint = _hint(fragment, [key for key in targets if key])
                errors.error(
                    article.path,
                    *link.where,
                    f"link '{_cut(link.written)}': {where} heading or id '{_cut(fragment)}'{hint}",
                )
                continue
            link.token.attrSet("href", f"#{ident}")
            if not link.token.meta.get("in_heading"):
                link.token.meta["xref"] = ident  # print adds the page number (render.RenderContext.page_reference)
                article.env["xrefs"] = True


def _published_name(target: Path, published) -> str | None:
    """The article a link names: `other.md`, or `other.html` (written for the web) when only `other.md` exists."""
    name = published.get(target)
    if name is None and target.suffix.lower() in (".html", ".htm") and not target.exists():
        name = published.get(target.with_suffix(".md"))
    return name


def _article_hint(project, article, link, published) -> str:
    """ "; did you mean 'two.md#part'?" for a link to a file that is not there, when an article's name is close."""
    if link.target.exists():
        return ""
    here = (project.root / article.path).parent
    names = {os.path.relpath(path, here).replace(os.sep, "/"): path for path in published}
    written = link.written.partition("#")[0]
    written = written.removeprefix("./")
    # a misspelling, not another name that contains this one ('process.md' is not 'child_process.md')
    similar = [name for name in sorted(names) if abs(len(name) - len(written)) <= 2]
    close = difflib.get_close_matches(written, similar, n=1, cutoff=0.8)
    if not close:
        return ""
    fragment = f"#{link.fragment}" if link.fragment else ""
    return f"; did you mean '{close[0]}{fragment}'?"


def _targets(article, anchors) -> dict[str, str]:
    """What a link's `#part` may name in this article → the id it stands for."""
    targets = {"": article.name, article.name: article.name}
    for heading in article.headings:
        targets.setdefault(heading.id, heading.id)
    for alias, ident in anchors.aliases.items():  # a title's heading comes first, as in Pandoc and on GitHub
        targets.setdefault(alias, ident)
    for token, _index, slug in anchors.headings:
        targets.setdefault(slug, token.attrGet("id"))
    for token, _index, _slug in anchors.headings:  # after ours: `#pathsep` as GitHub writes `path.sep`'s
        targets.setdefault(token.meta["github_slug"], token.attrGet("id"))
    for ident, _line, _col in anchors.explicit:
        targets.setdefault(ident, ident)
    # Pandoc's (and Quarto's) identifiers, after ours and GitHub's; a repeated one numbered `-1`, `-2`
    seen: dict[str, int] = {pandoc_slug(article.title): 1}
    targets.setdefault(pandoc_slug(article.title), article.name)
    for token, index, _slug in anchors.headings:
        alias = pandoc_slug(article.headings[index].text)
        if alias:
            targets.setdefault(alias if alias not in seen else f"{alias}-{seen[alias]}", token.attrGet("id"))
            seen[alias] = seen.get(alias, 0) + 1
    return targets


def pandoc_slug(text: str) -> str:
    """The identifier Pandoc (and Quarto) gives a heading: punctuation but `_-.` dropped, spaces as
    '-', lower case, nothing before the first letter (`whats-new-v2.0` for "What's new: v2.0?")."""
    slug = re.sub(r"\s+", "-", re.sub(r"[^\w\s.-]", "", text).strip()).lower()
    return re.sub(r"^[\W\d_]+", "", slug)


def _number_tables_and_figures(loaded, errors) -> None:
    """Number tables and figures with an id through the publication, in order; resolve `@tbl-x` to them."""
    counts = dict.fromkeys(NUMBERED_KINDS.values(), 0)
    numbers: dict[str, Numbered] = {}
    for article, anchors in loaded:  # an article kept from an earlier build is numbered anew
        article.numbered.clear()
        for item in anchors.numbered:
            item.token.meta.pop("number", None)
        for reference in anchors.references:
            reference.token.meta.pop("target", None)
    for article, anchors in loaded:
        for item in anchors.numbered:
            if item.ident in numbers:
                continue  # the id is used twice: reported with the other ids
            if item.token.type == "image" and not item.token.meta.get("figure"):
                errors.error(
                    article.path,
                    *item.where,
                    f"image '{item.ident}' is numbered as a figure by its id, so it must stand alone "
                    "in its paragraph (a blank line before and after it)",
                )
                continue
            counts[item.kind] += 1
            numbered = Numbered(item.kind, item.ident, counts[item.kind], item.caption, article.name)
            item.token.meta["number"] = numbered
            numbers[item.ident] = numbered
            article.numbered.append(numbered)
    for article, anchors in loaded:
        for reference in anchors.references:
            target = numbers.get(reference.ident)
            if target is None:
                hint = _hint(reference.ident, numbers)
                errors.error(
                    article.path,
                    *reference.where,
                    f"reference '@{_cut(reference.ident)}': no table or figure has the id "
                    f"'{_cut(reference.ident)}'{hint}",
                )
                continue
            reference.token.meta["target"] = target
