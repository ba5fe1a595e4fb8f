"""Build the fixture projects at a git revision and at the working tree; compare the outputs' bytes.

    python bench/compare_outputs.py REV [--jobs N] [--only NAME,...]

REV is checked out in a temporary `git worktree` and built with that tree's sources first on
PYTHONPATH; the working tree is built with its own. Both build the same inputs (the working
tree's fixture projects: every folder in tests/projects/ and the sample publication at the
repository root), copied to the same folder, with SOURCE_DATE_EPOCH fixed, so only the code
differs. A project that fails to build is compared by its exit status and its messages.

Prints each output's sha256 and whether it is equal, and each build's CPU seconds; exits 1 if
any output differs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECTS = REPO / "tests" / "projects"
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01
STATE_DIR = ".report-builder"  # the build's own state (stamps, chunk cache): not an output


def projects() -> dict[str, list[Path]]:
    """Fixture name → what to copy for it: every folder with a report.yaml under tests/projects/
    (one level of nesting, as tests/projects/bad/*), and the sample at the repository root."""
    found = {"sample": [REPO / "report.yaml", REPO / "content"]}
    for folder in sorted(path for path in PROJECTS.iterdir() if path.is_dir()):
        if (folder / "report.yaml").is_file():
            found[folder.name] = [folder]
            continue
        for inner in sorted(path for path in folder.iterdir() if (path / "report.yaml").is_file()):
            found[f"{folder.name}/{inner.name}"] = [inner]
    return found


def copy_inputs(sources: list[Path], destination: Path) -> None:
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for source in sources:
        if source.is_file():
            shutil.copy2(source, destination / source.name)
        elif source.name == "content":
            shutil.copytree(source, destination / "content")
        else:
            shutil.copytree(source, destination, dirs_exist_ok=True)


def build(tree: Path, project: Path, out: Path, jobs: int) -> tuple[dict[str, str], float]:
    """Build `project` with the sources of `tree`: output file → sha256 (or the failure's digest),
    and the CPU seconds the build took (its processes', user and system: steadier than the
    wall clock on a shared machine)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree / "src"),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "PYTHONHASHSEED": "0",
    }
    env.pop("CI", None)
    command = [sys.executable, "-m", "report_builder", "build", "--project", str(project), "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [*command, "-j", str(jobs)], cwd=project, env=env, capture_output=True, text=True, timeout=1200
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digests = {}
    if out.is_dir():
        for path in sorted(out.rglob("*")):
            relative = path.relative_to(out)
            if path.is_file() and relative.parts[0] != STATE_DIR:
                digests[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    if done.returncode != 0:
        messages = done.stderr.replace(str(project), "PROJECT").replace(str(tree), "TREE")
        failure = f"exit {done.returncode}\n{messages}"
        digests["(failure: exit status and messages)"] = hashlib.sha256(failure.encode("utf-8")).hexdigest()
    return digests, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the git revision to compare the working tree with")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="build jobs (default 2: the chunked layout)")
    parser.add_argument("--only", default="", help="comma-separated fixture names (default: all)")
    args = parser.parse_args(argv)
    fixtures = projects()
    if args.only:
        fixtures = {name: fixtures[name] for name in args.only.split(",")}
    differ = 0
    with tempfile.TemporaryDirectory(prefix="compare-outputs-") as temp:
        temp_dir = Path(temp)
        old_tree = temp_dir / "rev"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(old_tree), args.rev], check=True
        )
        try:
            for name, sources in fixtures.items():
                project = temp_dir / "project" / name.replace("/", "-")
                results, seconds = [], []
                for tree in (old_tree, REPO):
                    copy_inputs(sources, project)  # the same folder for both: only the code differs
                    digests, cpu = build(tree, project, temp_dir / "out" / name.replace("/", "-"), args.jobs)
                    results.append(digests)
                    seconds.append(cpu)
                    shutil.rmtree(temp_dir / "out", ignore_errors=True)
                old, new = results
                print(f"cpu     {name}: {seconds[0]:.2f} s at {args.rev}, {seconds[1]:.2f} s now")
                for output in sorted(set(old) | set(new)):
                    same = old.get(output) == new.get(output)
                    differ += not same
                    print(
                        f"{'equal ' if same else 'DIFFER'}  {name}/{output}  "
                        f"{old.get(output, '(missing)')}  {new.get(output, '(missing)')}"
                    )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)], check=False)
    print(f"{differ} output(s) differ" if differ else f"every output is byte-identical to {args.rev}'s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
