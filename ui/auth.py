"""The sign-in gate: the sign-in and first-administrator forms, who is signed in, and what
happens when a write finds the session ended.

Why it is checked on every rerun and again by every write: nothing below ``ui.page()`` runs
for someone who is not signed in, and a write that finds the session ended writes nothing and
forgets the user and every widget, so patient data stays on no screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

import streamlit as st

from careplan import accounts, actions
from careplan.accounts import SignedIn
from careplan.errors import AccountError, SessionEndedError
from careplan.throttle import Throttle
from ui import browser_session
from ui.state import database, now

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def actor() -> SignedIn | None:
    """Who this browser session is signed in as (checked again by every write)."""
    who = st.session_state.get("signed_in")
    return who if isinstance(who, SignedIn) else None


def session_ended() -> None:
    """A write was refused because the session ended: forget the user and every widget
    (patient data stays on no screen), and say why on the sign-in form."""
    st.session_state.clear()
    st.session_state["ended_notice"] = True


def guarded(use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a use case from a page; an ended session shows the sign-in form instead."""
    try:
        return use_case(*args, **kwargs)
    except SessionEndedError:
        session_ended()
        st.rerun()


def sign_out(who: SignedIn) -> None:
    """End the session in the database and forget everything this browser session held."""
    with _transaction() as session:
        accounts.sign_out(session=session, user=who, now=now())
    st.session_state.clear()
    browser_session.forget()  # the next run drops the browser's cookie as well
    st.rerun()


def require_user() -> SignedIn:
    """The signed-in clinician, or a sign-in (or first-administrator) form and a stop.

    A new browser session (a refresh, a second tab) brings the session cookie: its token is
    checked like any other, so it keeps the clinician signed in only within the idle limit
    and until a sign-out, a disabled account or a password reset ends the session.
    """
    token = st.session_state.get("auth_token") or browser_session.cookie_token()
    with database().transaction(readonly=True) as session:  # a rerun takes no write lock
        empty = not accounts.any_accounts(session=session)
        state, who, due = ("ended", None, False) if empty or not token else (
            accounts.peek_session(session=session, token=token, now=now()))
    if due and token:  # an idle session to end, or last_seen to move on
        with _transaction() as session:
            state, who = accounts.check_session(session=session, token=token, now=now())
    if empty:
        _first_admin_form()
        st.stop()
    if state == "active" and who is not None:
        st.session_state["auth_token"] = token
        st.session_state["signed_in"] = who
        return who
    for key in ("auth_token", "signed_in"):
        st.session_state.pop(key, None)
    browser_session.scripts(signed_in=False)
    st.title("Sign in")
    if st.session_state.pop("ended_notice", False):
        st.warning(actions.ENDED)
    if state == "idle":
        st.info("You were signed out after a while without activity. Sign in again; "
                "everything you typed is saved.")
    with st.form("sign-in"):
        username = st.text_input("User name", key="signin-user")
        password = st.text_input("Password", type="password", key="signin-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        _sign_in(username, password)
    st.stop()


SIGN_IN_THROTTLE: Final = Throttle()  # one per server process: every browser session shares it


def client_key() -> str:
    """The client a sign-in comes from: its address as the server sees it ("local" on the
    same machine). Behind a proxy every client shares the proxy's address, so the limit
    then applies to all of them together: set the proxy to pass the address on."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "local"


def _sign_in(username: str, password: str) -> None:
    client, when = client_key(), now()
    wait = SIGN_IN_THROTTLE.wait(client, when)
    if wait is not None:  # refused before any hashing: the spray costs nothing
        minutes = max(1, round(wait.total_seconds() / 60))
        st.error(f"Too many sign-in attempts from this computer. Try again in {minutes} "
                 "minute(s), or ask an administrator.")
        return
    signed = accounts.sign_in_to(database(), username=username, password=password, now=when,
                                 client=client)
    if signed is None:
        SIGN_IN_THROTTLE.failed(client, when)
        st.error(accounts.GENERIC_FAILURE)
        return
    SIGN_IN_THROTTLE.succeeded(client)
    _signed_in(signed.token)


def _signed_in(token: str) -> None:
    """This browser session is signed in, and the browser keeps a new cookie for the next."""
    st.session_state["auth_token"] = token
    browser_session.keep(token)
    st.rerun()


def _first_admin_form() -> None:
    st.title("Create the first administrator")
    st.markdown("There are no accounts yet. The first account manages the others.")
    with st.form("first-admin"):
        username = st.text_input("User name", key="admin-user")
        name = st.text_input("Full name", key="admin-name")
        password = st.text_input("Password (12 characters or more)", type="password",
                                 key="admin-password")
        again = st.text_input("Password again", type="password", key="admin-again")
        submitted = st.form_submit_button("Create administrator", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    try:
        with _transaction() as session:
            accounts.add_user(session=session, username=username, display_name=name,
                              role="admin", password=password, by="setup", now=now())
            signed = accounts.sign_in(session=session, username=username, password=password,
                                      now=now())
    except AccountError as error:
        st.error(str(error))
        return
    if signed is not None:
        _signed_in(signed.token)


@contextmanager
def _transaction() -> Iterator[Session]:
    """For the sign-in forms only; pages call the use cases, which open their own."""
    with database().transaction() as session:
        yield session
