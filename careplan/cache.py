"""A file cache for work that depends only on shipped files (the rule base, font faces).

Why: checking the rule files and parsing the fonts cost more than building a plan, and
the headless command pays them in every process. Their result depends only on files we
ship and the code that reads them, so it is kept on disk under a key that is the SHA-256
of exactly those inputs (plus Python's version): change a rule file, a checker or the
Python and the key changes, so a stale entry is never read; it is simply not found.

Where: ``$CAREPLAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/inomyalgia-care``, else
``~/.cache/inomyalgia-care``. A folder that cannot be made or written, or an entry that
cannot be read, only means the work is done again; it never fails the caller. No patient
data is ever cached. Entries are pickles, so the folder is made private (0700) and an
entry is read only from a folder owned by this user.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, TypeVar

_T = TypeVar("_T")
FOLDER_NAME: Final = "inomyalgia-care"
_MISSING: Final = object()


def cache_dir() -> Path:
    """The cache folder this process would use (it may not exist or be writable)."""
    explicit = os.environ.get("CAREPLAN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / FOLDER_NAME


def digest(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over ``parts`` (length-prefixed, so no two lists collide) and Python's version."""
    sha = hashlib.sha256(sys.version.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big") + data)
    return sha.hexdigest()


def cached(kind: str, key: str, build: Callable[[], _T]) -> _T:
    """``build()``'s result, read from the cache entry ``kind-key`` when there is one.

    ``key`` must be a digest of every input of ``build`` (see ``digest``).
    """
    path = cache_dir() / f"{kind}-{key}.pickle"
    found = _read(path)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    value = build()
    _write(path, value, kind=kind)
    return value


def parsed_toml(kind: str, text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, read from the cache entry ``kind-<digest>`` when there is one.

    Why: tomllib is pure Python; importing it and parsing a shipped data file cost a few
    milliseconds in every process, and the result depends only on the text (and Python's
    version, which ``digest`` includes). A text that does not parse raises as tomllib does.
    """

    def parse() -> dict[str, Any]:
        import tomllib  # only on a cache miss

        return tomllib.loads(text)

    return cached(kind, digest([text]), parse)


def _read(path: Path) -> object:
    try:
        if path.parent.stat().st_uid != os.getuid():
            return _MISSING  # someone else's folder: its pickles are not ours to run
        data = path.read_bytes()
    except OSError:  # missing or unreadable: rebuild
        return _MISSING
    # Unpickling makes tens of thousands of small objects and none of them is garbage:
    # the cycle collector would run dozens of times for nothing (most of the read's time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)  # noqa: S301 - our own private folder, see above
    except Exception:  # damaged, or from an incompatible build: rebuild
        return _MISSING
    finally:
        if enabled:
            gc.enable()


def _write(path: Path, value: object, *, kind: str) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)  # readers see the whole entry or none
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        stale = re.compile(re.escape(kind) + r"-[0-9a-f]{64}\.pickle")
        for old in path.parent.iterdir():  # an entry for inputs that changed is never read
            if old != path and stale.fullmatch(old.name):
                old.unlink(missing_ok=True)
    except Exception:  # not writable (read-only home, full disk), or not picklable: no cache
        return
