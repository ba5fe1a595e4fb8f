"""Hermetic print fonts: only declared fonts are used, and characters they lack are reported."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pikepdf
import pytest

from conftest import REPO
from report_builder.fonts import covered_characters, fontconfig_file, uncovered_in

SCRIPTS = (
    "---\ntitle: Scripts\n---\n\n"
    "Arabic مرحبا, Hebrew שלום, Chinese 你好, a ship 🚢.\n\n"
    "- one\n  - two\n    - three\n\n"
    "Some `code` and a block:\n\n```\nprint(1)\n```\n"
)
SECOND = "---\ntitle: Second\n---\n\nPlain text.\n"
#: what the two articles above give, one line per distinct character, in file order
SCRIPT_WARNINGS = [
    f"content/a.md:5:{col}: warning: no font covers '{char}' (U+{ord(char):04X})"
    for col, char in [(8, "م"), (9, "ر"), (10, "ح"), (11, "ب"), (12, "ا"), (22, "ש"), (23, "ל"), (24, "ו")]
] + ["content/a.md:5:25: warning: … and 4 more characters no font covers in this file"]  # ם, 你, 好, 🚢
#: the fonts a PDF of SCRIPTS embeds: the declared families only (no DejaVu, Droid, Liberation, Noto Sans Mono)
SCRIPT_FONTS = {
    "Noto-Sans",
    "Noto-Sans-Bold",
    "Noto-Sans-Ultra-Bold",
    "Noto-Serif",
    "Noto-Serif-Italic",
    "JetBrains-Mono",
}  # the code font
#: where fontconfig finds the machine's fonts and their caches
SYSTEM_FONT_PLACES = ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts", "/var/cache/fontconfig")


#: run as `python -c`: record every file Python opens (PEP 578 audit hook; forked workers keep it),
#: then build. What fontconfig opens from C is not seen: the embedded fonts and strace tell that.
AUDITED_BUILD = """
import os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
def record(event, args):
    if event == "open" and not isinstance(args[0], int):
        os.write(log, (os.path.abspath(os.fsdecode(args[0])) + "\\n").encode("utf-8", "surrogateescape"))
