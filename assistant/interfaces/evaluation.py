"""A municipality's own questions, evaluated: does a set of documents answer them?

    python -m assistant eval QUESTIONS.jsonl [--out eval-report]

QUESTIONS.jsonl is the eval kit's format: one object a line with `question` (and optionally
`id`, `type`, `history`, `gold` [{doc, quote}] and `answer_points`). Every question is asked as
the page asks it; the report (Markdown and HTML, with an SVG plot) has a row per question
(answered, partial or refused, and the sources), figures per type, and, where `gold` is given,
the eval kit's own measures: hit@1 and recall@5 of the search, unanswerable refused, answerable
found, answerable with a supporting citation, and answer points stated (the same definitions as
`score.py`, re-stated here: a municipality has no eval kit).
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from ..pipeline import Pipeline
from ..records.store import outcome_of
from ..types import Role, Turn

HIT_COVERAGE = 0.5  # share of a gold quote a passage (or a citation) must hold to count as a hit
POINT_COVERED = 0.5  # share of an answer point's content words the answer must hold
SEARCH_DEPTH = 10
STOP = set("""de het een en van in op te dat die is voor met zijn aan om er niet ook als bij door naar of maar
dan wat hoe we wij ze zij hun deze dit nog meer worden wordt kan kunnen moet moeten hebben heeft zo tot uit over
onder al wel geen ons onze je jij u mijn ik""".split())
WORD = re.compile(r"[a-zà-ÿ0-9]+")
OUTCOME_WORDS = {"answered": "beantwoord", "partial": "deels", "refused": "niet in de documenten"}
MEASURE_WORDS = {"hit@1": "de beste passage is een juiste (hit@1)",
                 "recall@5": "een juiste passage bij de eerste vijf (recall@5)",
                 "answerable found": "beantwoordbare vragen beantwoord",
                 "supported": "beantwoordbare vragen met een ondersteunende bron",
                 "unanswerable refused": "niet-beantwoordbare vragen niet beantwoord",
                 "answer points stated": "antwoordpunten genoemd"}


class QuestionsError(ValueError):
    """The questions file cannot be read; the message names the line (English)."""


@dataclass
class Result:
    item: dict
    outcome: str
    answer: str
    sources: list[str]
    citations: list[dict]
    ranked: list[dict] = field(default_factory=list)  # the search's passages: {source, text}

    @property
    def answerable(self) -> bool | None:
        return bool(self.item["gold"]) if "gold" in self.item else None


def read_questions(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as bad:
            raise QuestionsError(f"line {number}: not JSON ({bad.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not item["question"].strip():
            raise QuestionsError(f"line {number}: needs a 'question' (text)")
        item.setdefault("id", f"vraag-{number}")
        item.setdefault("type", "vraag")
        items.append(item)
    if not items:
        raise QuestionsError("the file holds no questions")
    return items


def evaluate(pipeline: Pipeline, items: list[dict]) -> list[Result]:
    results = []
    for item in items:
        history = [Turn(Role(t["role"]), t["content"]) for t in item.get("history") or []]
        answer = pipeline.answerer.ask(item["question"], history)
        ranked = [{"source": p.chunk.source, "text": p.chunk.text}
                  for p in pipeline.answerer.search(item["question"], history, k=SEARCH_DEPTH).passages]
        results.append(Result(item, outcome_of(answer), answer.text, sorted({c.source for c in answer.citations}),
                              [{"source": c.source, "quote": c.quote} for c in answer.citations], ranked))
    return results


# ------------------------------------------------------------------ the measures (as score.py)
def normalize(text: str) -> str:
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text).replace("**", "").replace("*", "")
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”„]", '"', text)
    text = re.sub(r"[–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def coverage(quote: str, passage: str) -> float:
    quote, passage = normalize(quote), normalize(passage)
    if not quote:
        return 0.0
    if quote in passage:
        return 1.0
    blocks = SequenceMatcher(None, quote, passage, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks if b.size >= 8) / len(quote)


def gold_hits(source: str, text: str, gold: list[dict]) -> set[int]:
    name = Path(source).name
    return {i for i, g in enumerate(gold) if g["doc"] == name and coverage(g["quote"], text) >= HIT_COVERAGE}


def first_hit(result: Result) -> int | None:
    return next((rank for rank, p in enumerate(result.ranked[:SEARCH_DEPTH], 1)
                 if gold_hits(p["source"], p["text"], result.item["gold"])), None)


def supported(result: Result) -> bool:
    gold = result.item["gold"]
    return any(gold_hits(c["source"], c["quote"], gold) or any(
        Path(c["source"]).name == g["doc"] and coverage(c["quote"], g["quote"]) >= HIT_COVERAGE for g in gold)
        for c in result.citations)


def stems(text: str) -> set[str]:
    return {w[:6] for w in WORD.findall(normalize(text)) if w not in STOP and len(w) > 2}


def points_stated(result: Result) -> float | None:
    points = result.item.get("answer_points") or []
    if not result.item.get("gold") or not points:
        return None
    said = stems(" ".join([result.answer] + [c["quote"] for c in result.citations]))
    return sum(bool(want := stems(p)) and len(want & said) / len(want) >= POINT_COVERED for p in points) / len(points)


def figures(results: list[Result]) -> dict[str, float | int]:
    """The eval kit's measures over the questions that carry `gold` (none without)."""
    judged = [r for r in results if r.answerable is not None]
    answerable = [r for r in judged if r.answerable]
    unanswerable = [r for r in judged if not r.answerable]
    ranks = [first_hit(r) for r in answerable]
    points = [share for r in answerable if (share := points_stated(r)) is not None]
    out: dict[str, float | int] = {"questions": len(results), "with gold": len(judged)}
    if answerable:
        out |= {"hit@1": sum(rank == 1 for rank in ranks) / len(answerable),
                "recall@5": sum(bool(rank and rank <= 5) for rank in ranks) / len(answerable),
                "answerable found": sum(r.outcome == "answered" for r in answerable) / len(answerable),
                "supported": sum(supported(r) for r in answerable) / len(answerable)}
    if unanswerable:
        out["unanswerable refused"] = sum(r.outcome != "answered" for r in unanswerable) / len(unanswerable)
    if points:
        out["answer points stated"] = sum(points) / len(points)
    return out


