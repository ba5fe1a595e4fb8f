"""report.yaml → Config: validated publication metadata and build settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import Collector, Diagnostic, ReportError, shorten
from .inputs import LocatedDict, parse_yaml, read_text
from .project import Project
from .writers import FORMATS

PAGE_SIZES = ("A4", "Letter")
#: pdf.chapter_start: where an article starts in a two-sided (duplex) book
CHAPTER_STARTS = ("right", "any")
#: the PDF variants WeasyPrint 70 writes (its pdf.VARIANTS: test_weasyprint_contract.py compares), named without importing it
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

#: the print shop's marks outside the trim (WeasyPrint's `marks`: crop lines, registration crosses)
PRINT_MARKS = ("crop", "cross", "crop cross", "none")
#: the widest bleed accepted, in millimetres (print shops ask for 3 mm, some for 5)
MAX_BLEED_MM = 10.0
#: a length as `pdf.print.bleed` takes it: a number and mm, pt or in
_LENGTH = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(mm|pt|in)\s*")
_MM_PER = {"mm": 1.0, "pt": 25.4 / 72, "in": 25.4}
#: the cover's marking band (`marking_style`), each a colour, its text colour and the word it prints
MARKING_STYLES = ("restricted", "official", "public")
#: the cover image and logo: raster files of the project, at most this many bytes
MAX_COVER_IMAGE_BYTES = 8 * 1024 * 1024
#: what an EPUB cover may be (see writers/epub.py COVER_TYPES, which names their media types)
COVER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
#: the ways the HTML edition can be laid out
HTML_LAYOUTS = ("single", "pages")
#: what `lists:` may ask for after the contents: the numbered tables, the numbered figures
LISTS = ("tables", "figures")
#: a word longer than this gets no "did you mean" (it is no misspelling, and matching costs its length)
_SUGGESTED_UP_TO = 64
#: keys that were accepted once and are refused now, with what to do instead
REMOVED_KEYS = {
    "accessibility": "'accessibility' is not read: the EPUB's accessibility metadata is derived from the content; "
    "remove the key",
}


# -- the options: each report.yaml key is one field below, with its type, default and doc ----------
#
# A key is added by adding one field to Config or to its section (PdfSettings, EpubSettings,
# HtmlSettings) with `option(default, doc)`; its type annotation says how its value is checked
# (str, bool, bool | None, int, tuple[str, ...]), or `parse=` names a function that reads it:
# parse(reader, key, value) returns the value, or None after reader.fail(key, message).
# The README's report.yaml table lists every key (tests/test_config.py compares them).


def option(default: Any, doc: str, parse: Callable | None = None) -> Any:
    """A report.yaml key: its default, one line of documentation, and how its value is read."""
    return field(default=default, metadata={"doc": doc, "parse": parse})


def section(settings: type, doc: str) -> Any:
    """A report.yaml mapping of keys (`pdf:`), read into `settings`."""
    return field(default_factory=settings, metadata={"doc": doc, "section": settings})


@dataclass(frozen=True)
class Option:
    key: str  # as written in report.yaml: `title`, `pdf.page_size`
    type: str
    default: Any
    doc: str


class _Reader:
    """Reads one mapping of report.yaml into values, collecting every problem with its place."""

    def __init__(self, mapping: LocatedDict, prefix: str, errors: Collector, shown: str, project: Project | None):
        self.mapping, self.prefix, self.errors, self.shown, self.project = mapping, prefix, errors, shown, project

    def fail(self, key: str, message: str) -> None:
        line, col = self.mapping.value_pos.get(key, self.mapping.pos)
        self.errors.error(self.shown, line, col, message)

    def name(self, key: str) -> str:
        """How a message names the key: `'subtitle'` at the top, `pdf.duplex` in a section."""
        return f"{self.prefix}{key}" if self.prefix else f"'{key}'"


def _text(reader: _Reader, key: str, value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        reader.fail(key, f"{reader.name(key)} must be text")
        return ""
    return str(value)


def _cover_text(limit: int) -> Callable:
    """A text printed on the cover, which holds one page: at most `limit` characters."""

    def parse(reader: _Reader, key: str, value: Any) -> str:
        text = _text(reader, key, value)
        if len(text) > limit:
            reader.fail(
                key, f"{reader.name(key)} has {len(text):,} characters; the cover holds at most {limit:,} (one page)"
            )
        return text

    return parse


def _texts(reader: _Reader, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader.fail(key, f"{reader.name(key)} must be a list of text")
        return ()
    return tuple(value)


def _switch(reader: _Reader, key: str, value: Any) -> bool | None:
    if not isinstance(value, bool):
        reader.fail(key, f"{reader.name(key)} must be true or false")
        return None
    return value


def _whole(reader: _Reader, key: str, value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        reader.fail(key, f"{reader.name(key)} must be a whole number, not {shorten(value)}")
        return None
    return value


def _whole_between(low: int, high: int) -> Callable:
    def parse(reader: _Reader, key: str, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            reader.fail(key, f"{key} is a number from {low} to {high}, not {shorten(value)}")
            return None
        return value

    return parse


def _choice(choices: tuple[str, ...]) -> Callable:
    def parse(reader: _Reader, key: str, value: Any) -> str | None:
        if value not in choices:
            reader.fail(key, f"{reader.name(key)} must be one of {', '.join(choices)}, not {shorten(value)}")
            return None
        return value

    return parse


def _language(reader: _Reader, key: str, value: Any) -> str | None:
    language = _text(reader, key, value)
    if not language:
        return None
    from .labels import language_problem

    problem = language_problem(language)
    if problem:
        reader.fail(key, problem)
        return None
    return language


def _fonts(reader: _Reader, key: str, value: Any) -> tuple | None:
    """`fonts:`: font files of the project, each entry checked (see project_fonts.py)."""
    from .project_fonts import parse_fonts

    return parse_fonts(reader.mapping, reader.shown, reader.project, reader.errors)


def _labels(reader: _Reader, key: str, value: Any) -> tuple[tuple[str, str], ...] | None:
    """`labels:`: the project's wording for generated labels, keyed by their English source string."""
    from .labels import check_override

    if not isinstance(value, LocatedDict):
        reader.fail(
            key, "'labels' must be a mapping of English labels to your wording, such as Contents: In this briefing"
        )
        return None
    found = []
    for source, text in value.items():
        problem = check_override(source, text)
        if problem:
            # an unknown label is shown at its key, a wrong wording at the wording
            positions = value.key_pos if problem.startswith("unknown") else value.value_pos
            line, col = positions.get(source, value.pos)
            reader.errors.error(reader.shown, line, col, problem)
        else:
            found.append((str(source), text))
    return tuple(found)


