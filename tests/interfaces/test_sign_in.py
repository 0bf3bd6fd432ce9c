"""Sign-in with an identity provider and documents per audience, on real processes: node-oidc-provider
(tests/oidc_provider.mjs), the page (`python ui.py`) with OIDC_* set, chromium, and the official
`openai` and `mcp` clients. One internal document, for the group "wijkteam", beside the seeds:
anna (wijkteam) gets it through every way in, bert (staff, not wijkteam) never does, not even
its name; carla is an admin; dirk is signed in but no staff."""

from __future__ import annotations

import base64
import json
import shutil
import time

import httpx
import httpx2
import openai
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from assistant.interfaces.sign_in import TOKEN_LEEWAY_SECONDS
from assistant.records.store import Records

from conftest import (
    ANSWER_TIMEOUT_MS,
    OIDC_SECRET,
    PROJECT,
    ask,
    axe_violations,
    free_port,
    last_answer_text,
    oidc_provider,
    provider_token,
    running_page,
    session_dir,
)

INTERNAL = "werkinstructie_wijkteam.md"
INTERNAL_TEXT = """# Werkinstructie wijkteam: huisbezoek bij zorgen over schulden

Na een huisbezoek waarbij de medewerker zorgen heeft over schulden, meldt het wijkteam de inwoner binnen twee
werkdagen aan bij de schuldhulpverlening, met het formulier Vroegsignalering-Intern.

De medewerker legt de afspraken vast in het dossier en belt de inwoner na drie weken terug.
"""
SECRET_WORD = "Vroegsignalering-Intern"  # stands only in the internal document
QUESTION = "Binnen hoeveel werkdagen meldt het wijkteam een inwoner aan bij de schuldhulpverlening na een huisbezoek?"
AUDIENCE = "https://assistent.test"


