"""What the store says to the content owner: how much is asked and answered, the thumbs, the
slowest answers, the documents and passages cited, the documents never cited (`summary`, SQL over the store, for the
Inzichten tab), and the gaps: the refused and partial questions grouped by topic (`gaps`: their
e5 vectors clustered with scikit-learn, each group named by its most telling words).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, cast, func, select

from ..answering.keywords import STOPWORDS, words
from .schema import Exchange, Feedback
from .store import Records

INSIGHT_DAYS = 90  # the period the tab shows (the store keeps FEEDBACK_RETENTION_DAYS, 90 by default)
SLOWEST_SHOWN = 10
PASSAGES_SHOWN = 10
GAP_QUESTIONS = 500  # the most recent refused and partial questions grouped (embedding them takes ~1 s)
GAP_DISTANCE = 0.14  # cosine distance within which e5 question vectors share a topic (similarity 0.86)
GAP_NAME_WORDS = 3
GAP_EXAMPLES = 3
OUTCOMES = ("answered", "partial", "refused")


@dataclass
class Summary:
    total: int
    per_day: list[tuple[str, int, int, int]]  # day, answered, partial, refused
    per_week: list[tuple[str, int, int, int]]  # ISO week ("2026-W49"), answered, partial, refused
    shares: dict[str, float]  # outcome -> share of all questions
    thumbs: dict[str, int]  # up, down
    slowest: list[tuple[str, float, str]]  # question, ms, when (UTC)
    cited: list[tuple[str, int]]  # document, answers citing it, most first
    passages: list[tuple[str, int]]  # "document > section", answers citing it, the most cited first
    never_cited: list[str]  # documents served that no answer of the period cited


@dataclass
class Gap:
    name: str  # its most telling words
    count: int
    examples: list[str]


def summary(records: Records, documents: list[str], days: int = INSIGHT_DAYS, now: datetime | None = None) -> Summary:
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    records.migrate()
    with records.engine.connect() as connection:
        daily = connection.execute(
            select(func.date(Exchange.asked_at), Exchange.outcome, func.count())
            .where(Exchange.asked_at >= since).group_by(func.date(Exchange.asked_at), Exchange.outcome)).all()
        thumbs = dict(connection.execute(select(Feedback.rating, func.count()).where(Feedback.given_at >= since)
                                         .group_by(Feedback.rating)).all())
        slowest = connection.execute(select(Exchange.question, Exchange.ms, Exchange.asked_at)
                                     .where(Exchange.asked_at >= since).order_by(Exchange.ms.desc())
                                     .limit(SLOWEST_SHOWN)).all()
        cited, passages = Counter(), Counter()
        # read as text and decoded here: a third of the time SQLAlchemy's JSON type takes per row
        for sources, quoted in connection.execute(
                select(cast(Exchange.sources, String), cast(Exchange.passages, String))
                .where(Exchange.asked_at >= since, Exchange.outcome != "refused")):
            cited.update(json.loads(sources))
            passages.update(json.loads(quoted))
    days_seen: dict[str, Counter] = {}
    for day, outcome, count in daily:
        days_seen.setdefault(str(day)[:10], Counter())[outcome] += count
    per_day = [(day, *(days_seen[day][o] for o in OUTCOMES)) for day in sorted(days_seen)]
    weeks: dict[str, Counter] = {}
    for day, *counts in per_day:
        year, week, _ = date.fromisoformat(day).isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", Counter()).update(dict(zip(OUTCOMES, counts, strict=True)))
    total = sum(sum(counts) for _, *counts in per_day)
    by_outcome = Counter({o: sum(row[1 + i] for row in per_day) for i, o in enumerate(OUTCOMES)})
    return Summary(
        total=total, per_day=per_day,
        per_week=[(week, *(weeks[week][o] for o in OUTCOMES)) for week in sorted(weeks)],
        shares={o: (by_outcome[o] / total if total else 0.0) for o in OUTCOMES},
        thumbs={"up": thumbs.get("up", 0), "down": thumbs.get("down", 0)},
        slowest=[(question, ms, f"{when:%Y-%m-%d %H:%M}") for question, ms, when in slowest],
        cited=cited.most_common(), passages=passages.most_common(PASSAGES_SHOWN),
        never_cited=sorted(set(documents) - set(cited)))


def gaps(records: Records, embed: Callable[[list[str]], list[list[float]]], days: int = INSIGHT_DAYS,
         now: datetime | None = None) -> list[Gap]:
    """The refused and partial questions of the period grouped by topic, the largest group first."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    since = (now or datetime.now(UTC)) - timedelta(days=days)
    records.migrate()
    with records.engine.connect() as connection:
        asked = [question for (question,) in connection.execute(
            select(Exchange.question).where(Exchange.asked_at >= since, Exchange.outcome != "answered")
            .order_by(Exchange.asked_at.desc()).limit(GAP_QUESTIONS))]
    if not asked:
        return []
    distinct = list(dict.fromkeys(asked))
    if len(distinct) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        clustering = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                             distance_threshold=GAP_DISTANCE)
        labels = clustering.fit_predict(np.asarray(embed(distinct)))
    times = Counter(asked)
    groups: dict[int, list[str]] = {}
    for question, label in zip(distinct, labels, strict=True):
        groups.setdefault(int(label), []).append(question)
    found = [Gap(telling_words(members, distinct), sum(times[q] for q in members),
                 sorted(members, key=lambda q: -times[q])[:GAP_EXAMPLES]) for members in groups.values()]
    return sorted(found, key=lambda gap: (-gap.count, gap.name))


def telling_words(members: list[str], everything: list[str]) -> str:
    """The words that say most what a group is about: frequent in it, rare in all the questions."""
    inside = Counter(word for question in members for word in set(topic_words(question)))
    overall = Counter(word for question in everything for word in set(topic_words(question)))
    def telling(word: str) -> float:  # shared by most of the group (squared), rare overall (root)
        return (inside[word] / len(members)) ** 2 * (len(everything) / overall[word]) ** 0.5

    scored = sorted(inside, key=lambda word: (-telling(word), word))
    return ", ".join(scored[:GAP_NAME_WORDS]) or "(geen woorden)"


def topic_words(question: str) -> list[str]:
    return [word for word in words(question) if len(word) > 3 and word not in STOPWORDS and not word.isdigit()
            and word not in PLACEHOLDER_WORDS]


PLACEHOLDER_WORDS = {"naam", "telefoon", "adres", "e-mail", "geboortedatum", "iban"}  # of privacy's [NAAM], ...


def gaps_csv(found: list[Gap]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["onderwerp", "aantal", "voorbeelden"])
    for gap in found:
        writer.writerow([gap.name, gap.count, " | ".join(gap.examples)])
    return out.getvalue()


def gaps_markdown(found: list[Gap]) -> str:
    lines = ["# Wat de documenten niet beantwoorden", "", "| onderwerp | aantal | voorbeelden |", "| --- | --- | --- |"]
    for gap in found:
        examples = "<br>".join(example.replace("|", "/") for example in gap.examples)
        lines.append(f"| {gap.name} | {gap.count} | {examples} |")
    return "\n".join(lines) + "\n"
