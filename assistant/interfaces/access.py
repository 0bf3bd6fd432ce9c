"""Who may use the JSON API, the chat endpoint and the MCP server: the page's logins (HTTP Basic,
`UI_AUTH`), a token (`Authorization: Bearer`, `API_TOKENS`) or an access token of the identity
provider (sign_in.py), with failed logins from one address slowed down (login_throttle.py). One
check, so the ways in cannot drift apart; each way in says a refusal in its own shape. The check
says who the caller is (a Reader), so each way in answers from the documents they may read.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from ..types import Reader
from .login_throttle import LoginThrottle, login_ok
from .sign_in import IdentityProvider, ProviderUnavailable

LOGIN_NEEDED = ("a login (HTTP Basic, the page's UI_AUTH) or a token (Bearer: API_TOKENS, or an access token of "
                "the identity provider) is needed")
ASK_FOR_LOGIN = {"WWW-Authenticate": 'Basic realm="sociaal-domein-assistent"'}


class AccessRefused(Exception):
    """Why a request may not go on: 401 (no or wrong credentials) or 429 (too many failures)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str]):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers


class Access:
    def __init__(self, logins: list[tuple[str, str]], tokens: list[str], throttle: LoginThrottle,
                 login_groups: dict[str, frozenset[str]] | None = None, admins: frozenset[str] = frozenset(),
                 provider: IdentityProvider | None = None):
        self.logins = logins
        self.tokens = tokens
        self.throttle = throttle
        self.login_groups = login_groups or {}
        self.admins = admins  # the logins (UI_ADMIN) that manage documents
        self.provider = provider

    def check(self, authorization: str, client: str) -> Reader:
        """Who the Authorization header says the caller is; AccessRefused unless it opens the door
        (or none is needed: then an anonymous reader, of the openbaar documents)."""
        if not self.logins and not self.tokens and not self.provider:
            return Reader()
        refusal = self.throttle.refusal(client)
        if refusal:
            message, headers = refusal
            raise AccessRefused(429, message, headers)
        scheme, _, value = authorization.partition(" ")
        reader = None
        if scheme.lower() == "bearer" and _token_ok(value.strip(), self.tokens):
            reader = Reader(subject="api-token")
        elif scheme.lower() == "bearer" and self.provider:
            try:
                reader = self.provider.reader_of_token(value.strip())
            except ProviderUnavailable as down:
                raise AccessRefused(503, f"the identity provider cannot be reached: {down}", {}) from down
        elif scheme.lower() == "basic":
            user = _basic_login(value.strip(), self.logins)
            if user is not None:
                reader = Reader(user, self.login_groups.get(user, frozenset()), admin=user in self.admins)
        if reader is not None:
            return reader
        if scheme:  # credentials that did not match count as a failed login; none at all do not
            self.throttle.failed(client)
        raise AccessRefused(401, LOGIN_NEEDED, ASK_FOR_LOGIN)


def _token_ok(value: str, tokens: list[str]) -> bool:
    return any([secrets.compare_digest(value.encode(), token.encode()) for token in tokens])


def _basic_login(value: str, logins: list[tuple[str, str]]) -> str | None:
    """The user whose HTTP Basic login this is; None when it matches none."""
    try:
        user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if login_ok(user, password, logins) else None
