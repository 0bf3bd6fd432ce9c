"""Failed logins slowed down per client address, for the page's login form and the API alike.

After `max_failures` failed logins within `window` seconds an address is refused (HTTP 429) until
its oldest failure is older than the window; a password cannot be guessed at speed, and one
address cannot lock out the others.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_SECONDS = 60.0


class LoginThrottle:
    def __init__(self, max_failures: int = LOGIN_MAX_FAILURES, window: float = LOGIN_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.max_failures:
                return 0.0
            return max(0.0, recent[0] + self.window - self.clock())

    def refusal(self, client: str) -> tuple[str, dict[str, str]] | None:
        """(English message, HTTP headers) for a 429 when `client` must wait; None when it may try."""
        wait = self.retry_after(client)
        if not wait:
            return None
        return f"too many failed logins; try again in {wait:.0f} s", {"Retry-After": str(int(wait) + 1)}

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
            failures = self._failures.setdefault(client, deque())
        return failures


def login_ok(user: str, password: str, logins: list[tuple[str, str]]) -> bool:
    """Whether (user, password) is one of `logins`; every login is compared, so the time taken does
    not tell which user exists."""
    matches = [secrets.compare_digest(user.encode(), u.encode()) & secrets.compare_digest(password.encode(), p.encode())
               for u, p in logins]
    return any(matches)
