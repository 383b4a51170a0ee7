"""PostgreSQL test infrastructure: a server to test against, throwaway databases and a
TCP fault proxy. Independent of the storage API; import it from tests as ``import pg``.

Server: ``CAREPLAN_TEST_POSTGRES_URL`` (set by ``.ci/run``) when present, otherwise a
throwaway cluster started once per process from the local PostgreSQL binaries (as the
``postgres`` user when running as root) and stopped at exit. With ``CI=true`` a missing
server fails the test instead of skipping it.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import pwd
import selectors
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

_T = TypeVar("_T")

ENV_URL = "CAREPLAN_TEST_POSTGRES_URL"
DB_PREFIX = "careplan_test_"
_START_TIMEOUT = 60

_lock = threading.Lock()
_started = False
_local_url: str | None = None
_unavailable_reason = "no PostgreSQL binaries found and CAREPLAN_TEST_POSTGRES_URL is not set"


# --------------------------------------------------------------------------- server


def server_url() -> str | None:
    """Admin URL (SQLAlchemy form, psycopg 3 driver) of a server for tests, or None."""
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return env
    global _started, _local_url, _unavailable_reason
    with _lock:
        if not _started:
            _started = True
            try:
                _local_url = _start_local_cluster()
            except _Unavailable as exc:
                _unavailable_reason = str(exc)
        return _local_url


def require_server() -> str:
    """``server_url()``; fails under CI=true and skips elsewhere when there is none."""
    url = server_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {_unavailable_reason}")
        pytest.skip(f"PostgreSQL not available ({_unavailable_reason})")
    return url


class _Unavailable(Exception):
    pass


def _find_bindir() -> Path | None:
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).parent] if on_path else []

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.name.split(".") if x.isdigit())

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    candidates += debian
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_local_cluster() -> str:
    bindir = _find_bindir()
    if bindir is None:
        raise _Unavailable("no PostgreSQL binaries found and CAREPLAN_TEST_POSTGRES_URL is not set")

    # initdb refuses to run as root: run the server tools as the postgres user then.
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise _Unavailable("running as root and there is no postgres user") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise _Unavailable("running as root and runuser is missing")
        prefix = [runuser, "-u", "postgres", "--"]

    base = tempfile.gettempdir()
    if owner is not None and not os.stat(base).st_mode & 0o001:
        base = "/tmp"  # the postgres user must be able to reach the directory
    tmp = Path(tempfile.mkdtemp(prefix="careplan-pg-", dir=base))
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    data, log = tmp / "data", tmp / "server.log"

    def run(*args: str | Path) -> None:
        cmd = [*prefix, *map(str, args)]
        result = subprocess.run(
            cmd, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=_START_TIMEOUT + 30, check=False, env={**os.environ, "LC_ALL": "C"},
        )
        if result.returncode != 0:
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise _Unavailable(
                f"{' '.join(cmd)} exited {result.returncode}: "
                f"{result.stdout[-1000:]}{result.stderr[-1000:]}{server_log}"
            )

    def cleanup() -> None:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                subprocess.run(
                    [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                     "stop"],
                    cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                    check=False,
                )
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync")
        # Throwaway data: durability off for speed; loopback TCP only, socket in tmp.
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\n# careplan tests\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{tmp}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        for attempt in range(3):  # a free port can be taken between probe and bind
            port = _free_port()
            try:
                run(bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", str(_START_TIMEOUT),
                    "-o", f"-p {port}", "start")
                break
            except _Unavailable:
                if attempt == 2 or (data / "postmaster.pid").exists():
                    raise
    except BaseException:
        cleanup()
        raise
    atexit.register(cleanup)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


# ------------------------------------------------------------------------- databases


def _connect_kwargs(url: URL) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "host": url.host, "port": url.port, "user": url.username,
        "password": url.password, "dbname": url.database,
    }
    kwargs.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return {k: v for k, v in kwargs.items() if v is not None}


def _admin_connection(url: URL) -> psycopg.Connection[Any]:
    return psycopg.connect(**_connect_kwargs(url), autocommit=True, connect_timeout=10)


def create_database(admin_url: str) -> str:
    """Create a uniquely named empty database; return its SQLAlchemy URL."""
    url = make_url(admin_url)
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:16]}"
    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database named in ``url``, terminating any connection still using it."""
    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError(f"no database name in {target!r}")
    maintenance = "template1" if name == "postgres" else "postgres"
    with _admin_connection(target.set(database=maintenance)) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        if conn.info.server_version >= 130000:  # also catches a reconnect racing the drop
            drop = sql.SQL("{} WITH (FORCE)").format(drop)
        conn.execute(drop)


