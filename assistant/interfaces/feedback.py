"""Thumbs up/down on answers, kept in a JSON-lines file: one judgement a line, nothing personal.

Each line is one judgement with the question, the answer, its sources and the time. The
question and the answer pass the personal-data filter before they are written (the question was
filtered before it was answered; this is the second lock on the door). Every change happens
under one lock file, so concurrent users never interleave; a line left half-written by a crash
is cut off before the next record is appended, so every line stays one whole record; records
older than the retention period are pruned by writing the kept ones to a new file that replaces
the old one at once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from filelock import FileLock

from ..privacy import PersonalDataFilter

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0  # a running page prunes on its first append and then at most this often
TAIL_BLOCK = 65536


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


class FeedbackLog:
    def __init__(self, path: Path, retention_days: int = 0, privacy: PersonalDataFilter | None = None):
        self.path = path
        self.retention_days = retention_days  # 0: records are kept
        self.privacy = privacy or PersonalDataFilter()
        self.lock = FileLock(str(path) + ".lock")
        self._pruned_at = float("-inf")

    def append(self, record: FeedbackRecord) -> None:
        record.question = self.privacy.redact(record.question).text
        record.answer = self.privacy.redact(record.answer).text
        line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            self._cut_partial_line()
            with self.path.open("ab") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.prune()

    def prune(self, now: datetime | None = None) -> int:
        """Delete the records older than the retention period; returns how many were deleted."""
        self._pruned_at = time.monotonic()
        if not self.retention_days or not self.path.exists():
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with self.lock:
            self._cut_partial_line()
            lines = self.path.read_bytes().splitlines(keepends=True)
            kept = [line for line in lines if _recorded_after(line, cutoff)]
            if len(kept) == len(lines):
                return 0
            fresh = self.path.with_name(self.path.name + ".new")
            with fresh.open("wb") as out:
                out.writelines(kept)
                out.flush()
                os.fsync(out.fileno())
            os.replace(fresh, self.path)
        log.info("Feedback: %d records older than %d days deleted", len(lines) - len(kept), self.retention_days)
        return len(lines) - len(kept)

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def _cut_partial_line(self) -> None:
        """A crash mid-write leaves a last line without its newline: cut it off (it is no whole record)."""
        if not self.path.exists():
            return
        with self.path.open("r+b") as file:
            size = file.seek(0, os.SEEK_END)
            if size == 0:
                return
            file.seek(size - 1)
            if file.read(1) == b"\n":
                return
            end = size
            while end > 0:
                start = max(0, end - TAIL_BLOCK)
                file.seek(start)
                block = file.read(end - start)
                newline = block.rfind(b"\n")
                if newline >= 0:
                    end = start + newline + 1
                    break
                end = start
            file.truncate(end)
            log.warning("Feedback: a partial last line of %d bytes (a write cut off by a crash) was removed",
                        size - end)


def _recorded_after(line: bytes, cutoff: datetime) -> bool:
    try:
        recorded = datetime.fromisoformat(json.loads(line)["time"])
    except (ValueError, KeyError, TypeError):
        return True  # not ours to judge: kept as it is
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return recorded >= cutoff
