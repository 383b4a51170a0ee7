"""nginx in front of the app processes, run from the deployer's own file: ``deploy/nginx.conf``.

The file is what goes into nginx's http block on a server (Debian: ``/etc/nginx/conf.d/``).
:func:`render` changes only its ``listen`` port and the ``server`` lines of its upstream
block; :class:`Nginx` writes a small main configuration around it, standing in for Debian's
``/etc/nginx/nginx.conf`` (one worker, temporary files and logs in a folder of the run, and
an access log naming the route id and the app process of every request), and runs nginx
unprivileged in the foreground (``nginx -p PREFIX -c CONF -g 'daemon off; ...'``).

The access log is the proxy's own account of where each request went: :meth:`Nginx.hops`
reads it, so the load harness can say which process served each session and whether every
request of a browser reached one process.
"""

from __future__ import annotations

import http.client
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
CONFIG: Final = ROOT / "deploy" / "nginx.conf"
ROUTE_COOKIE: Final = "careplan_route"  # set by deploy/nginx.conf on a browser's first request
HOST: Final = "127.0.0.1"
START_TIMEOUT: Final = 30.0
STOP_TIMEOUT: Final = 10.0


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = STOP_TIMEOUT) -> None:
    """Terminate ``proc`` (SIGTERM: a clean shutdown), kill it after ``timeout`` s, reap it.

    Shared by the benchmarks' and the browser tests' servers: a process left unreaped
    would hold its port for the next test."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()
# One line a request: route id | app process(es) tried | status | method | path.
_HOP_FORMAT: Final = "$careplan_route|$upstream_addr|$status|$request_method|$uri"

_LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen[ \t]+[^;\n]+;[ \t]*$", re.MULTILINE)
_UPSTREAM = re.compile(r"^upstream careplan \{\n(?P<body>.*?)^\}", re.MULTILINE | re.DOTALL)
_SERVER = re.compile(r"^(?P<indent>[ \t]*)server[ \t]+[^;\n]+;[ \t]*\n", re.MULTILINE)


def render(template: str, *, listen: int, upstreams: Sequence[int]) -> str:
    """``template`` (``deploy/nginx.conf``) listening on 127.0.0.1:``listen``, with one
    upstream ``server`` line for each app process's port; nothing else changes.

    Raises ``ValueError`` when the file no longer has exactly one ``listen`` line and an
    ``upstream careplan`` block of ``server`` lines (say what changed in the file here)."""
    if not upstreams:
        raise ValueError("at least one app process")
    listens = list(_LISTEN.finditer(template))
    block = _UPSTREAM.search(template)
    servers = list(_SERVER.finditer(block["body"])) if block else []
    if len(listens) != 1 or block is None or not servers:
        raise ValueError("the nginx config needs one `listen` line and an `upstream careplan` "
                         "block with `server` lines (bench/proxy.py renders them)")
    indent = servers[0]["indent"]
    lines = "".join(f"{indent}server {HOST}:{port};\n" for port in upstreams)
    body = block["body"]
    body = body[:servers[0].start()] + lines + _SERVER.sub("", body[servers[0].start():])
    text = template[:block.start("body")] + body + template[block.end("body"):]
    return _LISTEN.sub(lambda m: f"{m['indent']}listen {HOST}:{listen};", text, count=1)


def nginx_binary() -> str | None:
    """The nginx program (Debian's is in /usr/sbin, not on every user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@dataclass(frozen=True, slots=True)
class Hop:
    """One request as nginx logged it (a websocket when it closed)."""

    route: str  # the route id the request was hashed on (cookie, or the new one it was given)
    upstream: str  # the app process that answered, "host:port" ("-" if none)
    status: int
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


def get(port: int, path: str, *, cookie: str | None = None, timeout: float = 10.0) -> Response:
    """``GET http://127.0.0.1:port/path`` (loopback only), with ``cookie`` if given."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        answer = connection.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


def post(port: int, path: str, body: bytes, *, cookie: str | None = None,
         timeout: float = 10.0) -> Response:
    """``POST http://127.0.0.1:port/path`` as the page at that address sends it (its Origin),
    with ``cookie`` if given (loopback only)."""
    headers = {"Origin": f"http://{HOST}:{port}", **({"Cookie": cookie} if cookie else {})}
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


def route_cookie(response: Response) -> str | None:
    """``careplan_route=<id>`` from the response's Set-Cookie, if it sets one."""
    for value in response.header("Set-Cookie"):
        pair = value.split(";", 1)[0].strip()
        if pair.startswith(f"{ROUTE_COOKIE}="):
            return pair
    return None


class Nginx:
    """nginx on 127.0.0.1:``port`` in front of the app processes on ``upstreams``, from
    ``template`` (default ``deploy/nginx.conf``); its files in ``folder``."""

    def __init__(self, upstreams: Sequence[int], folder: Path, *, port: int,
                 template: Path = CONFIG) -> None:
        binary = nginx_binary()
        if binary is None:
            raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx)")
        self.binary = binary
        self.upstreams = list(upstreams)
        self.port = port
        self.folder = folder
        self.template = template
        self.site = folder / "careplan.conf"
        self.main = folder / "nginx.conf"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def main_config(self) -> str:
        """What Debian's /etc/nginx/nginx.conf would say, for a run in ``folder``."""
        temp = self.folder / "temp"
        # As root the workers would run as nobody, who cannot enter a private temp folder.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        paths = "".join(f"    {kind}_temp_path {temp / kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return (f"{user}worker_processes 1;\n"
                "events {\n    worker_connections 1024;\n}\n"
                "http {\n"
                f"    log_format careplan_hops '{_HOP_FORMAT}';\n"
                f"    access_log {self.access_log} careplan_hops;\n"
                f"{paths}"
                f"    include {self.site};\n"
                "}\n")

    def command(self) -> list[str]:
        return [self.binary, "-p", str(self.folder), "-c", str(self.main),
                "-e", str(self.error_log),
                "-g", f"daemon off; pid {self.folder / 'nginx.pid'}; error_log {self.error_log};"]

    def start(self) -> Nginx:
        """Write the configuration, check it (``nginx -t``), start nginx and wait until the
        app answers through it (``/_stcore/health``)."""
        if self._proc is not None:
            raise RuntimeError("nginx already started")
        (self.folder / "temp").mkdir(parents=True, exist_ok=True)
        self.site.write_text(render(self.template.read_text("utf-8"), listen=self.port,
                                    upstreams=self.upstreams), "utf-8")
        self.main.write_text(self.main_config(), "utf-8")
        # nginx from PATH or /usr/sbin with arguments built here: no untrusted input
        check = subprocess.run([*self.command(), "-t"], capture_output=True, text=True,  # noqa: S603
                               check=False, stdin=subprocess.DEVNULL)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
        with (self.folder / "nginx.out").open("ab") as out:
            self._proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out,  # noqa: S603
                                          stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while not self._healthy():
                if self._proc.poll() is not None:
                    raise RuntimeError(f"nginx exited with code {self._proc.returncode}:\n"
                                       + self.log_tail())
                if time.monotonic() > deadline:
                    raise TimeoutError("the app did not answer through nginx within "
                                       f"{START_TIMEOUT:.0f} s:\n" + self.log_tail())
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        try:
            answer = get(self.port, "/_stcore/health", timeout=2)
        except (OSError, http.client.HTTPException):
            return False
        return answer.status == 200 and answer.body.strip() == b"ok"

    def stop(self) -> None:
        """Stop nginx (fast shutdown, killed after ``STOP_TIMEOUT`` s). Idempotent."""
        proc, self._proc = self._proc, None
        stop_process(proc)

    def hops(self) -> list[Hop]:
        """Every request logged so far, oldest first."""
        try:
            text = self.access_log.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return []
        found: list[Hop] = []
        for line in text.splitlines():
            parts = line.split("|", 4)
            if len(parts) == 5 and parts[2].isdigit():
                found.append(Hop(parts[0], parts[1], int(parts[2]), parts[3], parts[4]))
        return found

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.error_log.read_text(errors="replace")
        except OSError:
            return "(no nginx error log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
