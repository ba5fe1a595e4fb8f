"""report.yaml → Config: validated publication metadata and build settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field

from .errors import Collector, Diagnostic, ReportError, shorten
from .inputs import LocatedDict, parse_yaml, read_text
from .project import Project

FORMATS = ("pdf", "epub", "html")
PAGE_SIZES = ("A4", "Letter")
#: the PDF variants WeasyPrint 70 writes (weasyprint.pdf.VARIANTS), named without importing it
PDF_VARIANTS = (
    "pdf/a-1a",
    "pdf/a-1b",
    "pdf/a-2a",
    "pdf/a-2b",
    "pdf/a-2u",
    "pdf/a-3a",
    "pdf/a-3b",
    "pdf/a-3u",
    "pdf/a-4e",
    "pdf/a-4f",
    "pdf/a-4u",
    "pdf/ua-1",
    "pdf/ua-2",
    "pdf/x-1a",
    "pdf/x-3",
    "pdf/x-4",
    "pdf/x-5g",
)

_TOP_KEYS = {
    "title",
    "subtitle",
    "slug",
    "authors",
    "publisher",
    "language",
    "date",
    "identifier",
    "marking",
    "keywords",
    "description",
    "articles",
    "formats",
    "pdf",
    "epub",
    "html",
    "accessibility",
    "allow_remote_images",
    "raw_html",
    "lists",
    "heading_offset",
    "toc_depth",
}
_PDF_KEYS = {"page_size", "duplex", "variant", "toc"}
_EPUB_KEYS = {"cover", "split_level", "conforms_to"}
_HTML_KEYS = {"layout"}
#: what an EPUB cover may be (see writers/epub.py COVER_TYPES, which names their media types)
COVER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
#: what `lists:` may ask for after the contents: the numbered tables, the numbered figures
LISTS = ("tables", "figures")
#: a word longer than this gets no "did you mean" (it is no misspelling, and matching costs its length)
_SUGGESTED_UP_TO = 64


@dataclass(frozen=True)
class PdfSettings:
    page_size: str = "A4"
    duplex: bool = False
    variant: str | None = None
    toc: bool | None = None  # None: only when there is more than one article


@dataclass(frozen=True)
class EpubSettings:
    cover: str | None = None
    split_level: int = 1
    conforms_to: str | None = None


@dataclass(frozen=True)
class Config:
    title: str
    slug: str
    language: str
    date: dt.date
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    identifier: str = ""
    marking: str = ""
    keywords: tuple[str, ...] = ()
    description: str = ""
    articles: tuple[str, ...] | None = None
    formats: tuple[str, ...] = FORMATS
    pdf: PdfSettings = field(default_factory=PdfSettings)
    epub: EpubSettings = field(default_factory=EpubSettings)
    allow_remote_images: bool = False
    raw_html: bool = False  # raw HTML in Markdown: escaped unless true, then sanitised
    lists: tuple[str, ...] = ()  # after the contents: "tables", "figures" (numbered ones, see LISTS)
    heading_offset: int = 0  # added to every article's heading levels (an article may set its own)
    toc_depth: int = 3  # the deepest heading level the contents, the EPUB navigation and PDF bookmarks list
    #: (line, col) of each entry of `articles` in report.yaml, for "not found" messages
    article_positions: tuple = field(default=(), compare=False, repr=False)

    @property
    def babel_locale(self) -> str:
        return self.language.replace("-", "_")


def load_config(project: Project) -> Config:
    path = project.config_file
    shown = project.display(path)
    if not path.exists():  # a FIFO or folder of this name is refused by read_text
        errors = Collector()
        errors.error(shown, None, None, "no report.yaml here; run 'report-builder init DIR' to start a project")
        errors.raise_if_any()
    data = parse_yaml(read_text(path, shown, inside=project.root), shown)
    return parse_config(data, shown, project)


def parse_config(data, shown: str, project: Project | None = None) -> Config:
    """Validate report.yaml's data; with `project`, also the files it names (the EPUB cover)."""
    errors = Collector()
    if not isinstance(data, LocatedDict):
        errors.error(shown, 1, 1, "report.yaml must be a mapping of keys to values")
        errors.raise_if_any()

    def at(mapping, key):
        return mapping.value_pos.get(key, mapping.pos)

    def fail(mapping, key, message):
        line, col = at(mapping, key)
        errors.error(shown, line, col, message)

    _check_keys(data, _TOP_KEYS, "", errors, shown)
    title = _string(data, "title", errors, shown, required=True)
    language = _string(data, "language", errors, shown) or "en-GB"
    before = len(errors.diagnostics)
    if language and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        fail(data, "language", f"language {shorten(language)} is not a BCP 47 tag such as 'en-GB'")
    else:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(language.replace("-", "_"))
        except (ValueError, LookupError, UnknownLocaleError):
            fail(data, "language", f"unknown language {shorten(language)}")
    language_ok = len(errors.diagnostics) == before
    slug = _string(data, "slug", errors, shown) or _slugify(title or "report")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug):
        fail(data, "slug", f"slug {shorten(slug)} must use lowercase letters, digits, '.', '_' and '-'")
    date = _date(data, "date", errors, shown)
    formats = data.get("formats", list(FORMATS))
    if not isinstance(formats, list) or any(f not in FORMATS for f in formats):
        fail(data, "formats", f"formats must be a list drawn from {', '.join(FORMATS)}")
        formats = list(FORMATS)
    articles = data.get("articles")
    if articles is not None and not (isinstance(articles, list) and all(isinstance(a, str) for a in articles)):
        fail(data, "articles", "articles must be a list of file names in content/")
        articles = None
    pdf = _section(data, "pdf", _PDF_KEYS, errors, shown)
    page_size = pdf.get("page_size", "A4")
    if page_size not in PAGE_SIZES:
        fail(pdf, "page_size", f"page_size must be one of {', '.join(PAGE_SIZES)}, not {shorten(page_size)}")
        page_size = "A4"
    switches = {"duplex": False, "toc": None}
    for key in switches:
        if key in pdf and not isinstance(pdf[key], bool):
            fail(pdf, key, f"pdf.{key} must be true or false")
        elif key in pdf:
            switches[key] = pdf[key]
    variant = pdf.get("variant")
    if variant is not None and variant not in PDF_VARIANTS:
        hint = _did_you_mean(variant, PDF_VARIANTS) if isinstance(variant, str) else ""
        fail(pdf, "variant", f"unknown PDF variant {shorten(variant)}{hint}")
        variant = None
    epub = _section(data, "epub", _EPUB_KEYS, errors, shown)
    split_level = epub.get("split_level", 1)
    if not isinstance(split_level, int) or isinstance(split_level, bool) or split_level < 1:
        fail(epub, "split_level", f"epub.split_level must be a whole number such as 1, not {shorten(split_level)}")
        split_level = 1
    elif split_level != 1:
        fail(
            epub,
            "split_level",
            f"epub.split_level {split_level} is not supported: the EPUB has one file per article (split_level: 1)",
        )
        split_level = 1
    cover = _cover(epub, project, fail)
    conforms_to = epub.get("conforms_to")
    if conforms_to is not None and not isinstance(conforms_to, str):
        fail(
            epub,
            "conforms_to",
            "epub.conforms_to must be text: the address or name of the standard the "
            "EPUB meets, such as 'EPUB Accessibility 1.1 - WCAG 2.1 Level AA'",
        )
        conforms_to = None
    _section(data, "html", _HTML_KEYS, errors, shown)
    # the remaining values are read while building the Config: raise only after that
    config = Config(
        title=title,
        subtitle=_string(data, "subtitle", errors, shown),
        slug=slug,
        language=language,
        date=date,
        authors=_strings(data, "authors", errors, shown),
        publisher=_string(data, "publisher", errors, shown),
        identifier=_string(data, "identifier", errors, shown) or _derived_identifier(slug),
        marking=_string(data, "marking", errors, shown),
        keywords=_strings(data, "keywords", errors, shown),
        description=_string(data, "description", errors, shown),
        articles=tuple(articles) if articles is not None else None,
        formats=tuple(formats),
        pdf=PdfSettings(page_size=page_size, duplex=bool(switches["duplex"]), variant=variant, toc=switches["toc"]),
        epub=EpubSettings(cover=cover, split_level=split_level, conforms_to=conforms_to or None),
        allow_remote_images=_flag(data, "allow_remote_images", errors, shown),
        raw_html=_flag(data, "raw_html", errors, shown),
        lists=_lists(data, fail),
        heading_offset=_whole(data, "heading_offset", 0, (0, 4), errors, shown),
        toc_depth=_whole(data, "toc_depth", 3, (1, 6), errors, shown),
        article_positions=tuple(data["articles"].item_pos) if articles is not None else (),
    )
    if errors.diagnostics:
        # Content is still checked with what could be read, so one run reports everything.
        error = ReportError(errors.diagnostics)
        error.partial_config = config if language_ok else dataclasses.replace(config, language="en-GB")  # type: ignore[attr-defined]
        raise error
    return config


