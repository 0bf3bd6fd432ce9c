"""Sign-in with the municipality's identity provider (OpenID Connect), and its access tokens.

The page: `/login` sends the browser to the provider (the authorization code flow with PKCE;
authlib makes and checks the state and the nonce), `/login/callback` takes the code back,
checks the ID token against the provider's published keys, and keeps the user's subject id,
groups and roles in a signed session cookie; `/logout` forgets them. A page visit without a
session goes to `/login` first.

The API, the chat endpoint and MCP take the provider's access tokens (`Authorization: Bearer`):
a JWT checked against the same keys for its signature, issuer, audience (OIDC_AUDIENCE) and
expiry. The claim OIDC_GROUPS_CLAIM gives the groups: OIDC_STAFF_GROUPS may ask (empty: anyone
the provider signs in), OIDC_ADMIN_GROUPS manage the documents; all groups count for the
documents' audiences. authlib (and its joserfc) does the protocol and the cryptography; this
module only maps what they verified onto a Reader.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import dataclass

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import FastAPI, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.responses import HTMLResponse, RedirectResponse

from ..config import Settings
from ..types import Reader

log = logging.getLogger(__name__)

DISCOVERY = "/.well-known/openid-configuration"
LOGIN_PATH, CALLBACK_PATH, LOGOUT_PATH = "/login", "/login/callback", "/logout"
SIGNED_IN = "user"  # the session's key for who is signed in
TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
TOKEN_LEEWAY_SECONDS = 5  # clocks of the provider and this server may differ this much
KEYS_REFRESH_SECONDS = 60.0  # a token signed with an unknown key fetches the provider's keys again, at most this often
PROVIDER_TIMEOUT = 10.0  # seconds for the provider's discovery document and keys
SESSION_HOURS = 10  # a working day: then the provider is asked again
SESSION_COOKIE = "assistent_sessie"


class ProviderUnavailable(RuntimeError):
    """The identity provider's discovery document or keys could not be read."""


@dataclass(frozen=True)
class Roles:
    """The assistant's roles as the provider's groups give them."""

    groups_claim: str
    staff: frozenset[str]  # empty: everyone the provider signs in may ask
    admins: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Roles:
        return cls(settings.oidc_groups_claim, settings.oidc_staff, settings.oidc_admins)

    def reader(self, claims: dict) -> Reader | None:
        """The reader these verified claims make; None when they may not ask."""
        value = claims.get(self.groups_claim) or []
        groups = frozenset([value] if isinstance(value, str) else [str(g) for g in value])
        subject = str(claims.get("sub") or "")
        if not subject or (self.staff and not groups & (self.staff | self.admins)):
            return None
        return Reader(subject=subject, groups=groups, admin=bool(groups & self.admins))


class IdentityProvider:
    """The provider's discovery document and keys (fetched once, the keys again when a token names
    a key they lack), and the check of its access tokens."""

    def __init__(self, settings: Settings):
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience or settings.oidc_client_id
        self.roles = Roles.of(settings)
        self._metadata: dict | None = None
        self._keys: KeySet | None = None
        self._keys_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def metadata_url(self) -> str:
        return self.issuer + DISCOVERY

    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = self._get(self.metadata_url)
            if self._metadata.get("issuer") != self.issuer:
                raise ProviderUnavailable(f"the provider at {self.metadata_url} names another issuer: "
                                          f"{self._metadata.get('issuer')!r}")
        return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_at > KEYS_REFRESH_SECONDS
            if self._keys is None or stale:
                self._keys = KeySet.import_key_set(self._get(self.metadata()["jwks_uri"]))
                self._keys_at = time.monotonic()
            return self._keys

    def reader_of_token(self, token: str) -> Reader | None:
        """The reader an access token stands for; None when it is no valid access token for this
        assistant (wrong signature, issuer or audience, expired, an ID token, a reader without the
        staff role)."""
        try:
            try:
                decoded = jwt.decode(token, self.keys(), algorithms=list(TOKEN_ALGORITHMS))
            except JoseError:  # perhaps signed with a key the provider added since: look once more
                decoded = jwt.decode(token, self.keys(refresh=True), algorithms=list(TOKEN_ALGORITHMS))
            jwt.JWTClaimsRegistry(leeway=TOKEN_LEEWAY_SECONDS, iss={"essential": True, "value": self.issuer},
                                  aud={"essential": True, "value": self.audience}, exp={"essential": True},
                                  sub={"essential": True}).validate(decoded.claims)
        except (JoseError, ValueError) as refused:
            log.info("An access token was refused: %s", type(refused).__name__)
            return None
        if "nonce" in decoded.claims:  # an ID token (it carries the sign-in's nonce) is no access token
            log.info("An access token was refused: an ID token")
            return None
        return self.roles.reader(decoded.claims)

    def _get(self, url: str) -> dict:
        try:
            response = httpx.get(url, timeout=PROVIDER_TIMEOUT)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as failure:
            raise ProviderUnavailable(f"Cannot read {url}: {type(failure).__name__}") from failure


