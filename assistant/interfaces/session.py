"""A conversation: its turns, its answers and which shown message belongs to which answer.

The page, the command line's chat and the API keep a conversation the same way: the turns are
what a follow-up's retrieval sees, the exchanges what feedback refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records.store import FeedbackRecord, FeedbackSource
from ..types import Answer, NumberedPassage, Role, Turn


@dataclass
class Exchange:
    """One question and its answer, as the feedback log records it."""

    answer: Answer

    @property
    def question(self) -> str:
        """The question the answer was given to: personal data already left out."""
        return self.answer.question


@dataclass
class Session:
    turns: list[Turn] = field(default_factory=list)  # what follow-up retrieval sees
    exchanges: list[Exchange] = field(default_factory=list)
    owner: list[int | None] = field(default_factory=list)  # chat message -> exchange index (None: the question)
    rated: dict[int, str] = field(default_factory=dict)  # exchange index -> the rating recorded last
    told_personal_data: bool = False  # the notice that personal data were left out is given once

    def add(self, answer: Answer) -> None:
        """Record an answer, shown as one message after the question's own. The question kept is
        the one the answer was given to: personal data already left out."""
        number = len(self.exchanges)
        self.exchanges.append(Exchange(answer))
        self.turns += [Turn(Role.USER, answer.question), Turn(Role.ASSISTANT, answer.text)]
        self.owner += [None, number]

    @property
    def answers(self) -> list[Answer]:
        return [exchange.answer for exchange in self.exchanges]

    def cited_in_last_answer(self, number: object) -> NumberedPassage | None:
        """The passage cited as [number] in the latest answer; None when there is none."""
        if not self.exchanges or not isinstance(number, int):
            return None
        return next((p for p in self.exchanges[-1].answer.cited_passages if p.number == number), None)

    def personal_data_notice_due(self, answer: Answer) -> bool:
        """Whether to say now that personal data were left out (the first time it happens)."""
        if not answer.personal_data or self.told_personal_data:
            return False
        self.told_personal_data = True
        return True

    def exchange_at(self, message: object) -> Exchange | None:
        """The exchange a shown message belongs to; None for a question or an unknown index."""
        if not isinstance(message, int) or not 0 <= message < len(self.owner):
            return None
        number = self.owner[message]
        return None if number is None else self.exchanges[number]

    def feedback(self, message: object, liked: object) -> FeedbackRecord | None:
        """The feedback record for a thumbs up/down on a shown message, or None when it names no
        answer or repeats the judgement already recorded for it."""
        exchange = self.exchange_at(message)
        if exchange is None or liked not in (True, False):
            return None
        rating = "up" if liked else "down"
        number = self.owner[message]
        if self.rated.get(number) == rating:
            return None  # the same judgement again: recorded once
        self.rated[number] = rating
        answer = exchange.answer
        return FeedbackRecord(
            rating=rating, question=exchange.question, answer=answer.text, mode=answer.mode.value,
            sources=[FeedbackSource(p.number, p.chunk.source, p.chunk.section_path, p.reference)
                     for p in answer.cited_passages],
        )