sys.addaudithook(record)
from report_builder.cli import main
sys.exit(main(sys.argv[2:]))
"""


def scripts_project(root):
    files = {
        "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n",
        "content/a.md": SCRIPTS,
        "content/b.md": SECOND,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=["1", "2"], ids=["j1", "j2"])
def scripts_build(request, tmp_path_factory):
    """(project, completed build, files Python opened) for SCRIPTS built with -j 1 and with -j 2."""
    root = scripts_project(tmp_path_factory.mktemp(f"scripts-j{request.param}") / "project")
    log = root.parent / "opened.log"
    completed = subprocess.run(
        [sys.executable, "-c", AUDITED_BUILD, str(log), "build", "pdf", "-j", request.param, "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    opened = log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert any(path.endswith("/content/a.md") for path in opened), "the audit hook recorded nothing"
    return root, completed, opened


def embedded_fonts(pdf_path) -> set[str]:
    """The base names of every font the PDF embeds (pages and form XObjects alike), subset tag cut."""
    with pikepdf.open(pdf_path) as pdf:
        return {
            str(obj.BaseFont).lstrip("/").split("+", 1)[-1]
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary)
            and obj.get("/Type") == "/Font"
            and "/BaseFont" in obj
            and obj.get("/Subtype") != "/CIDFontType2"
        }


def test_a_pdf_with_other_scripts_embeds_only_the_declared_fonts(scripts_build):
    root, completed, _opened = scripts_build
    assert completed.returncode == 0, completed.stderr
    assert embedded_fonts(root / "build" / "t.pdf") == SCRIPT_FONTS


def test_a_build_reports_each_uncovered_character_once_at_its_first_place(scripts_build):
    _root, completed, _opened = scripts_build
    assert (completed.returncode, completed.stderr.splitlines()) == (0, SCRIPT_WARNINGS)


def test_a_build_opens_no_system_font_file_from_python(scripts_build):
    _root, _completed, opened = scripts_build
    assert [path for path in opened if is_system_font_place(path)] == []


def is_system_font_place(path: str) -> bool:
    return (
        path.startswith(SYSTEM_FONT_PLACES)
        or "/.cache/fontconfig/" in path
        or "/.fonts/" in path
        or "/.local/share/fonts/" in path
    )


def test_nested_list_markers_are_characters_the_declared_fonts_have(tmp_path):
    from weasyprint import CSS, HTML

    lists = "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li></ul><ol><li>d<ul><li>e</li></ul></li></ol>"
    page = HTML(string=lists).render(stylesheets=[CSS(filename=str(REPO / "styles" / "print.css"))]).pages[0]
    markers = [
        box.text for box in descendants(page._page_box) if box.element_tag == "li::marker" and hasattr(box, "text")
    ]
    assert markers == ["• ", "– ", "‣ ", "1. ", "– "]
    covered = covered_characters(tmp_path)
    assert all(ord(char) in covered for marker in markers for char in marker)


def descendants(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from descendants(child)


@pytest.mark.skipif(
    shutil.which("strace") is None, reason="strace is not installed (the embedded fonts are checked anyway)"
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_opens_no_system_font_file_from_c_either(tmp_path, jobs):
    root = scripts_project(tmp_path / "project")
    log = tmp_path / "strace.log"
    command = [
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=open,openat,openat2",
        "-o",
        str(log),
        sys.executable,
        "-m",
        "report_builder",
        "build",
        "pdf",
        "-j",
        jobs,
        "--project",
        str(root),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if "ptrace" in completed.stderr and completed.returncode != 0:
        pytest.skip("tracing is not permitted here")
    assert completed.returncode == 0, completed.stderr
    opened = re.findall(r'open(?:at2?)?\((?:AT_FDCWD, )?"([^"]+)"', log.read_text(errors="replace"))
    assert any(path.endswith("t.pdf") or "/content/a.md" in path for path in opened)  # the trace saw the build
    assert [path for path in opened if is_system_font_place(path)] == []


def test_an_uncovered_character_gives_exactly_its_warning_line(write_project, run_cli):
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nShip 🚢 ahoy, 🚢 again.\n\n🚢\n"})
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (0, "content/a.md:5:6: warning: no font covers '🚢' (U+1F6A2)\n")


def test_invisible_and_combining_characters_need_no_warning(write_project, run_cli):
    text = "caf\u0065\u0301, soft\u00adhyphen, zero\u200bwidth, joiner\u200d, text style \u2122\ufe0e, tab\there"
    root = write_project({"content/a.md": f"---\ntitle: A\n---\n\n{text}\n"})
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (0, "")


def test_characters_are_reported_in_front_matter_report_yaml_fact_tables_and_templates(write_project, run_cli):
    root = write_project(
        {
            "report.yaml": 'title: T\n# a comment may say 🚢\nmarking: "Ship \\U0001F6A2"\narticles:\n  - a.md\n',
            "content/a.md": "---\ntitle: Flag ⚑\n# not this: ♣\n---\n\n{fact}`t.x` and &#x2665;.\n",
            "content/facts/t.csv": "id,label,value\nx,Star ★,1\n",
            "templates/partials/extra.html": "<p>♞</p>\n",
        }
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr.splitlines()) == (
        0,
        [
            "content/a.md:2:13: warning: no font covers '⚑' (U+2691)",
            "content/a.md:6:17: warning: no font covers '♥' (U+2665)",
            "content/facts/t.csv:2:8: warning: no font covers '★' (U+2605)",
            "report.yaml:3:16: warning: no font covers '🚢' (U+1F6A2)",
            "templates/partials/extra.html:1:4: warning: no font covers '♞' (U+265E)",
        ],
    )


def test_strict_build_fails_and_leaves_the_previous_pdf_byte_identical(write_project, run_cli):
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nShip ahoy.\n"})
    assert run_cli("build", "pdf", "--project", root).exit_code == 0
    before = (root / "build" / "t.pdf").read_bytes()
    (root / "content" / "a.md").write_text("---\ntitle: A\n---\n\nShip 🚢 ahoy.\n", encoding="utf-8")
    result = run_cli("build", "pdf", "--strict", "--project", root)
    assert (result.exit_code, result.stderr) == (1, "content/a.md:5:6: error: no font covers '🚢' (U+1F6A2)\n")
    assert (root / "build" / "t.pdf").read_bytes() == before


def test_strict_check_fails_on_a_warning(write_project, run_cli):
    root = write_project({"content/a.md": "---\ntitle: A\n---\n\nShip 🚢.\n"})
    result = run_cli("check", "--strict", "--project", root)
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "content/a.md:5:6: error: no font covers '🚢' (U+1F6A2)\n",
    )


def test_an_undeclared_font_family_in_project_css_warns_at_its_line(write_project, run_cli):
    root = write_project(
        {
            "content/a.md": "---\ntitle: A\n---\n\nText.\n",
            "styles/custom.css": (
                "@font-face { font-family: Brand; src: url(brand.ttf); }\n"
                "h1 { font-family: Brand, serif; }\n"
                'p {\n  font-family: "Comic Sans MS", sans-serif;\n}\n'
                "@media print { .x { font: italic 700 9pt/1.2 Papyrus Pro, monospace; } }\n"
            ),
        }
    )
    result = run_cli("check", "--project", root)
    message = (
        "is not a declared font (the print edition uses only Noto Serif, Noto Sans and fonts the project "
        "declares with @font-face)"
    )
    assert (result.exit_code, result.stderr.splitlines()) == (
        0,
        [
            f"styles/custom.css:4:16: warning: font-family 'Comic Sans MS' {message}",
            f"styles/custom.css:6:46: warning: font-family 'Papyrus Pro' {message}",
        ],
    )


def test_the_fontconfig_file_lists_no_font_folder_and_is_written_once(tmp_path):
    path = fontconfig_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "<dir" not in text and "<include" not in text
    assert f"<cachedir>{tmp_path / 'fontconfig'}</cachedir>" in text
    written = path.stat().st_mtime_ns
    assert fontconfig_file(tmp_path) == path and path.stat().st_mtime_ns == written


def test_coverage_is_computed_once_and_kept_in_the_cache_folder(tmp_path):
    covered = covered_characters(tmp_path)
    assert ord("Ж") in covered and ord("λ") in covered and ord("–") in covered and 0x1F6A2 not in covered
    assert len(list(tmp_path.glob("coverage-*.json"))) == 1


def test_a_yaml_comment_or_a_markdown_front_matter_comment_is_not_printed():
    covered = frozenset(range(128))
    assert uncovered_in("a: 1  # ★\n", "x.yaml", covered, "yaml") == []
    assert [str(d) for d in uncovered_in("---\n# ★\ntitle: x\n---\n\nbody ★\n", "x.md", covered, "markdown")] == [
        "x.md:6:6: warning: no font covers '★' (U+2605)"
    ]


def test_a_date_in_a_language_the_fonts_do_not_write_is_reported_at_the_language(write_project, run_cli):
    root = write_project(
        {
            "report.yaml": "title: T\nlanguage: zh-CN\ndate: 2025-11-05\narticles:\n  - a.md\n",
            "content/a.md": "---\ntitle: A\n---\n\nText.\n",
        }
    )
    result = run_cli("check", "--project", root)
    fonts = [line for line in result.stderr.splitlines() if "no catalogue of labels" not in line]  # see test_labels
    assert (result.exit_code, fonts) == (
        0,
        [
            f"report.yaml:2:11: warning: no font covers '{char}' (U+{ord(char):04X}), in dates written in 'zh-CN'"
            for char in "年月日"
        ],
    )


def ship_font() -> bytes:
    """A one-glyph TrueType font that has 🚢 (a square), as a project might ship."""
    import io

    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    for point in [(100, 0), (100, 700), (600, 700), (600, 0)]:
        (pen.lineTo if point != (100, 0) else pen.moveTo)(point)
    pen.closePath()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "ship"])
    builder.setupCharacterMap({0x1F6A2: "ship"})
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "ship": pen.glyph()})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "ship": (700, 100)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Ship", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    data = io.BytesIO()
    builder.save(data)
    return data.getvalue()


def test_a_font_the_project_ships_and_declares_covers_its_characters(write_project, run_cli):
    root = write_project(
        {
            "content/a.md": "---\ntitle: A\n---\n\nShip 🚢 and star ★.\n",
            "styles/custom.css": "@font-face { font-family: Ship; src: url(fonts/ship.ttf); }\n"
            'p { font-family: "Noto Serif", Ship; }\n',
            "fonts/ship.ttf": ship_font(),
        }
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (0, "content/a.md:5:17: warning: no font covers '★' (U+2605)\n")


def test_a_paragraph_in_a_script_no_font_covers_gives_eight_lines_and_a_count(tmp_path):
    from report_builder.fonts import uncovered_in

    text = "Greek is covered: αβγ.\nArabic is not: أبجد هوز حطي كلمن.\n"
    warnings = [str(w) for w in uncovered_in(text, "content/x.md", frozenset(range(0x0000, 0x0590)))]
    assert warnings[0] == "content/x.md:2:16: warning: no font covers 'أ' (U+0623)"
    assert len(warnings) == 9
    assert warnings[-1] == "content/x.md:2:26: warning: … and 6 more characters no font covers in this file"