@contextlib.contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """``create_database`` for the duration of a ``with`` block, then ``drop_database``."""
    url = create_database(admin_url)
    try:
        yield url
    finally:
        drop_database(url)


# ----------------------------------------------------------------------- fault proxy

_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_MAX_BUFFER = 1 << 20  # stop reading from a side while its peer has this much unsent


def _abort(sock: socket.socket) -> None:
    """Close with SO_LINGER 0 so the peer gets a RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@dataclass(eq=False)
class _Side:
    sock: socket.socket
    pair: _Pair | None = None
    out: bytearray = field(default_factory=bytearray)  # bytes waiting to be sent on sock
    eof: bool = False  # sock's peer finished sending
    shut_wr: bool = False  # we have half-closed sock for writing
    events: int = 0  # what sock is registered for (0 = not registered)


@dataclass(eq=False)
class _Pair:
    client: _Side
    server: _Side

    def other(self, side: _Side) -> _Side:
        return self.server if side is self.client else self.client


class FaultProxy:
    """Loopback TCP proxy for fault injection, e.g. between a driver and PostgreSQL.

    One background thread forwards bytes both ways. ``drop_all()`` resets every open
    connection (both sides get a RST), ``pause()`` stops forwarding until ``resume()``.
    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        infos = socket.getaddrinfo(target_host, target_port, type=socket.SOCK_STREAM)
        if not infos or not all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos):
            raise ValueError(f"FaultProxy only forwards to loopback, not {target_host!r}")
        self.target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._commands: list[tuple[Callable[[], Any], threading.Event, list[Any]]] = []
        self._stopping = False
        self._paused = False
        self._pairs: set[_Pair] = set()
        self._sel: selectors.BaseSelector | None = None
        self.port = 0

    @classmethod
    def for_url(cls, db_url: str) -> FaultProxy:
        url = make_url(db_url)
        return cls(url.host or "127.0.0.1", url.port or 5432)

    # -- public API (any thread) --------------------------------------------------

    def start(self) -> FaultProxy:
        if self._thread is not None:
            raise RuntimeError("FaultProxy already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            listener.setblocking(False)
            self._wake_r, self._wake_w = socket.socketpair()
        except BaseException:
            listener.close()
            raise
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, name=f"FaultProxy:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection; join the thread. Idempotent."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
        self._wake()
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError("FaultProxy thread did not stop")
        assert self._wake_w is not None
        assert self._wake_r is not None
        self._wake_w.close()
        self._wake_r.close()  # closed here, not by the thread, so _wake() never breaks
        self._thread = None

    def url_for(self, db_url: str) -> str:
        """``db_url`` with host and port replaced by the proxy's."""
        if not self.port:
            raise RuntimeError("FaultProxy not started")
        url = make_url(db_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> int:
        """Reset every open connection (client and server side); return how many."""
        return self._call(self._drop_all)

    def pause(self) -> None:
        """Stop forwarding bytes (connections stay open, data waits in the kernel)."""
        self._call(lambda: self._set_paused(True))

    def resume(self) -> None:
        self._call(lambda: self._set_paused(False))

    @property
    def connection_count(self) -> int:
        return self._call(lambda: len(self._pairs))

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- plumbing --------------------------------------------------------------------

    def _wake(self) -> None:
        assert self._wake_w is not None
        # BlockingIOError: a wake-up is already pending; OSError: stopped meanwhile.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _call(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the proxy thread and wait for it, so its effect is complete."""
        if self._thread is None:
            raise RuntimeError("FaultProxy not started")
        done = threading.Event()
        result: list[Any] = []
        with self._lock:
            if self._stopping:
                raise RuntimeError("FaultProxy stopping")
            self._commands.append((fn, done, result))
        self._wake()
        if not done.wait(timeout=10):
            raise RuntimeError("FaultProxy thread did not answer")
        if isinstance(result[0], BaseException):
            raise result[0]
        value: _T = result[0]
        return value

    def _run(self) -> None:
        assert self._listener is not None
        assert self._wake_r is not None
        self._sel = sel = selectors.DefaultSelector()
        try:
            sel.register(self._listener, _READ, None)
            sel.register(self._wake_r, _READ, None)
            while True:
                with self._lock:
                    commands, self._commands = self._commands, []
                    stopping = self._stopping
                for fn, done, result in commands:
                    try:
                        result.append(fn())
                    except Exception as exc:
                        result.append(exc)
                    done.set()
                if stopping:
                    break
                for key, _mask in sel.select(timeout=1.0):
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(BlockingIOError):
                            self._wake_r.recv(4096)
                    elif key.fileobj is self._listener:
                        self._accept()
                    else:
                        side: _Side = key.data
                        if side.pair is not None and side.pair in self._pairs:
                            self._service(side, _mask)
        finally:
            self._drop_all()
            sel.close()
            self._listener.close()
            with self._lock:  # nobody waits forever on a command that came too late
                for _fn, done, result in self._commands:
                    result.append(RuntimeError("FaultProxy stopped"))
                    done.set()
                self._commands = []

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # BlockingIOError: nothing more to accept
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _abort(client)  # target down: the client sees a reset
                continue
            for s in (client, server):
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(_Side(client), _Side(server))
            pair.client.pair = pair.server.pair = pair
            self._pairs.add(pair)
            self._update(pair.client)
            self._update(pair.server)

    def _service(self, side: _Side, mask: int) -> None:
        assert side.pair is not None
        pair, peer = side.pair, side.pair.other(side)
        try:
            if mask & _WRITE:
                self._flush(side)
            if mask & _READ:
                data = self._recv(side)
                if data:
                    peer.out += data
                    self._flush(peer)
                elif data is not None:  # orderly FIN: pass it on after the data before it
                    side.eof = True
                    self._flush(peer)
        except OSError:  # a reset on one side resets the other
            self._drop(pair)
            return
        if pair in self._pairs:
            if side.eof and peer.eof and not side.out and not peer.out:
                self._drop(pair, reset=False)
            else:
                self._update(side)
                self._update(peer)

    @staticmethod
    def _recv(side: _Side) -> bytes | None:
        try:
            return side.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None

    def _flush(self, side: _Side) -> None:
        while side.out:
            try:
                n = side.sock.send(side.out)
            except (BlockingIOError, InterruptedError):
                break
            del side.out[:n]
        assert side.pair is not None
        if not side.out and side.pair.other(side).eof and not side.shut_wr:
            side.shut_wr = True
            side.sock.shutdown(socket.SHUT_WR)

    def _update(self, side: _Side) -> None:
        assert self._sel is not None
        assert side.pair is not None
        peer = side.pair.other(side)
        events = 0
        if not self._paused and not side.eof and len(peer.out) < _MAX_BUFFER:
            events |= _READ
        if side.out and not self._paused:
            events |= _WRITE
        if events == side.events:
            return
        if side.events == 0:
            self._sel.register(side.sock, events, side)
        elif events == 0:
            self._sel.unregister(side.sock)
        else:
            self._sel.modify(side.sock, events, side)
        side.events = events

    def _drop(self, pair: _Pair, *, reset: bool = True) -> None:
        self._pairs.discard(pair)
        for side in (pair.client, pair.server):
            if side.events and self._sel is not None:
                self._sel.unregister(side.sock)
                side.events = 0
            if reset:
                _abort(side.sock)
            else:
                side.sock.close()

    def _drop_all(self) -> int:
        pairs = list(self._pairs)
        for pair in pairs:
            self._drop(pair)
        return len(pairs)

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        for pair in self._pairs:
            self._update(pair.client)
            self._update(pair.server)
