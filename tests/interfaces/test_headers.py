"""The security headers' middleware (fast): every header on a response, the app's own weaker
value replaced, HSTS only when a proxy serves https. The running page: test_headers_page.py."""

from __future__ import annotations

import asyncio

import pytest

from assistant.interfaces.headers import SecurityHeaders


def headers_sent(https: bool) -> dict[bytes, bytes]:
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-frame-options", b"ALLOWALL"), (b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(SecurityHeaders(app, https=https)({"type": "http", "method": "GET", "path": "/"}, None, send))
    assert sent[1]["body"] == b"ok", "the body passes untouched"
    return dict(sent[0]["headers"])


@pytest.mark.parametrize("https", [False, True])
def test_strict_transport_only_when_a_proxy_serves_https(https):
    headers = headers_sent(https)
    assert headers[b"x-frame-options"] == b"SAMEORIGIN", "the app's own weaker value is replaced"
    assert headers[b"x-content-type-options"] == b"nosniff" and headers[b"referrer-policy"] == b"same-origin"
    assert b"frame-ancestors 'self'" in headers[b"content-security-policy"]
    assert headers[b"content-type"] == b"text/plain"
    assert (b"strict-transport-security" in headers) is https
