"""report.yaml → Config: validated publication metadata and build settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field

from .errors import Collector, ReportError
from .project import Project
from .sources import LocatedDict, parse_yaml, read_text

FORMATS = ("pdf", "epub", "html")
PAGE_SIZES = ("A4", "Letter")
#: the PDF variants WeasyPrint 70 writes (weasyprint.pdf.VARIANTS), named without importing it
PDF_VARIANTS = ("pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a", "pdf/a-3b",
                "pdf/a-3u", "pdf/a-4e", "pdf/a-4f", "pdf/a-4u", "pdf/ua-1", "pdf/ua-2",
                "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")

_TOP_KEYS = {
    "title", "subtitle", "slug", "authors", "publisher", "language", "date", "identifier",
    "marking", "keywords", "description", "articles", "formats", "pdf", "epub", "html",
    "accessibility", "allow_remote_images", "raw_html",
}
_PDF_KEYS = {"page_size", "duplex", "variant", "toc"}
_EPUB_KEYS = {"cover", "split_level", "conforms_to"}
_HTML_KEYS = {"layout"}


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
    return parse_config(data, shown)


def parse_config(data, shown: str) -> Config:
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
        fail(data, "language", f"language {language!r} is not a BCP 47 tag such as 'en-GB'")
    else:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(language.replace("-", "_"))
        except (ValueError, LookupError, UnknownLocaleError):
            fail(data, "language", f"unknown language {language!r}")
    language_ok = len(errors.diagnostics) == before
    slug = _string(data, "slug", errors, shown) or _slugify(title or "report")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug):
        fail(data, "slug", f"slug {slug!r} must use lowercase letters, digits, '.', '_' and '-'")
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
        fail(pdf, "page_size", f"page_size must be one of {', '.join(PAGE_SIZES)}, not {page_size!r}")
    for key in ("duplex", "toc"):
        if key in pdf and not isinstance(pdf[key], bool):
            fail(pdf, key, f"pdf.{key} must be true or false")
    if pdf.get("variant") is not None and pdf.get("variant") not in PDF_VARIANTS:
        fail(pdf, "variant", f"unknown PDF variant {pdf.get('variant')!r}{_did_you_mean(str(pdf.get('variant')), PDF_VARIANTS)}")
    epub = _section(data, "epub", _EPUB_KEYS, errors, shown)
    split_level = epub.get("split_level", 1)
    if not isinstance(split_level, int) or isinstance(split_level, bool) or split_level < 1:
        fail(epub, "split_level", f"epub.split_level must be a whole number such as 1, not {split_level!r}")
        split_level = 1
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
        pdf=PdfSettings(page_size=page_size, duplex=pdf.get("duplex", False),
                        variant=pdf.get("variant"), toc=pdf.get("toc")),
        epub=EpubSettings(cover=epub.get("cover"), split_level=split_level,
                          conforms_to=epub.get("conforms_to")),
        allow_remote_images=_flag(data, "allow_remote_images", errors, shown),
        raw_html=_flag(data, "raw_html", errors, shown),
        article_positions=tuple(data["articles"].item_pos) if articles is not None else (),
    )
    if errors.diagnostics:
        # Content is still checked with what could be read, so one run reports everything.
        error = ReportError(errors.diagnostics)
        error.partial_config = config if language_ok else dataclasses.replace(config, language="en-GB")
        raise error
    return config


def _check_keys(mapping, allowed, prefix, errors, shown):
    for key in mapping:
        if key not in allowed:
            line, col = mapping.key_pos[key]
            hint = _did_you_mean(str(key), allowed, prefix)
            errors.error(shown, line, col, f"unknown key '{prefix}{key}'{hint}")


def _did_you_mean(word, choices, prefix=""):
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


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
        return source_date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    line, col = data.value_pos[key]
    errors.error(shown, line, col, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
    return source_date()


def source_date() -> dt.date:
    """The build date when the content gives none: SOURCE_DATE_EPOCH, else a fixed epoch (never the clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date(1980, 1, 1)


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "report"


def _derived_identifier(slug: str) -> str:
    """A stable urn:uuid derived from the slug, so identifiers never change between builds."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'report-builder:' + slug)}"


def config_digest(config: Config) -> str:
    return hashlib.sha256(repr(config).encode()).hexdigest()
