"""The Inzichten tab in the browser (the real page, its store filled beforehand): an admin sees what
is asked and answered, the thumbs, the slowest answers and the documents cited; groups the
unanswered questions by topic and downloads them; a user who is no admin sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.records.store import FeedbackRecord, Records, database_url
from assistant.types import Answer, Citation, Mode

from conftest import axe_violations, running_page, screenshot

ADMIN = ("beheer", "een-lang-beheerderswachtwoord")
UNANSWERED = ["Wanneer wordt het grofvuil opgehaald?", "Wanneer halen jullie het grofvuil op?",
              "Op welke dag komt de grofvuilwagen?", "Wat kost een nieuw paspoort?", "Hoeveel kost een paspoort?",
              "Wat zijn de kosten van een paspoort voor een kind?"]


def filled_store(folder: Path, cited: str) -> str:
    url = database_url("", folder)
    records = Records(url)
    for n in range(20):
        answer = Answer(f"Wat doen gemeenten aan schulden? ({n})", True, Mode.PASSAGES, "x [1]",
                        [Citation(1, cited, "De waarde", ("Schulden",), "x")])
        records.add_exchange(answer, 30.0 + n, "page")
    for question in UNANSWERED:
        refused = Answer(question, False, Mode.PASSAGES, "Dat staat niet in de documenten.", [])
        records.add_exchange(refused, 20.0, "api")
    records.add_exchange(Answer("Hoeveel euro krijgen gemeenten voor de jeugdhulp?", False, Mode.PASSAGES, "x", [],
                                partial=True), 4321.0, "chat")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    for rating in ("up", "up", "down"):
        records.add_feedback(FeedbackRecord(rating, "Wat doen gemeenten aan schulden?", "x [1]", "passages",
                                            time=yesterday))
    assert records.flush()
    return url


@pytest.fixture(scope="module")
def insights_page(pipeline, tmp_path_factory):
    cited = pipeline.documents.descriptions()[1].name
    url = filled_store(tmp_path_factory.mktemp("store"), cited)
    with running_page(pipeline, UI_ADMIN=":".join(ADMIN), DATABASE_URL=url) as page_url:
        yield page_url, cited


def test_an_admin_sees_what_is_asked_and_what_the_documents_do_not_answer(browser, insights_page):
    url, cited = insights_page
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_role("tab", name="Documenten").click()
    tab.fill("#beheer-naam textarea", ADMIN[0])
    tab.fill("#beheer-wachtwoord input", ADMIN[1])
    tab.click("#beheer-inloggen")
    tab.locator("#documenten-lijst").wait_for()
    tab.get_by_role("tab", name="Inzichten").click()
    tab.wait_for_function("() => document.querySelector('#inzichten-overzicht').innerText.includes('27 vragen')")
    overview = tab.inner_text("#inzichten-overzicht")
    assert "beantwoord 74%" in overview and "niet in de documenten 22%" in overview and "deels 4%" in overview
    assert "Duim omhoog 2, duim omlaag 1" in overview
    page_text = tab.inner_text("body")
    assert "Hoeveel euro krijgen gemeenten voor de jeugdhulp?" in page_text and "4321" in page_text, "the slowest"
    assert cited in page_text and "Nooit geciteerd" in page_text
    assert cited not in tab.inner_text("#inzichten-nooit"), "a cited document is not 'never cited'"
    assert f"{cited} > Schulden" in tab.inner_text("#inzichten-passages"), "the passages cited most"

    tab.click("#inzichten-groepeer")
    tab.wait_for_function("() => document.querySelector('#inzichten-hiaten').innerText.includes('grofvuil')",
                          timeout=60_000)
    groups = tab.inner_text("#inzichten-hiaten")
    assert "paspoort" in groups and "grofvuil" in groups
    with tab.expect_download() as download:
        tab.click("#inzichten-csv")
    assert download.value.suggested_filename == "hiaten.csv"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("onderwerp,aantal,voorbeelden") and "grofvuil" in exported

    report = Path(download.value.path()).with_name("report.md")  # what `python -m assistant eval` writes
    report.write_text("# Evaluatie: proef\n\n| soort | beantwoord | deels | niet in de documenten |\n"
                      "| --- | --- | --- | --- |\n| balie | 7 | 1 | 2 |\n\n![Uitkomst per soort vraag](report.svg)\n",
                      encoding="utf-8")
    tab.set_input_files("#inzichten-rapport-bestand input[type=file]", str(report))
    tab.wait_for_function("() => document.querySelector('#inzichten-rapport').innerText.includes('Evaluatie: proef')")
    assert tab.locator("#inzichten-rapport table td", has_text="balie").count() == 1
    assert axe_violations(tab) == []
    screenshot(tab, "insights")
    context.close()


def test_someone_who_is_no_admin_sees_no_insights(browser, insights_page):
    url, _ = insights_page
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_role("tab", name="Inzichten").click()
    tab.wait_for_function("() => document.querySelector('#inzichten-overzicht').innerText.includes('Log eerst in')")
    assert "grofvuil" not in tab.inner_text("body") and "27 vragen" not in tab.inner_text("body")
    context.close()
