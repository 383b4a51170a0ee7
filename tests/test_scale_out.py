"""Two app processes on one PostgreSQL database behind nginx, run from the deployer's own
file ``deploy/nginx.conf`` (README "Two app processes behind nginx"; ``bench/proxy.py``
renders it with the test's ports and nothing else).

The load harness drives 8 clinicians through nginx for 20 s. Proven here:

- no errors, every acknowledged answer in the database, each stored once (draft versions
  and ``change_intake`` records), one unbroken audit chain written by both processes;
- both processes served sessions: nginx's access log names the process that answered each
  session's websocket, and each process's own CPU time grew under the load;
- sticky sessions: every request of each session (first visit, websocket) reached one
  process;
- a real download (the Export page's clinician summary, ``st.download_button``) through
  nginx with the session's cookie is the PDF, with ``Cache-Control: no-store``; the same
  URL sent to the other process is a 404, so without stickiness downloads break; without the
  session cookie (signed out, or never signed in) it is a 403; the app
  process alone sends ``no-store`` as well (server.py), so neither layer relies on the other.

Needs nginx (Debian: ``apt-get install nginx``) and PostgreSQL: under CI=true a missing one
fails the test, elsewhere it skips with the reason.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import browser
import pg
from bench import load, proxy
from bench.session import Session
from careplan.session_cookie import COOKIE, SESSION_ROUTE

SESSIONS = 8  # the CI box has 2 cores: two servers, their script runs and the harness share them
SECONDS = 20.0
PAGE_PATHS = re.compile(r'src="\./(static/js/[^"]+\.js)"')


def require_nginx() -> None:
    if proxy.nginx_binary() is None:
        reason = "nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)"
        if browser.in_ci():
            pytest.fail(f"nginx is required in CI: {reason}")
        pytest.skip(reason)


# --- the config and the harness's rules (no server) -----------------------------------------

def test_rendering_changes_only_the_listen_port_and_the_upstream_servers() -> None:
    template = proxy.CONFIG.read_text("utf-8")
    text = proxy.render(template, listen=18080, upstreams=[18501, 18502, 18503])
    upstream = re.search(r"^upstream careplan \{\n(.*?)^\}", text, re.M | re.S)
    assert upstream is not None
    assert re.findall(r"server (\S+);", upstream[1]) == [
        "127.0.0.1:18501", "127.0.0.1:18502", "127.0.0.1:18503"]
    assert re.findall(r"^\s*listen (\S+);", text, re.M) == ["127.0.0.1:18080"]
    kept = [line for line in template.splitlines()
            if not re.match(r"\s*(listen|server 127\.0\.0\.1:)", line)]
    assert kept == [line for line in text.splitlines()
                    if not re.match(r"\s*(listen|server 127\.0\.0\.1:)", line)]


def test_the_config_routes_on_a_cookie_and_keeps_downloads_out_of_caches() -> None:
    text = proxy.CONFIG.read_text("utf-8")
    assert "hash $careplan_route consistent;" in text
    assert "ip_hash" not in re.sub(r"#.*", "", text)  # one clinic's NAT address: one process
    assert "HttpOnly; SameSite=Strict" in text
    media = re.search(r"location /media/ \{(.*?)\}", text, re.S)
    assert media is not None
    assert 'add_header Cache-Control "no-store" always;' in media[1]


def test_rendering_refuses_a_config_it_cannot_place() -> None:
    with pytest.raises(ValueError, match="upstream careplan"):
        proxy.render("server {\n    listen 80;\n}\n", listen=1, upstreams=[2])
    with pytest.raises(ValueError, match="at least one"):
        proxy.render(proxy.CONFIG.read_text("utf-8"), listen=1, upstreams=[])


@pytest.mark.parametrize(("processes", "proxy_name", "url", "message"), [
    (2, None, "postgresql+psycopg://x/y", "proxy in front"),
    (2, "nginx", "sqlite:///x.db", "one PostgreSQL database"),
    (2, "nginx", None, "one PostgreSQL database"),
    (0, None, None, "processes must be"),
    (1, "haproxy", None, "proxy must be"),
])
def test_the_harness_refuses_a_set_up_it_cannot_run(
    processes: int, proxy_name: str | None, url: str | None, message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        load.check_site(processes=processes, proxy=proxy_name, database_url=url)


# --- the real thing ----------------------------------------------------------------------

def add_plan(url: str, seat: load.Seat) -> None:
    """A plan version for the seat's visit, from its draft as the load left it."""
    from careplan import storage
    from careplan.clinical.engine import build_plan
    from careplan.intake.validation import validate_intake

    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine) as session:
            draft = storage.get_draft(session=session, visit_id=seat.visit_id)
            intake = validate_intake(draft.data, today=date.today())
            storage.save_plan(session=session, visit_id=seat.visit_id, intake=intake,
                              plan=build_plan(intake=intake, today=date.today()),
                              by="scale-out test")
    finally:
        engine.dispose()


