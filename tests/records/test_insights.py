"""The Inzichten tab's figures from the store: counts per day and week, shares, thumbs, the
slowest answers, documents cited and never cited, and the unanswered questions grouped by topic
with the real e5 model (the tab itself: tests/browser/test_insights_tab.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.records.insights import gaps, gaps_csv, gaps_markdown, summary
from assistant.records.schema import Exchange, Feedback
from assistant.records.store import Records, database_url

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def row(question: str, outcome: str, days_ago: float, ms: float = 30.0, sources=("a.txt",)) -> dict:
    return {"asked_at": NOW - timedelta(days=days_ago), "channel": "page", "question": question, "outcome": outcome,
            "mode": "passages", "ms": ms, "sources": list(sources) if outcome != "refused" else [], "reasons": [],
            "passages": [f"{s} > Schulden" for s in sources] if outcome != "refused" else []}


def store(tmp_path, exchanges: list[dict], ratings=("up", "down", "down")) -> Records:
    records = Records(database_url("", tmp_path))
    records.migrate()
    thumbs = [{"given_at": NOW - timedelta(days=1), "rating": r, "question": "q", "answer": "a", "mode": "passages",
               "sources": []} for r in ratings]
    with records.engine.begin() as connection:
        for table, rows in ((Exchange.__table__, exchanges), (Feedback.__table__, thumbs)):
            if rows:
                connection.execute(table.insert(), rows)
    return records


def test_the_figures_of_the_period(tmp_path):
    records = store(tmp_path, [
        row("Wat doen gemeenten aan schulden?", "answered", 0.1, ms=40),
        row("Wat is de Wmo?", "answered", 0.2, sources=("a.txt", "b.txt")),
        row("Wanneer komt het grofvuil?", "refused", 0.3),
        row("Hoeveel euro voor jeugdhulp?", "partial", 8, ms=900),
        row("Een vraag van lang geleden", "answered", 200, ms=5000, sources=("c.txt",)),  # outside the period
    ])
    found = summary(records, ["a.txt", "b.txt", "c.txt", "d.txt"], now=NOW)
    assert found.total == 4 and found.per_day == [("2026-11-29", 0, 1, 0), ("2026-12-07", 2, 0, 1)]
    assert found.per_week == [("2026-W48", 0, 1, 0), ("2026-W50", 2, 0, 1)]
    assert found.shares == {"answered": 0.5, "partial": 0.25, "refused": 0.25}
    assert found.thumbs == {"up": 1, "down": 2}
    assert found.slowest[0][:2] == ("Hoeveel euro voor jeugdhulp?", 900.0), "the period's slowest first"
    assert found.cited == [("a.txt", 3), ("b.txt", 1)], "a partial answer cites its closest passage too"
    assert found.passages == [("a.txt > Schulden", 3), ("b.txt > Schulden", 1)]
    assert found.never_cited == ["c.txt", "d.txt"], "cited only before the period counts as never cited"


def test_an_empty_store_has_nothing_to_show(tmp_path):
    found = summary(store(tmp_path, [], ratings=()), ["a.txt"], now=NOW)
    assert found.total == 0 and found.per_day == [] and found.shares["answered"] == 0.0
    assert found.never_cited == ["a.txt"]


def test_the_unanswered_questions_are_grouped_by_topic_and_named_by_their_words(tmp_path, pipeline):
    asked = ["Wanneer wordt het grofvuil opgehaald?", "Wanneer halen jullie het grofvuil op?",
             "Op welke dag komt de grofvuilwagen?", "Wat kost een nieuw paspoort?", "Hoeveel kost een paspoort?",
             "Wat zijn de kosten van een paspoort voor een kind?", "Wanneer wordt het grofvuil opgehaald?"]
    records = store(tmp_path, [row(q, "refused", 0.5) for q in asked] + [row("Wat is de Wmo?", "answered", 0.5)])
    found = gaps(records, pipeline.store.embeddings.embed_queries, now=NOW)
    assert [(g.count, "grofvuil" in g.name or "paspoort" in g.name) for g in found] == [(4, True), (3, True)]
    assert "grofvuil" in found[0].name and found[0].examples[0] == "Wanneer wordt het grofvuil opgehaald?"
    assert "paspoort" in found[1].name and "Wat is de Wmo?" not in str(found)
    assert gaps_csv(found).splitlines()[0] == "onderwerp,aantal,voorbeelden"
    table = [line for line in gaps_markdown(found).splitlines() if line.startswith("| ")]
    assert len(table) == 4 and "grofvuil" in table[2], "a header, its rule and a row per topic"
