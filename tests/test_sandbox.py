"""Content is untrusted: a build opens nothing outside the project and the Python installation,
creates no socket, and refuses hostile references with a located error.

Builds run in a subprocess whose `sitecustomize` installs an audit hook (PEP 578) recording
every file Python opens and every socket operation, in the build process and in its workers.
What fontconfig or Pango open from C is not seen by the hook; what WeasyPrint asks the
resource fetcher for is.
"""

from __future__ import annotations

import mimetypes
import os
import re
import subprocess
import sys
import tempfile
import zoneinfo
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import copy_project
from report_builder.errors import Diagnostic
from report_builder.fetcher import project_sandbox
from report_builder.project import builtin_dir, load_project

FORMATS = ["pdf", "html", "epub"]

AUDIT_HOOK = '''\
"""Test hook: record every file opened and every socket operation of this Python process."""
import os
import sys

_log = os.environ.get("REPORT_BUILDER_TEST_AUDIT_LOG")
if _log:
    _fd = os.open(_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def _record(event, args):
        if event == "open" and not isinstance(args[0], int):
            line = "open\\t" + os.path.abspath(os.fsdecode(args[0]))
        elif event.startswith("socket."):
            line = event + "\\t" + repr(args)[:300]
        else:
            return
        os.write(_fd, (line + "\\n").encode("utf-8", "surrogateescape"))

    sys.addaudithook(_record)
'''

#: files Python itself opens outside the installation: type tables and time zones; and the
#: process's own memory use, which the template memory limit starts from
SYSTEM_FILES = {"/dev/null", "/proc/self/statm", *mimetypes.knownfiles}
SYSTEM_FOLDERS = [Path(p) for p in zoneinfo.TZPATH]
#: what may appear directly in the temporary folder: ctypes' library lookup (tmpXXXXXXXX),
#: WeasyPrint's font configuration (weasyprint-XXXXXXXX/…) and tempfile's own probe (XXXXXXXX)
TEMPORARY_NAMES = re.compile(r"(tmp[\w]{8}|weasyprint-[\w]{8}(/.*)?|[a-z0-9_]{8})")


