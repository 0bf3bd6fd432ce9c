"""The page on the screens a municipality has: after asking, the start of the newest answer is in
view (not the bottom of its sources); one answer is one message with one copy button and one
thumbs pair; its sources open and close; nothing scrolls sideways; axe finds nothing."""

from __future__ import annotations

import pytest

from assistant.answering.prompts import CLOSEST_PASSAGE, NOT_STATED, REFUSAL, SOURCES_HEADING

from conftest import REFERRAL, ask, axe_violations, last_answer_text, new_feedback, open_block, screenshot

SCREENS = {"laptop": (1280, 720), "tablet": (768, 1024), "desktop": (1920, 1080)}
RESIDENT = "Mijn buurvrouw kan haar huur niet meer betalen en krijgt aanmaningen. Wat kan de gemeente doen?"
FOLLOW_UP = "En wat doet de gemeente aan schulden bij jongeren?"
SCROLL_SETTLES_MS = 5_000

# the first line of the newest answer lies inside the window and inside the chat's visible part
FIRST_LINE_IN_VIEW = """() => {
    const rows = document.querySelectorAll('#gesprek .bot-row');
    const first = rows[rows.length - 1].querySelector('.message-content p, .message-content li');
    const line = first.getBoundingClientRect(), lineHeight = parseFloat(getComputedStyle(first).lineHeight) || 24;
    const chat = document.querySelector('#gesprek [role=log]').getBoundingClientRect();
    return line.top >= Math.max(0, chat.top) && line.top + lineHeight <= Math.min(innerHeight, chat.bottom);
}"""
GEOMETRY = """() => {
    const box = id => document.querySelector(id).getBoundingClientRect();
    const chat = box('#gesprek'), controls = box('#nieuw-gesprek');
    return {pageWidth: document.documentElement.scrollWidth, width: innerWidth,
            question: box('#vraag textarea'), ask: box('#vraag-knop'),
            chatHeight: chat.height, belowChat: controls.bottom - chat.bottom};
}"""


@pytest.fixture
def opened(browser, page_url):
    """A new tab of the page at the size a test asks for."""
    contexts = []

    def at(width: int, height: int):
        contexts.append(browser.new_context(viewport={"width": width, "height": height}))
        tab = contexts[-1].new_page()
        tab.goto(page_url)
        tab.wait_for_selector("#vraag textarea")
        return tab

    yield at
    for context in contexts:
        context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_newest_answer_starts_in_view_and_the_page_fits_the_screen(opened, screen):
    tab = opened(*SCREENS[screen])
    tab.check("#uitleg-inwoner input")  # a resident's answer: the longest, with hard words and a referral
    for question in (RESIDENT, FOLLOW_UP):
        ask(tab, question)
        tab.wait_for_function(FIRST_LINE_IN_VIEW, timeout=SCROLL_SETTLES_MS)
    answer = tab.locator("#gesprek .bot-row").last
    assert answer.evaluate("row => row.closest('[aria-live]').getAttribute('aria-live')") == "polite", \
        "a screen reader hears the new answer"
    tab.wait_for_function("""() => { const rows = document.querySelectorAll('#gesprek [data-testid="bot"]');
        const label = rows[rows.length - 1].getAttribute('aria-label');
        return !label.includes('<details') && label.includes('Bronnen ('); }""", timeout=SCROLL_SETTLES_MS)

    geometry = tab.evaluate(GEOMETRY)
    assert geometry["pageWidth"] <= geometry["width"], "no sideways scrolling"
    for control in ("question", "ask"):
        assert 0 <= geometry[control]["left"] and geometry[control]["right"] <= geometry["width"], control
    assert geometry["belowChat"] < geometry["chatHeight"], "the controls under the chat take less room than it"
    assert axe_violations(tab) == []
    screenshot(tab, f"answer-in-view-{screen}")


def test_an_answer_is_one_message_with_one_thumbs_pair_and_sources_that_open_and_close(opened,
                                                                                      page_records):
    tab = opened(*SCREENS["laptop"])
    ask(tab, "Wat vragen gemeenten van het rijk voor de jeugdhulp?")
    assert tab.locator("#gesprek .bot-row").count() == 1
    answer = tab.locator("#gesprek .bot-row").last
    for button in ("Like", "Dislike", "Copy message"):
        assert answer.locator(f"button[aria-label='{button}']").count() == 1, button

    sources = answer.locator("details.bronnen")
    count = sources.locator("details.bron").count()
    assert count >= 1 and sources.locator(":scope > summary").inner_text() == f"{SOURCES_HEADING} ({count})"
    assert not sources.evaluate("block => block.open"), "the sources start closed, under the answer"
    open_block(tab, sources.locator(":scope > summary"))
    source = sources.locator("details.bron").first
    assert not source.locator("mark").first.is_visible(), "each source starts closed inside them"
    open_block(tab, source.locator(":scope > summary"))
    source.locator("mark").first.wait_for(state="visible")
    source.locator(":scope > summary").click()
    source.locator("mark").first.wait_for(state="hidden")
    sources.locator(":scope > summary").click()
    source.locator(":scope > summary").wait_for(state="hidden")

    before = len(page_records.feedback())
    answer.locator("button[aria-label='Dislike']").click()
    tab.wait_for_function("() => document.querySelector('#melding').innerText.includes('opgeslagen')")
    added = new_feedback(page_records, before)
    assert [row["rating"] for row in added] == ["down"]
    assert added[0]["answer"].startswith(last_answer_text(tab)[:40])


def test_a_refusal_and_a_partial_answer_say_first_what_is_not_in_the_documents(opened):
    """Then what is (a partial answer's closest passage, cited), then the referral line."""
    tab = opened(*SCREENS["laptop"])
    ask(tab, "Hoeveel kost een nieuw paspoort bij de gemeente?")
    shown = last_answer_text(tab)
    assert shown.startswith(REFUSAL)
    assert shown.index(REFERRAL) > shown.index(REFUSAL)
    assert tab.locator("#gesprek .bot-row").last.locator("details.bronnen").count() == 0, "nothing is cited"
    tab.wait_for_function(FIRST_LINE_IN_VIEW, timeout=SCROLL_SETTLES_MS)

    ask(tab, "Hoeveel geld krijgen gemeenten in 2027 voor de jeugdhulp?")
    shown = last_answer_text(tab)
    assert shown.startswith(NOT_STATED.format(what="bedrag"))
    assert shown.index(NOT_STATED.format(what="bedrag")) < shown.index(CLOSEST_PASSAGE) < shown.index("[1]") \
        < shown.index(REFERRAL)
    assert tab.locator("#gesprek .bot-row").last.locator("details.bronnen").count() == 1, "what is there is cited"
