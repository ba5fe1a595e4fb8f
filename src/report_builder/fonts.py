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
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

#: the variable fonts every print document uses: (family, package, file, style)
FONT_FILES = (
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif[wdth,wght].ttf", "normal"),
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif-Italic[wdth,wght].ttf", "italic"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf", "normal"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf", "italic"),
)
#: weights always available (regular and bold); the stylesheets may ask for more
BASE_WEIGHTS = frozenset({400, 700})
#: full width: the stylesheets never condense type
WIDTH = 100

_WEIGHT = re.compile(r"font(?:-weight)?\s*:[^;{}]*?\b([1-9]00|bold|bolder)\b", re.IGNORECASE)


@dataclass(frozen=True)
class StaticFace:
    family: str
    style: str
    weight: int
    path: Path


@dataclass(frozen=True)
class PrintFonts:
    """The @font-face rules a print document carries, and the folder their files are in."""

    css: str
    directory: Path | None = None
    faces: tuple[StaticFace, ...] = ()


def font_paths() -> list[Path]:
    """The variable font files, from their packages."""
    return [import_module(package).ROOT / "files" / name for _f, package, name, _s in FONT_FILES]


def fonts_roots() -> list[Path]:
    """Folders the fonts are read from (the sandbox allows them)."""
    return sorted({Path(import_module(package).ROOT) for _f, package, _n, _s in FONT_FILES})


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


def static_faces(directory: Path, weights: set[int]) -> list[StaticFace]:
    """Static instances of every family and style at `weights`, made in `directory` if missing."""
    from .output import atomic_write

    faces = []
    for (family, _package, _name, style), source in zip(FONT_FILES, font_paths()):
        data = None
        digest = _digest(source)
        for weight in sorted(weights):
            path = directory / f"{source.name.split('[')[0]}-{weight}-{digest}.ttf"
            if not path.is_file():
                data = data if data is not None else source.read_bytes()
                atomic_write(path, _instance(data, weight))
            faces.append(StaticFace(family, style, weight, path))
    return faces


def font_face_css(faces: list[StaticFace] | None = None) -> str:
    """@font-face rules for the static faces, or for the variable fonts when there are none."""
    if faces:
        return "\n".join(
            f"@font-face {{ font-family: '{face.family}'; src: url('{face.path.as_uri()}'); "
            f"font-style: {face.style}; font-weight: {face.weight}; }}" for face in faces)
    return "\n".join(
        f"@font-face {{ font-family: '{family}'; src: url('{path.as_uri()}'); font-style: {style}; }}"
        for (family, _package, _name, style), path in zip(FONT_FILES, font_paths()))


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


def _digest(source: Path) -> str:
    """Names an instance by the font it came from and the tool that made it."""
    import uharfbuzz

    digest = hashlib.sha256(uharfbuzz.__version__.encode("ascii"))
    digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
