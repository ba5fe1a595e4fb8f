"""Static instances of the variable print fonts (fonts.py) and their use in the print edition."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from report_builder.fonts import BASE_WEIGHTS, FONT_FILES, font_face_css, font_paths, static_faces, weights_in


def test_weights_come_from_weight_declarations_and_the_font_shorthand():
    css = [
        "h1 { font-weight: 600 } .x { font: italic 300 12pt/1.2 serif } b { font-weight: bold }",
        "strong strong { font-weight: bolder } p { font-size: 900px }",
    ]
    assert weights_in(css) == {300, 400, 600, 700, 900}  # 900px is a size, not a weight
    assert weights_in([]) == set(BASE_WEIGHTS)


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fonts")
    return static_faces(directory, {400, 700, 950})


def test_every_family_and_style_gets_one_static_file_per_weight(faces):
    assert len(faces) == len(FONT_FILES) * 3
    assert {(face.family, face.style) for face in faces} == {(f, s) for f, _p, _n, s in FONT_FILES}
    sources = {(family, style): TTFont(path) for (family, _p, _n, style), path in zip(FONT_FILES, font_paths())}
    for face in faces:
        font, source = TTFont(face.path), sources[face.family, face.style]
        assert "fvar" not in font and "gvar" not in font, face.path.name
        axis = next(axis for axis in source["fvar"].axes if axis.axisTag == "wght")
        expected = min(face.weight, int(axis.maxValue))  # pinned inside the font's own range
        assert font["OS/2"].usWeightClass == expected, face.path.name
        assert font["maxp"].numGlyphs == source["maxp"].numGlyphs  # every glyph kept, not a subset


def test_instances_are_made_once_and_reused(faces):
    before = {face.path: face.path.stat().st_mtime_ns for face in faces}
    again = static_faces(faces[0].path.parent, {400, 700, 950})
    assert [face.path for face in again] == [face.path for face in faces]
    assert {face.path: face.path.stat().st_mtime_ns for face in again} == before


def test_font_face_rules_name_each_weight(faces):
    css = font_face_css(faces)
    assert css.count("@font-face") == len(faces)
    assert "font-weight: 700" in css and "font-style: italic" in css
    assert "[wdth,wght]" not in css


def declared_fonts(root: Path) -> list[tuple[str, str]]:
    """(url, weight) of each @font-face rule in the print HTML a build kept."""
    html = next((root / "build").glob("*.print.html")).read_text(encoding="utf-8")
    return re.findall(r"@font-face \{[^}]*src: url\('([^']+)'\)[^}]*font-weight: (\d+)", html)


def test_the_print_html_declares_the_static_instances_from_the_shared_cache(run_cli, write_project, shared_cache):
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nText.\n"})
    result = run_cli("build", "pdf", "--keep-intermediate", cwd=root)
    assert result.exit_code == 0, result.stderr
    sources = declared_fonts(root)
    # the kept HTML names each font by file name only (no folder of this machine): find it in the cache
    assert sources and all(url.startswith("fonts/") and (shared_cache / url).is_file() for url, _weight in sources)
    assert {int(weight) for _url, weight in sources} >= {400, 700}
    assert not (root / "build" / ".report-builder" / "fonts").exists()


def test_another_project_reuses_the_instances_and_clean_keeps_them(run_cli, write_project, shared_cache):
    first = write_project({"content/a.md": "---\ntitle: A\n---\n\nText.\n"}, name="first")
    assert run_cli("build", "pdf", cwd=first).exit_code == 0
    made = {path: path.stat().st_mtime_ns for path in (shared_cache / "fonts").glob("*.ttf")}
    assert run_cli("clean", cwd=first).exit_code == 0
    second = write_project({"content/a.md": "---\ntitle: B\n---\n\nOther text.\n"}, name="second")
    assert run_cli("build", "pdf", cwd=second).exit_code == 0
    assert made and {path: path.stat().st_mtime_ns for path in (shared_cache / "fonts").glob("*.ttf")} == made


def test_an_unwritable_cache_falls_back_to_the_build_folder(run_cli, write_project, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nText.\n"})
    result = run_cli("build", "pdf", "--keep-intermediate", cwd=root, env={"REPORT_BUILDER_CACHE": str(blocker)})
    assert result.exit_code == 0, result.stderr
    sources = declared_fonts(root)
    assert sources and all(
        url.startswith("fonts/") and (root / "build" / ".report-builder" / url).is_file() for url, _weight in sources
    )


def test_the_sample_pdf_embeds_static_subsets_only(built):
    pdf = pikepdf.open(built("sample").pdf)
    embedded = 0
    for page in pdf.pages:
        for font in page.obj.Resources.get("/Font", {}).values():
            descendant = font.DescendantFonts[0]
            data = descendant.FontDescriptor.FontFile2.read_bytes()
            parsed = TTFont(io.BytesIO(data))
            assert "fvar" not in parsed and "gvar" not in parsed
            embedded += 1
    assert embedded
