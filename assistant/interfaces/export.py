"""Taking an answer along: as plain text for an e-mail or a letter, and a whole conversation as
Markdown. Pure functions of the answers (presentation), so the page, the command line and the
tests format them the same way.
"""

from __future__ import annotations

import re
from datetime import datetime

from .. import ASSISTANT_NAME, __version__
from ..answering.prompts import (
    ANSWER_LABELS,
    CONVERSATION_HEADING,
    GLOSSARY_HEADING,
    MADE_BY,
    QUESTION_LABEL,
    SOURCES_HEADING,
)
from ..types import Answer

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>])")


def answer_as_text(answer: Answer) -> str:
    """The answer as a user pastes it: the question, the text with its [n] markers, the hard words
    (for a resident), the referral line, and the numbered sources as ready references."""
    lines = [f"{QUESTION_LABEL}: {answer.question}", ""]
    if answer.notice:
        lines += [f"({answer.notice})", ""]
    lines += [answer.text]
    if answer.glossary:
        lines += ["", f"{GLOSSARY_HEADING}:"] + [f"- {e.term}: {e.explanation}" for e in answer.glossary]
    if answer.referral:
        lines += ["", answer.referral]
    if answer.cited_passages:
        lines += ["", f"{SOURCES_HEADING}:"] + [f"[{p.number}] {p.reference}" for p in answer.cited_passages]
    lines += ["", made_by(answer)]
    return "\n".join(lines).strip() + "\n"


def made_by(answer: Answer) -> str:
    """The line that says what made the answer: the documents' own sentences, or an LLM too."""
    return MADE_BY[answer.mode.value].format(name=ASSISTANT_NAME, version=__version__, model=answer.llm_model)


def answer_for_chat(answer: Answer) -> str:
    """The answer as a chat client shows it: the text with its [n] markers first (so that a
    streamed answer's checked sentences stay its start), then the notice, the hard words, the
    referral line, and "Bronnen" with each source and the sentences quoted from it. Light Markdown
    that reads as plain text too: a client that does not render it shows no escapes."""
    parts = [answer.text]
    if answer.notice:
        parts.append(f"({answer.notice})")
    if answer.glossary:
        parts.append(f"{GLOSSARY_HEADING}:\n" + "\n".join(f"- {e.term}: {e.explanation}" for e in answer.glossary))
    if answer.referral:
        parts.append(answer.referral)
    if answer.cited_passages:
        sources = ["\n".join([f"[{passage.number}] {passage.reference}"]
                               + [f"> {c.quote}" for c in answer.citations if c.number == passage.number])
                   for passage in answer.cited_passages]  # a blank line ends each quote (Markdown)
        parts.append(f"{SOURCES_HEADING}:\n" + "\n\n".join(sources))
    parts.append(made_by(answer))
    return "\n\n".join(parts)


def conversation_markdown(answers: list[Answer], title: str, now: datetime | None = None) -> str:
    """A conversation as a Markdown file: each question as a heading, its answer, its sources.
    The questions are escaped (what a user typed is never formatting); the answers keep their
    bullets and [n] markers."""
    when = (now or datetime.now()).strftime("%d-%m-%Y %H:%M")
    parts = [f"# {CONVERSATION_HEADING}: {title}", f"*{when}*"]
    for n, answer in enumerate(answers, 1):
        parts.append(f"## {n}. {_escaped(answer.question)}")
        if answer.notice:
            parts.append(f"*{_escaped(answer.notice)}*")
        parts.append(_markdown_lines(answer.text))
        if answer.glossary:
            parts.append(f"**{GLOSSARY_HEADING}**\n\n" + "\n".join(
                f"- **{_escaped(e.term)}**: {_escaped(e.explanation)}" for e in answer.glossary))
        if answer.referral:
            parts.append(_escaped(answer.referral))
        if answer.cited_passages:
            parts.append(f"**{SOURCES_HEADING}**\n\n" + "\n".join(
                f"- \\[{p.number}\\] {_escaped(p.reference)}" for p in answer.cited_passages))
        parts.append(f"*{ANSWER_LABELS[answer.mode]}*")
        parts.append(f"*{_escaped(made_by(answer))}*")
    return "\n\n".join(parts) + "\n"


def _escaped(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_lines(text: str) -> str:
    """The answer's own lines: a "- " bullet stays a bullet, everything else is text."""
    out = []
    for line in text.splitlines():
        bullet = line.startswith("- ")
        body = _escaped(line[2:] if bullet else line)
        out.append(("- " + body) if bullet else body)
    return "\n".join(out)
