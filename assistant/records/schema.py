"""The store's tables (SQLAlchemy 2). Their history is in migrations/versions (Alembic)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Exchange(Base):
    """One question and what came of it. The question is the filtered one: no personal data."""

    __tablename__ = "exchanges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # page, api, chat, mcp
    question: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), index=True)  # answered, partial, refused
    mode: Mapped[str] = mapped_column(String(16))  # passages, llm
    ms: Mapped[float] = mapped_column(Float, index=True)  # the time the answer took
    sources: Mapped[list] = mapped_column(JSON)  # the documents cited
    passages: Mapped[list] = mapped_column(JSON, default=list)  # the passages cited: "document > section"
    reasons: Mapped[list] = mapped_column(JSON)  # the relevance stage's reasons (the trace's)


class Feedback(Base):
    """A thumbs up or down on an answer, with what it was given to."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    rating: Mapped[str] = mapped_column(String(8))  # up, down
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list] = mapped_column(JSON)  # [{number, source, section, reference}]


class AuditEvent(Base):
    """Who changed what, and when: a sign-in, a document added, described or removed, a new
    index. Who is a subject id (the identity provider's `sub`, or a login name), never a name."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))  # AUDIT_ACTIONS (store.py)
    target: Mapped[str] = mapped_column(String(300))  # the document, or "" (a sign-in, a new index)
