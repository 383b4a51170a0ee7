"""One Streamlit browser session without a browser: the websocket protocol, as little of it
as a clinician's tab needs (connect, rerun with widget values, read what the run drew).

Why not a browser: thirty Chromium tabs would measure Chromium. The server cannot tell this
client from the frontend: it speaks the same protobuf messages on ``/_stcore/stream``.

What the frontend does, and this client copies:

- it connects with the subprotocol ``streamlit`` and then asks for a run
  (``BackMsg.rerun_script``, a ``ClientState`` with the query string and the page: the
  URL path as ``page_name`` on the first run, afterwards the ``page_script_hash`` the
  server named in ``navigation``: ``new_session`` names the main script's);
- every run starts with ``new_session`` and ends with ``script_finished``;
  ``FINISHED_EARLY_FOR_RERUN`` (an ``st.rerun()``) is followed by another run, so a rerun
  is over at the first other status;
- each ``delta`` draws one element at ``metadata.delta_path``; a widget's proto carries its
  ``id`` (``$$ID-<hash>-<user key>`` for a keyed widget), and a keyed container's block
  its ``id`` too;
- a rerun carries the widget values the client holds (``WidgetStates``); a button or a
  form's submit button is a ``trigger_value`` sent once; values of widgets the last run
  did not draw are dropped, as the frontend drops them;
- ``page_info_changed`` carries the query string the script set (``st.query_params``);
- a download button's proto names the URL of its file (``/media/<id>.<ext>``), kept by the
  process that serves the websocket;
- behind a proxy the browser sends its cookies (the proxy's route cookie) and its Origin.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, Final

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

WidgetValue = bool | int | float | str
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class Disconnected(Exception):
    """The server closed the websocket (or it broke) before the run finished."""


class RunTimeout(Exception):
    """The run did not finish within the time allowed."""


@dataclass(slots=True)
class Run:
    """What one rerun drew, as the browser would hold it when the run finished."""

    status: str  # "ok" or "compile_error"
    seconds: float  # from sending the rerun to its script_finished
    widgets: dict[str, str] = field(default_factory=dict)  # widget id -> element type
    blocks: list[str] = field(default_factory=list)  # ids of keyed containers
    exceptions: list[str] = field(default_factory=list)  # st.exception / uncaught errors
    errors: list[str] = field(default_factory=list)  # st.error alerts
    downloads: dict[str, str] = field(default_factory=dict)  # download button id -> file URL
    ticket: str | None = None  # after a sign-in: what the page trades for the session cookie

    def widget(self, key: str) -> str:
        """The id of the widget the page keyed ``key`` (``KeyError`` if not drawn)."""
        for widget_id in self.widgets:
            if widget_id.endswith(f"-{key}") or widget_id == key:
                return widget_id
        raise KeyError(key)

    def block(self, prefix: str) -> str | None:
        """The key of the first keyed container whose key starts with ``prefix``."""
        for block_id in self.blocks:
            start = block_id.find(prefix)
            if start >= 0:
                return block_id[start:]
        return None


class Session:
    """A browser tab's session: one websocket, one script run at a time."""

    def __init__(self, socket: ClientConnection, *, query_string: str, page_name: str) -> None:
        self._socket = socket
        self.query_string = query_string
        self._page_name = page_name
        self._page_hash = ""
        self._values: dict[str, WidgetState] = {}
        self.session_id = ""

    @classmethod
    async def open(cls, host: str, port: int, *, query_string: str = "", page: str = "",
                   cookie: str | None = None, timeout: float = 30.0) -> Session:
        """Connect to ``ws://host:port/_stcore/stream`` (loopback only) as the page at
        ``http://host:port`` would: with its Origin, and ``cookie`` (``name=value``) if any."""
        if host not in LOOPBACK:
            raise ValueError(f"the load client connects to loopback only, not {host}")
        socket = await connect(
            f"ws://{host}:{port}/_stcore/stream", subprotocols=["streamlit"],  # type: ignore[list-item]
            origin=Origin(f"http://{host}:{port}"),
            additional_headers={"Cookie": cookie} if cookie else None,
            open_timeout=timeout, max_size=None, proxy=None)
        return cls(socket, query_string=query_string, page_name=page)

    async def close(self) -> None:
        await self._socket.close()

    def set(self, widget_id: str, value: WidgetValue) -> None:
        """Hold ``value`` for the widget; it is sent with every rerun while the widget is drawn."""
        state = WidgetState(id=widget_id)
        if isinstance(value, bool):
            state.bool_value = value
        elif isinstance(value, int):
            state.int_value = value
        elif isinstance(value, float):
            state.double_value = value
        else:
            state.string_value = value
        self._values[widget_id] = state

    async def rerun(self, *, trigger: str | None = None, timeout: float = 60.0) -> Run:
        """Ask for a run with the values held (and ``trigger`` pressed) and read it to the end.

        Raises ``Disconnected`` or ``RunTimeout``."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query_string
        if self._page_hash:
            client.page_script_hash = self._page_hash
        else:
            client.page_name = self._page_name
        states = client.widget_states.widgets
        states.extend(self._values.values())
        if trigger is not None:
            states.append(WidgetState(id=trigger, trigger_value=True))
        started = time.perf_counter()
        try:
            await self._socket.send(message.SerializeToString())
            run = await asyncio.wait_for(self._read_run(), timeout)
        except ConnectionClosed as error:
            raise Disconnected(str(error)) from error
        except TimeoutError as error:
            raise RunTimeout(f"no script_finished within {timeout:.0f} s") from error
        run.seconds = time.perf_counter() - started
        self._values = {k: v for k, v in self._values.items() if k in run.widgets}
        return run

    async def _read_run(self) -> Run:
        run: Run | None = None
        while True:
            data = await self._socket.recv(decode=False)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                run = Run(status="running", seconds=0.0)
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "navigation":  # names the page that runs (new_session: the main)
                self._page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and run is not None:
                _read_delta(msg, run)
            elif kind == "script_finished" and run is not None:
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run = None  # an st.rerun(): the next run is the one to read
                    continue
                run.status = ("compile_error" if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR
                              else "ok")
                return run


# The ticket in the sign-in's script (ui/browser_session.py), JSON-encoded URL-safe base64.
_TICKET: Final = re.compile(r'const ticket = "([A-Za-z0-9_-]+)";')


def _read_delta(msg: ForwardMsg, run: Run) -> None:
    delta = msg.delta
    which = delta.WhichOneof("type")
    if which == "add_block":
        if delta.add_block.id:
            run.blocks.append(delta.add_block.id)
        return
    if which != "new_element":
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return
    if kind == "exception":
        run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == Alert.ERROR:
        run.errors.append(element.alert.body)
    elif kind == "html" and (ticket := _TICKET.search(element.html.body)) is not None:
        run.ticket = ticket[1]
    elif kind == "download_button" and element.download_button.url:
        run.downloads[element.download_button.id] = element.download_button.url
    proto: Any = getattr(element, kind)
    if "id" in proto.DESCRIPTOR.fields_by_name and proto.id:
        run.widgets[str(proto.id)] = kind
