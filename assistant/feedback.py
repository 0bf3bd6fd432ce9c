"""Thumbs up/down on answers, kept in an append-only JSON-lines file.

Each line is one judgement with the question, the answer, its sources and the time; lines are
only ever appended (under an exclusive lock, so concurrent users never interleave), never
rewritten, so a judgement cannot be lost by a later one.
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


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
    def __init__(self, path: Path):
        self.path = path

    def append(self, record: FeedbackRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
        with self.path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(line)
            out.flush()

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