async def download_through(site: load.Site, seat: load.Seat, cookie: str, *,
                           other_cookie: str, own_port: int) -> dict[str, proxy.Response]:
    """Sign in on the Export page through the proxy with ``cookie``, find the clinician
    summary's download URL, and fetch it while the session holds the file: through the
    proxy with the session's cookie, with ``other_cookie`` (the other process), and from
    the session's own app process directly."""
    session = await Session.open(proxy.HOST, site.port, page="Export", cookie=cookie,
                                 query_string=f"patient={seat.patient_id}&visit={seat.visit_id}")
    try:
        run = await session.rerun(timeout=load.RUN_TIMEOUT)
        session.set(run.widget("signin-user"), seat.username)
        session.set(run.widget("signin-password"), load.PASSWORD)
        run = await session.rerun(trigger=run.widget("FormSubmitter:sign-in-Sign in"),
                                  timeout=load.RUN_TIMEOUT)
        assert run.exceptions == []
        assert run.errors == []
        (url,) = [u for w, u in run.downloads.items() if w.endswith("-download-summary")]
        assert url.startswith("/media/")
        # the page trades its ticket for the session cookie, as the browser's script does
        assert run.ticket is not None
        traded = proxy.post(site.port, SESSION_ROUTE, run.ticket.encode(), cookie=cookie)
        assert traded.status == 204
        (signed,) = [c.split(";", 1)[0] for c in traded.header("Set-Cookie")
                     if c.startswith(f"{COOKIE}=")]
        return {"own": proxy.get(site.port, url, cookie=f"{cookie}; {signed}"),
                "unsigned": proxy.get(site.port, url, cookie=cookie),
                "other": proxy.get(site.port, url, cookie=f"{other_cookie}; {signed}"),
                "direct": proxy.get(own_port, url, cookie=signed)}
    finally:
        await session.close()


def test_two_processes_behind_nginx_share_the_load_and_every_answer_lands_once(
    tmp_path: Path,
) -> None:
    require_nginx()
    admin = pg.require_server()
    with pg.temporary_database(admin) as url:
        seats = load.prepare(url, SESSIONS, today=date.today())
        with load.open_site(url, tmp_path, processes=2, proxy="nginx") as site:
            assert site.proxy is not None
            report = load.measure(site, seats, url, seconds=SECONDS, think=1.0)
            print("\n".join(report.lines()))

            # The load: no error, nothing lost, nothing stored twice, one audit chain.
            assert [t.failure for t in report.tallies] == [None] * SESSIONS
            assert report.errors == 0
            assert report.lost == []
            assert report.not_once == []
            assert report.audit == []
            assert all(t.sign_in is not None and t.saves > 0 for t in report.tallies)

            # Both processes served sessions, each session at one process.
            assert report.split == []
            assert [s.sessions for s in report.servers] == [SESSIONS // 2] * 2
            assert all(s.cpu > 0.2 for s in report.servers), (
                "each process's own CPU time grows with the sessions it serves")
            where: dict[str, str] = {}
            for hop in site.proxy.hops():
                if hop.path == load.STREAM:
                    where[hop.route] = hop.upstream
            routes = [t.cookie.split("=", 1)[1] for t in report.tallies if t.cookie]
            assert len(routes) == SESSIONS
            assert {where[r] for r in routes} == {site.name(s) for s in site.servers}

            # The page: a new browser gets the route cookie; the page is never stored.
            first = proxy.get(site.port, "/")
            assert first.header("Cache-Control") == ["no-store"]
            (cookie,) = first.header("Set-Cookie")
            assert re.fullmatch(r"careplan_route=[0-9a-f]{32}; Path=/; HttpOnly; "
                                r"SameSite=Strict", cookie)
            again = proxy.get(site.port, "/", cookie=cookie.split(";")[0])
            assert again.header("Set-Cookie") == []
            script = PAGE_PATHS.search(first.body.decode())
            assert script is not None
            assert "no-store" not in ",".join(
                proxy.get(site.port, "/" + script[1]).header("Cache-Control")), (
                "Streamlit's content-hashed scripts stay cacheable")

            # A real download through nginx: the PDF, never stored, only at its process.
            mine = report.tallies[0]
            assert mine.cookie is not None
            own = where[mine.cookie.split("=", 1)[1]]
            other = next(t.cookie for t in report.tallies
                         if t.cookie and where[t.cookie.split("=", 1)[1]] != own)
            own_port = next(s.port for s in site.servers if site.name(s) == own)
            add_plan(url, mine.seat)
            got = load.in_own_loop(lambda: download_through(
                site, mine.seat, mine.cookie or "", other_cookie=other, own_port=own_port))

    assert got["own"].status == 200
    assert got["own"].body.startswith(b"%PDF")
    assert got["own"].header("Content-Disposition")[0].startswith("attachment;")
    assert got["own"].header("Cache-Control") == ["no-store"]
    # Only for a browser signed in (the session cookie), whatever the route.
    assert got["unsigned"].status == 403
    # The file lives only in the process of the session that offered it.
    assert got["other"].status == 404
    assert got["other"].header("Cache-Control") == ["no-store"]
    # The app sends no-store itself too (server.py): the proxy is a second line of defence.
    assert got["direct"].status == 200
    assert got["direct"].header("Cache-Control") == ["no-store"]