def per_type(results: list[Result]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOME_WORDS, 0))
    for result in results:
        counts[str(result.item["type"])][result.outcome] += 1
    return dict(sorted(counts.items()))


# ------------------------------------------------------------------ the report
def plot_svg(types: dict[str, dict[str, int]]) -> str:
    """Outcomes per type as stacked horizontal bars (SVG, readable by a screen reader)."""
    colours = {"answered": "#1d4ed8", "partial": "#b45309", "refused": "#b91c1c"}
    row, width, left = 28, 420, 180
    most = max((sum(c.values()) for c in types.values()), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 20}" '
             f'height="{row * len(types) + 50}" aria-labelledby="plot-title">',
             '<title id="plot-title">Uitkomst per soort vraag</title>']
    for n, (kind, counts) in enumerate(types.items()):
        y, x = 10 + n * row, left
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13">{html.escape(kind)}</text>')
        for outcome, count in counts.items():
            length = width * count / most
            if count:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="20" fill="{colours[outcome]}">'
                             f'<title>{html.escape(kind)}: {count} {OUTCOME_WORDS[outcome]}</title></rect>')
            x += length
    legend_y = 10 + len(types) * row + 16
    for n, (outcome, word) in enumerate(OUTCOME_WORDS.items()):
        parts.append(f'<rect x="{left + n * 150}" y="{legend_y - 11}" width="12" height="12" '
                     f'fill="{colours[outcome]}"/><text x="{left + n * 150 + 18}" y="{legend_y}" '
                     f'font-size="12">{word}</text>')
    return "\n".join(parts + ["</svg>"])


def report_markdown(results: list[Result], title: str) -> str:
    measured = figures(results)
    lines = [f"# Evaluatie: {title}", "", f"{len(results)} vragen."]
    if measured["with gold"]:
        lines += ["", "| maat | waarde |", "| --- | --- |"]
        lines += [f"| {MEASURE_WORDS[name]} | {value:.2f} |" for name, value in measured.items()
                  if isinstance(value, float)]
    lines += ["", "## Per soort vraag", "", "| soort | beantwoord | deels | niet in de documenten |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {kind} | {counts['answered']} | {counts['partial']} | {counts['refused']} |"
              for kind, counts in per_type(results).items()]
    lines += ["", "![Uitkomst per soort vraag](report.svg)", "", "## Per vraag", "",
              "| id | soort | vraag | uitkomst | verwacht | bronnen |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        expected = "" if r.answerable is None else ("beantwoordbaar" if r.answerable else "niet beantwoordbaar")
        lines.append(f"| {_cell(r.item['id'])} | {_cell(r.item['type'])} | {_cell(r.item['question'])} | "
                     f"{OUTCOME_WORDS[r.outcome]} | {expected} | {_cell(', '.join(r.sources))} |")
    return "\n".join(lines) + "\n"


def report_html(markdown: str, svg: str, title: str) -> str:
    """The Markdown report as a page of its own: its tables as tables, the plot inline."""
    body, table = [], []

    def flush() -> None:
        if table:
            head, *rows = [[html.escape(c.strip()) for c in line.strip("|").split(" | ")] for line in table
                           if not line.startswith("| ---")]
            body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
                        + "</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("!["):
            body.append(svg)
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{html.escape(line)}</p>")
    flush()
    return (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#111827}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #9ca3af;padding:.3em .6em;"
            "text-align:left;vertical-align:top}</style></head><body>" + "\n".join(body) + "</body></html>\n")


def write_report(results: list[Result], folder: Path, title: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    markdown = report_markdown(results, title)
    svg = plot_svg(per_type(results))
    written = {"report.md": markdown, "report.svg": svg, "report.html": report_html(markdown, svg, title)}
    for name, text in written.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in written]


def _cell(value: object) -> str:
    return str(value).replace("|", "/").replace("\n", " ")
