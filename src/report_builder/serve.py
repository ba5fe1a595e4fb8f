"""`report-builder serve`: a live preview on loopback that rebuilds on change and reloads the browser.

The HTML edition is rebuilt first, in this process (its imports stay warm), and the open tab
reloads itself through server-sent events, keeping its scroll position; the PDF and EPUB are
rebuilt behind it in a child process, killed and restarted when another change comes. A build
error is shown in the page, with its `path:line:col` line, until the content is fixed.

Only the build's own inputs trigger a rebuild (as the build state records them), so outputs,
logs and editors' temporary files written inside the project never do.
"""

from __future__ import annotations

import fnmatch
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from .build import build
from .config import load_config
from .errors import ReportError
from .labels import N_
from .output import output_dir
from .project import Project, load_project
from .stamps import STATE_DIR, State

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEBOUNCE_MS = 300  # the longest a burst of saves is gathered; a lone save is built after 50 ms
STEP_MS = 50
READY_MS = 200  # how often the watcher wakes when nothing changed (to see the PDF build finish)
HEARTBEAT_S = 15.0  # an event-stream comment this often, so a closed tab is noticed
EVENTS_PATH = "/__serve/events"
SHOWN_PATH = "/__serve/shown"  # an open page says it shows a version: `?version=N`
#: how long the other outputs' build waits for the open pages to show a new HTML edition (it would
#: take the cores the browser needs to show it)
SHOWN_WAIT_S = 2.0
#: the niceness of the other outputs' build: the preview's next rebuild comes first
BACKGROUND_NICENESS = 10
#: editors' temporary and backup files: never inputs, even where a listing would match them
TEMPORARY = ("~", ".swp", ".swx", ".tmp", ".part", ".crdownload", ".bak", ".orig")
#: the folders a project's inputs live in, watched as a whole until a build has recorded its inputs
INPUT_FOLDERS = ("content/", "templates/", "styles/")

#: the preview's own words, shown in the publication's language (English until a config loads)
LABELS = {
    "preview": N_("Live preview"),
    "building": N_("building…"),
    "failed": N_("failed"),
    "errors": N_("The build failed; the page shows the last good build."),
}


@dataclass
class Status:
    """What the open pages are told: the edition's version, the errors, the other outputs."""

    version: int = 0
    errors: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # format → file name under the output folder
    background: dict[str, str] = field(default_factory=dict)  # format → "building" | "ready" | "failed"
    timings: dict[str, float] = field(default_factory=dict)  # detected, built (epoch seconds), rebuild_s
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))  # the overlay's words (LABELS)


