"""Temporary files: a build leaves nothing in the system's temporary folder or its own state."""

from __future__ import annotations


def test_a_chunked_build_leaves_no_temporary_folder_behind(project, run_cli, tmp_path):
    root = project("multilingual")  # three articles: laid out in chunks, with furniture and contents
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    result = run_cli("build", "--project", root, "pdf", "-j", "2", env={"TMPDIR": str(system_temp)})
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(p.name for p in system_temp.iterdir()) == []
    assert not (root / "build" / ".report-builder" / "scratch").exists()