def session_reader(session: dict) -> Reader | None:
    """Who the session says is signed in (None: nobody)."""
    user = session.get(SIGNED_IN)
    if not isinstance(user, dict) or not user.get("sub"):
        return None
    return Reader(subject=user["sub"], groups=frozenset(user.get("groups", [])), admin=bool(user.get("admin")))


def add_sign_in(app: FastAPI, settings: Settings, identity: IdentityProvider, on_sign_in=None) -> None:
    """The sign-in routes on `app` for the `identity` provider (its roles make the reader);
    `on_sign_in(reader)` is told of each sign-in (the audit trail). The app needs Starlette's
    SessionMiddleware (ui.build_app adds it)."""
    provider = OAuth().register(
        "provider", server_metadata_url=identity.metadata_url, client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": "openid", "code_challenge_method": "S256", "timeout": PROVIDER_TIMEOUT})

    @app.get(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request):
        redirect = settings.oidc_redirect_url or str(request.url_for("signed_in"))
        try:
            return await provider.authorize_redirect(request, redirect)
        except (httpx.HTTPError, OAuthError, ValueError) as failure:
            log.warning("Sign-in: the identity provider could not be reached (%s)", type(failure).__name__)
            return _page(503, "Aanmelden lukt nu niet", "De aanmeldservice van de gemeente is niet bereikbaar. "
                                                        "Probeer het over een paar minuten opnieuw.")

    @app.get(CALLBACK_PATH, include_in_schema=False, name="signed_in")
    async def signed_in(request: Request):
        try:
            token = await provider.authorize_access_token(request)
        except (httpx.HTTPError, OAuthError, JoseError, ValueError, KeyError) as failure:
            log.warning("Sign-in refused: %s", type(failure).__name__)
            return _page(400, "Aanmelden is niet gelukt",
                         "De aanmelding kon niet worden gecontroleerd. Probeer het opnieuw.", again=True)
        reader = identity.roles.reader(dict(token.get("userinfo") or {}))
        if reader is None:
            return _page(403, "Geen toegang", "U bent aangemeld, maar uw account heeft geen toegang tot de "
                                              "assistent. Vraag toegang aan bij de beheerder.")
        request.session[SIGNED_IN] = {"sub": reader.subject, "groups": sorted(reader.groups), "admin": reader.admin}
        if on_sign_in:
            on_sign_in(reader)
        return RedirectResponse("/", status_code=303)

    @app.get(LOGOUT_PATH, include_in_schema=False)
    async def logout(request: Request):
        request.session.clear()
        return _page(200, "U bent afgemeld", "U bent afgemeld bij de assistent.", again=True)


def _page(status: int, title: str, text: str, again: bool = False) -> HTMLResponse:
    link = f'<p><a href="{LOGIN_PATH}">Opnieuw aanmelden</a></p>' if again else ""
    return HTMLResponse(f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}'
                        f'</title></head><body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{link}'
                        f'</main></body></html>', status_code=status)


class SignInFirst:
    """A visit to the page without a signed-in session goes to the provider's sign-in first (the
    page's other routes answer 401 through Gradio's auth_dependency). Pure ASGI, after Starlette's
    SessionMiddleware."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] == "/"
                and session_reader(scope.get("session") or {}) is None):
            await RedirectResponse(LOGIN_PATH, status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)
