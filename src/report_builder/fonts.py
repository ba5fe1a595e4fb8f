"""The print fonts: static instances of the variable Noto fonts, made once per machine.

The Noto packages ship variable fonts (one file per family and style, every weight in it).
WeasyPrint turns each variable face it uses into a static one while writing a PDF, with
fontTools, at about 0.3 s a face, and a parallel build pays that in every chunk. HarfBuzz
makes the same static instances in milliseconds, so the print edition declares those
instead: one file per family, style and weight, named by the bytes they were made from.

They depend on the installed fonts alone, never on a project, so they are kept in the
user's cache folder (`$XDG_CACHE_HOME/report-builder/fonts`, `REPORT_BUILDER_CACHE` to
choose another) and shared by every project and output folder, like fontconfig's cache:
a first build elsewhere, or one after `clean`, does not make them again.

Nothing else is drawn with: while building, fontconfig reads a fonts.conf of ours
(`declared_fonts_only`) that lists no font folder, so the only fonts it knows are the ones
WeasyPrint adds from the document's @font-face rules (these instances, and fonts a project
declares in its stylesheets); generic families map to Noto. A character none of them has is
drawn as a missing glyph and reported with its place (`uncovered_in`), from the fonts' cmaps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from pathlib import Path

from .errors import Diagnostic
from .project_fonts import Face

#: the variable fonts every print document uses: (family, package, file, style)
FONT_FILES = (
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif[wdth,wght].ttf", "normal"),
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif-Italic[wdth,wght].ttf", "italic"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf", "normal"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf", "italic"),
    ("JetBrains Mono", "fontpkg_jetbrains_mono", "JetBrainsMono[wght].ttf", "normal"),  # code
    ("JetBrains Mono", "fontpkg_jetbrains_mono", "JetBrainsMono-Italic[wght].ttf", "italic"),
)
#: the family of code (`code`, `pre`, `kbd`, `samp`): the web edition embeds it only where there is code
CODE_FAMILY = "JetBrains Mono"
#: fonts for scripts Noto Serif and Noto Sans lack, declared for a publication whose language is
#: written in that script, by primary language subtag: (family, package, ((file, weight), …)).
#: Arabic is IBM Plex Sans Arabic: its letters are whole glyphs, so the PDF's text extracts as
#: written (Noto Sans Arabic draws dotted letters as a shared dotless base plus dots, and a
#: PDF's glyph-to-text map then gives one letter for all of them).
_ARABIC = (
    "IBM Plex Sans Arabic",
    "fontpkg_ibm_plex_sans_arabic",
    (("IBMPlexSansArabic-Regular.ttf", 400), ("IBMPlexSansArabic-Bold.ttf", 700)),
)
SCRIPT_FONTS = {language: (_ARABIC,) for language in ("ar", "fa", "ur", "ps", "sd", "ug", "ckb")}
#: weights always available (regular and bold); the stylesheets may ask for more
BASE_WEIGHTS = frozenset({400, 700})
#: full width: the stylesheets never condense type
WIDTH = 100

_WEIGHT = re.compile(r"font(?:-weight)?\s*:[^;{}]*?\b([1-9]00|bold|bolder)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PrintFonts:
    """The @font-face rules a print document carries, and the folder their files are in."""

    css: str
    directory: Path | None = None
    faces: tuple[Face, ...] = ()


def script_faces(language: str, directory: Path | None = None) -> list[Face]:
    """The static faces of `language`'s script, when Noto Serif and Noto Sans lack it: the
    packaged files, or with `directory` (the fonts cache) copies made there that keep only the
    lam-alef ligatures (`_required_ligatures_only`)."""
    from .output import atomic_write

    faces = []
    for family, package, files in SCRIPT_FONTS.get(language.split("-")[0].lower(), ()):
        for name, weight in files:
            path = import_module(package).ROOT / "files" / name
            if directory is not None:
                made = directory / f"{path.stem}-lam-alef-{_digest(path)}.ttf"
                if not made.is_file():
                    atomic_write(made, _required_ligatures_only(path.read_bytes()))
                path = made
            faces.append(Face(family, "normal", weight, path))
    return faces


#: the Arabic ligatures the script requires: lam with alef, alef with madda or hamza (U+FEF5–FEFC)
_LAM_ALEF = frozenset(f"uniFE{code:X}" for code in range(0xF5, 0xFD))


def _optional_arabic(glyph: str) -> bool:
    """An Arabic ligature (a presentation form, U+FB50–FDFF or U+FE70–FEFF) other than lam-alef."""
    match = re.fullmatch(r"uni(F[BCDE][0-9A-F]{2})(?:\..*)?", glyph)
    if not match or glyph.split(".")[0] in _LAM_ALEF:
        return False
    code = int(match.group(1), 16)
    return 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def _required_ligatures_only(data: bytes) -> bytes:
    """The font without its optional Arabic ligatures (IBM Plex Sans Arabic has dozens, under
    'rlig'): PDF readers give a ligature's letters in the wrong order in right-to-left text, so
    only lam-alef, which the script requires, is kept."""
    import io

    from fontTools.ttLib import TTFont

    with TTFont(io.BytesIO(data), recalcTimestamp=False) as font:
        if "GSUB" in font:
            for lookup in font["GSUB"].table.LookupList.Lookup:
                for table in lookup.SubTable:
                    ligatures = getattr(getattr(table, "ExtSubTable", table), "ligatures", None) or {}
                    for first, entries in ligatures.items():
                        ligatures[first] = [lig for lig in entries if not _optional_arabic(lig.LigGlyph)]
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def font_paths() -> list[Path]:
    """The variable font files, from their packages."""
    return [import_module(package).ROOT / "files" / name for _f, package, name, _s in FONT_FILES]


def depend_on_fonts(language: str) -> None:
    """Note that the outputs being made use the packaged fonts, read once per machine (the static
    instances and the HTML edition's subsets are made from them), and the font of `language`'s
    script (see readlog.depend)."""
    from . import readlog

    for path in (*font_paths(), *(face.path for face in script_faces(language))):
        readlog.depend(path)


def fonts_roots() -> list[Path]:
    """Folders the fonts are read from (the sandbox allows them)."""
    packages = {package for _f, package, _n, _s in FONT_FILES}
    packages.update(package for fonts in SCRIPT_FONTS.values() for _family, package, _files in fonts)
    return sorted({Path(import_module(package).ROOT) for package in packages})


def weights_in(stylesheets: list[str]) -> set[int]:
    """The font weights the stylesheets ask for (`font-weight` and the `font` shorthand).

    `bolder` asks for 900 where it applies to bold text; a weight no instance exists for is
    drawn with the nearest one, as CSS font matching does.
    """
    weights = set(BASE_WEIGHTS)
    for text in stylesheets:
        for match in _WEIGHT.finditer(text):
            value = match.group(1).lower()
            weights.add({"bold": 700, "bolder": 900}.get(value) or int(value))
    return weights


def fonts_cache(fallback: Path) -> Path:
    """The shared folder for the static instances; `fallback` (the build's own state folder)
    when the user's cache folder cannot be written."""
    chosen = os.environ.get("REPORT_BUILDER_CACHE")
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        if chosen:
            base = Path(chosen)
        else:
            base = (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "report-builder"
        directory = base / "fonts"
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home folder, a read-only one, a file in the way
        return fallback
    return directory if os.access(directory, os.W_OK | os.X_OK) else fallback


def static_faces(directory: Path, weights: set[int], only: tuple[str, str] | None = None) -> list[Face]:
    """Static instances of every family and style (or `only` that (family, style)) at `weights`,
    made in `directory` if missing."""
    from .output import atomic_write

    faces = []
    for (family, _package, _name, style), source in zip(FONT_FILES, font_paths()):
        if only is not None and (family, style) != only:
            continue
        data = None
        digest = _digest(source)
        for weight in sorted(weights):
            path = directory / f"{source.name.split('[')[0]}-{weight}-{digest}.ttf"
            if not path.is_file():
                data = data if data is not None else source.read_bytes()
                atomic_write(path, _instance(data, weight))
            faces.append(Face(family, style, weight, path))
    return faces


def font_face_css(faces: list[Face] | None = None) -> str:
    """@font-face rules for the static faces, or for the variable fonts when there are none."""
    if faces:
        return "\n".join(
            f"@font-face {{ font-family: '{face.family}'; src: url('{face.path.as_uri()}'); "
            f"font-style: {face.style}; font-weight: {face.weight}; }}"
            for face in faces
        )
    return "\n".join(
        f"@font-face {{ font-family: '{family}'; src: url('{path.as_uri()}'); font-style: {style}; }}"
        for (family, _package, _name, style), path in zip(FONT_FILES, font_paths())
    )


def _instance(data: bytes, weight: int) -> bytes:
    """The variable font pinned at `weight` and full width: every glyph and table kept."""
    import uharfbuzz

    face = uharfbuzz.Face(data)
    axes = {axis.tag: axis for axis in face.axis_infos}
    plan = uharfbuzz.SubsetInput()
    plan.keep_everything()
    if "wght" in axes:
        plan.pin_axis_location(face, "wght", min(max(weight, axes["wght"].min_value), axes["wght"].max_value))
    if "wdth" in axes:
        plan.pin_axis_location(face, "wdth", WIDTH)
    return uharfbuzz.subset(face, plan).blob.data


def font_digest(family: str, style: str) -> str:
    """The digest that names the static instances of `family` in `style` (see _digest)."""
    return "".join(
        _digest(source)
        for (name, _package, _file, kind), source in zip(FONT_FILES, font_paths())
        if (name, kind) == (family, style)
    )


def _digest(source: Path) -> str:
    """Names an instance by the font it came from and the tool that made it."""
    import uharfbuzz

    digest = hashlib.sha256(uharfbuzz.__version__.encode("ascii"))
    digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


# -- Hermetic lookup: fontconfig sees no font but those the documents declare -------------------

#: CSS generic families and the declared family each one stands for in print
GENERIC_FAMILIES = {
    "serif": "Noto Serif",
    "sans-serif": "Noto Sans",
    "monospace": "JetBrains Mono",
    "cursive": "Noto Serif",
    "fantasy": "Noto Serif",
    "system-ui": "Noto Sans",
    "ui-serif": "Noto Serif",
    "ui-sans-serif": "Noto Sans",
    "ui-monospace": "JetBrains Mono",
    "ui-rounded": "Noto Sans",
    "math": "Noto Serif",
    "emoji": "Noto Sans",
    "fangsong": "Noto Serif",
}
#: the family drawn when a stylesheet names one no declared font has
DEFAULT_FAMILY = "Noto Serif"


def fontconfig_file(directory: Path) -> Path:
    """A fonts.conf that lists no font folder at all, so fontconfig knows only the fonts
    WeasyPrint adds from @font-face rules; written once into `directory` (the fonts cache)."""
    from xml.sax.saxutils import escape

    aliases = "\n".join(
        f'  <alias binding="same"><family>{generic}</family><prefer><family>{family}</family></prefer></alias>'
        for generic, family in GENERIC_FAMILIES.items()
    )
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- report-builder: only the fonts a document declares; no system font folder -->\n<fontconfig>\n"
        f"  <cachedir>{escape(str(directory / 'fontconfig'))}</cachedir>\n{aliases}\n"
        '  <match target="pattern"><edit name="family" mode="append_last">'
        f"<string>{DEFAULT_FAMILY}</string></edit></match>\n</fontconfig>\n"
    ).encode()
    path = directory / "fonts.conf"
    try:
        if path.read_bytes() == text:
            return path
    except OSError:
        pass
    from .output import atomic_write

    atomic_write(path, text)
    return path


def allow_empty_fontconfig() -> None:
    """Silence the warning WeasyPrint gives at import when fontconfig lists no font: with
    `fontconfig_file` that is the point (a worker process started by spawn calls this too)."""
    from .writers.pdf.weasy import EMPTY_FONTCONFIG_WARNING

    warnings.filterwarnings("ignore", message=EMPTY_FONTCONFIG_WARNING, category=UserWarning)


@contextmanager
def declared_fonts_only(directory: Path):
    """Point fontconfig at `fontconfig_file` while building; worker processes started inside
    inherit it. Must be entered before WeasyPrint is imported: its import loads a configuration."""
    names = ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")
    previous = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ.pop(name, None)
    os.environ["FONTCONFIG_FILE"] = str(fontconfig_file(directory))
    allow_empty_fontconfig()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- Coverage: characters no declared font has ----------------------------------------------

#: variation selectors: they choose a glyph of the character before them, and draw nothing
_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_YAML_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")


def covered_characters(directory: Path, extra_fonts: tuple[Path, ...] = ()) -> frozenset[int]:
    """Code points some declared font maps to a glyph, from their cmaps; kept in `directory`."""
    sources = (*font_paths(), *extra_fonts)
    return _covered(tuple((str(path), *_identity(path)) for path in sources), directory)


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


@lru_cache(maxsize=8)
def _covered(sources: tuple, directory: Path) -> frozenset[int]:
    from .output import atomic_write

    key = hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()[:16]
    cached = directory / f"coverage-{key}.json"
    try:
        return frozenset(code for start, end in json.loads(cached.read_text("ascii")) for code in range(start, end + 1))
    except (OSError, ValueError, TypeError):
        pass
    codes = set()
    for path, *_ in sources:
        codes.update(_cmap(Path(path)))
    try:
        atomic_write(cached, json.dumps(_ranges(codes)).encode("ascii"))
    except OSError:
        pass  # a cache that cannot be written is made again next time
    return frozenset(codes)


def _cmap(path: Path) -> set[int]:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True) as font:
            return set(font.getBestCmap() or ())
    except (TTLibError, OSError, KeyError, AssertionError, struct.error):
        return set()  # not a font: WeasyPrint reports the @font-face it cannot load


def _ranges(codes: set[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def needs_glyph(char: str) -> bool:
    """Whether `char` is drawn: controls, format characters (soft hyphen, zero-width space,
    joiners, direction marks), line separators and variation selectors are not."""
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        return False
    code = ord(char)
    return not any(start <= code <= end for start, end in _SELECTORS)


#: distinct uncovered characters reported one by one in a file; the rest are counted in one line
MAX_FONT_WARNINGS_PER_FILE = 8


def uncovered_in(text: str, shown: str, covered: frozenset[int], kind: str = "text") -> list[Diagnostic]:
    """A warning for each character of `text` no declared font covers, at its first occurrence.

    `kind` says how the file spells characters besides writing them: "markdown" (HTML
    character references, YAML front matter), "yaml" (escapes in quoted scalars), "text".
    """
    if text.isascii() and "&" not in text and "\\" not in text:
        return []  # every declared font covers printable ASCII
    first: dict[str, int] = {}
    for char in set(text):
        if ord(char) not in covered and needs_glyph(char):
            first[char] = text.find(char)
    escapes = _ENTITY if kind == "markdown" else _YAML_ESCAPE if kind == "yaml" else None
    if escapes is not None:
        for match in escapes.finditer(text):
            escaped = _unescaped(match.group(), kind)
            if (
                escaped
                and ord(escaped) not in covered
                and needs_glyph(escaped)
                and match.start() < first.get(escaped, len(text))
            ):
                first[escaped] = match.start()
    if first and kind in ("yaml", "markdown"):
        first = _outside_yaml_comments(text, first, kind)
    places = sorted((index, char) for char, index in first.items())
    warnings = [
        Diagnostic(shown, *_line_col(text, index), f"no font covers '{char}' (U+{ord(char):04X})", "warning")
        for index, char in places[:MAX_FONT_WARNINGS_PER_FILE]
    ]
    if len(places) > MAX_FONT_WARNINGS_PER_FILE:  # a paragraph in another script: one more line, not one a letter
        index, _char = places[MAX_FONT_WARNINGS_PER_FILE]
        more = len(places) - MAX_FONT_WARNINGS_PER_FILE
        warnings.append(
            Diagnostic(
                shown,
                *_line_col(text, index),
                f"… and {more} more character{'s' if more > 1 else ''} no font covers in this file",
                "warning",
            )
        )
    return warnings


def _unescaped(escape: str, kind: str) -> str | None:
    if kind == "markdown":
        import html

        char = html.unescape(escape)
    else:
        code = int(escape[2:], 16)
        char = chr(code) if code < 0x110000 and not 0xD800 <= code <= 0xDFFF else ""
    return char if len(char) == 1 and char != escape else None


def _outside_yaml_comments(text: str, first: dict[str, int], kind: str) -> dict[str, int]:
    """Move each first occurrence to the first one inside a YAML value (front matter only, for
    Markdown); one found only in comments is no warning."""
    import yaml

    end = len(text)
    offset = 0
    if kind == "markdown":
        match = re.match(r"---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|$)", text, re.DOTALL)
        if not match:
            return first
        offset, end = match.start(1), match.end(1)
    if not any(index < end for index in first.values()):
        return first
    try:
        spans = [
            (token.start_mark.index + offset, token.end_mark.index + offset)
            for token in yaml.scan(text[offset:end], Loader=yaml.SafeLoader)
            if isinstance(token, yaml.ScalarToken)
        ]
    except yaml.YAMLError:
        return first
    kept = {}
    for char, index in first.items():
        if index >= end:
            kept[char] = index
            continue
        found = next(
            (
                position
                for start, stop in spans
                for position in [_find(text, char, start, stop, _YAML_ESCAPE, "yaml")]
                if position >= 0
            ),
            -1,
        )
        if found < 0 and kind == "markdown":
            found = _find(text, char, end, len(text), _ENTITY, "markdown")
        if found >= 0:
            kept[char] = found
    return kept


def _find(text: str, char: str, start: int, stop: int, escapes: re.Pattern, kind: str) -> int:
    """The first place `char` appears in text[start:stop], written or escaped; -1 if nowhere."""
    position = text.find(char, start, stop)
    for found in escapes.finditer(text, start, stop if position < 0 else position):
        if _unescaped(found.group(), kind) == char:
            return found.start()
    return position


def _line_col(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


# -- Font families in project stylesheets -----------------------------------------------------

#: the families the print fonts declare (FONT_FILES, SCRIPT_FONTS), lower-cased
DECLARED_FAMILIES = frozenset(
    name.lower()
    for name in [family for family, _p, _n, _s in FONT_FILES]
    + [family for fonts in SCRIPT_FONTS.values() for family, _p, _f in fonts]
)
#: values of font-family that name no font
_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert", "revert-layer", "default"})
#: system fonts the `font` shorthand may name instead of a size and families
_SIZE_KEYWORDS = frozenset(
    {"xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "larger", "smaller"}
)


@dataclass(frozen=True)
class FontFamily:
    """One family named in a stylesheet, where it is written."""

    name: str
    line: int
    col: int


def declarations(css: str):
    """Every declaration of a stylesheet, in @media, @supports, @page and its margin boxes too,
    with the at-rule it is in (`font-face` for @font-face descriptors)."""
    import tinycss2

    def walk(nodes, context):
        for node in nodes:
            if node.type == "declaration":
                yield context, node
            elif node.type == "qualified-rule" and node.content is not None:
                yield from walk(tinycss2.parse_blocks_contents(node.content, True, True), context)
            elif node.type == "at-rule" and node.content is not None:
                yield from walk(tinycss2.parse_blocks_contents(node.content, True, True), node.lower_at_keyword)

    yield from walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), None)


def families_in(declaration) -> list[FontFamily]:
    """The families a `font-family` or `font` declaration names (none when a var() decides)."""
    tokens = [token for token in declaration.value if token.type != "comment"]
    if any(token.type == "function" for token in tokens):
        return []
    groups: list[list] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    if declaration.lower_name == "font":
        first = groups[0]
        sizes = [
            i
            for i, token in enumerate(first)
            if token.type in ("dimension", "percentage", "number")
            or (token.type == "literal" and token.value == "/")
            or (token.type == "ident" and token.lower_value in _SIZE_KEYWORDS)
        ]
        if not sizes:  # a system font (`font: caption`) or a keyword names no family
            return []
        groups[0] = first[sizes[-1] + 1 :]
    families = []
    for group in groups:
        words = [token for token in group if token.type != "whitespace"]
        if not words:
            continue
        if words[0].type == "string":
            name = words[0].value
        elif all(word.type == "ident" for word in words):
            name = " ".join(word.value for word in words)
        else:
            continue  # not a family: WeasyPrint reports the declaration it ignores
        families.append(FontFamily(name, words[0].source_line, words[0].source_column))
    return families


def font_face_families(css: str) -> set[str]:
    """The families a stylesheet's @font-face rules declare, lower-cased."""
    return {
        family.name.lower()
        for context, declaration in declarations(css)
        if context == "font-face" and declaration.lower_name == "font-family"
        for family in families_in(declaration)
    }


def font_face_files(css: str, root: Path) -> list[Path]:
    """The project font files a stylesheet's @font-face rules load (URLs are relative to the
    project folder: the stylesheets are inlined in the document, whose base is the project)."""
    from urllib.parse import unquote, urlsplit

    files = []
    for context, declaration in declarations(css):
        if context != "font-face" or declaration.lower_name != "src":
            continue
        for token in declaration.value:
            url = token.value if token.type == "url" else None
            if token.type == "function" and token.lower_name == "url":
                url = next((arg.value for arg in token.arguments if arg.type == "string"), None)
            if not url or urlsplit(url).scheme or urlsplit(url).netloc:
                continue
            path = (root / unquote(urlsplit(url).path)).resolve()
            if root in path.parents and path.is_file():
                files.append(path)
    return files


def undeclared_families(css: str, shown: str, declared: set[str]) -> list[Diagnostic]:
    """A warning for each family a rule names that is neither declared nor generic."""
    known = DECLARED_FAMILIES | declared | GENERIC_FAMILIES.keys() | _KEYWORDS
    return [
        Diagnostic(
            shown,
            family.line,
            family.col,
            f"font-family '{family.name}' is not a declared font (the print edition uses only "
            "Noto Serif, Noto Sans and fonts the project declares with @font-face)",
            "warning",
        )
        for context, declaration in declarations(css)
        if context != "font-face" and declaration.lower_name in ("font-family", "font")
        for family in families_in(declaration)
        if family.name.lower() not in known
    ]


# -- the fonts of one build -------------------------------------------------------------------------


def print_fonts(project, own_styles: list[Path], directory: Path, config=None) -> PrintFonts:
    """Static instances of the print fonts at the weights the stylesheets use, then the font of
    the publication's script and the fonts the project adds (`fonts:`)."""
    from . import readlog
    from .render import style_files

    builtin = [
        path
        for path in style_files(project, "pdf")
        if path not in own_styles and project.root not in path.absolute().parents
    ]
    texts = [readlog.read_bytes(path).decode("utf-8", errors="replace") for path in (*builtin, *own_styles)]
    faces = static_faces(directory, weights_in(texts))
    css = font_face_css(faces)
    if config is not None:
        from .project_fonts import print_font_css, project_faces

        for added in (script_faces(config.language, directory), project_faces(project, config.fonts)):
            css += "\n" + print_font_css(added) if added else ""
    return PrintFonts(css, directory, tuple(faces))


def printed_sources(publication, project) -> list[str]:
    """The project files whose text is printed: report.yaml, the articles, their images, the fact
    tables used (and their sidecars) and the project's print templates; the ones checked for glyphs."""
    names = {"report.yaml"}
    for article in publication.articles:
        names.add(article.path)
        names.update(image.src for image in article.images)
    used = {u.table for u in publication.facts_used}
    used.update(name for article in publication.articles for name in (*article.tables, *article.charts))
    for table in (publication.tables[name] for name in sorted(used)):
        names.add(table.path)
        sidecar = (project.root / table.path).with_suffix(".yaml")
        if table.path.endswith((".csv", ".tsv", ".xlsx")) and sidecar.is_file():
            names.add(project.display(sidecar))
    templates = project.templates_dir
    if templates.is_dir():
        for path in sorted(templates.rglob("*")):
            resolved = path.resolve()
            top_level_other = path.parent == templates and path.name.startswith(("web.html", "epub_"))
            if path.is_file() and not top_level_other and project.root in resolved.parents:
                names.add(path.relative_to(project.root).as_posix())
    return sorted(names)


def font_warnings(publication, project, printed: list[str], directory: Path) -> list[Diagnostic]:
    """A warning for each character of the printed sources (project files) no declared font covers."""
    from .facts import export_text
    from .inputs import read_text
    from .render import style_files

    extra = []
    for path in style_files(project, "pdf"):
        if project.root in path.resolve().parents:
            text = read_text(path, project.display(path), inside=project.root)
            extra.extend(font_face_files(text, project.root))
    from .project_fonts import project_faces

    config = publication.config
    extra.extend(face.path for face in script_faces(config.language))
    extra.extend(face.path for face in project_faces(project, config.fonts))
    covered = covered_characters(directory, tuple(extra))
    found = []
    for shown in sorted(printed):
        kind = _TEXT_KINDS.get(Path(shown).suffix.lower())
        if kind is not None:
            text = (
                export_text(project, project.root / shown)
                if shown.endswith((".csv", ".tsv"))
                else read_text(project.root / shown, shown, inside=project.root)
            )
            found.extend(uncovered_in(text, shown, covered, kind))
            if shown == "report.yaml":
                found.extend(_generated_text_warnings(publication, text, covered))
    return found


def _generated_text_warnings(publication, report_yaml: str, covered) -> list[Diagnostic]:
    """Dates are written in the publication's language (month names): reported at `language:`."""
    from dataclasses import replace

    dates = "\n".join(sorted({publication.date_text, *(article.date_text for article in publication.articles)}))
    where = re.search(r"^language[ \t]*:[ \t]*", report_yaml, re.MULTILINE)
    line, col = (
        (report_yaml.count("\n", 0, where.end()) + 1, where.end() - where.start() + 1) if where else (None, None)
    )
    language = publication.config.language
    return [
        replace(d, line=line, col=col, message=f"{d.message}, in dates written in {language!r}")
        for d in uncovered_in(dates, "report.yaml", covered)
    ]


#: how the printed sources spell characters (see uncovered_in); other inputs are not text
_TEXT_KINDS = {
    ".md": "markdown",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "text",
    ".tsv": "text",
    ".html": "text",
    ".xhtml": "text",
    ".xml": "text",
    ".j2": "text",
    ".jinja": "text",
    ".txt": "text",
    ".svg": "text",
}