class Hub:
    """The current Status and a counter the event streams wait on."""

    def __init__(self):
        self.status = Status()
        self.sequence = 0
        self.closed = False
        self.listeners = 0  # open event streams
        self.shown = -1  # the last version an open page said it shows
        self._condition = threading.Condition()

    def publish(self, **changes) -> None:
        with self._condition:
            for name, value in changes.items():
                setattr(self.status, name, value)
            self.sequence += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, str | None]:
        """(sequence, the status as JSON) once it differs from `seen`, or (seen, None) after `timeout`."""
        with self._condition:
            self._condition.wait_for(lambda: self.sequence != seen or self.closed, timeout)
            if self.sequence == seen or self.closed:
                return seen, None
            return self.sequence, json.dumps(self.status.__dict__, sort_keys=True)

    def listening(self, change: int) -> None:
        with self._condition:
            self.listeners += change

    def show(self, version: int) -> None:
        with self._condition:
            self.shown = max(self.shown, version)
            self._condition.notify_all()

    def wait_shown(self, version: int, timeout: float) -> None:
        """Until an open page shows `version` (at most `timeout` seconds; at once when none is open)."""
        with self._condition:
            self._condition.wait_for(lambda: self.shown >= version or self.listeners == 0 or self.closed, timeout)

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class PreviewHandler(SimpleHTTPRequestHandler):
    """The output folder, with the reload script put into each HTML page as it is sent."""

    hub: Hub
    allowed_hosts: frozenset[str]
    entry: str  # the page `/` leads to

    def do_GET(self):  # noqa: N802 (http.server's name)
        if not self._host_allowed():
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "unknown host")
            return
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == EVENTS_PATH:
            self._events()
        elif path == SHOWN_PATH:
            self._shown()
        elif path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/" + self.entry)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif f"/{STATE_DIR}" in path:
            self.send_error(HTTPStatus.NOT_FOUND)
        elif path.endswith((".html", "/")):
            self._page()
        else:
            super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass  # a preview's requests are no news

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        return not self.allowed_hosts or host in self.allowed_hosts

    def _page(self):
        file = Path(self.translate_path(self.path))
        if file.is_dir():
            file = file / "index.html"
        try:
            data = file.read_bytes()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "not built (yet)")
            return
        body = inject_reload_script(data, self.hub.status.version)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = -1
        self.hub.listening(1)
        try:
            while not self.hub.closed:
                seen, status = self.hub.wait(seen, HEARTBEAT_S)
                self.wfile.write(f"data: {status}\n\n".encode() if status else b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab was closed or reloaded
        finally:
            self.hub.listening(-1)

    def _shown(self):
        query = self.path.partition("?")[2]
        version = query.removeprefix("version=")
        if version.isdigit() and len(version) < 12:
            self.hub.show(int(version))
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Content-Length", "0")
        self.end_headers()


def inject_reload_script(page: bytes, version: int) -> bytes:
    """The page with the preview script before its last `</body>` (the built file is not changed)."""
    settings = json.dumps({"version": version, "events": EVENTS_PATH, "shown": SHOWN_PATH})
    script = f"<script>window.__reportBuilderServe = {settings};\n{CLIENT_SCRIPT}</script>".encode()
    cut = page.rfind(b"</body>")
    return page + script if cut < 0 else page[:cut] + script + page[cut:]


#: the preview's side in the browser: on a new version, the changed parts of the page replaced in
#: place (or, when its head or shape changed, the page reloaded at the same scroll position), the
#: error overlay, and the PDF/EPUB links with their build status
CLIENT_SCRIPT = r"""
(function () {
  var settings = window.__reportBuilderServe;
  var key = "report-builder-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    var y = Number(saved);
    window.scrollTo(0, y);
    window.addEventListener("load", function () { window.scrollTo(0, y); });
  }
  function element(tag, style, text) {
    var node = document.createElement(tag);
    node.setAttribute("style", style);
    if (text) node.textContent = text;
    return node;
  }
  var font = "font: 14px/1.4 system-ui, sans-serif;";
  var bar = element("div", font + "position: fixed; right: 0.5rem; bottom: 0.5rem; z-index: 2147483646;" +
    "background: #16202a; color: #fff; padding: 0.3rem 0.6rem; border-radius: 0.3rem;");
  bar.id = "report-builder-serve";
  bar.setAttribute("role", "status");
  var overlay = element("div", font + "position: fixed; inset: 0; z-index: 2147483647; overflow: auto;" +
    "background: rgba(20, 25, 31, 0.94); color: #fff; padding: 2rem; display: none;");
  overlay.id = "report-builder-serve-errors";
  overlay.setAttribute("role", "alert");
  var heading = element("p", "font-weight: 700; margin: 0 0 1rem;");
  var list = element("pre", "white-space: pre-wrap; overflow-wrap: anywhere; color: #ffb4ab; margin: 0;" +
    "font: 14px/1.5 ui-monospace, monospace;");
  overlay.appendChild(heading);
  overlay.appendChild(list);
  function show(status) {
    var labels = status.labels;
    heading.textContent = labels.errors;
    list.textContent = status.errors.join("\n");
    overlay.style.display = status.errors.length ? "block" : "none";
    bar.textContent = labels.preview;
    Object.keys(status.outputs).forEach(function (fmt) {
      bar.appendChild(document.createTextNode(" · "));
      var link = element("a", "color: #9ecbff;", fmt.toUpperCase());
      link.href = "/" + status.outputs[fmt];
      bar.appendChild(link);
      var state = status.background[fmt];
      if (state === "building" || state === "failed") bar.appendChild(document.createTextNode(" " + labels[state]));
    });
  }
  function attach() {
    document.body.appendChild(bar);
    document.body.appendChild(overlay);
  }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
  function reload() {
    sessionStorage.setItem(key, String(window.scrollY));
    events.close();
    location.reload();
  }
  function serving(node) { return node.id && node.id.indexOf("report-builder-serve") === 0; }
  function elements(parent) {
    return Array.prototype.filter.call(parent.children, function (node) {
      return node.tagName !== "SCRIPT" && !serving(node);
    });
  }
  // Put the new page's changed parts in place of the old ones, down to the articles; false when
  // the two differ in shape (the page is then reloaded).
  function morph(old, fresh, depth) {
    if (old.tagName !== fresh.tagName) return false;
    if (old.isEqualNode(fresh)) return true;
    var olds = elements(old), news = elements(fresh);
    if (depth === 0 || olds.length !== news.length || olds.length === 0) {
      old.replaceWith(document.importNode(fresh, true));
      return true;
    }
    for (var i = 0; i < olds.length; i++) if (!morph(olds[i], news[i], depth - 1)) return false;
    return true;
  }
  function update(status) {
    var steps = {asked: Date.now()};
    fetch(location.href, {cache: "no-store"}).then(function (response) {
      steps.answered = Date.now();
      return response.text();
    }).then(function (text) {
        steps.fetched = Date.now();
        var fresh = new DOMParser().parseFromString(text, "text/html");
        steps.parsed = Date.now();
        var sameHead = fresh.head.innerHTML === document.head.innerHTML;
        var olds = elements(document.body), news = elements(fresh.body);
        if (!sameHead || olds.length !== news.length) return reload();
        for (var i = 0; i < olds.length; i++) if (!morph(olds[i], news[i], 3)) return reload();
        settings.version = status.version;
        shown(status, steps);
      }).catch(reload);
  }
  function shown(status, steps) {
    show(status);
    window.__reportBuilderStatus = status;
    var last = window.__reportBuilderShown;  // when this version was first shown, and how
    if (!last || last.version !== settings.version) {
      window.__reportBuilderShown = {version: settings.version, at: Date.now(), steps: steps || {}};
    }
    // the other outputs' build waits for this (their layout would take the cores the page needs)
    fetch(settings.shown + "?version=" + settings.version, {cache: "no-store"}).catch(function () {});
  }
  var events = new EventSource(settings.events);
  events.onmessage = function (message) {
    var status = JSON.parse(message.data);
    if (status.version !== settings.version && status.errors.length === 0) update(status);
    else shown(status);
  };
})();
"""


def make_server(out_dir: Path, hub: Hub, host: str, port: int, entry: str) -> ThreadingHTTPServer:
    """An HTTP server for the output folder on host:port (port 0: any free one)."""

    class Handler(PreviewHandler):
        pass

    Handler.hub = hub
    Handler.entry = entry
    server = ThreadingHTTPServer((host, port), partial(Handler, directory=str(out_dir)))
    server.daemon_threads = True
    bound = server.server_address[1]
    Handler.allowed_hosts = (
        frozenset()
        if host in ("0.0.0.0", "::")  # asked for every interface: any name may reach it
        else frozenset({f"{host}:{bound}", f"localhost:{bound}", f"127.0.0.1:{bound}", f"[::1]:{bound}"})
    )
    return server


class Inputs:
    """Which changed paths are inputs of the build: the files and listings the build state records."""

    def __init__(self, project: Project, out_dir: Path):
        self.project = project
        self.out_dir = out_dir
        self.files: set[str] = set()
        self.patterns: set[str] = set()
        self.named: set[str] = set()  # files the last errors point at (a new, broken article)

    def refresh(self, errors: tuple[str, ...] | list[str] = ()) -> None:
        records = State(self.out_dir).records
        for record in records.values():
            for entry in (record, record.get("pending") or {}):
                self.files.update(entry.get("files", {}))
                self.patterns.update(entry.get("listings", {}))
        self.named = {line.split(":", 1)[0] for line in errors}

    def is_input(self, path: Path) -> bool:
        if path == self.out_dir or self.out_dir in path.parents or STATE_DIR in path.parts:
            return False
        try:
            name = path.relative_to(self.project.root).as_posix()
        except ValueError:
            return False
        if path.name.startswith((".", "#")) or path.name.endswith(TEMPORARY) or path.name.isdigit():
            return False
        if name == "report.yaml" or name in self.files or name in self.named:
            return True
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns):
            return True
        return not self.files and name.startswith(INPUT_FOLDERS)  # nothing recorded yet


