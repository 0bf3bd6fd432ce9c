"""The Documenten tab (UI_ADMIN) in a real browser on the real page: add, describe and remove a
document through the incremental build, while the API keeps answering from the complete index."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import time
import urllib.request

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from assistant.records.store import Records

from conftest import axe_violations, running_page, screenshot, session_dir

ADMIN = ("beheer", "geheim-beheer-wachtwoord")
STAFF = ("medewerker", "geheim-medewerker")
NEW_DOCUMENT = """# Kwijtschelding hondenbelasting

De gemeente Zoetermeer scheldt de hondenbelasting kwijt voor inwoners met een laag inkomen. Vraag de
kwijtschelding aan bij het Loket Kwijtschelding, binnen drie maanden na de dagtekening van de aanslag.
"""
NEW_QUESTION = "Hoe vraag ik kwijtschelding van de hondenbelasting aan?"
BUILD_TIMEOUT_MS = 300_000
UPLOAD_TIMEOUT_MS = 60_000  # the file goes to the page's server first: slow while the LLM tests hold the cores


@pytest.fixture(scope="module")
def admin_page(pipeline):
    """The page on copies of the documents and the index (the build changes them), with staff
    logins and an admin login."""
    folder = session_dir() / "documents-tab"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(pipeline.settings.seeds_dir, folder / "seeds")
    (folder / "seeds" / "kapotte-tekens.txt").write_bytes(b"Schuldhulp \xff\xfe kapot")  # cannot be read: listed
    shutil.copytree(pipeline.settings.vectorstore_dir, folder / "vectorstore")
    with running_page(pipeline, SEEDS_DIR=str(folder / "seeds"), VECTORSTORE_DIR=str(folder / "vectorstore"),
                      UI_AUTH=":".join(STAFF), UI_ADMIN=":".join(ADMIN),
                      DATABASE_URL=f"sqlite:///{folder / 'records.sqlite3'}") as url:
        yield url, folder / "seeds"


def logged_in(browser, url: str, login: tuple[str, str]):
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    # the page's login form posts to /login; its cookie is the browser context's
    assert context.request.post(f"{url}login", form={"username": login[0], "password": login[1]}).ok
    tab = context.new_page()
    tab.goto(url)
    tab.wait_for_selector("#vraag textarea")
    tab.get_by_role("tab", name="Documenten").click()
    return context, tab


def search_api(url: str, question: str) -> dict:
    request = urllib.request.Request(
        f"{url}api/v1/search", data=json.dumps({"question": question}).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(":".join(STAFF).encode()).decode()})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_for_status(tab, text: str) -> str:
    tab.wait_for_function("t => document.querySelector('#beheer-status').innerText.includes(t)", arg=text,
                          timeout=BUILD_TIMEOUT_MS)
    return tab.inner_text("#beheer-status")


def choose_file(tab, path) -> None:
    """Choose a file in the upload field and wait until the field shows it uploaded: its name in
    Gradio's file preview, which puts the name's stem and extension in elements of their own
    ("nota" and ".pdf", laid out as flex items), so the name is matched without whitespace.
    Matching the text "nota.pdf" caught only the passing "Uploading 1 file... nota.pdf": on a
    loaded machine the upload was done before the first look and the test timed out with the
    file shown. A miss fails with what the browser saw (the upload requests, the console, the
    field)."""
    seen: list[str] = []
    listeners = {
        "console": lambda message: seen.append(f"console {message.type}: {message.text}"),
        "response": lambda response: seen.append(f"{response.status} {response.url}")
        if "/upload" in response.url else None,
        "requestfailed": lambda request: seen.append(f"failed {request.url}: {request.failure}"),
    }
    for event, listener in listeners.items():
        tab.on(event, listener)
    try:
        tab.set_input_files("#beheer-bestand input[type=file]", path)
        try:
            tab.wait_for_function("""name => {
                const preview = document.querySelector('#beheer-bestand .file-preview');
                const bare = text => text.replace(/\\s+/g, '');
                return preview !== null && bare(preview.innerText).includes(bare(name));
            }""", arg=path.name, timeout=UPLOAD_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(f"{path.name} not shown after its upload; the browser saw {seen}; the field "
                                 f"holds {tab.inner_text('#beheer-bestand')!r}") from None
    finally:  # the next file's choice reports only what its own upload did
        for event, listener in listeners.items():
            tab.remove_listener(event, listener)


def table_text(tab) -> str:
    return tab.inner_text("#documenten-lijst")


def test_staff_see_no_document_management_and_cannot_log_in_as_admin(browser, admin_page):
    url, _ = admin_page
    context, tab = logged_in(browser, url, STAFF)
    assert tab.locator("#beheer-inloggen").is_visible()
    assert not tab.locator("#documenten-lijst").is_visible()
    tab.fill("#beheer-naam textarea", STAFF[0])
    tab.fill("#beheer-wachtwoord input", STAFF[1])
    tab.click("#beheer-inloggen")
    wait_for_status(tab, "klopt niet")
    assert not tab.locator("#beheer-toevoegen").is_visible()
    context.close()


def test_an_admin_adds_describes_and_removes_a_document(browser, admin_page, tmp_path):
    url, seeds = admin_page
    assert not any(p["source"].startswith("kwijtschelding") for p in search_api(url, NEW_QUESTION)["passages"])
    context, tab = logged_in(browser, url, ADMIN)  # an admin who logged in to the page needs no second login
    tab.locator("#documenten-lijst").wait_for(state="visible")
    assert "001_c76147defb583f46.txt" in table_text(tab) and "propositie" in table_text(tab)
    assert "kapotte-tekens.txt" in table_text(tab) and "geen geldige UTF-8-tekst" in table_text(tab)
    assert axe_violations(tab) == [], "WCAG 2.1 AA in the Documenten tab"

    fake = tmp_path / "nota.pdf"
    fake.write_text("dit is geen pdf", encoding="utf-8")
    choose_file(tab, fake)
    tab.click("#beheer-toevoegen")
    assert "geen echt .pdf" in wait_for_status(tab, "geen echt")
    assert not (seeds / "nota.pdf").exists()

    new = tmp_path / "kwijtschelding hondenbelasting.md"
    new.write_text(NEW_DOCUMENT, encoding="utf-8")
    choose_file(tab, new)
    tab.fill("#beheer-nieuw-title textarea", "Kwijtschelding hondenbelasting")
    tab.fill("#beheer-nieuw-organisation textarea", "Gemeente Zoetermeer")
    answers_during_build: list[dict] = []
    building = threading.Event()

    def keep_asking() -> None:  # the API, on the index served while the new one is built
        while not building.is_set():
            answers_during_build.append(search_api(url, "Wat vragen gemeenten van het rijk voor de jeugdhulp?"))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        tab.click("#beheer-toevoegen")
        done = wait_for_status(tab, "De index is bijgewerkt")
    finally:
        building.set()
        asker.join()
    assert "kwijtschelding_hondenbelasting.md is toegevoegd" in done and "1 passages nieuw" in done
    assert answers_during_build and all(a["found"] and a["passages"] for a in answers_during_build)
    assert (seeds / "kwijtschelding_hondenbelasting.md").read_text(encoding="utf-8") == NEW_DOCUMENT
    assert "Kwijtschelding hondenbelasting" in table_text(tab) and "Gemeente Zoetermeer" not in table_text(tab)
    found = search_api(url, NEW_QUESTION)
    assert found["passages"][0]["source"] == "kwijtschelding_hondenbelasting.md", "served without a restart"
    screenshot(tab, "documents-tab")

    tab.get_by_text("Document beschrijven of verwijderen").click()
    tab.click("#beheer-document input")
    tab.get_by_role("option", name="Kwijtschelding hondenbelasting (kwijtschelding_hondenbelasting.md)").click()
    title = tab.locator("#beheer-bestaand-title textarea")
    tab.wait_for_function("() => document.querySelector('#beheer-bestaand-title textarea').value.length > 0")
    assert title.input_value() == "Kwijtschelding hondenbelasting"
    title.fill("Hondenbelasting: kwijtschelding")
    tab.click("#beheer-opslaan")
    assert "De index is bijgewerkt" in wait_for_status(tab, "zijn opgeslagen")
    assert "Hondenbelasting: kwijtschelding" in table_text(tab)
    manifest = json.loads((seeds / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kwijtschelding_hondenbelasting.md"]["title"] == "Hondenbelasting: kwijtschelding"

    tab.click("#beheer-document input")
    tab.get_by_role("option", name="Hondenbelasting: kwijtschelding (kwijtschelding_hondenbelasting.md)").click()
    tab.click("#beheer-verwijderen")
    wait_for_status(tab, "Vink eerst aan")
    tab.check("#beheer-bevestig input")
    tab.click("#beheer-verwijderen")
    assert "De index is bijgewerkt" in wait_for_status(tab, "uit de index gehaald")
    assert "kwijtschelding_hondenbelasting.md" not in table_text(tab)
    assert not (seeds / "kwijtschelding_hondenbelasting.md").exists()
    assert [p.name.endswith("_kwijtschelding_hondenbelasting.md") for p in (seeds / ".removed").iterdir()] == [True]
    assert not any(p["source"].startswith("kwijtschelding") for p in search_api(url, NEW_QUESTION)["passages"])
    context.close()
    store, deadline = Records(f"sqlite:///{seeds.parent / 'records.sqlite3'}"), time.monotonic() + 10
    while len(trail := store.audit()) < 7 and time.monotonic() < deadline:  # written off the request
        time.sleep(0.1)
    assert [(e["action"], e["target"]) for e in trail if e["action"] != "reindex"] == [
        ("upload", "kwijtschelding_hondenbelasting.md"), ("describe", "kwijtschelding_hondenbelasting.md"),
        ("remove", "kwijtschelding_hondenbelasting.md")], "the audit trail names each change"
    assert sum(e["action"] == "reindex" for e in trail) == 3 and {e["subject"] for e in trail} == {ADMIN[0]}


def test_the_admin_actions_are_not_an_api(admin_page):
    """The tab's actions are only the page's: Gradio's API, even to a logged-in admin, offers none."""
    url, _ = admin_page
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("login", data={"username": ADMIN[0], "password": ADMIN[1]}).status_code == 200
        info = client.get("gradio_api/info").json()
    assert set(info["named_endpoints"]) == {"/vraag"} and not info.get("unnamed_endpoints")
