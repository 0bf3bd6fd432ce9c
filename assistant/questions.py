"""What a question must look like before it reaches retrieval; shared by the CLI and the page."""

from __future__ import annotations

from .prompts import EMPTY_QUESTION, QUESTION_TOO_LONG


class BadQuestion(ValueError):
    """A question that cannot be asked; the message is Dutch, for the user."""


def check_question(question: object, limit: int) -> str:
    """The question without control characters and outer whitespace, or BadQuestion."""
    if not isinstance(question, str):
        raise BadQuestion(EMPTY_QUESTION)
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise BadQuestion(EMPTY_QUESTION)
    if len(cleaned) > limit:
        raise BadQuestion(QUESTION_TOO_LONG.format(length=len(cleaned), limit=limit))
    return cleaned
