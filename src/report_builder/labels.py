"""Generated labels in the publication's language: gettext catalogues read through Babel.

Every string the builder writes ("Contents", "Page 3 of 8", the cover's alt text) is an English
source string, written `{{ _("Contents") }}` in templates and `N_("Contents")` in a module's
`LABELS` dict. `make messages` extracts them (babel.cfg) into locale/messages.pot and merges
them into each locale/<lang>/LC_MESSAGES/messages.po; at run time the catalogue of the
publication's language is compiled in memory (read_po → write_mo, cached) and report.yaml's
`labels:` replace single entries. A language without a catalogue falls back to English.
Babel's catalogue modules are imported when a catalogue is first compiled: a build with nothing
to do compiles none.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: the catalogue used when the publication's language has none
FALLBACK = "en"
#: punctuation that already ends a sentence: a localised date ("5 листопада 2025 р.") takes no other
SENTENCE_ENDS = (".", "!", "?", "…", "؟", "。")
#: characters a label override may have
MAX_LABEL_CHARS = 500
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention pybabel extracts
    """Mark an English source string for the catalogues; it is translated where it is used."""
    return message


#: a BCP 47 tag as report.yaml, front matter and `{lang=…}` may write it: en-GB, uk, sr-Latn-RS
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def language_problem(tag) -> str | None:
    """What is wrong with a language tag (the syntax, then whether CLDR knows it), or None."""
    from .errors import shorten

    if not isinstance(tag, str) or not LANGUAGE_TAG.fullmatch(tag):
        return f"language {shorten(tag)} is not a BCP 47 tag such as 'en-GB'"
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return f"unknown language {shorten(tag)}"
    return None


def catalogue_languages() -> tuple[str, ...]:
    """The languages that have a catalogue, as their folder names (en, de, pt_BR …)."""
    return _catalogue_languages()


@functools.cache
def _catalogue_languages() -> tuple[str, ...]:
    return tuple(sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def catalogue_for(language: str) -> str | None:
    """The catalogue serving a BCP 47 tag: pt-BR → pt_BR when there is one, else pt; None when none."""
    try:
        locale = Locale.parse(language, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    available = catalogue_languages()
    for code in (str(locale), f"{locale.language}_{locale.territory}", locale.language):
        if code in available:
            return code
    return None


@functools.cache
def _compiled(code: str) -> bytes:
    """The catalogue of `code` compiled to .mo bytes (a few milliseconds, once per process)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@functools.lru_cache(maxsize=16)
def translations(language: str, overrides: tuple[tuple[str, str], ...] = (), markup: bool = False) -> Translations:
    """The labels of a publication: its language's catalogue (else English), then its overrides.

    With `markup`, for templates: Jinja takes a translation as markup, so the overrides (report.yaml
    may be untrusted) are HTML-escaped; the catalogues are ours and hold no markup characters."""
    from babel.support import Translations

    found = Translations(io.BytesIO(_compiled(catalogue_for(language) or FALLBACK)), domain=DOMAIN)
    for source, text in overrides:
        # gettext's own table, keyed by the English source string
        found._catalog[source] = str(escape(text)) if markup else text
    return found


def for_config(config, markup: bool = False) -> Translations:
    return translations(config.language, tuple(config.labels), markup)


def text(config, message: str, **values) -> str:
    """`message` (an English source string from a LABELS dict) in the publication's language."""
    return for_config(config).gettext(message) % values


#: the cover's page label: the cover is page 1, counted but not numbered (README: "Page numbers")
COVER_LABEL = N_("Cover")


def page_label(config, number: int) -> str:
    """The label of printed page `number` (the cover is 1) in the PDF's /PageLabels and the EPUB's
    page-list: "Cover" in the publication's language, then the arabic figures the folio prints
    (a blank page of a two-sided book is counted: it carries the number it does not print)."""
    return text(config, COVER_LABEL) if number == 1 else str(number)


