"""The store of what happens: exchanges, feedback and the audit trail, through SQLAlchemy 2 (SQLite by default,
PostgreSQL when DATABASE_URL says so), its schema versioned by Alembic (migrations/).

Storing never blocks or breaks an answer: records go into a bounded queue that one writer
thread empties; a database that is down or slow costs a warning and a counted dropped record
(`dropped`), never a user's answer. Questions and answers pass the personal-data filter once
more before they are written. Records older than the retention period are pruned. A feedback
file of the JSON-lines era is imported once (then renamed `.imported`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..privacy import PersonalDataFilter
from ..types import SECTION_SEPARATOR, Answer
from .schema import AuditEvent, Exchange, Feedback

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
QUEUE_SIZE = 10_000  # records waiting for the writer; beyond it a record is dropped, never waited for
CONNECT_SECONDS = 3  # a database that does not answer within this is down (a warning, a dropped record)
PRUNE_EVERY_SECONDS = 3600.0
REASONS_KEPT = 3  # of the relevance stage's reasons, the first ones
# what the audit trail records: a sign-in, and the changes admins make to what the assistant answers from
AUDIT_ACTIONS = ("sign_in", "upload", "describe", "remove", "reindex")
AUDIT_TARGET_CHARS = 300
WRITER_SLEEP = 0.5  # after a failed write: the next record waits this long (a database that is down)


@dataclass
class FeedbackSource:
    number: int
    source: str
    section: str
    reference: str


@dataclass
class FeedbackRecord:
    rating: str  # "up" | "down"
    question: str
    answer: str
    mode: str
    sources: list[FeedbackSource] = field(default_factory=list)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def database_url(url: str, data_dir: Path) -> str:
    """DATABASE_URL, or a SQLite file under the data folder (nothing to start)."""
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'assistant.sqlite3'}"


def passage_label(source: str, section: tuple[str, ...]) -> str:
    return SECTION_SEPARATOR.join([source, *section])


def outcome_of(answer: Answer) -> str:
    return "answered" if answer.found else "partial" if answer.partial else "refused"


class Records:
    def __init__(self, url: str, retention_days: int = 0, privacy: PersonalDataFilter | None = None,
                 keep_exchanges: bool = True):
        self.url = url
        self.keep_exchanges = keep_exchanges  # false: only feedback is kept (KEEP_EXCHANGES)
        self.retention_days = retention_days  # 0: records are kept
        self.privacy = privacy or PersonalDataFilter()
        self.engine = make_engine(url)
        self.dropped = 0  # records lost to a database that was down, or to a full queue
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._migrated = False
        self._pruned_at = float("-inf")
        threading.Thread(target=self._write_forever, name="records-writer", daemon=True).start()

    # ------------------------------------------------------------------ what the ways in call
    def add_exchange(self, answer: Answer, ms: float, channel: str) -> None:
        if not self.keep_exchanges:
            return
        relevance = next((step.fields for step in answer.trace if step.step == "relevance"), {})
        self._put(Exchange, {
            "asked_at": datetime.now(UTC), "channel": channel, "question": answer.question,
            "outcome": outcome_of(answer), "mode": answer.mode.value, "ms": round(ms, 1),
            "sources": sorted({c.source for c in answer.citations}),
            "passages": sorted({passage_label(c.source, c.section) for c in answer.citations}),
            "reasons": [str(r) for r in relevance.get("reasons", [])][:REASONS_KEPT]})

    def add_feedback(self, record: FeedbackRecord) -> None:
        self._put(Feedback, feedback_row(record))

    def add_audit(self, subject: str, action: str, target: str = "") -> None:
        """Who (a subject id or login name, never a person's name) did what to which document."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r}: one of {', '.join(AUDIT_ACTIONS)}")
        self._put(AuditEvent, {"at": datetime.now(UTC), "subject": subject[:200] or "-", "action": action,
                               "target": target[:AUDIT_TARGET_CHARS]})

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every record handed over is written (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    # ------------------------------------------------------------------ reading and upkeep
    def exchanges(self) -> list[dict]:
        return self._rows(Exchange, Exchange.asked_at)

    def feedback(self) -> list[dict]:
        return self._rows(Feedback, Feedback.given_at)

    def audit(self) -> list[dict]:
        """The audit trail, oldest first (admins read it on the Inzichten tab)."""
        return self._rows(AuditEvent, AuditEvent.at)

    def prune(self, now: datetime | None = None) -> int:
        """Delete the records older than the retention period; returns how many were deleted."""
        self._pruned_at = time.monotonic()
        if not self.retention_days:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        self.migrate()
        with self.engine.begin() as connection:
            deleted = connection.execute(delete(Exchange).where(Exchange.asked_at < cutoff)).rowcount
            deleted += connection.execute(delete(Feedback).where(Feedback.given_at < cutoff)).rowcount
            deleted += connection.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount
        if deleted:
            log.info("Records: %d older than %d days deleted", deleted, self.retention_days)
        return deleted

    def import_feedback_file(self, path: Path) -> int:
        """The JSON-lines feedback file of before the store, imported once and renamed `.imported`.
        A database that is down leaves the file for the next start (a warning, nothing lost)."""
        if not path.exists():
            return 0
        records = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
                records.append(FeedbackRecord(raw["rating"], raw["question"], raw["answer"], raw["mode"],
                                              [FeedbackSource(**s) for s in raw.get("sources", [])], raw["time"]))
            except (ValueError, KeyError, TypeError):
                log.warning("Records: a line of %s that is no feedback record was left out", path.name)
        try:
            self.migrate()
            with self.engine.begin() as connection:
                for record in records:
                    connection.execute(Feedback.__table__.insert().values(**self._filtered(feedback_row(record))))
        except SQLAlchemyError as failure:
            log.warning("Records: %s not imported now, the database did not answer (%s)", path.name,
                        type(failure).__name__)
            return 0
        path.rename(path.with_name(path.name + ".imported"))
        log.info("Records: %d feedback records imported from %s", len(records), path.name)
        return len(records)

    def migrate(self) -> None:
        """The schema at its newest version (Alembic), once per process."""
        if self._migrated:
            return
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        self._migrated = True

    # ------------------------------------------------------------------ the writer
    def _put(self, table, row: dict) -> None:
        try:
            self._queue.put_nowait((table, row))
        except queue.Full:
            self.dropped += 1
            log.warning("Records: the queue is full (the database is slow); a record was dropped (%d so far)",
                        self.dropped)

    def _write_forever(self) -> None:
        while True:
            table, row = self._queue.get()
            try:
                self._write(table, row)
            except (SQLAlchemyError, OSError) as failure:
                self.dropped += 1
                log.warning("Records: the database did not take a record (%s); dropped (%d so far)",
                            type(failure).__name__, self.dropped)
                time.sleep(WRITER_SLEEP)
            finally:
                self._queue.task_done()

    def _write(self, table, row: dict) -> None:
        self.migrate()
        with self.engine.begin() as connection:
            connection.execute(table.__table__.insert().values(**self._filtered(row)))
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.prune()

    def _filtered(self, row: dict) -> dict:
        """A row with its question (and a feedback row's answer) filtered once more: the one place
        every record passes before it is written."""
        return row | {key: self.privacy.redact(row[key]).text for key in ("question", "answer") if key in row}

    def _rows(self, table, order) -> list[dict]:
        self.migrate()
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.__table__).order_by(order)).mappings().all()
        return [dict(row) for row in rows]


def feedback_row(record: FeedbackRecord) -> dict:
    given = datetime.fromisoformat(record.time)
    return {"given_at": given if given.tzinfo else given.replace(tzinfo=UTC), "rating": record.rating,
            "question": record.question, "answer": record.answer, "mode": record.mode,
            "sources": [asdict(s) for s in record.sources]}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": CONNECT_SECONDS})

        @event.listens_for(engine, "connect")
        def _wal(connection, _):  # readers (the Inzichten tab) never wait for the writer
            connection.execute("PRAGMA journal_mode=WAL")

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_SECONDS})