@dataclass
class Child:
    """A build of the other outputs in its own process group, its messages kept in a temporary file."""

    process: subprocess.Popen
    log: IO[bytes]
    formats: list[str]

    @classmethod
    def start(cls, command: list[str], formats: list[str]) -> Child:
        log = tempfile.TemporaryFile()  # noqa: SIM115 (open while the child runs; closed by finish or kill)
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
        )
        return cls(process, log, formats)

    def finish(self) -> list[str]:
        """The child's messages, once it has ended."""
        self.log.seek(0)
        lines = self.log.read().decode("utf-8", errors="replace").splitlines()
        self.log.close()
        return lines

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        self.log.close()


class Preview:
    """The rebuild loop: the HTML edition here, the other outputs in a child process behind it."""

    def __init__(self, directory, out, hub: Hub, say: Callable[[str], None], warn: Callable[[str], None]):
        self.directory = directory
        self.out = out
        self.project = load_project(directory)
        self.out_dir = output_dir(self.project.root, out)
        self.hub = hub
        self.say = say
        self.warn = warn
        self.inputs = Inputs(self.project, self.out_dir)
        self.background: Child | None = None

    def entry(self) -> str:
        try:
            config = load_config(self.project)
        except ReportError:
            return f"{self.project.root.name}.html"
        return f"{config.slug}/index.html" if config.html.layout == "pages" else f"{config.slug}.html"

    def rebuild(self, changed: list[str], detected: float) -> None:
        """Build the HTML edition now and publish it; then start the others behind it."""
        self.stop_background()
        started = time.perf_counter()
        try:
            result = build(self.directory, formats=["html"], out=self.out)
        except (ReportError, OSError) as exc:
            errors = (
                [str(d) for d in exc.diagnostics] if isinstance(exc, ReportError) else [f"report-builder: error: {exc}"]
            )
            for line in errors:
                self.warn(line)
            self.inputs.refresh(errors)
            # the other outputs' build was stopped for this one (stop_background): none is running
            self.hub.publish(errors=errors, labels=self._labels(), background={})
            return
        elapsed = time.perf_counter() - started
        self.inputs.refresh()
        version = self.hub.status.version + (1 if result.outputs else 0)
        timings = {"detected": detected, "built": time.time(), "rebuild_s": round(elapsed, 3)}
        for warning in result.warnings:
            self.warn(str(warning))
        why = f" ({', '.join(changed)} changed)" if changed else ""
        self.say(f"html: {'rebuilt' if result.outputs else 'up to date'} in {elapsed:.2f} s{why}")
        self.hub.publish(version=version, errors=[], timings=timings, labels=self._labels())
        self.hub.wait_shown(version, SHOWN_WAIT_S)
        self.start_background()

    def start_background(self) -> None:
        try:
            formats = [f for f in load_config(self.project).formats if f != "html"]
        except ReportError:
            return
        if not formats:
            return
        command = [sys.executable, "-m", "report_builder", "build", *formats, "--project", str(self.project.root)]
        self.background = Child.start([*command, "--out", str(self.out_dir), "-q"], formats)
        try:  # its layout workers, forked from it, inherit this
            os.setpriority(os.PRIO_PROCESS, self.background.process.pid, BACKGROUND_NICENESS)
        except OSError:
            pass  # it has ended already, or the system refuses: it runs at the preview's priority
        self.hub.publish(background=dict.fromkeys(formats, "building"), outputs=self._outputs(formats))

    def poll_background(self) -> None:
        """Publish the other outputs once their build has ended."""
        child = self.background
        if child is None or child.process.poll() is None:
            return
        self.background = None
        lines = child.finish()
        for line in lines:
            self.warn(line)
        failed = child.process.returncode != 0
        if not failed:
            self.say(f"{', '.join(child.formats)}: built behind the page")
        self.hub.publish(
            background=dict.fromkeys(child.formats, "failed" if failed else "ready"),
            errors=[line for line in lines if ": error: " in line] if failed else [],
        )

    def stop_background(self) -> None:
        """Kill the other outputs' build (its layout workers too): what it builds is stale."""
        if self.background is not None:
            self.background.kill()
            self.background = None

    def _labels(self) -> dict[str, str]:
        """LABELS in the publication's language; the ones shown so far while report.yaml is in error."""
        from .labels import text

        try:
            config = load_config(self.project)
        except ReportError:
            return self.hub.status.labels
        return {key: text(config, message) for key, message in LABELS.items()}

    def _outputs(self, formats: list[str]) -> dict[str, str]:
        try:
            slug = load_config(self.project).slug
        except ReportError:
            return {}
        return {fmt: f"{slug}.{fmt}" for fmt in formats}


