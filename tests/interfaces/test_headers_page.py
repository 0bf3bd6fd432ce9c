"""Browser security headers on every response of the running page (page, API, static files, an
error), no CORS for a foreign origin, and the page still works under its Content-Security-Policy
in the browser."""

from __future__ import annotations

import re

import httpx

from conftest import JEUGDHULP, ask, last_answer_text

REQUIRED = {
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers.get(name))
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    permissions = response.headers["permissions-policy"]
    assert all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation"))
    assert "strict-transport-security" not in response.headers, "no HSTS unless a proxy serves https"


def test_every_kind_of_response_carries_the_headers(page_url):
    with httpx.Client(base_url=page_url, timeout=60) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert_secured(page)
        assets = re.findall(r'(?:src|href)="\./(assets/[^"]+\.(?:js|css))"', page.text)
        assert assets, "the page links its own scripts and styles"
        asset = client.get("/" + assets[0])
        assert asset.status_code == 200
        assert_secured(asset)
        api = client.post("/api/v1/search", json={"question": JEUGDHULP, "k": 1})
        assert api.status_code == 200
        assert_secured(api)
        for missing in ("/api/v1/bestaat-niet", "/bestaat-niet"):
            error = client.get(missing)
            assert error.status_code == 404
            assert_secured(error)
        refused = client.post("/api/v1/ask", json={"question": ""})
        assert refused.status_code == 400
        assert_secured(refused)


def test_no_cors_for_a_foreign_origin(page_url):
    foreign = {"Origin": "https://andere-site.example"}
    with httpx.Client(base_url=page_url, timeout=60) as client:
        preflight = client.options("/api/v1/ask", headers={**foreign, "Access-Control-Request-Method": "POST"})
        asked = client.post("/api/v1/search", json={"question": JEUGDHULP, "k": 1}, headers=foreign)
        page = client.get("/", headers=foreign)
    for response in (preflight, asked, page):
        assert "access-control-allow-origin" not in response.headers, (response.url, dict(response.headers))


def test_the_page_works_under_its_policy_in_the_browser(browser, page_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    violations: list[str] = []
    tab.on("console", lambda message: violations.append(message.text)
           if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    tab.goto(page_url)
    tab.wait_for_selector("#vraag textarea")
    ask(tab, JEUGDHULP)
    assert "[1]" in last_answer_text(tab)
    framed = tab.evaluate("""async (url) => {
        const frame = document.createElement('iframe');
        frame.src = url;
        document.body.appendChild(frame);
        await new Promise(resolve => frame.onload = resolve);
        for (let waited = 0; waited < 30000; waited += 250) {  // Gradio renders after the load event
            if (frame.contentDocument && frame.contentDocument.querySelector('#vraag')) return true;
            await new Promise(resolve => setTimeout(resolve, 250));
        }
        return false;
    }""", page_url)
    context.close()
    assert framed, "the page may frame itself (frame-ancestors 'self')"
    assert not violations, violations