def plural(config, singular: str, plural_: str, number: int, **values) -> str:
    """The form of a counted label for `number` in the publication's language (CLDR plural rules)."""
    translated = for_config(config).ngettext(singular, plural_, number)
    return translated % {"number": number, **values}


def full_stop(value: str) -> str:
    """`value` ended as a sentence: a full stop unless it already ends with one (see SENTENCE_ENDS)."""
    stripped = value.rstrip()
    if not stripped or stripped.endswith(SENTENCE_ENDS):
        return value
    ended = stripped + "."
    return Markup(ended) if isinstance(value, Markup) else ended


def css_counters(pattern: str) -> Markup:
    """A label with `%(page)s` and `%(pages)s` ("Seite %(page)s von %(pages)s") as a CSS `content`
    value: its text as CSS strings, the placeholders as the page counters."""
    from .templating import css_string

    if isinstance(pattern, Markup):  # `_()` in a template: back to text, css_string escapes it for CSS
        pattern = pattern.unescape()
    parts = []
    for index, piece in enumerate(_PLACEHOLDER.split(pattern)):
        if index % 2:
            parts.append(f"counter({piece})" if piece in ("page", "pages") else "")
        elif piece:
            parts.append(str(css_string(piece)))
    return Markup(" ".join(p for p in parts if p) or "none")


def install(env, config) -> None:
    """Give a Jinja environment the publication's labels: `_()` in its templates."""
    labels = for_config(config, markup=True)
    if env.globals.get("_labels_of") is labels:
        return
    env.install_gettext_translations(labels, newstyle=True)
    env.globals["_labels_of"] = labels


# -- report.yaml: labels ----------------------------------------------------------------------


@functools.cache
def source_strings() -> dict[str, tuple[str, ...]]:
    """Every English source string of the catalogues → the placeholders it has."""
    from babel.messages.pofile import read_po

    with open(LOCALE_DIR / FALLBACK / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
        catalog = read_po(handle, locale=FALLBACK, domain=DOMAIN)
    found: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if message.id and isinstance(message.id, str):  # counted labels (plural forms) are not overridden
            found[message.id] = tuple(sorted(set(_PLACEHOLDER.findall(message.id))))
    return found


def check_override(source, value) -> str | None:
    """What is wrong with `labels: {source: value}` in report.yaml, or None."""
    from .errors import shorten

    known = source_strings()
    if source not in known:
        import difflib

        close = difflib.get_close_matches(str(source), sorted(known), n=1) if len(str(source)) <= 64 else []
        hint = f"; did you mean {close[0]!r}?" if close else "; the keys are the English labels, such as 'Contents'"
        return f"unknown label {shorten(source)}{hint}"
    if not isinstance(value, str) or not value.strip():
        return f"label {shorten(source)} must be text"
    if len(value) > MAX_LABEL_CHARS:
        return f"label {shorten(source)} has {len(value):,} characters; the limit is {MAX_LABEL_CHARS}"
    wanted = known[source]
    given = tuple(sorted(set(_PLACEHOLDER.findall(value))))
    stray = re.sub(r"%%|%\(\w+\)s", "", value)
    if given != wanted or "%" in stray:
        need = ", ".join(f"%({name})s" for name in wanted) or "no placeholders (write %% for a percent sign)"
        return f"label {shorten(source)} must contain {need}, as the English label does"
    return None


def label_warnings(config) -> list:
    """A warning at `language` in report.yaml when the language has no catalogue, naming the fallback."""
    from .errors import Diagnostic

    if catalogue_for(config.language):
        return []
    line, col = config.language_position
    message = (
        f"no catalogue of labels for language '{config.language}': the generated labels (Contents, Notes, "
        f"Page X of Y …) are in English; the languages with one are {', '.join(catalogue_languages())}"
    )
    return [Diagnostic("report.yaml", line, col, message, severity="warning")]