def serve(
    directory=".",
    out=None,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    say: Callable[[str], None] = print,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Build, serve the output folder and rebuild on every change to an input, until interrupted."""
    from watchfiles import watch as watch_changes

    hub = Hub()
    preview = Preview(directory, out, hub, say, warn or partial(print, file=sys.stderr))
    preview.out_dir.mkdir(parents=True, exist_ok=True)
    server = _bind(preview, hub, host, port)
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    started = False
    try:
        for changes in watch_changes(
            preview.project.root,
            watch_filter=lambda _change, path: preview.inputs.is_input(Path(path)),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            rust_timeout=READY_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if not started:  # the watcher listens from here on: no save is missed
                started = True
                preview.rebuild([], time.time())
                print(f"serving http://{shown_host}:{bound_port}/ (Ctrl-C to stop)", flush=True)  # even with -q
                continue
            if changes:
                names = sorted({preview.project.display(Path(p)) for _c, p in changes})
                preview.rebuild(names, time.time())
            preview.poll_background()
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop_background()
        hub.close()
        server.shutdown()
        server.server_close()
    return 0


def _bind(preview: Preview, hub: Hub, host: str, port: int | None) -> ThreadingHTTPServer:
    """The server on the port asked for; without one, on 8000 or, when that is taken, any free port."""
    entry = preview.entry()
    if port is not None:
        return make_server(preview.out_dir, hub, host, port, entry)
    try:
        return make_server(preview.out_dir, hub, host, DEFAULT_PORT, entry)
    except OSError:
        return make_server(preview.out_dir, hub, host, 0, entry)
