"""The chat page in a real browser: Debian's chromium driving the real Gradio server (`ui.py`)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.answering.prompts import EMPTY_QUESTION, MODE_LABELS, TRACE_STEPS, TRACE_TITLE

from conftest import PROJECT, ask, last_answer_text, new_feedback, open_block, screenshot, submit_for_notice

XSS = "<img src=x onerror=alert(1)>"
FOLLOW_UP = "En wat vraagt men daarvoor van het rijk?"


@pytest.fixture
def page(browser, page_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    tab.goto(page_url)
    tab.wait_for_selector("#vraag textarea")
    yield tab
    context.close()


def test_follow_up_alone_is_not_about_jeugdhulp(pipeline):
    """Makes the page's follow-up check below meaningful: only the conversation brings jeugdhulp in."""
    alone = pipeline.answerer.ask(FOLLOW_UP)
    assert "jeugd" not in alone.text.lower()


def test_staff_question_follow_up_and_feedback(page, page_records):
    assert MODE_LABELS["passages"] in page.inner_text("#mode")

    ask(page, "Wat vragen gemeenten van het rijk voor de jeugdhulp?")
    answer = last_answer_text(page)
    assert "[1]" in answer
    answer = page.locator("#gesprek .bot-row").last
    open_block(page, answer.locator("details.bronnen > summary"))
    source = answer.locator("details.bron > summary").first
    assert "[1] De waarde van het sociaal domein" in source.inner_text()
    open_block(page, source)
    panel = answer.locator("details.bron").first
    panel.locator("mark").first.wait_for(state="visible")  # the answering sentences, highlighted
    assert 'VNG e.a., De waarde van het sociaal domein, "' in panel.locator("pre").inner_text()
    screenshot(page, "staff-question")
    trace = answer.locator("details.spoor")
    assert trace.locator("summary").inner_text() == TRACE_TITLE
    open_block(page, trace.locator("summary"))
    trace.get_by_text(TRACE_STEPS["relevance"]).wait_for(state="visible")
    assert "found: True" in trace.inner_text() and "001_" in trace.inner_text(), "the trace says why and where"
    screenshot(page, "answer-trace")

    ask(page, FOLLOW_UP)
    after_follow_up = page.locator("#gesprek").inner_text().split(FOLLOW_UP)[-1]
    assert "[1]" in after_follow_up
    assert "jeugd" in last_answer_text(page).lower(), "the follow-up is answered within the jeugdhulp topic"

    before = len(page_records.feedback())
    page.locator("#gesprek button[aria-label='Like']").first.click()
    page.wait_for_function("() => document.querySelector('#melding').innerText.includes('opgeslagen')")
    (record,) = new_feedback(page_records, before)
    assert record["rating"] == "up"
    assert record["question"] == "Wat vragen gemeenten van het rijk voor de jeugdhulp?"
    assert "[1]" in record["answer"] and record["mode"] == "passages"
    assert record["sources"] and record["sources"][0]["source"].startswith("001_")
    assert record["given_at"].date() == datetime.now(UTC).date()
    asked = [row for row in page_records.exchanges() if row["question"] == FOLLOW_UP]
    assert asked and asked[-1]["channel"] == "page" and asked[-1]["outcome"] == "answered", "each exchange is kept"
    screenshot(page, "follow-up-and-feedback")


def test_user_text_is_shown_as_text_never_as_markup(page):
    ask(page, f"{XSS} **vet** [link](http://example.org) <script>alert(2)</script> $$\\frac{{a}}{{b}}$$")
    chat = page.locator("#gesprek")
    assert XSS in chat.inner_text()
    assert "**vet**" in chat.inner_text() and "$$\\frac{a}{b}$$" in chat.inner_text()
    assert chat.locator("img[src='x'], script, a[href='http://example.org'], .katex").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []
    screenshot(page, "markup-shown-as-text")


def test_empty_and_too_long_questions_get_a_dutch_hint(page):
    submit_for_notice(page, "   ", EMPTY_QUESTION[:20])
    submit_for_notice(page, "jeugdhulp " * 300, "te lang")
    assert page.locator("#gesprek .user-row").count() == 0, "nothing was asked"
    assert "Error" not in page.inner_text("body")


def test_citation_lookup_finds_the_passage_of_a_half_remembered_phrase(page):
    page.get_by_role("tab", name="Citaat zoeken").click()
    page.fill("#citaat-zin textarea", "iets met gemeenten die pleisters plakken")
    page.click("#citaat-knop")
    result = page.locator("#citaat-resultaat")
    result.locator("h3").first.wait_for(timeout=60_000)
    first = result.locator("mark").first.inner_text()
    assert "plakken nu te veel pleisters op losstaande problemen" in first
    citation = result.locator("pre").first.inner_text()
    assert citation.startswith('"Gemeenten hebben veel mogelijkheden')
    assert 'VNG e.a., De waarde van het sociaal domein, "Uitvoerbaarheid in het sociaal domein"' in citation
    screenshot(page, "citation-lookup")


