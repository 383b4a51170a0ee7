"""Sign-in attempts counted per client, in this process: a crowd of guesses from one place
is slowed down before any password is hashed.

Why besides the lockout per account and client (``careplan.accounts``): a spray of
sign-ins over many user names never locks an account, yet each attempt costs an argon2 hash
(~40 ms, 19 MiB). After ``limit`` failures from one client within ``window`` its attempts
are refused without hashing until the oldest failure ages out. Per process: N app servers
allow N times the rate, which the lockouts (in the database) still cap for each account.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

LIMIT: Final = 10
WINDOW: Final = timedelta(minutes=15)


@dataclass
class Throttle:
    """Failures per client key in a sliding window; thread-safe (one per server process)."""

    limit: int = LIMIT
    window: timedelta = WINDOW
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str, now: datetime) -> timedelta | None:
        """How long ``client`` must wait before its next attempt (``None``: it may try)."""
        with self._lock:
            recent = self._recent(client, now)
            if len(recent) < self.limit:
                return None
            return recent[0] + self.window - now

    def failed(self, client: str, now: datetime) -> None:
        with self._lock:
            self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        """A right password from this client clears its count (a person who mistyped)."""
        with self._lock:
            self._failures.pop(client, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(client, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(self._failures) > 10_000:  # bounded memory under a spray of client keys
            for key in [k for k, v in self._failures.items() if not v][:5_000]:
                del self._failures[key]
        return recent
