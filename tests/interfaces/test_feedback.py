"""The feedback log: one whole record a line after a crash, retention, nothing personal, no repeats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from assistant.interfaces.feedback import FeedbackLog, FeedbackRecord


def record(question: str = "Wat doet de gemeente bij schulden?", days_ago: int = 0) -> FeedbackRecord:
    time = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    return FeedbackRecord("up", question, "Gemeenten helpen [1].", "passages", time=time)


def test_a_partial_last_line_is_cut_before_the_next_record(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.append(record())
    with log.path.open("ab") as file:  # a crash in the middle of a write
        file.write(b'{"rating": "up", "question": "Wat ')
    log.append(record("Wat is de Wmo?"))
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["Wat doet de gemeente bij schulden?", "Wat is de Wmo?"]


def test_a_file_holding_only_a_partial_line_is_repaired(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.path.write_bytes(b'{"rating": "do')
    log.append(record())
    assert len(log.read()) == 1


def test_records_older_than_the_retention_period_are_pruned(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl", retention_days=90)
    for days_ago in (200, 91, 89, 0):
        log.append(record(f"vraag van {days_ago} dagen geleden", days_ago))  # the first append prunes at once
    assert log.prune() == 1, "the 91 days old record; the 200 days old one went at the first append"
    assert [r["question"] for r in log.read()] == ["vraag van 89 dagen geleden", "vraag van 0 dagen geleden"]
    assert not (tmp_path / "feedback.jsonl.new").exists()


def test_prune_at_a_later_date_and_zero_keeps_everything(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl", retention_days=30)
    log.path.write_text(json.dumps({"time": "2020-01-01T00:00:00+00:00", "question": "oud"}) + "\n"
                        + json.dumps({"time": datetime.now(UTC).isoformat(), "question": "nieuw"}) + "\n")
    assert FeedbackLog(log.path, retention_days=0).prune() == 0
    assert log.prune() == 1 and [r["question"] for r in log.read()] == ["nieuw"]
    assert log.prune(now=datetime.now(UTC) + timedelta(days=31)) == 1 and log.read() == []


def test_personal_data_are_filtered_before_they_are_written(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.append(record("Meneer Bakker, BSN 111222333, tel 0612345678: kan hij bijstand krijgen?"))
    stored = log.path.read_text(encoding="utf-8")
    assert "Bakker" not in stored and "111222333" not in stored and "0612345678" not in stored
    assert "kan hij bijstand krijgen?" in stored