def _slug(reader: _Reader, key: str, value: Any) -> str:
    slug = _text(reader, key, value)
    if slug and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug):
        reader.fail(key, f"slug {shorten(slug)} must use lowercase letters, digits, '.', '_' and '-'")
    elif len(slug) > MAX_SLUG:
        reader.fail(key, f"slug has {len(slug):,} characters; at most {MAX_SLUG} make a file name")
    return slug


def _date(reader: _Reader, key: str, value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    reader.fail(key, f"'{key}' must be a date written YYYY-MM-DD, not {shorten(value)}")
    return None


def _formats(reader: _Reader, key: str, value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or any(f not in FORMATS for f in value):
        reader.fail(key, f"formats must be a list drawn from {', '.join(FORMATS)}")
        return None
    return tuple(value)


def _articles(reader: _Reader, key: str, value: Any) -> tuple[str, ...] | None:
    if not (isinstance(value, list) and all(isinstance(a, str) for a in value)):
        reader.fail(key, "articles must be a list of file names in content/")
        return None
    return tuple(value)


def _variant(reader: _Reader, key: str, value: Any) -> str | None:
    if value not in PDF_VARIANTS:
        hint = _did_you_mean(value, PDF_VARIANTS) if isinstance(value, str) else ""
        reader.fail(key, f"unknown PDF variant {shorten(value)}{hint}")
        return None
    from .writers.pdf.conformance import REFUSED

    if value in REFUSED:
        reader.fail(key, f"{reader.name(key)} {value} cannot be written conforming: {REFUSED[value]}")
        return None
    return value


def _split_level(reader: _Reader, key: str, value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        reader.fail(key, f"epub.split_level must be a whole number such as 1, not {shorten(value)}")
    elif value != 1:
        reader.fail(
            key, f"epub.split_level {value} is not supported: the EPUB has one file per article (split_level: 1)"
        )
    return None


def _conforms_to(reader: _Reader, key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        reader.fail(
            key,
            "epub.conforms_to must be text: the address or name of the standard the "
            "EPUB meets, such as 'EPUB Accessibility 1.1 - WCAG 2.1 Level AA'",
        )
        return None
    return value or None


def _cover_option(reader: _Reader, key: str, value: Any) -> str | None:
    return _project_image("epub.cover", value, reader.project, lambda message: reader.fail(key, message), "cover.png")


def _bleed(reader: _Reader, key: str, value: Any) -> str | None:
    """`pdf.print.bleed: 3mm`: how far the page's colour runs past the trim, normalised to millimetres."""
    match = _LENGTH.fullmatch(value) if isinstance(value, str) else None
    millimetres = float(match.group(1)) * _MM_PER[match.group(2)] if match else None
    if millimetres is None or millimetres > MAX_BLEED_MM + 1e-9:
        reader.fail(
            key,
            f"pdf.print.bleed must be a length from 0 to {MAX_BLEED_MM:g}mm written with mm, pt or in, "
            f"such as 3mm, not {shorten(value)}",
        )
        return None
    return f"{round(millimetres, 3):g}mm"


def _marks(reader: _Reader, key: str, value: Any) -> str | None:
    if value not in PRINT_MARKS:
        reader.fail(key, f"pdf.print.marks must be one of {', '.join(PRINT_MARKS)}, not {shorten(value)}")
        return None
    bleed = reader.mapping.get("bleed")
    if value != "none" and isinstance(bleed, str) and (match := _LENGTH.fullmatch(bleed)) and not float(match.group(1)):
        reader.fail(key, f"pdf.print.marks {value} are drawn in the bleed: give pdf.print.bleed a length such as 3mm")
        return None
    return value


def _image_file(reader: _Reader, key: str, value: Any) -> str | None:
    return _project_image(f"{reader.prefix}{key}", value, reader.project, lambda message: reader.fail(key, message))


def _lists(reader: _Reader, key: str, value: Any) -> tuple[str, ...] | None:
    """`lists: [tables, figures]`: the lists of numbered tables and figures printed after the contents."""
    if not isinstance(value, list) or any(item not in LISTS for item in value):
        reader.fail(key, f"lists must be a list drawn from {', '.join(LISTS)}, e.g. 'lists: [tables, figures]'")
        return None
    return tuple(item for item in LISTS if item in value)


_BY_TYPE: dict[str, Callable] = {
    "str": _text,
    "tuple[str, ...]": _texts,
    "bool": _switch,
    "bool | None": _switch,
    "int": _whole,
}


@dataclass(frozen=True)
class PrintSettings:
    bleed: str | None = option(
        None,
        f"how far the cover band runs past the trim: `3mm` unless given (mm, pt or in; at most {MAX_BLEED_MM:g}mm)",
        _bleed,
    )
    marks: str | None = option(
        None, "`crop` unless given, `cross`, `crop cross` or `none`: the marks drawn in the bleed", _marks
    )

    @property
    def wanted(self) -> bool:
        """Whether report.yaml asks for print-shop output (`pdf.print:` with a key)."""
        return self.bleed is not None or self.marks is not None

    @property
    def bleed_mm(self) -> float:
        """The bleed in millimetres: 3 when `pdf.print` names none."""
        return float((self.bleed or "3mm").removesuffix("mm"))

    @property
    def marks_css(self) -> str:
        """WeasyPrint's `marks`: crop marks unless asked otherwise, none without a bleed to draw them in."""
        return self.marks or ("crop" if self.bleed_mm else "none")


@dataclass(frozen=True)
class CoverSettings:
    image: str | None = option(
        None, "a PNG, JPEG, GIF or WebP image of the project, printed on the cover under the band", _image_file
    )
    image_alt: str = option("", "the cover image's text alternative (without it the image is decorative)")
    logo: str | None = option(
        None, "the publisher's logo (an image of the project), in the band in place of its name", _image_file
    )


@dataclass(frozen=True)
class PdfSettings:
    page_size: str = option("A4", "`A4` or `Letter`", _choice(PAGE_SIZES))
    duplex: bool = option(
        False,
        "`true`: two-sided printing: mirrored margins, page numbers and running heads on the outer edge, "
        "the contents and the first article on a right-hand page",
    )
    chapter_start: str | None = option(
        None,
        "`right`: with `duplex`, each article starts on a right-hand page; `any`: on the next page "
        "(default: `right` with `duplex`, else `any`)",
        _choice(CHAPTER_STARTS),
    )
    variant: str | None = option(
        None,
        "the PDF/A level to meet with PDF/UA-1, such as `pdf/a-3a` (default: PDF/UA-1 with PDF/A-2a); "
        "`pdf/x-4` for a print shop; `pdf/ua-2`",
        _variant,
    )
    toc: bool | None = option(None, "`true`/`false`: the contents page (default: only with more than one article)")
    print: PrintSettings = section(PrintSettings, "trim, bleed and crop marks for a print shop")

    @property
    def starts_right(self) -> bool:
        """Whether each article starts on a right-hand page: only a two-sided book has left-hand ones."""
        return self.duplex and (self.chapter_start or "right") == "right"


@dataclass(frozen=True)
class EpubSettings:
    cover: str | None = option(
        None, "a PNG, JPEG, GIF or WebP image in the project (default: the PDF's cover page)", _cover_option
    )
    split_level: int = option(1, "`1`: one XHTML file per article (the only value)", _split_level)
    conforms_to: str | None = option(None, "the standard the EPUB meets, only if you claim it", _conforms_to)


@dataclass(frozen=True)
class HtmlSettings:
    layout: str = option(
        "single",
        "`single`: one self-contained page; `pages`: a folder `SLUG/` of one page per article",
        _choice(HTML_LAYOUTS),
    )


@dataclass(frozen=True)
class Config:
    title: str = option("", "the publication's title (at most 500 characters)", _cover_text(500))
    subtitle: str = option(
        "", "publication metadata (PDF info, EPUB OPF, HTML meta); at most 1,000 characters", _cover_text(1000)
    )
    running_title: str = option(
        "",
        "the title in the PDF's running head, for a title too long for it (default: the title; "
        "either is cut to one line, at a word, with an ellipsis)",
        _text,
    )
    slug: str = option("", "output file stem (default: from the title)", _slug)
    authors: tuple[str, ...] = option((), "a name or a list of names")
    publisher: str = option("", "publication metadata")
    language: str = option("en-GB", "BCP 47 tag, e.g. `en-GB`; numbers, dates and hyphenation follow it", _language)
    date: dt.date = option(
        None, "`YYYY-MM-DD`; without it, `SOURCE_DATE_EPOCH`, else 1980-01-01, never the clock", _date
    )
    identifier: str = option("", "stable book identifier (default: a UUID derived from the slug and the language)")
    marking: str = option("", 'e.g. "For internal distribution", printed on every PDF page')
    marking_style: str | None = option(
        None,
        "`restricted`, `official` or `public`: the marking in a colour band on the cover",
        _choice(MARKING_STYLES),
    )
    cover: CoverSettings = section(CoverSettings, "the printed cover")
    keywords: tuple[str, ...] = option((), "a word or a list of words (EPUB subjects, HTML and PDF keywords)")
    description: str = option("", "a sentence or two (EPUB, HTML meta)")
    articles: tuple[str, ...] | None = option(
        None, "ordered list of files in `content/` (default: all `*.md` by name)", _articles
    )
    formats: tuple[str, ...] = option(FORMATS, "the formats built by default, drawn from `[pdf, epub, html]`", _formats)
    pdf: PdfSettings = section(PdfSettings, "the print edition")
    epub: EpubSettings = section(EpubSettings, "the EPUB")
    html: HtmlSettings = section(HtmlSettings, "the web edition")
    allow_remote_images: bool = option(
        False, "reserved; remote images are refused either way (download them into `content/images/`)"
    )
    raw_html: bool = option(False, "`true` lets raw HTML through Markdown, sanitised (see below)")
    lists: tuple[str, ...] = option(
        (),
        "`[tables, figures]` (either or both): lists of the numbered tables and figures after the contents",
        _lists,
    )
    heading_offset: int = option(
        0,
        "added to every article's heading levels, for documents whose sections are `#` (an article may set its own)",
        _whole_between(0, 4),
    )
    toc_depth: int = option(
        3,
        "the deepest heading level the contents, the EPUB navigation and the PDF bookmarks list",
        _whole_between(1, 6),
    )
    fonts: tuple = option(
        (),
        "font files the project adds: `[{family: House Sans, file: fonts/House.ttf, style: normal, weight: 400}]`",
        _fonts,
    )
    #: (English source string, the project's own wording) for each entry of `labels`
    labels: tuple[tuple[str, str], ...] = option(
        (), "your wording for generated labels, keyed by the English label (`Contents: In this briefing`)", _labels
    )
    #: False when report.yaml has no date: `date` is then SOURCE_DATE_EPOCH's day or 1980-01-01,
    #: for metadata only, and no page shows it
    dated: bool = field(default=True)
    #: (line, col) of `language` in report.yaml, for the warning about a language without labels
    language_position: tuple = field(default=(None, None), compare=False, repr=False)
    #: (line, col) of each entry of `articles` in report.yaml, for "not found" messages
    article_positions: tuple = field(default=(), compare=False, repr=False)

    @property
    def head_title(self) -> str:
        """The title the PDF's running head shows: `running_title`, else the title."""
        return self.running_title or self.title

    @property
    def babel_locale(self) -> str:
        return self.language.replace("-", "_")

    @property
    def direction(self) -> str:
        """ "rtl" for a language written right to left (CLDR, through Babel), else "ltr"."""
        return text_direction(self.language)


def text_direction(language: str) -> str:
    """ "rtl" or "ltr": the direction CLDR gives the language; "ltr" for one it does not know."""
    from babel import Locale, UnknownLocaleError

    try:
        return "rtl" if Locale.parse(language.replace("-", "_")).text_direction == "rtl" else "ltr"
    except (ValueError, LookupError, UnknownLocaleError):
        return "ltr"


def options(settings: type = Config, prefix: str = "") -> list[Option]:
    """Every report.yaml key, as declared above: the table the README's is checked against."""
    found = []
    for spec in dataclasses.fields(settings):
        if "section" in spec.metadata:
            found.extend(options(spec.metadata["section"], f"{prefix}{spec.name}."))
        elif "doc" in spec.metadata:
            found.append(Option(f"{prefix}{spec.name}", str(spec.type), spec.default, spec.metadata["doc"]))
    return found


def _read(settings: type, reader: _Reader) -> dict[str, Any]:
    """The values of `settings`' keys that the mapping gives and that are valid; sections read in turn."""
    _check_keys(reader, settings)
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(settings):
        if "section" in spec.metadata:
            values[spec.name] = spec.metadata["section"](**_read_section(reader, spec.name, spec.metadata["section"]))
            continue
        if "doc" not in spec.metadata or reader.mapping.get(spec.name) is None:
            continue
        parse = spec.metadata["parse"] or _BY_TYPE[str(spec.type)]
        value = parse(reader, spec.name, reader.mapping[spec.name])
        if value is not None:
            values[spec.name] = value
    return values


def _read_section(reader: _Reader, key: str, settings: type) -> dict[str, Any]:
    value = reader.mapping.get(key)
    if value is None:
        return {}
    if not isinstance(value, LocatedDict):
        reader.fail(key, f"'{key}' must be a mapping")
        return {}
    return _read(settings, _Reader(value, f"{reader.prefix}{key}.", reader.errors, reader.shown, reader.project))


def _check_keys(reader: _Reader, settings: type) -> None:
    allowed = {spec.name for spec in dataclasses.fields(settings) if spec.metadata}
    for key in reader.mapping:
        if key in allowed:
            continue
        line, col = reader.mapping.key_pos[key]
        if not reader.prefix and key in REMOVED_KEYS:
            reader.errors.error(reader.shown, line, col, REMOVED_KEYS[key])
            continue
        hint = _did_you_mean(key, allowed, reader.prefix)
        reader.errors.error(reader.shown, line, col, f"unknown key {shorten(f'{reader.prefix}{key}')}{hint}")


class ConfigError(ReportError):
    """report.yaml's problems, and the Config made of what was valid: the content is still checked with it."""

    def __init__(self, diagnostics: list[Diagnostic], partial_config: Config):
        super().__init__(diagnostics)
        self.partial_config = partial_config

    def __reduce__(self):
        return (type(self), (self.diagnostics, self.partial_config))


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
    values = _read(Config, _Reader(data, "", errors, shown, project))
    if not values.get("title"):
        if data.get("title") is None:
            line, col = data.pos
            errors.error(shown, line, col, "missing required key 'title'")
        values["title"] = ""
    language_ok = "language" not in data or "language" in values
    _check_logo_has_a_name(data, values, shown, errors)
    values["slug"] = values.get("slug") or _slugify(values["title"] or "report")
    values["identifier"] = values.get("identifier") or _derived_identifier(
        values["slug"], values.get("language", "en-GB")
    )
    values["dated"] = data.get("date") is not None
    values["language_position"] = data.value_pos.get("language", (None, None))
    if "date" not in values:
        values["date"] = _source_date(errors)
    if "articles" in values:
        values["article_positions"] = tuple(data["articles"].item_pos)
    config = Config(**values)
    if errors.diagnostics:
        # Content is still checked with what could be read, so one run reports everything.
        raise ConfigError(errors.diagnostics, config if language_ok else dataclasses.replace(config, language="en-GB"))
    return config


def _check_logo_has_a_name(data: LocatedDict, values: dict[str, Any], shown: str, errors: Collector) -> None:
    """The logo stands for the publisher's name (it is the logo's text alternative): it needs one."""
    cover = values.get("cover")
    if cover is None or cover.logo is None or values.get("publisher"):
        return
    line, col = data["cover"].value_pos.get("logo", data["cover"].pos)
    errors.error(
        shown,
        line,
        col,
        "cover.logo needs 'publisher': the logo is printed in place of the name, which is its text alternative",
    )


def _did_you_mean(word, choices, prefix=""):
    import difflib

    word = str(word)
    if len(word) > _SUGGESTED_UP_TO:
        return ""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def _project_image(
    name: str, value: Any, project: Project | None, fail: Callable[[str], None], example: str = "logo.png"
) -> str | None:
    """epub.cover, cover.image, cover.logo: a raster image inside the project, within the size
    limits, checked as the writers will use it."""
    if not isinstance(value, str) or not value.strip():
        fail(f"{name} must be the path of an image in the project, such as 'content/images/{example}'")
        return None
    if project is None:
        return value
    from .images import MAX_IMAGE_PIXELS

    path = project.resolve_inside(project.root, value)
    if path is None or not path.is_file():
        problem = "is not a file inside the project"
    elif path.suffix.lower() not in COVER_SUFFIXES:
        problem = "must be a PNG, JPEG, GIF or WebP image"
    elif path.stat().st_size > MAX_COVER_IMAGE_BYTES:
        problem = f"is larger than {MAX_COVER_IMAGE_BYTES:,} bytes"
    elif (pixels := _cover_pixels(path)) is None:
        problem = f"cannot be read as a {path.suffix.lower().lstrip('.').upper()} image"
    elif pixels > MAX_IMAGE_PIXELS:
        problem = f"has {pixels:,} pixels; the limit is {MAX_IMAGE_PIXELS:,}"
    else:
        return value.strip()
    fail(f"{name} {shorten(value)} {problem}")
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


@contextmanager
def source_date_epoch(config: Config) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH to the publication date while rendering.

    Libraries below us stamp the clock unless it is set (fontTools writes it into every font
    subset of the PDF); the publication date is what the outputs must carry. Worker processes
    inherit it.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.combine(config.date, dt.time(), dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


#: the longest slug: file names stay within the 255 bytes file systems allow, with a suffix
MAX_SLUG = 200


def _slugify(text: str) -> str:
    """The file stem made of a title: its words in lowercase ASCII, cut at a word to MAX_SLUG."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug.rfind("-", 0, MAX_SLUG + 1)
        slug = slug[: cut if cut > 0 else MAX_SLUG].strip("-")
    return slug or "report"


def _derived_identifier(slug: str, language: str) -> str:
    """A stable urn:uuid derived from the slug and the language, so identifiers never change
    between builds and two editions of one publication (en-GB, uk) never share one."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'report-builder:{slug}:{language.lower()}')}"
