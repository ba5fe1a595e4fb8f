"""Fonts a project adds (`fonts:` in report.yaml), and the fonts the EPUB and the HTML edition embed.

report.yaml lists font files inside the project, each with the family, style and weight the
stylesheets will ask for. The PDF loads them through @font-face (WeasyPrint embeds the glyphs it
draws); the EPUB carries each one subset to the characters of the book, in its manifest, and the
HTML edition carries it subset as WOFF2 in a data: address. The packaged font of the
publication's script (fonts.SCRIPT_FONTS, IBM Plex Sans Arabic for Arabic) is embedded the same
way, so a reading system needs no font of its own to draw the text.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector, shorten

#: the largest font file a project may add
MAX_FONT_BYTES = 16 * 1024 * 1024
#: fonts a project may add, at most
MAX_FONTS = 32
#: what a project font file may be
FONT_SUFFIXES = (".ttf", ".otf", ".woff2")
FONT_STYLES = ("normal", "italic")
_FONT_KEYS = {"family", "file", "style", "weight"}
#: media types of the embedded fonts (EPUB 3 core media types)
MEDIA_TYPES = {"ttf": "font/ttf", "otf": "font/otf", "woff2": "font/woff2"}
#: characters every subset keeps besides the text: printable ASCII (numbers, labels, punctuation)
_ALWAYS = frozenset(range(0x20, 0x7F))


@dataclass(frozen=True)
class ProjectFont:
    """One entry of `fonts:`: a font file inside the project and the face it declares."""

    family: str
    file: str  # as written, relative to the project folder
    style: str = "normal"
    weight: int = 400


@dataclass(frozen=True)
class Face:
    """A static font face: its family, style, weight and the font file it is cut from (a packaged
    font, a copy made in the fonts cache, or a project's font file)."""

    family: str
    style: str
    weight: int
    path: Path


@dataclass(frozen=True)
class EmbeddedFont:
    """A subset font as the EPUB or the HTML edition carries it."""

    face: Face
    name: str  # file name, e.g. "HouseSans-400-normal.ttf"
    data: bytes
    media_type: str


def parse_fonts(data, shown: str, project, errors: Collector) -> tuple[ProjectFont, ...]:
    """`fonts:` of report.yaml, each entry checked: a located error for each problem."""
    from .inputs import LocatedDict

    entries = data.get("fonts")
    if entries is None:
        return ()
    line, col = data.value_pos.get("fonts", data.pos)
    if not isinstance(entries, list):
        errors.error(shown, line, col, "fonts must be a list of {family, file, style, weight} entries")
        return ()
    if len(entries) > MAX_FONTS:
        errors.error(shown, line, col, f"fonts lists {len(entries)} fonts; the limit is {MAX_FONTS}")
        return ()
    fonts = []
    positions = getattr(entries, "item_pos", [])
    for index, entry in enumerate(entries):
        at_line, at_col = positions[index] if index < len(positions) else (line, col)
        if not isinstance(entry, LocatedDict):
            message = "each font must be a mapping such as {family: House Sans, file: fonts/House.ttf}"
            errors.error(shown, at_line, at_col, message)
            continue
        font = _font_entry(entry, shown, project, errors)
        if font is not None:
            fonts.append(font)
    return tuple(fonts)


def _font_entry(entry, shown, project, errors) -> ProjectFont | None:
    def fail(key, message):
        errors.error(shown, *entry.value_pos.get(key, entry.pos), message)

    before = len(errors.diagnostics)
    for key in entry:
        if key not in _FONT_KEYS:
            errors.error(shown, *entry.key_pos.get(key, entry.pos), f"unknown key {shorten(f'fonts.{key}')}")
    family, file = entry.get("family"), entry.get("file")
    if not isinstance(family, str) or not family.strip() or any(c in family for c in "\"'\\;{}<>\n"):
        fail("family", "fonts: family must be a font family name such as 'House Sans' (no quotes or braces)")
    style = entry.get("style", "normal")
    if style not in FONT_STYLES:
        fail("style", f"fonts: style must be normal or italic, not {shorten(style)}")
    weight = entry.get("weight", 400)
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 1000:
        fail("weight", f"fonts: weight must be a number from 1 to 1000 such as 400, not {shorten(weight)}")
    if not isinstance(file, str) or not file.strip():
        fail("file", "fonts: file must be the path of a font file in the project, such as 'fonts/House.ttf'")
    elif project is not None:
        problem = _file_problem(project, file)
        if problem:
            fail("file", f"font {shorten(file)} {problem}")
    if len(errors.diagnostics) > before:
        return None
    return ProjectFont(family.strip(), file, style, weight)


def _file_problem(project, file: str) -> str:
    """Why a font file cannot be used, or ""."""
    path = project.resolve_inside(project.root, file)
    if path is None or not path.is_file():
        return "is not a file inside the project"
    if path.suffix.lower() not in FONT_SUFFIXES:
        return "must be a TrueType (.ttf), OpenType (.otf) or WOFF2 (.woff2) font"
    size = path.stat().st_size
    if size > MAX_FONT_BYTES:
        return f"has {size:,} bytes; the limit is {MAX_FONT_BYTES:,}"
    return "" if _readable_font(path) else "cannot be read as a font (fontTools)"


def _readable_font(path: Path) -> bool:
    from fontTools.ttLib import TTFont, TTLibError

    from .inputs import open_regular

    try:
        with open_regular(path) as handle:
            data = handle.read(MAX_FONT_BYTES + 1)
        with TTFont(io.BytesIO(data), lazy=False) as font:
            return bool(font.getBestCmap()) and ("glyf" in font or "CFF " in font or "CFF2" in font)
    except (TTLibError, OSError, KeyError, AssertionError, struct.error, ValueError, TypeError, IndexError):
        return False


def font_path(project, font: ProjectFont) -> Path:
    """The checked file of a project font (parse_fonts refused every other)."""
    path = project.resolve_inside(project.root, font.file)
    assert path is not None
    return path


def project_faces(project, fonts) -> list[Face]:
    return [Face(font.family, font.style, font.weight, font_path(project, font)) for font in fonts]


def print_font_css(faces: Sequence[Face]) -> str:
    """@font-face rules for the print document: WeasyPrint reads the files and embeds what it draws."""
    return "\n".join(
        f"@font-face {{ font-family: '{face.family}'; src: url('{face.path.as_uri()}'); "
        f"font-style: {face.style}; font-weight: {face.weight}; }}"
        for face in faces
    )


def embedded_faces(publication, project) -> list[Face]:
    """The faces the EPUB and the HTML edition embed: the packaged font of the publication's
    script (regular and bold), then the project's."""
    from .fonts import script_faces

    config = publication.config
    return script_faces(config.language, fonts_directory(project)) + project_faces(project, config.fonts)


def subset_fonts(faces: list[Face], text: str, flavor: str) -> list[EmbeddedFont]:
    """Each face cut down to the characters of `text` (and printable ASCII), with its layout
    features, as TrueType/OpenType (`flavor` "sfnt") or WOFF2 ("woff2")."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .readlog import read_bytes

    codes = _ALWAYS | {ord(char) for char in text}
    fonts = []
    for face in faces:
        with TTFont(io.BytesIO(read_bytes(face.path)), recalcTimestamp=False) as font:
            options = subset.Options()
            options.layout_features = ["*"]
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.recalc_timestamp = False
            options.drop_tables = [*options.drop_tables, "meta"]  # the subsetter knows no 'meta'
            options.flavor = None if flavor == "sfnt" else flavor
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=codes & set(font.getBestCmap() or ()))
            subsetter.subset(font)
            out = io.BytesIO()
            font.flavor = options.flavor
            font.save(out, reorderTables=False)
            kind = "woff2" if flavor == "woff2" else ("otf" if "CFF " in font or "CFF2" in font else "ttf")
        stem = "".join(c if c.isalnum() else "-" for c in face.family)
        fonts.append(EmbeddedFont(face, f"{stem}-{face.weight}-{face.style}.{kind}", out.getvalue(), MEDIA_TYPES[kind]))
    return fonts


def font_face_rules(fonts: list[EmbeddedFont], href=None) -> str:
    """@font-face rules for embedded fonts: at `href(font)`, or in data: addresses."""
    rules = []
    for font in fonts:
        if href is not None:
            src = f"url('{href(font)}')"
        else:
            src = f"url('data:{font.media_type};base64,{base64.b64encode(font.data).decode('ascii')}')"
        rules.append(
            f"@font-face {{ font-family: '{font.face.family}'; src: {src}; "
            f"font-style: {font.face.style}; font-weight: {font.face.weight}; }}"
        )
    return "\n".join(rules) + "\n"


def fonts_directory(project) -> Path:
    """The fonts cache (see fonts.py), where the fonts of a script are made once per machine."""
    from .fonts import fonts_cache
    from .output import STATE_DIR, output_dir

    return fonts_cache(fallback=output_dir(project.root, None) / STATE_DIR / "fonts")


def embed_in_html(html: str, publication, project) -> str:
    """The web edition with its fonts (script and project fonts) as WOFF2 subsets in a <style>
    at the end of its head; unchanged when it has none."""
    import re

    faces = embedded_faces(publication, project)
    end = html.find("</head>")
    if not faces or end < 0:
        return html
    text = re.sub(r"<[^>]*>", "", html)
    css = font_face_rules(subset_fonts(faces, text, "woff2"))
    return f'{html[:end]}<style data-source="fonts">\n{css}</style>\n{html[end:]}'