def test_several_users_at_once_all_get_answers(browser, page_url):
    """Three browsers ask at the same moment; the queue serves all of them."""
    questions = ["Wat is bestaanszekerheid?", "Wat doen gemeenten aan schulden?", "Wat is kansengelijkheid?"]
    contexts = [browser.new_context() for _ in questions]
    tabs = [c.new_page() for c in contexts]
    for tab in tabs:
        tab.goto(page_url)
        tab.wait_for_selector("#vraag textarea")
    started = time.monotonic()
    for tab, question in zip(tabs, questions, strict=True):
        tab.fill("#vraag textarea", question)
        tab.click("#vraag-knop")
    for tab in tabs:
        tab.wait_for_selector("#gesprek details.bronnen", timeout=60_000)
    elapsed = time.monotonic() - started
    for context in contexts:
        context.close()
    assert elapsed < 30, f"three answers took {elapsed:.1f} s"


def test_load_benchmark_smoke(page_url):
    """benchmarks/load.py against the running page: a few users at once, no errors."""
    done = subprocess.run([sys.executable, "benchmarks/load.py", "--url", page_url, "--users", "4",
                           "--questions", "2", "--max-seconds", "120"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = re.findall(r"^(page|api|chat) *: users 4, requests (\d+), errors (\d+)", done.stdout, re.M)
    assert figures == [("page", "8", "0"), ("api", "8", "0"), ("chat", "8", "0")], done.stdout + done.stderr[-2000:]


def test_browser_timing_benchmark_smoke(page_url):
    """benchmarks/load.py --mode browser: two chromium tabs ask; Enter to the first answer text."""
    done = subprocess.run([sys.executable, "benchmarks/load.py", "--url", page_url, "--mode", "browser", "--users",
                           "2", "--questions", "2", "--max-seconds", "120"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"^browser: users 2, requests 4, errors 0,", done.stdout, re.M), done.stdout + done.stderr


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    addresses.add(address)
    return addresses


def test_the_page_listens_on_loopback_only_and_serves_no_project_files(page_url, page_records):
    port = int(page_url.rstrip("/").rsplit(":", 1)[1])
    assert _listening_addresses(port) == {"0100007F"}, "bound to 127.0.0.1 only"
    secrets = [PROJECT / "README.md", PROJECT / "assistant" / "config.py", PROJECT / "seeds" / "manifest.json",
               Path(page_records.engine.url.database), Path("/etc/passwd")]
    for path in secrets:
        for route in (f"gradio_api/file={path}", f"file={path}", f"gradio_api/file={path.relative_to(path.anchor)}"):
            try:
                with urllib.request.urlopen(page_url + route, timeout=10) as response:
                    status, body = response.status, response.read()
            except urllib.error.HTTPError as refused:
                status, body = refused.code, b""
            assert status >= 400 or (path.exists() and path.read_bytes()[:200] not in body), (route, status)


def test_an_answer_is_taken_along_and_its_source_read_in_its_document(browser, page_url):
    """Copy the answer as plain text, download the conversation as Markdown, and open a source in
    its whole document at the passage, marked."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True,
                                  permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.goto(page_url)
    tab.wait_for_selector("#vraag textarea")
    tab.click("#kopieer-antwoord")
    tab.wait_for_function("() => document.querySelector('#melding').innerText.includes('stel eerst een vraag')")

    question = "Wat vragen gemeenten van het rijk voor de jeugdhulp?"
    ask(tab, question)
    tab.wait_for_function("() => document.querySelector('#bron-keuze input').value.startsWith('[1]')")
    tab.click("#kopieer-antwoord")
    tab.wait_for_function("() => document.querySelector('#melding').innerText.includes('klembord')")
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"Vraag: {question}\n") and "[1]" in copied
    sources = copied.split("\nBronnen:\n")[1].splitlines()
    assert sources[0].startswith("[1] VNG e.a., De waarde van het sociaal domein, ")
    assert "\\" not in copied and "<" not in copied, "plain text, not the chat's Markdown"

    ask(tab, FOLLOW_UP)
    # the take-along texts follow the answer in a step of their own (as the sources list above)
    tab.wait_for_function("() => document.querySelector('#gesprek-als-markdown textarea').value.includes('## 2.')")
    with tab.expect_download() as download:
        tab.click("#download-gesprek")
    assert download.value.suggested_filename.endswith(".md")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"## 1. {question}" in markdown and "## 2. En wat vraagt men daarvoor van het rijk?" in markdown
    assert markdown.count("**Bronnen**") == 2

    chosen = tab.input_value("#bron-keuze input")
    assert chosen.startswith("[1] "), "the latest answer's sources"
    passage = tab.locator("#gesprek .bot-row").last.locator("details.bron > summary").first
    assert passage.text_content().startswith(chosen[:40])
    tab.click("#bekijk-in-document")
    mark = tab.locator("#document-weergave mark").first
    mark.wait_for(state="visible")
    assert tab.get_by_role("tab", name="Document", exact=True).get_attribute("aria-selected") == "true"
    tab.wait_for_function("""() => {
        const r = document.querySelector('#document-weergave mark').getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }""")
    whole = tab.inner_text("#document-weergave")
    assert len(whole) > 5 * len(tab.locator("#document-weergave mark").all_inner_texts()[0]), "the whole document"
    assert "De waarde van het sociaal domein" in whole.splitlines()[0]
    screenshot(tab, "source-in-its-document")
    context.close()
