"""WCAG 2.1 AA on the real page in chromium: axe-core finds no violation in the three states a user
sees, the page says it is Dutch, and every function works with the keyboard alone, with a focus
that can be seen."""

from __future__ import annotations

import json

import pytest

from assistant.answering.prompts import GLOSSARY_HEADING

from conftest import ANSWER_TIMEOUT_MS, AXE, REFERRAL, ask, axe_violations, new_feedback, open_block, screenshot

MAX_TABS = 120


@pytest.fixture
def tab(browser, page_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    page.goto(page_url)
    page.wait_for_selector("#vraag textarea")
    yield page
    context.close()


def test_axe_finds_no_wcag_violation_on_the_question_page_an_opened_source_and_the_citation_page(tab):
    assert AXE.exists(), "make test installs axe-core (npm ci)"
    assert tab.evaluate("document.documentElement.lang") == "nl"
    # Gradio's translations set the browser's language when they have loaded, which may come later
    tab.evaluate("document.documentElement.setAttribute('lang', 'en')")
    assert tab.evaluate("document.documentElement.lang") == "nl", "the page stays Dutch"
    assert axe_violations(tab) == []

    ask(tab, "Wat vragen gemeenten van het rijk voor de jeugdhulp?")
    open_block(tab, tab.locator("#gesprek details.bronnen > summary").first)
    open_block(tab, tab.locator("#gesprek details.bron > summary").first)
    tab.locator("#gesprek details.bron mark").first.wait_for(state="visible")
    assert axe_violations(tab) == [], "an answer with a source opened"

    tab.get_by_role("tab", name="Citaat zoeken").click()
    tab.fill("#citaat-zin textarea", "pleisters plakken op losse problemen")
    tab.click("#citaat-knop")
    tab.wait_for_function("() => document.querySelector('#citaat-resultaat').innerText.includes('Citeer als')",
                          timeout=ANSWER_TIMEOUT_MS)
    assert axe_violations(tab) == [], "the citation page with a result"

    tab.get_by_role("tab", name="Vragen").click()
    tab.click("#bekijk-in-document")
    tab.locator("#document-weergave mark").first.wait_for(state="visible")
    assert axe_violations(tab) == [], "a source read in its document"


# ------------------------------------------------------------------ the keyboard alone
def focused(tab) -> dict:
    return tab.evaluate("""() => {
        const e = document.activeElement, style = getComputedStyle(e);
        return {tag: e.tagName, label: e.getAttribute('aria-label') || '', role: e.getAttribute('role') || '',
                text: (e.innerText || '').slice(0, 200), id: e.id, inCode: !!e.closest('pre, .code_wrap'),
                parentId: (e.closest('[id]') || {}).id || '',
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
    }""")


def tab_to(tab, wanted, what: str, backwards: bool = False) -> dict:
    """Press Tab until the focused element is the one wanted; it must show a visible focus ring."""
    for _ in range(MAX_TABS):
        tab.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = focused(tab)
        if wanted(element):
            assert element["outline"], f"no visible focus on {what}: {element}"
            return element
    raise AssertionError(f"{what} cannot be reached with Tab")


def test_every_function_works_with_the_keyboard_alone(browser, page_url, page_records):
    context = browser.new_context(viewport={"width": 1280, "height": 1200},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(page_url)
    page.wait_for_selector("#vraag textarea")

    # ask, for a resident: the checkbox with the space bar, the question with Enter
    tab_to(page, lambda e: e["parentId"] == "uitleg-inwoner", "the resident checkbox")
    page.keyboard.press("Space")
    tab_to(page, lambda e: e["parentId"] == "vraag", "the question box", backwards=True)
    page.keyboard.type("Mevrouw Jansen (BSN 111222333) kan de huur niet meer betalen. Wat doet de gemeente?")
    page.keyboard.press("Enter")
    page.wait_for_function("labels => labels.some(l => document.querySelector('#gesprek').innerText.includes(l))",
                           arg=["Alleen passages"], timeout=ANSWER_TIMEOUT_MS)
    chat = page.inner_text("#gesprek")
    assert GLOSSARY_HEADING in chat and REFERRAL in chat, "a resident answer: hard words and the referral"
    assert "Persoonsgegevens in uw vraag (BSN, naam) zijn weggelaten" in chat
    assert "Jansen" not in chat and "111222333" not in chat and "Mevrouw [NAAM] (BSN [BSN])" in chat

    # open the sources, then a source
    tab_to(page, lambda e: e["tag"] == "SUMMARY" and e["text"].startswith("Bronnen"), "the sources")
    page.keyboard.press("Enter")
    page.locator("#gesprek details.bronnen[open]").wait_for()
    tab_to(page, lambda e: e["tag"] == "SUMMARY" and e["text"].startswith("[1]"), "the first source")
    page.keyboard.press("Enter")
    page.locator("#gesprek details.bron mark").first.wait_for(state="visible")

    # copy its citation
    tab_to(page, lambda e: e["tag"] == "BUTTON" and e["inCode"], "the citation's copy button")
    page.keyboard.press("Enter")
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('VNG e.a.'))",
                           timeout=10_000)

    # thumbs up (the session's store: other tests' ratings may stand above)
    before = len(page_records.feedback())
    tab_to(page, lambda e: e["label"] == "Like", "a Like button", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#melding').innerText.includes('opgeslagen')")
    added = new_feedback(page_records, before)
    assert [row["rating"] for row in added] == ["up"]
    stored = json.dumps([*page_records.feedback(), *page_records.exchanges()], default=str)
    assert "Jansen" not in stored and "111222333" not in stored, "nothing personal in the store"

    # the other tab, and a citation looked up there
    tab_to(page, lambda e: e["role"] == "tab" and "Citaat zoeken" in e["text"], "the citation tab",
           backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#citaat-zin textarea", state="visible")
    tab_to(page, lambda e: e["parentId"] == "citaat-zin", "the phrase box")
    page.keyboard.type("pleisters plakken op losse problemen")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#citaat-resultaat').innerText.includes('Citeer als')",
                           timeout=ANSWER_TIMEOUT_MS)
    screenshot(page, "keyboard-citation")
    context.close()