class Audit:
    """What one audited command did: exit code, stderr, files opened, socket operations."""

    def __init__(self, completed, log: Path):
        self.exit_code = completed.returncode
        self.stderr = completed.stderr
        entries = [line.split("\t", 1) for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
        self.opened = {Path(value) for kind, value in entries if kind == "open"}
        self.sockets = [f"{kind} {value}" for kind, value in entries if kind.startswith("socket.")]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """audited(project, *arguments) → Audit of `python -m report_builder ARGUMENTS` run on it."""
    hook = tmp_path_factory.mktemp("audit-hook")
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)

    def run(project: Path, *arguments) -> Audit:
        log = project.parent / "audit.log"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
            "REPORT_BUILDER_TEST_AUDIT_LOG": str(log),
        }
        completed = subprocess.run(
            [sys.executable, "-m", "report_builder", *arguments, "--project", str(project)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
        )
        audit = Audit(completed, log)
        assert audit.opened, "the audit hook recorded nothing: sitecustomize was not imported"
        return audit

    run.hook = hook
    return run


def allowed_roots(project: Path, hook: Path) -> list[Path]:
    import report_builder
    from report_builder.fonts import fonts_cache

    shared_fonts = fonts_cache(fallback=project / "build" / ".report-builder" / "fonts")  # static instances
    return [
        Path(p).resolve()
        for p in (
            project,
            hook,
            sys.prefix,
            sys.base_prefix,
            sys.exec_prefix,
            sys.base_exec_prefix,
            Path(report_builder.__file__).parent,
            builtin_dir("templates"),
            builtin_dir("styles"),
            shared_fonts,
        )
    ]


def outside(audit: Audit, project: Path, hook: Path) -> list[str]:
    """Opened files that are neither in the allowed folders, nor system files, nor build temporaries."""
    roots = allowed_roots(project, hook) + SYSTEM_FOLDERS
    temporary = Path(tempfile.gettempdir()).resolve()
    found = []
    for path in sorted(audit.opened):
        resolved = path.resolve()
        if str(path) in SYSTEM_FILES or resolved == temporary:
            continue
        if any(resolved == root or root in resolved.parents for root in roots):
            continue
        if temporary in resolved.parents and TEMPORARY_NAMES.fullmatch(resolved.relative_to(temporary).as_posix()):
            continue
        found.append(str(path))
    return found


def write_canary(tmp_path: Path) -> Path:
    """A secret beside the project: content/../../etc/passwd from an article resolves to it."""
    canary = tmp_path / "etc" / "passwd"
    canary.parent.mkdir()
    canary.write_text("root:x:0:0:canary\n")
    return canary


# -- a good build ------------------------------------------------------------------------------

PHOTO_MARKDOWN = '\n![A grey square standing in for a photograph](images/square.png "A grey square.")\n'


@pytest.fixture(scope="module")
def good_build(tmp_path_factory, audited):
    from PIL import Image

    root = copy_project("minimal", tmp_path_factory.mktemp("sandbox-good") / "project")
    (root / "content" / "images").mkdir()
    Image.new("RGB", (8, 8), "grey").save(root / "content" / "images" / "square.png")
    with open(root / "content" / "only.md", "a", encoding="utf-8") as article:
        article.write(PHOTO_MARKDOWN)
    return root, audited(root, "build", *FORMATS)


def test_a_good_build_succeeds_under_audit(good_build):
    _root, audit = good_build
    assert (audit.exit_code, audit.stderr) == (0, "")


def test_a_build_opens_no_file_outside_the_project_python_and_its_temporaries(good_build, audited):
    root, audit = good_build
    assert outside(audit, root, audited.hook) == []


def test_a_build_reads_the_project_image_through_the_sandbox(good_build):
    root, audit = good_build
    assert root / "content" / "images" / "square.png" in audit.opened


def test_a_build_creates_no_socket(good_build):
    _root, audit = good_build
    assert audit.sockets == []


# -- hostile images in Markdown -------------------------------------------------------------------

HOSTILE_IMAGES = """
![x](../../etc/passwd)

![y](file:///etc/passwd)

![z](http://127.0.0.1:9/x.png)
"""


@pytest.fixture(scope="module")
def hostile_images(tmp_path_factory, audited):
    base = tmp_path_factory.mktemp("sandbox-images")
    canary = write_canary(base)
    root = copy_project("minimal", base / "project")
    with open(root / "content" / "only.md", "a", encoding="utf-8") as article:
        article.write(HOSTILE_IMAGES)
    return root, canary, audited(root, "build", *FORMATS)


def test_an_image_escaping_the_project_with_dot_dots_is_refused_at_its_line(hostile_images):
    _root, _canary, audit = hostile_images
    assert (
        "content/only.md:42:1: error: image '../../etc/passwd' is outside the project directory"
        in audit.stderr.splitlines()
    )


def test_a_file_url_image_is_refused_at_its_line(hostile_images):
    _root, _canary, audit = hostile_images
    assert (
        "content/only.md:44:1: error: image 'file:///etc/passwd' must be a file inside the project"
        in audit.stderr.splitlines()
    )


def test_a_remote_image_is_refused_at_its_line(hostile_images):
    _root, _canary, audit = hostile_images
    assert (
        "content/only.md:46:1: error: remote image 'http://127.0.0.1:9/x.png' is not allowed; "
        "put the file in content/images/"
    ) in audit.stderr.splitlines()


def test_hostile_images_fail_the_build_with_their_three_errors_alone(hostile_images):
    _root, _canary, audit = hostile_images
    assert (audit.exit_code, len(audit.stderr.splitlines())) == (1, 3)


def test_hostile_images_read_neither_the_canary_nor_the_system_file(hostile_images):
    _root, canary, audit = hostile_images
    assert {canary, Path("/etc/passwd")} & audit.opened == set()


def test_a_remote_image_opens_no_socket(hostile_images):
    _root, _canary, audit = hostile_images
    assert audit.sockets == []


# -- hostile stylesheet ---------------------------------------------------------------------------

HOSTILE_CSS = """\
@import url(http://127.0.0.1:9/remote.css);
.cover { background: url(file:///etc/passwd); }
.key-points { background-image: url("../etc/passwd"); }
"""


@pytest.fixture(scope="module")
def hostile_stylesheet(tmp_path_factory, audited):
    base = tmp_path_factory.mktemp("sandbox-css")
    canary = write_canary(base)
    root = copy_project("minimal", base / "project")
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(HOSTILE_CSS)
    return root, canary, audited(root, "build", *FORMATS)


def test_stylesheet_references_outside_the_project_are_refused_at_their_line_and_column(hostile_stylesheet):
    _root, canary, audit = hostile_stylesheet
    assert (audit.exit_code, audit.stderr) == (
        1,
        (
            "styles/custom.css:1:9: error: refused to fetch 'http://127.0.0.1:9/remote.css': "
            "network access is off while building\n"
            "styles/custom.css:2:22: error: refused to read 'file:///etc/passwd': it is outside the project\n"
            "styles/custom.css:3:33: error: refused to read '../etc/passwd': it is outside the project\n"
        ),
    )


def test_a_hostile_stylesheet_reads_neither_the_canary_nor_the_system_file(hostile_stylesheet):
    _root, canary, audit = hostile_stylesheet
    assert {canary, Path("/etc/passwd")} & audit.opened == set()


def test_a_css_import_of_a_remote_stylesheet_opens_no_socket(hostile_stylesheet):
    _root, _canary, audit = hostile_stylesheet
    assert audit.sockets == []


# -- hostile template -----------------------------------------------------------------------------

HOSTILE_TEMPLATE_LINES = '<img src="/etc/passwd" alt="">\n<img src="../etc/passwd" alt="">\n'


def hostile_template():
    template = (builtin_dir("templates") / "article.html").read_text(encoding="utf-8")
    return template.replace('<div class="article-body">', '<div class="article-body">\n' + HOSTILE_TEMPLATE_LINES, 1)


@pytest.fixture(scope="module")
def hostile_templates(tmp_path_factory, audited):
    base = tmp_path_factory.mktemp("sandbox-template")
    canary = write_canary(base)
    root = copy_project("minimal", base / "project")
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(hostile_template())
    return root, canary, audited(root, "build", "pdf", "--quiet")


def template_line(root: Path, needle: str) -> int:
    lines = (root / "templates" / "article.html").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_template_images_outside_the_project_fail_the_build_naming_each_file(hostile_templates):
    _root, canary, audit = hostile_templates
    assert (audit.exit_code, sorted(line.split(": error: ", 1)[1] for line in audit.stderr.splitlines())) == (
        1,
        [
            "refused to read '../etc/passwd': it is outside the project",  # as written, not by the machine's path
            "refused to read '/etc/passwd': it is outside the project",
        ],
    )


def test_template_images_outside_the_project_are_never_read(hostile_templates):
    _root, canary, audit = hostile_templates
    assert {canary, Path("/etc/passwd")} & audit.opened == set()


def test_template_images_outside_the_project_are_reported_at_the_template_line(hostile_templates):
    root, canary, audit = hostile_templates
    line = template_line(root, 'src="/etc/passwd"')
    assert audit.stderr == (
        f"templates/article.html:{line}:11: error: refused to read '/etc/passwd': it is outside the project\n"
        f"templates/article.html:{line + 1}:11: error: refused to read '../etc/passwd': it is outside the project\n"
    )


def test_the_fetcher_locates_a_refused_address_in_the_template_that_wrote_it(tmp_path):
    root = copy_project("minimal", tmp_path / "project")
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(hostile_template())
    fetcher = project_sandbox(load_project(root))
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    line = template_line(root, 'src="/etc/passwd"')
    assert fetcher.refusals == [
        Diagnostic("templates/article.html", line, 11, "refused to read '/etc/passwd': it is outside the project")
    ]


# -- hostile attachment -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_attachment(tmp_path_factory, audited):
    base = tmp_path_factory.mktemp("sandbox-attachment")
    canary = write_canary(base)
    root = copy_project("minimal", base / "project")
    (root / "templates").mkdir()
    template = (builtin_dir("templates") / "article.html").read_text(encoding="utf-8")
    (root / "templates" / "article.html").write_text(
        template.replace(
            '<div class="article-body">',
            '<div class="article-body">\n<a rel="attachment" href="../etc/passwd">x</a>',
            1,
        )
    )
    return root, canary, audited(root, "build", "pdf", "--quiet")


def test_a_pdf_attachment_outside_the_project_is_never_read(hostile_attachment):
    _root, canary, audit = hostile_attachment
    assert canary not in audit.opened


def test_a_pdf_attachment_outside_the_project_fails_the_build(hostile_attachment):
    _root, _canary, audit = hostile_attachment
    assert (audit.exit_code, audit.stderr.splitlines()[-1].split(": error: ", 1)[-1]) == (
        1,
        "refused to read '../etc/passwd': it is outside the project",
    )


# -- paths and links that lead outside ------------------------------------------------------------


def test_an_article_listed_outside_the_project_is_refused_and_never_read(tmp_path, audited):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\n\nCanary.\n")
    root = copy_project("minimal", tmp_path / "project")
    config = root / "report.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"  - ../../secret.md\n  - {secret}\n", encoding="utf-8")
    audit = audited(root, "check")
    assert (audit.exit_code, audit.stderr, secret in audit.opened) == (
        1,
        (
            "report.yaml:11:5: error: article '../../secret.md' is outside the project directory\n"
            "report.yaml:12:5: error: article '../../secret.md' is outside the project directory\n"
        ),
        False,
    )


@pytest.mark.parametrize(
    ("link", "command"),
    [
        ("content/extra.md", ("check",)),
        ("content/facts/extra.yaml", ("check",)),
        ("styles/custom.css", ("build", "html")),
        ("templates/article.html", ("build", "html")),
    ],
)
def test_a_project_file_linking_outside_the_project_is_refused_and_its_target_never_read(
    tmp_path, audited, link, command
):
    secret = tmp_path / "secret.txt"
    secret.write_text("title: Secret\n")
    root = copy_project("minimal", tmp_path / "project")
    config = root / "report.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("articles:\n  - only.md\n", ""), encoding="utf-8")
    (root / link).parent.mkdir(exist_ok=True)
    (root / link).symlink_to(secret)
    audit = audited(root, *command)
    assert (audit.exit_code, audit.stderr, secret in audit.opened) == (
        1,
        f"{link}: error: refused to read '{secret}': it is outside the project; copy the file into the project\n",
        False,
    )


# -- raw HTML -------------------------------------------------------------------------------------

RAW_HTML = """
<div class="note" onclick="steal('M-ONCLICK')">Boxed <b onmouseover="x('M-MOUSEOVER')">note</b> text<script>alert("M-SCRIPT-IN-DIV")</script></div>

<script>document.write("M-SCRIPT-BLOCK")</script>

<iframe src="https://example.org/M-IFRAME">M-IFRAME-TEXT</iframe>

A paragraph with <object data="file:///etc/passwd">M-OBJECT-TEXT</object> and <script>alert("M-SCRIPT-INLINE")</script> in it.

<form action="https://example.org/M-FORM"><input name="q" value="M-INPUT"><button>M-BUTTON</button></form>

Links: <a href="javascript:alert('M-JS')">js</a>, <a href="JaVaScRiPt:alert('M-JS-MIXED')">mixed</a>, <a href=" javascript:alert('M-JS-SPACE')">space</a>, <a href="jav&#x09;ascript:alert('M-JS-ENTITY')">entity</a>, <span onmouseover="alert('M-ON-SPAN')">hover</span>, <img src="x" onerror="alert('M-ONERROR')">.

<svg><script>alert('M-SVG')</script></svg>

<details open ontoggle="alert('M-ONTOGGLE')"><summary>More</summary>Details text</details>
"""
MARKERS = sorted(set(re.findall(r"M-[A-Z-]+[A-Z]", RAW_HTML)))


@pytest.fixture(scope="module")
def raw_html_build(tmp_path_factory):
    from report_builder import build

    root = copy_project("minimal", tmp_path_factory.mktemp("raw-html") / "project")
    with open(root / "report.yaml", "a", encoding="utf-8") as config:
        config.write("raw_html: true\n")
    with open(root / "content" / "only.md", "a", encoding="utf-8") as article:
        article.write(RAW_HTML)
    result = build(root, formats=["pdf", "html"])
    return result.outputs["html"].read_text(encoding="utf-8"), pdf_text(result.outputs["pdf"])


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_raw_html_is_escaped_by_default(tmp_path):
    from report_builder import build

    root = copy_project("minimal", tmp_path / "project")
    with open(root / "content" / "only.md", "a", encoding="utf-8") as article:
        article.write('\n<script>alert("M-DEFAULT")</script>\n')
    page = lxml_html.fromstring(build(root, formats=["html"]).outputs["html"].read_bytes())
    assert ([p.text for p in page.iter("p") if "M-DEFAULT" in (p.text or "")], page.findall(".//script")) == (
        ['<script>alert("M-DEFAULT")</script>'],
        [],
    )


def test_sanitised_raw_html_keeps_no_active_element(raw_html_build):
    page = lxml_html.fromstring(raw_html_build[0])
    active = ("script", "iframe", "object", "embed", "form", "input", "button", "svg")
    assert [element.tag for element in page.iter(*active)] == []


def test_sanitised_raw_html_keeps_no_event_handler(raw_html_build):
    page = lxml_html.fromstring(raw_html_build[0])
    assert [
        (e.tag, name)
        for e in page.iter()
        if isinstance(e.tag, str)
        for name in e.attrib
        if name.lower().startswith("on")
    ] == []


def test_sanitised_raw_html_keeps_no_javascript_url(raw_html_build):
    assert re.findall(r"(?i)java\s*script", raw_html_build[0]) == []


def test_sanitised_raw_html_leaves_no_trace_of_the_payloads_in_the_html(raw_html_build):
    assert [marker for marker in MARKERS if marker in raw_html_build[0]] == []


def test_sanitised_raw_html_leaves_no_trace_of_the_payloads_in_the_pdf_text(raw_html_build):
    assert [marker for marker in MARKERS if marker in raw_html_build[1]] == []


def test_sanitised_raw_html_keeps_harmless_markup_and_text(raw_html_build):
    page = lxml_html.fromstring(raw_html_build[0])
    note = page.find_class("note")[0]
    assert (lxml_html.tostring(note, encoding="unicode", with_tail=False), "Details text" in raw_html_build[1]) == (
        '<div class="note">Boxed <b>note</b> text</div>',
        True,
    )


# -- Markdown links and YAML ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("file:///etc/passwd", "file"),
        ("data:text/html,hi", "data"),
    ],
)
def test_a_markdown_link_with_an_unsafe_scheme_is_refused_at_its_line(write_project, link, scheme):
    from report_builder import ReportError, check

    root = write_project({"content/a.md": f"---\ntitle: A\n---\n\nSee [the page]({link}).\n"})
    with pytest.raises(ReportError) as raised:
        check(root)
    assert [str(d) for d in raised.value.diagnostics] == [
        f"content/a.md:5:16: error: link '{link}' uses the {scheme}: scheme, which a publication may not link to; "
        "use an http(s) address or a #heading"
    ]


def test_a_python_object_tag_in_front_matter_is_refused_at_its_line_and_never_run(tmp_path, run_cli):
    marker = tmp_path / "ran"
    root = copy_project("minimal", tmp_path / "project")
    article = root / "content" / "only.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace(
            "title: A Town Takes Stock", f'title: !!python/object/apply:os.system ["touch {marker}"]'
        ),
        encoding="utf-8",
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr, marker.exists()) == (
        1,
        "content/only.md:2:8: error: YAML tag '!!python/object/apply:os.system' is not allowed: "
        "write plain text, numbers, dates, lists and mappings\n",
        False,
    )
