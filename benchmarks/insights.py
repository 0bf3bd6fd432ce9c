"""The Inzichten tab's load time with a full store: fills a store with N exchanges and feedback
over the insight period, then times what the tab computes when it is opened (`summary`) and when
the unanswered questions are grouped (`gaps`, the real e5 model).

    python benchmarks/insights.py [--exchanges 100000] [--database-url postgresql://...]

Without --database-url it fills a SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.index.embeddings import load_embeddings  # noqa: E402
from assistant.records.insights import INSIGHT_DAYS, gaps, summary  # noqa: E402
from assistant.records.schema import Exchange, Feedback  # noqa: E402
from assistant.records.store import Records, database_url  # noqa: E402

TOPICS = ["schulden", "jeugdhulp", "de Wmo", "bijstand", "armoede", "wonen", "inburgering", "de Participatiewet"]
UNANSWERED = ["Wanneer wordt het grofvuil opgehaald in {}?", "Wat kost een paspoort in {}?",
              "Hoe laat is het zwembad open in {}?", "Waar kan ik parkeren bij het stadhuis van {}?"]
TOWNS = ["Zwolle", "Delft", "Almere", "Enschede", "Tilburg", "Leiden"]
DOCUMENTS = [f"00{n}_document.txt" for n in range(5)]
BATCH = 5000


def fill(records: Records, count: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    records.migrate()
    rows = []
    for n in range(count):
        refused = rng.random() < 0.2
        question = (rng.choice(UNANSWERED).format(rng.choice(TOWNS)) if refused
                    else f"Wat doen gemeenten aan {rng.choice(TOPICS)}? ({n})")
        rows.append({"asked_at": now - timedelta(seconds=rng.uniform(0, INSIGHT_DAYS * 86400)), "channel": "page",
                     "question": question, "outcome": "refused" if refused else "answered", "mode": "passages",
                     "ms": rng.uniform(10, 400), "sources": [] if refused else (cited := rng.sample(DOCUMENTS[:4], 2)),
                     "passages": [] if refused else [f"{d} > {rng.choice(TOPICS)}" for d in cited],
                     "reasons": ["answerable with probability 0.91"]})
        if len(rows) == BATCH:
            with records.engine.begin() as connection:
                connection.execute(Exchange.__table__.insert(), rows)
            rows = []
    with records.engine.begin() as connection:
        if rows:
            connection.execute(Exchange.__table__.insert(), rows)
        connection.execute(Feedback.__table__.insert(), [
            {"given_at": now - timedelta(days=rng.uniform(0, INSIGHT_DAYS)), "rating": rng.choice(["up", "down"]),
             "question": "Wat doen gemeenten aan schulden?", "answer": "x [1]", "mode": "passages", "sources": []}
            for _ in range(count // 50)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="insights-"))
    records = Records(database_url(args.database_url, folder))
    started = time.perf_counter()
    fill(records, args.exchanges)
    print(f"store: {records.engine.url.get_backend_name()}, {args.exchanges} exchanges filled in "
          f"{time.perf_counter() - started:.1f} s")
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        found = summary(records, DOCUMENTS)
        timings.append(time.perf_counter() - started)
    print(f"opening the tab (summary): median {statistics.median(timings):.3f} s, max {max(timings):.3f} s "
          f"({found.total} questions, {len(found.per_day)} days, never cited: {', '.join(found.never_cited)})")
    embeddings = load_embeddings(Settings.from_env().checked())
    started = time.perf_counter()
    groups = gaps(records, embeddings.embed_queries)
    print(f"grouping the unanswered questions (gaps): {time.perf_counter() - started:.2f} s, {len(groups)} groups; "
          f"largest: {', '.join(f'{g.name} ({g.count})' for g in groups[:4])}")


if __name__ == "__main__":
    main()
