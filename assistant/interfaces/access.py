"""Who may use the JSON API, the chat endpoint and the MCP server: the page's logins (HTTP Basic,
`UI_AUTH`) or a token (`Authorization: Bearer`, `API_TOKENS`), with failed logins from one
address slowed down (login_throttle.py). One check, so the ways in cannot drift apart; each way
in says a refusal in its own shape.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from .login_throttle import LoginThrottle, login_ok

LOGIN_NEEDED = "a login (HTTP Basic, the page's UI_AUTH) or a token (Bearer, API_TOKENS) is needed"
ASK_FOR_LOGIN = {"WWW-Authenticate": 'Basic realm="sociaal-domein-assistent"'}


class AccessRefused(Exception):
    """Why a request may not go on: 401 (no or wrong credentials) or 429 (too many failures)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str]):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers


class Access:
    def __init__(self, logins: list[tuple[str, str]], tokens: list[str], throttle: LoginThrottle):
        self.logins = logins
        self.tokens = tokens
        self.throttle = throttle

    def check(self, authorization: str, client: str) -> None:
        """Raise AccessRefused unless the Authorization header opens the door (or none is needed)."""
        if not self.logins and not self.tokens:
            return
        refusal = self.throttle.refusal(client)
        if refusal:
            message, headers = refusal
            raise AccessRefused(429, message, headers)
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and _token_ok(value.strip(), self.tokens):
            return
        if scheme.lower() == "basic" and _basic_login_ok(value.strip(), self.logins):
            return
        if scheme:  # credentials that did not match count as a failed login; none at all do not
            self.throttle.failed(client)
        raise AccessRefused(401, LOGIN_NEEDED, ASK_FOR_LOGIN)


def _token_ok(value: str, tokens: list[str]) -> bool:
    return any([secrets.compare_digest(value.encode(), token.encode()) for token in tokens])


def _basic_login_ok(value: str, logins: list[tuple[str, str]]) -> bool:
    try:
        user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return login_ok(user, password, logins)
