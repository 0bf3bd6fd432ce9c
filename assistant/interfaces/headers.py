"""Browser security headers on every response of the one port: the page, the API, static files.

Dutch government web apps are checked for these (internet.nl, the BIO): the page may not be framed
by another site (clickjacking), a response is never sniffed as another type, no address leaks to
other sites, the browser grants no camera, microphone or location, and behind a proxy that
terminates TLS the browser is told to keep to https. Pure ASGI: the headers are added to the
response start, streamed answers (server-sent events) pass untouched.
"""

from __future__ import annotations

# As strict as the page allows: Gradio renders from inline scripts and styles (its config and
# theme) and runs the page's own script (ui.PAGE_JS) from a string, so inline and eval stay for
# scripts (without 'unsafe-eval' the page stays at "Loading..."); everything else comes from this
# origin only, and nothing frames the page but the page itself.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
STRICT_TRANSPORT = "max-age=31536000"  # a year: only sent when TLS_TERMINATED says a proxy serves https
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
)


class SecurityHeaders:
    """Adds the headers to every HTTP response, replacing any the app set itself."""

    def __init__(self, app, https: bool = False):
        self.app = app
        self.headers = HEADERS + (((b"strict-transport-security", STRICT_TRANSPORT.encode()),) if https else ())
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in self.names]
                message = {**message, "headers": kept + list(self.headers)}
            await send(message)

        await self.app(scope, receive, with_headers)
