"""The command line as a user runs it: exit codes, exact error lines, and outputs left alone
when a build fails."""

from __future__ import annotations

import shutil

import pytest

from conftest import copy_project

BAD_CASES = {
    "bad/unknown-key": "report.yaml:3:1: error: unknown key 'colour'\n",
    "bad/missing-alt": "content/a.md:10:1: error: image 'images/x.svg' has no alt text; "
    "describe it between the brackets: ![what it shows](images/x.svg)\n",
    "bad/bad-fact-ref": "content/a.md:9:15: error: fact table 'numbers' has no row 'nonexistent'\n",
    "bad/bad-type": "content/facts/t.yaml:11:12: error: column 'value' (number): expected a number, not 'lots'\n",
}


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


# -- exit codes and messages -----------------------------------------------------------------


def test_check_of_a_good_project_exits_0_and_says_what_it_read(project, run_cli):
    result = run_cli("check", "--project", project("minimal"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ok: 1 article(s), 1 fact table(s)\n", "")


@pytest.mark.parametrize("case", BAD_CASES)
def test_check_of_a_content_error_exits_1_with_the_located_error_alone(project, run_cli, case):
    result = run_cli("check", "--project", project(case))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", BAD_CASES[case])


@pytest.mark.parametrize("case", ["bad/bad-fact-ref", "bad/bad-type"])
def test_build_with_a_content_error_exits_1_with_the_same_lines_and_no_traceback(project, run_cli, case):
    result = run_cli("build", "--project", project(case))
    assert (result.exit_code, result.stderr) == (1, BAD_CASES[case])


def test_check_reports_every_problem_of_the_project_at_once(write_project, run_cli):
    root = write_project(
        {
            "report.yaml": "title: T\narticles:\n  - a.md\n  - gone.md\n",
            "content/a.md": "---\ntitle: A\nsubtitle: [S]\n---\n\n![](images/none.png)\n\n```{facts} numbers\n```\n",
            "content/facts/numbers.csv": "id,label\nx,X\nx,Y\n",
        }
    )
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr.splitlines()) == (
        1,
        [
            "content/a.md:3:11: error: 'subtitle' must be text",
            "content/a.md:6:1: error: image 'images/none.png' has no alt text; describe it between the brackets: "
            "![what it shows](images/none.png)",
            "content/a.md:6:1: error: image 'images/none.png' not found",
            "content/facts/numbers.csv:3:1: error: duplicate row id 'x' (first used on line 2)",
            "report.yaml:4:5: error: article 'content/gone.md' not found",
        ],
    )


def test_check_writes_no_output(project, run_cli):
    root = project("minimal")
    run_cli("check", "--project", root)
    assert sorted(path.name for path in root.iterdir()) == ["content", "report.yaml"]


def test_a_folder_without_report_yaml_exits_1_and_says_how_to_start(tmp_path, run_cli):
    result = run_cli("check", "--project", tmp_path)
    assert (result.exit_code, result.stderr) == (
        1,
        "report.yaml: error: no report.yaml here; run 'report-builder init DIR' to start a project\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "report-builder: error: the following arguments are required: COMMAND"),
        (
            ("frobnicate",),
            "report-builder: error: argument COMMAND: invalid choice: 'frobnicate' "
            "(choose from 'build', 'check', 'clean', 'init', 'watch')",
        ),
        (
            ("build", "docx"),
            "report-builder build: error: argument FORMAT: unknown format 'docx' (choose from pdf, epub, html)",
        ),
        (("check", "--colour"), "report-builder: error: unrecognized arguments: --colour"),
        (("build", "-j", "zero"), "report-builder build: error: argument -j/--jobs: invalid int value: 'zero'"),
    ],
)
def test_a_usage_error_exits_2_and_names_the_mistake(run_cli, tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path)
    assert (result.exit_code, last_line(result.stderr)) == (2, message)


def test_version_exits_0(run_cli):
    result = run_cli("--version")
    assert (result.exit_code, result.stdout) == (0, "report-builder 0.1.0\n")


# -- a failing build leaves the previous outputs alone -------------------------------------------


@pytest.fixture(scope="module")
def built_minimal(tmp_path_factory):
    """The minimal project with its PDF and HTML built once, to be copied by each test."""
    from report_builder import build

    root = copy_project("minimal", tmp_path_factory.mktemp("built-minimal") / "project")
    build(root, formats=["pdf", "html"])
    return root


@pytest.fixture
def previous_build(built_minimal, tmp_path):
    """A copy of the built project and the bytes of each output it holds."""
    root = tmp_path / "project"
    shutil.copytree(built_minimal, root)
    outputs = {path.name: path.read_bytes() for path in (root / "build").iterdir() if path.is_file()}
    assert sorted(outputs) == ["minimal.html", "minimal.pdf"]
    return root, outputs


def current_outputs(root):
    return {path.name: path.read_bytes() for path in (root / "build").iterdir() if path.is_file()}


def test_a_build_failing_on_content_leaves_the_previous_outputs_byte_identical(previous_build, run_cli):
    root, before = previous_build
    article = root / "content" / "only.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace("{fact}`basic.shelters`", "{fact}`basic.shelter`"), encoding="utf-8"
    )
    result = run_cli("build", "pdf", "html", "--force", "--project", root)
    assert (result.exit_code, current_outputs(root) == before) == (1, True)


def test_a_build_failing_in_a_template_leaves_the_previous_outputs_byte_identical(previous_build, run_cli):
    root, before = previous_build
    (root / "templates").mkdir()
    (root / "templates" / "web.html").write_text("<html>{% if %}</html>\n", encoding="utf-8")
    result = run_cli("build", "pdf", "html", "--force", "-j", "2", "--project", root)
    assert (result.exit_code, current_outputs(root) == before) == (1, True)


def test_a_template_error_in_the_web_edition_is_reported_at_its_file_and_line(previous_build, run_cli):
    root, _before = previous_build
    (root / "templates").mkdir()
    (root / "templates" / "web.html").write_text("<html>\n{% if %}</html>\n", encoding="utf-8")
    result = run_cli("build", "pdf", "html", "--force", "-j", "2", "--quiet", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "templates/web.html:2: error: template syntax error: Expected an expression, got 'end of statement block'\n",
    )


def test_a_failed_build_leaves_no_temporary_file_behind(previous_build, run_cli):
    root, _before = previous_build
    (root / "templates").mkdir()
    (root / "templates" / "web.html").write_text("<html>{% if %}</html>\n", encoding="utf-8")
    run_cli("build", "pdf", "html", "--force", "-j", "2", "--project", root)
    assert sorted(path.name for path in (root / "build").iterdir() if path.is_file()) == ["minimal.html", "minimal.pdf"]


def test_check_reports_a_template_error_and_a_css_warning_without_writing(project, run_cli):
    root = project("minimal")
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text("<article>\n{% if %}\n</article>\n")
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text("p {\n  colr: red;\n}\n")
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr.splitlines(), (root / "build").exists()) == (
        1,
        [
            "styles/custom.css:2:3: warning: CSS: Ignored `colr: red`, unknown property",
            "templates/article.html:2: error: template syntax error: Expected an expression, got 'end of statement block'",
        ],
        False,
    )
