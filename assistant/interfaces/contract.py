"""The JSON contract of the batch interface (`--jsonl`) and the JSON API: what a question may
carry in, and the shapes of what comes out. One place, so the two never drift apart.

In:  {"question": "...", "history": [{"role": "user"|"assistant", "content": "..."}], "explain": false}
Out: search_json (found, confidence, passages), answer_json (found, mode, answer, citations, ...),
     lookup_json (where a half-remembered phrase stands), error_line (an input that was refused).
"""

from __future__ import annotations

from dataclasses import asdict

from .. import ASSISTANT_NAME, __version__
from ..answering.citations import QuoteMatch
from ..types import Answer, Mode, Role, SearchResult, Turn

HISTORY_MAX_TURNS = 50
HISTORY_TURN_MAX_CHARS = 10_000


def parse_history(raw: object) -> list[Turn]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("'history' must be a list of {role, content} objects")
    if len(raw) > HISTORY_MAX_TURNS:
        raise ValueError(f"'history' has {len(raw)} turns; at most {HISTORY_MAX_TURNS} are accepted")
    turns = []
    for item in raw:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant") \
                or not isinstance(item.get("content"), str):
            raise ValueError("each history item needs 'role' (user|assistant) and 'content' (string)")
        if len(item["content"]) > HISTORY_TURN_MAX_CHARS:
            raise ValueError(f"a history turn has {len(item['content'])} characters; "
                             f"at most {HISTORY_TURN_MAX_CHARS} are accepted")
        turns.append(Turn(Role(item["role"]), item["content"]))
    return turns


# ------------------------------------------------------------------ JSON shapes
def search_json(result: SearchResult) -> dict:
    return {
        "found": result.found,
        "confidence": round(result.confidence, 4),
        "passages": [
            {"source": p.chunk.source, "section": p.chunk.section_path, "text": p.chunk.text,
             "score": round(p.score, 6), "also_in": p.sources[1:]}
            for p in result.passages
        ],
    }


def answer_json(answer: Answer) -> dict:
    out = {
        "found": answer.found,
        "partial": answer.partial,
        "mode": answer.mode.value,
        "answer": answer.text,
        "citations": [{"source": c.source, "quote": c.quote, "number": c.number} for c in answer.citations],
    }
    if answer.notice:
        out["notice"] = answer.notice
    if answer.personal_data:
        out["personal_data_left_out"] = [kind.name for kind in answer.personal_data]
    if answer.glossary:
        out["glossary"] = [{"term": e.term, "explanation": e.explanation} for e in answer.glossary]
    if answer.reading_level:
        out["reading_level"] = asdict(answer.reading_level)
    if answer.referral:
        out["referral"] = answer.referral
    out |= provenance(answer)
    out["trace"] = [step.as_json() for step in answer.trace]
    return out


def provenance(answer: Answer) -> dict:
    """What made the answer, machine-readably (the AI Act's Article 50): `ai_generated` is true when
    an LLM wrote any of it; otherwise it is made of the documents' own sentences ("extractive")."""
    written = answer.mode == Mode.LLM
    made_by = {"name": ASSISTANT_NAME, "version": __version__} | ({"model": answer.llm_model} if written else {})
    return {"generated_by": made_by, "ai_generated": written, "origin": "llm" if written else "extractive"}


def error_line(message: str, answer: str = "") -> dict:
    """The batch line for an input that could not be answered; fits both search and ask."""
    return {"found": False, "error": message, "passages": [], "citations": [], "answer": answer}


def lookup_json(matches: list[QuoteMatch]) -> dict:
    return {
        "exact": bool(matches) and matches[0].exact,
        "matches": [
            {"source": m.chunk.source, "title": m.chunk.title, "section": m.chunk.section_path, "quote": m.quote,
             "reference": m.reference, "citation": f"\"{m.quote}\" ({m.reference})",
             "similarity": round(m.similarity, 3), "exact": m.exact, "also_in": m.also_in}
            for m in matches
        ],
    }