def _lists(data, fail) -> tuple[str, ...]:
    """`lists: [tables, figures]`: the lists of numbered tables and figures printed after the contents."""
    lists = data.get("lists", [])
    if not isinstance(lists, list) or any(item not in LISTS for item in lists):
        fail(data, "lists", f"lists must be a list drawn from {', '.join(LISTS)}, e.g. 'lists: [tables, figures]'")
        return ()
    return tuple(item for item in LISTS if item in lists)


def _check_keys(mapping, allowed, prefix, errors, shown):
    for key in mapping:
        if key not in allowed:
            line, col = mapping.key_pos[key]
            hint = _did_you_mean(key, allowed, prefix)
            errors.error(shown, line, col, f"unknown key {shorten(f'{prefix}{key}')}{hint}")


def _did_you_mean(word, choices, prefix=""):
    import difflib

    word = str(word)
    if len(word) > _SUGGESTED_UP_TO:
        return ""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def _cover(epub, project, fail) -> str | None:
    """epub.cover, checked as the EPUB writer will use it: a raster image inside the project."""
    cover = epub.get("cover")
    if cover is None:
        return None
    if not isinstance(cover, str) or not cover.strip():
        fail(
            epub, "cover", "epub.cover must be the path of an image in the project, such as 'content/images/cover.png'"
        )
        return None
    if project is None:
        return cover
    from .images import MAX_IMAGE_PIXELS

    path = project.resolve_inside(project.root, cover)
    if path is None or not path.is_file():
        problem = "is not a file inside the project"
    elif path.suffix.lower() not in COVER_SUFFIXES:
        problem = "must be a PNG, JPEG, GIF or WebP image"
    elif (pixels := _cover_pixels(path)) is None:
        problem = f"cannot be read as a {path.suffix.lower().lstrip('.').upper()} image"
    elif pixels > MAX_IMAGE_PIXELS:
        problem = f"has {pixels:,} pixels; the limit is {MAX_IMAGE_PIXELS:,}"
    else:
        return cover
    fail(epub, "cover", f"epub.cover {shorten(cover)} {problem}")
    return None


