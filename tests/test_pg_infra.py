"""The PostgreSQL test infrastructure itself: server, throwaway databases, fault proxy."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

import pg


@pytest.fixture(scope="module")
def admin_url() -> str:
    return pg.require_server()


@pytest.fixture
def db_url(admin_url: str) -> Iterator[str]:
    with pg.temporary_database(admin_url) as url:
        yield url


def _database_exists(admin_url: str, name: str) -> bool:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
    finally:
        engine.dispose()
    return found == 1


def _talk(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"hello")
        return client.recv(10)


def test_require_server_gives_a_psycopg_url(admin_url: str) -> None:
    url = make_url(admin_url)
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() == "psycopg"


def test_create_database_gives_an_empty_database_that_drop_removes(admin_url: str) -> None:
    url = pg.create_database(admin_url)
    name = make_url(url).database
    assert name is not None
    assert name.startswith(pg.DB_PREFIX)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar() == 1
            assert conn.execute(text("select current_database()")).scalar() == name
            tables = conn.execute(
                text("select count(*) from pg_tables where schemaname = 'public'")
            ).scalar()
            assert tables == 0
        # A pooled connection is still open: drop_database must terminate it.
        assert _database_exists(admin_url, name)
        pg.drop_database(url)
    finally:
        engine.dispose()
    assert not _database_exists(admin_url, name)
    pg.drop_database(url)  # IF EXISTS: dropping twice is fine


def test_each_database_is_unique(admin_url: str) -> None:
    with pg.temporary_database(admin_url) as a, pg.temporary_database(admin_url) as b:
        assert make_url(a).database != make_url(b).database


def test_drop_all_resets_connections_and_new_ones_work(db_url: str) -> None:
    threads_before = threading.active_count()
    target = make_url(db_url)
    with pg.FaultProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        engine = create_engine(proxy.url_for(db_url))
        try:
            with engine.connect() as conn:
                assert conn.execute(text("select 1")).scalar() == 1
                assert proxy.connection_count == 1
                assert proxy.drop_all() == 1
                with pytest.raises(DBAPIError) as excinfo:
                    conn.execute(text("select 1"))
                assert isinstance(excinfo.value, OperationalError)
                assert excinfo.value.connection_invalidated
            with engine.connect() as conn:  # the pool reconnects through the proxy
                assert conn.execute(text("select 2")).scalar() == 2
        finally:
            engine.dispose()
    assert threading.active_count() == threads_before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(
        ("127.0.0.1", proxy.port), timeout=2
    ):
        pass


def test_proxy_forwards_large_payloads_both_ways(db_url: str) -> None:
    target = make_url(db_url)
    with pg.FaultProxy.for_url(db_url) as proxy:
        assert proxy.url_for(db_url).endswith(f":{proxy.port}/{target.database}")
        engine = create_engine(proxy.url_for(db_url))
        try:
            with engine.connect() as conn:
                payload = "x" * 3_000_000
                echoed = conn.execute(text("select :p"), {"p": payload}).scalar()
                assert echoed == payload
        finally:
            engine.dispose()


def test_paused_proxy_stalls_until_resumed(db_url: str) -> None:
    with pg.FaultProxy.for_url(db_url) as proxy:
        engine = create_engine(proxy.url_for(db_url))
        try:
            with engine.connect() as conn:
                proxy.pause()
                result: list[object] = []
                worker = threading.Thread(
                    target=lambda: result.append(conn.execute(text("select 3")).scalar())
                )
                worker.start()
                worker.join(timeout=0.3)
                assert worker.is_alive()
                assert result == []
                proxy.resume()
                worker.join(timeout=10)
                assert result == [3]
        finally:
            engine.dispose()


def test_proxy_refuses_non_loopback_targets() -> None:
    with pytest.raises(ValueError, match="loopback"):
        pg.FaultProxy("192.0.2.1", 5432)


def test_stopped_proxy_has_no_thread_and_stop_is_idempotent() -> None:
    # Nothing listens on the target: the client is reset, the proxy keeps going.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    proxy = pg.FaultProxy("127.0.0.1", dead_port).start()
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        _talk(proxy.port)  # the reset may come at connect, send or receive
    assert proxy.connection_count == 0
    proxy.stop()
    proxy.stop()
    assert not any(t.name == f"FaultProxy:{proxy.port}" for t in threading.enumerate())
    with pytest.raises(RuntimeError):
        proxy.drop_all()


def test_without_a_server_ci_fails_and_elsewhere_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg, "server_url", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        pg.require_server()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        pg.require_server()