@pytest.fixture(scope="module")
def oidc_page(pipeline, tmp_path_factory):
    """The page with the seeds and the internal document, signing in at a provider of its own."""
    seeds = tmp_path_factory.mktemp("seeds-with-internal")
    for path in (PROJECT / "seeds").iterdir():
        shutil.copy(path, seeds / path.name)
    (seeds / INTERNAL).write_text(INTERNAL_TEXT, encoding="utf-8")
    manifest = json.loads((seeds / "manifest.json").read_text(encoding="utf-8"))
    manifest[INTERNAL] = {"title": "Werkinstructie wijkteam", "organisation": "Gemeente", "kind": "werkinstructie",
                          "audience": "wijkteam"}
    (seeds / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    store = tmp_path_factory.mktemp("store-with-internal") / "vectorstore"
    shutil.copytree(pipeline.settings.vectorstore_dir, store)  # the seeds' vectors: only the new document is embedded
    port = free_port()
    database = f"sqlite:///{session_dir() / 'sign-in.sqlite3'}"
    with oidc_provider(f"http://127.0.0.1:{port}/login/callback") as issuer, running_page(
            pipeline, port=port, ready="openapi.json", SEEDS_DIR=str(seeds), VECTORSTORE_DIR=str(store),
            DATABASE_URL=database,
            OIDC_ISSUER=issuer, OIDC_CLIENT_ID="assistent", OIDC_CLIENT_SECRET=OIDC_SECRET, OIDC_AUDIENCE=AUDIENCE,
            OIDC_STAFF_GROUPS="medewerkers", OIDC_ADMIN_GROUPS="beheer", SESSION_SECRET="s" * 40) as url:
        yield {"url": url, "issuer": issuer, "records": Records(database)}


def signed_in(browser, page: dict, login: str):
    """A browser tab signed in as `login` at the provider (its login form, then its consent)."""
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(page["url"])
    assert tab.url.startswith(page["issuer"]), "a visit without a session goes to the provider first"
    tab.fill("input[name=login]", login)
    tab.fill("input[name=password]", "een-wachtwoord")
    tab.click("button[type=submit]")
    if tab.url.startswith(page["issuer"]):  # the provider asks to consent once
        tab.click("button[type=submit]")
    tab.wait_for_load_state()
    return tab


# the async MCP test runs before the browser's: Playwright's sync API keeps an event loop running


def test_access_tokens_open_the_api_the_chat_endpoint_and_mcp_for_their_groups(oidc_page):
    url, issuer = oidc_page["url"], oidc_page["issuer"]
    wijkteam, other = provider_token(issuer, "assistent"), provider_token(issuer, "buiten")
    for token, reads in ((wijkteam, True), (other, False)):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        answer = api.post("/api/v1/ask", json={"question": QUESTION})
        assert answer.status_code == 200
        listed = api.get("/api/v1/documents").json()
        searched = api.post("/api/v1/search", json={"question": QUESTION, "k": 10}).text
        looked_up = api.post("/api/v1/lookup", json={"phrase": "het formulier Vroegsignalering-Intern"}).text
        chat = openai.OpenAI(base_url=url + "v1", api_key=token, max_retries=0, timeout=120)
        reply = chat.chat.completions.create(model=chat.models.list().data[0].id,
                                             messages=[{"role": "user", "content": QUESTION}])
        everything = answer.text + json.dumps(listed) + searched + looked_up + reply.model_dump_json()
        if reads:
            assert answer.json()["found"] and INTERNAL in {c["source"] for c in answer.json()["citations"]}
            assert INTERNAL in {d["source"] for d in listed} and SECRET_WORD in looked_up
            assert "twee" in reply.choices[0].message.content
        else:
            assert INTERNAL not in everything and SECRET_WORD not in everything, "not a name, not a word"
            assert len(listed) == 5


async def test_mcp_over_http_answers_from_what_the_token_may_read(oidc_page):
    url, issuer = oidc_page["url"], oidc_page["issuer"]
    for client_id, reads in (("assistent", True), ("buiten", False)):
        token = provider_token(issuer, client_id)
        with_token = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
        async with Client(streamable_http_client(url + "mcp", http_client=with_token)) as client:
            asked = (await client.call_tool("ask", {"question": QUESTION})).structured_content
            listed = (await client.call_tool("list_documents", {})).structured_content["result"]
            resources = (await client.list_resources()).resources
            seen = json.dumps(asked) + json.dumps(listed) + " ".join(str(r.uri) for r in resources)
            if reads:
                assert INTERNAL in {c["source"] for c in asked["citations"]}
                assert SECRET_WORD in (await client.read_resource(f"document://{INTERNAL}")).contents[0].text
            else:
                assert INTERNAL not in seen and SECRET_WORD not in seen
                with pytest.raises(MCPError, match="is served"):  # as for a document that does not exist
                    await client.read_resource(f"document://{INTERNAL}")
            assert INTERNAL not in {str(r.uri) for r in resources}, "only openbaar documents are listed"


def test_a_token_for_another_audience_an_expired_one_or_a_forged_one_is_refused(oidc_page):
    url, issuer = oidc_page["url"], oidc_page["issuer"]
    ask_with = lambda token: httpx.post(url + "api/v1/ask", json={"question": QUESTION}, timeout=120,  # noqa: E731
                                        headers={"Authorization": f"Bearer {token}"})
    assert ask_with(provider_token(issuer, "assistent", resource="https://ander.test")).status_code == 401
    short = provider_token(issuer, "kort")
    assert ask_with(short).status_code == 200
    time.sleep(1 + TOKEN_LEEWAY_SECONDS + 1)
    assert ask_with(short).status_code == 401
    header, payload, signature = provider_token(issuer, "buiten").split(".")
    forged = json.loads(unb64(payload)) | {"groups": ["medewerkers", "wijkteam"]}
    assert ask_with(".".join([header, b64(json.dumps(forged)), signature])).status_code == 401
    chat = httpx.post(url + "v1/chat/completions", headers={"Authorization": "Bearer nep.token.waarde"}, timeout=30,
                      json={"model": "x", "messages": [{"role": "user", "content": QUESTION}]})
    assert chat.status_code == 401 and chat.json()["error"]["code"] == "login_needed"


def test_staff_sign_in_in_the_browser_and_read_what_their_groups_may(oidc_page, browser):
    anna = signed_in(browser, oidc_page, "anna")
    anna.wait_for_selector("#vraag textarea", timeout=ANSWER_TIMEOUT_MS)
    ask(anna, QUESTION)
    assert "twee werkdagen" in last_answer_text(anna) and "Werkinstructie wijkteam" in anna.text_content("#gesprek")
    anna.click("button[role=tab]:has-text('Document')")
    anna.click("#document-keuze input")
    assert anna.locator("[role=option]:has-text('Werkinstructie wijkteam')").count() == 1
    assert axe_violations(anna) == []

    bert = signed_in(browser, oidc_page, "bert")
    bert.wait_for_selector("#vraag textarea", timeout=ANSWER_TIMEOUT_MS)
    ask(bert, QUESTION)
    assert SECRET_WORD not in bert.text_content("body") and "Werkinstructie" not in bert.text_content("#gesprek")
    bert.click("button[role=tab]:has-text('Citaat zoeken')")
    bert.fill("#citaat-zin textarea, #citaat-zin input", "formulier Vroegsignalering-Intern")
    bert.click("#citaat-knop")
    bert.wait_for_function("document.querySelector('#citaat-resultaat').innerText.trim().length > 0")
    assert SECRET_WORD not in bert.inner_text("#citaat-resultaat")
    bert.click("button[role=tab]:has-text('Document')")
    bert.click("#document-keuze input")
    assert bert.locator("[role=option]").count() == 5, "the seeds, not the internal document"
    assert bert.locator("[role=option]:has-text('Werkinstructie')").count() == 0
    assert bert.locator("button[role=tab]:has-text('Documenten')").count() == 1
    bert.click("button[role=tab]:has-text('Documenten')")
    assert bert.get_by_text("beheerdersaccount").is_visible(), "staff are told the tab is for admins"
    assert not bert.locator("#documenten-lijst").is_visible()
    bert.click("#afmelden a")
    bert.wait_for_selector("text=U bent afgemeld")
    visit = bert.context.request.get(oidc_page["url"], max_redirects=0)
    assert visit.status == 303 and visit.headers["location"] == "/login", "signed out: the next visit signs in again"


def test_an_admin_manages_documents_and_reads_the_audit_trail(oidc_page, browser):
    carla = signed_in(browser, oidc_page, "carla")
    carla.wait_for_selector("#vraag textarea", timeout=ANSWER_TIMEOUT_MS)
    carla.click("button[role=tab]:has-text('Documenten')")
    carla.wait_for_selector("#documenten-lijst", state="visible")
    assert INTERNAL in carla.inner_text("#documenten-lijst"), "an admin manages every document"
    carla.click("button[role=tab]:has-text('Inzichten')")
    carla.wait_for_selector("#inzichten-beheerlog", state="visible")
    carla.wait_for_function("document.querySelector('#inzichten-beheerlog').innerText.includes('aangemeld')")
    trail = carla.inner_text("#inzichten-beheerlog")
    assert "carla" in trail and "aangemeld" in trail
    events = oidc_page["records"].audit()
    assert {("sign_in", "carla")} <= {(e["action"], e["subject"]) for e in events}
    assert all(e["subject"] in {"anna", "bert", "carla"} for e in events), "subject ids, nothing else"


def test_someone_signed_in_without_the_staff_role_gets_no_page(oidc_page, browser):
    dirk = signed_in(browser, oidc_page, "dirk")
    assert "Geen toegang" in dirk.inner_text("body")
    assert httpx.get(oidc_page["url"], follow_redirects=False).status_code == 303, "no session: to the sign-in"
    assert httpx.post(oidc_page["url"] + "gradio_api/queue/join", json={}).status_code == 401


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