def _cover_pixels(path) -> int | None:
    """Width × height of the cover from its header (nothing is decoded); None when unreadable."""
    from .images import raster_pixels
    from .inputs import open_regular

    try:
        with open_regular(path) as handle:
            return raster_pixels(handle)
    except OSError:
        return None


def _section(data, key, allowed, errors, shown):
    value = data.get(key)
    if value is None:
        return LocatedDict()
    if not isinstance(value, LocatedDict):
        line, col = data.value_pos[key]
        errors.error(shown, line, col, f"'{key}' must be a mapping")
        return LocatedDict()
    _check_keys(value, allowed, f"{key}.", errors, shown)
    return value


def _string(data, key, errors, shown, required=False):
    value = data.get(key)
    if value is None:
        if required:
            line, col = data.pos
            errors.error(shown, line, col, f"missing required key '{key}'")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        line, col = data.value_pos[key]
        errors.error(shown, line, col, f"'{key}' must be text")
        return ""
    return str(value)


def _flag(data, key, errors, shown):
    value = data.get(key, False)
    if not isinstance(value, bool):
        line, col = data.value_pos[key]
        errors.error(shown, line, col, f"'{key}' must be true or false")
        return False
    return value


def _whole(data, key, default: int, bounds: tuple[int, int], errors, shown) -> int:
    """A whole number from `bounds[0]` to `bounds[1]`, or `default` when absent or wrong."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        line, col = data.value_pos.get(key, data.pos)
        errors.error(shown, line, col, f"{key} is a number from {bounds[0]} to {bounds[1]}, not {shorten(value)}")
        return default
    return value


def _strings(data, key, errors, shown):
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        line, col = data.value_pos[key]
        errors.error(shown, line, col, f"'{key}' must be a list of text")
        return ()
    return tuple(value)


def _date(data, key, errors, shown):
    value = data.get(key)
    if value is None:
        return _source_date(errors)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    line, col = data.value_pos[key]
    errors.error(shown, line, col, f"'{key}' must be a date written YYYY-MM-DD, not {shorten(value)}")
    return _source_date(errors)


def _source_date(errors) -> dt.date:
    try:
        return source_date()
    except ReportError as exc:
        errors.extend(exc.diagnostics)
        return dt.date(1980, 1, 1)


#: where a problem that is in no file is reported: `report-builder: error: …`
TOOL = "report-builder"


def source_date() -> dt.date:
    """The build date when the content gives none: SOURCE_DATE_EPOCH, else a fixed epoch (never the clock).

    A value that is not a time from 1970 to 9999 is an error (reproducible-builds.org asks
    tools to fail rather than guess); an empty one counts as unset.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return dt.date(1980, 1, 1)
    try:
        if not re.fullmatch(r"[0-9]{1,12}", epoch):
            raise ValueError(epoch)
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise ReportError(
            [
                Diagnostic(
                    TOOL,
                    None,
                    None,
                    (
                        f"SOURCE_DATE_EPOCH={shorten(epoch)} is not a time from 1970 to 9999: set it to the seconds since "
                        "1970-01-01 00:00 UTC (date +%s), or give report.yaml a date"
                    ),
                )
            ]
        ) from None


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "report"


def _derived_identifier(slug: str) -> str:
    """A stable urn:uuid derived from the slug, so identifiers never change between builds."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'report-builder:' + slug)}"


def config_digest(config: Config) -> str:
    return hashlib.sha256(repr(config).encode()).hexdigest()
