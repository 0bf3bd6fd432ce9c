"""The store of exchanges and feedback, on SQLite and on a real PostgreSQL server: what is kept
(filtered of personal data), for how long, the old feedback file imported once, the schema's
migrations, and a database that is down costing a warning and a dropped record, never an answer."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from assistant.records.store import FeedbackRecord, FeedbackSource, Records, database_url
from assistant.types import Answer, Citation, Mode, TraceStep

from conftest import PostgresServer

RESIDENT = "Mevrouw Jansen (BSN 111222333, 06-12345678) kan de huur niet betalen. Wat doet de gemeente?"


def answer(question: str, found: bool = True, partial: bool = False) -> Answer:
    reasons = ["answerable with probability 0.9", "weighed most: ...", "a third", "a fourth"]
    relevance = TraceStep("relevance", {"found": found, "reasons": reasons})
    return Answer(question, found, Mode.PASSAGES, "Gemeenten helpen [1].",
                  [Citation(1, "001_waarde.txt", "De waarde", ("Schulden",), "Gemeenten helpen.")] if found else [],
                  trace=[relevance], partial=partial)


def feedback(question: str, days_ago: int = 0) -> FeedbackRecord:
    given = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    return FeedbackRecord("down", question, "Bel 06-12345678 [1].", "passages",
                          [FeedbackSource(1, "001_waarde.txt", "Schulden", "VNG e.a., De waarde")], given)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return database_url("", tmp_path)
    return database_url(request.getfixturevalue("postgres_url"), tmp_path)


@pytest.fixture
def records(url):
    store = Records(url, retention_days=90)
    store.migrate()
    with store.engine.begin() as connection:  # each test starts from empty tables (PostgreSQL is shared)
        connection.execute(text("DELETE FROM exchanges"))
        connection.execute(text("DELETE FROM feedback"))
        connection.execute(text("DELETE FROM audit"))
    return store


def test_the_audit_trail_is_kept_and_read_back(records):
    records.add_audit("u-1", "sign_in")
    records.add_audit("beheerder", "remove", "memo.md")
    assert records.flush()
    assert [(e["subject"], e["action"], e["target"]) for e in records.audit()] == [
        ("u-1", "sign_in", ""), ("beheerder", "remove", "memo.md")]


def test_an_exchange_and_feedback_are_kept_without_personal_data(records):
    records.add_exchange(answer(RESIDENT), 23.4, "page")
    records.add_exchange(answer("Hoeveel kost een paspoort?", found=False), 8.0, "api")
    records.add_exchange(answer("Hoeveel euro krijgen gemeenten?", found=False, partial=True), 9.0, "chat")
    records.add_feedback(feedback(RESIDENT))
    assert records.flush() and records.dropped == 0
    rows = records.exchanges()
    assert [(r["channel"], r["outcome"]) for r in rows] == [("page", "answered"), ("api", "refused"),
                                                             ("chat", "partial")]
    assert rows[0]["sources"] == ["001_waarde.txt"] and rows[0]["ms"] == 23.4 and rows[0]["mode"] == "passages"
    assert rows[0]["passages"] == ["001_waarde.txt > Schulden"] and rows[1]["passages"] == []
    assert rows[0]["reasons"] == ["answerable with probability 0.9", "weighed most: ...", "a third"]
    (given,) = records.feedback()
    assert given["rating"] == "down" and given["sources"][0]["reference"] == "VNG e.a., De waarde"
    stored = json.dumps([*rows, given], default=str)
    for personal in ("Jansen", "111222333", "06-12345678"):
        assert personal not in stored, personal
    assert "[NAAM]" in rows[0]["question"] and "[TELEFOON]" in given["answer"]


def test_records_older_than_the_retention_period_are_pruned(records):
    for days_ago in (200, 91, 89, 0):
        records.add_feedback(feedback(f"vraag van {days_ago} dagen geleden", days_ago))
    records.flush()
    records.prune()
    assert [r["question"] for r in records.feedback()] == ["vraag van 89 dagen geleden", "vraag van 0 dagen geleden"]


def test_the_old_feedback_file_is_imported_once(records, tmp_path):
    old = tmp_path / "feedback.jsonl"
    lines = [json.dumps({"rating": "up", "question": f"Vraag {n} van meneer De Vries", "answer": "a",
                         "mode": "passages", "sources": [], "time": "2026-12-01T10:00:00+00:00"}) for n in range(3)]
    old.write_text("\n".join([*lines, '{"rating": "do']) + "\n", encoding="utf-8")  # a line cut off by a crash
    assert records.import_feedback_file(old) == 3
    assert not old.exists() and (tmp_path / "feedback.jsonl.imported").exists()
    assert records.import_feedback_file(old) == 0, "once"
    assert [r["question"] for r in records.feedback()] == [f"Vraag {n} van meneer [NAAM]" for n in range(3)]


def test_the_schema_is_made_by_its_migrations(records):
    tables = set(inspect(records.engine).get_table_names())
    assert {"exchanges", "feedback", "audit", "alembic_version"} <= tables
    with records.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    assert "passages" in {column["name"] for column in inspect(records.engine).get_columns("exchanges")}


def test_a_database_that_is_down_costs_a_dropped_record_never_an_answer(tmp_path):
    down = Records("postgresql+psycopg://nobody@127.0.0.1:9/nothing")  # a port where nothing listens
    started = time.perf_counter()
    for _ in range(3):
        down.add_exchange(answer("Wat doet de gemeente bij schulden?"), 5.0, "page")
    assert time.perf_counter() - started < 0.05, "handing a record over never waits for the database"
    assert down.flush(timeout=30) and down.dropped == 3
    assert down.import_feedback_file(tmp_path / "none.jsonl") == 0


def test_without_keeping_exchanges_only_feedback_is_kept(tmp_path):
    records = Records(database_url("", tmp_path), keep_exchanges=False)
    records.add_exchange(answer("Wat doet de gemeente bij schulden?"), 5.0, "page")
    records.add_feedback(feedback("Wat doet de gemeente bij schulden?"))
    assert records.flush()
    assert records.exchanges() == [] and len(records.feedback()) == 1


def test_a_store_of_the_first_schema_is_upgraded_keeping_its_records(url):
    """A store made before the passages were kept (0001) gets them (0002) at the first write."""
    from alembic import command
    from alembic.config import Config

    from assistant.records.store import MIGRATIONS, make_engine

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO exchanges (asked_at, channel, question, outcome, mode, ms, sources, "
                                "reasons) VALUES (:at, 'page', 'Oude vraag', 'answered', 'passages', 5.0, "
                                "'[\"a.txt\"]', '[]')"), {"at": datetime.now(UTC)})
    records = Records(url)
    records.add_exchange(answer("Nieuwe vraag"), 6.0, "page")
    assert records.flush() and records.dropped == 0
    assert [(r["question"], r["passages"]) for r in records.exchanges()] == [
        ("Oude vraag", []), ("Nieuwe vraag", ["001_waarde.txt > Schulden"])]


def test_a_database_that_stops_mid_run_loses_only_what_came_while_it_was_down():
    server = PostgresServer()
    try:
        records = Records(database_url(server.url, Path(tempfile.gettempdir())))
        records.add_exchange(answer("Voor de storing"), 5.0, "page")
        assert records.flush() and records.dropped == 0
        server.stop()
        started = time.perf_counter()
        records.add_exchange(answer("Tijdens de storing"), 5.0, "page")
        assert time.perf_counter() - started < 0.05, "the answer never waits for the database"
        assert records.flush(timeout=30) and records.dropped == 1
        server.start()
        records.add_exchange(answer("Na de storing"), 5.0, "page")
        assert records.flush(timeout=30) and records.dropped == 1, "the writer goes on once it is back"
        assert [r["question"] for r in records.exchanges()] == ["Voor de storing", "Na de storing"]
    finally:
        server.remove()
