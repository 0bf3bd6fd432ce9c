"""The command line: index, search, ask, and the --jsonl batch mode.

    python -m assistant index [--rebuild]
    python -m assistant search "vraag" [--k N] [--jsonl]
    python -m assistant ask "vraag" [--jsonl]
    python -m assistant chat            (a question loop in the terminal)
    python -m assistant mcp             (the MCP server over stdio, for a desktop client)
    python -m assistant register        (the Algoritmeregister entry, filled and checked)
    python -m assistant eval QUESTIONS.jsonl [--out eval-report]   (your own questions, a report)

Batch mode reads one JSON object per line on stdin ({"question": ..., "history": [...]}) and
writes exactly one JSON line per input line on stdout, flushed; logs go to stderr.

Exit codes: 0 done, 2 a bad question or setting, 3 another index build is running, 4 the Chroma
server cannot be reached, 5 the index was built but some files were skipped (each named on
stderr and stdout with its reason).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from ..answering.prompts import GLOSSARY_HEADING, SOURCES_HEADING, personal_data_notice
from ..answering.question import BadQuestion, check_question
from ..config import Settings, SettingsError
from ..index.documents import SkippedFile
from ..index.store import IndexBusy, StoreUnavailable
from ..logs import setup_logging
from ..pipeline import Pipeline, build_index, load_pipeline
from ..types import Answer, SearchResult
from .contract import answer_json, error_line, parse_history, search_json
from .evaluation import QuestionsError, evaluate, figures, read_questions, write_report
from .mcp_server import build_mcp
from .register import EntryError, filled_entry
from .session import Session

log = logging.getLogger("assistant")
EXIT_SKIPPED = 5  # `index` built what it could read; some files were skipped


BATCH_LINE_MAX_BYTES = 200_000  # one input line of the batch interface


# ------------------------------------------------------------------ human output
def render_search(result: SearchResult) -> str:
    lines = [] if result.found else ["(Niets gevonden dat de vraag goed beantwoordt; dichtstbijzijnde passages:)"]
    for n, p in enumerate(result.passages, 1):
        also = f" (ook in: {', '.join(p.sources[1:])})" if len(p.sources) > 1 else ""
        lines += [f"[{n}] {p.chunk.title} — {p.chunk.section_path or '(begin)'}{also}", f"    {p.chunk.source}",
                  _indent(p.chunk.text), ""]
    return "\n".join(lines)


def render_answer(answer: Answer) -> str:
    lines = ([f"({answer.notice})", ""] if answer.notice else []) + [answer.text, ""]
    if answer.glossary:
        lines += [f"{GLOSSARY_HEADING}:"] + [f"- {e.term}: {e.explanation}" for e in answer.glossary] + [""]
    if answer.referral:
        lines += [answer.referral, ""]
    if answer.personal_data:
        lines += [f"({personal_data_notice(answer.personal_data)})", ""]
    if answer.partial:
        lines += [f"{SOURCES_HEADING}:"] + [f"[{p.number}] {p.reference}" for p in answer.cited_passages] + [""]
    elif answer.found and answer.passages:
        lines.append(f"{SOURCES_HEADING}:")
        for p in answer.passages:
            text = p.chunk.text
            for start, end in sorted(p.highlights, reverse=True):
                text = text[:start] + "»" + text[start:end] + "«" + text[end:]
            lines += [f"[{p.number}] {p.reference}", f"    {p.chunk.source}", _indent(text), ""]
    return "\n".join(lines).rstrip() + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# ------------------------------------------------------------------ batch mode
def run_batch(pipeline: Pipeline, command: str, k: int, stdin: io.BufferedReader, stdout) -> int:
    """One JSON line out per line in, whatever the line: a line that cannot be answered gets an
    `error` line and the batch goes on."""
    for raw in stdin:
        if not raw.strip():
            continue
        try:
            if len(raw) > BATCH_LINE_MAX_BYTES:
                raise ValueError(f"the line has {len(raw)} bytes; at most {BATCH_LINE_MAX_BYTES} are accepted")
            item = json.loads(raw.decode("utf-8"))
            if not isinstance(item, dict) or "question" not in item:
                raise ValueError("each line must be a JSON object with a 'question' field")
            question = check_question(item["question"], pipeline.settings.max_question_chars)
            history = parse_history(item.get("history"))
            explain = item.get("explain", False)
            if not isinstance(explain, bool):
                raise ValueError("'explain' must be true or false")
            if command == "search":
                out = search_json(pipeline.answerer.search(question, history, k=k))
            else:
                out = answer_json(pipeline.answerer.ask(question, history, explain))
        except BadQuestion as exc:
            out = error_line(str(exc), answer=str(exc))
        except StoreUnavailable as exc:  # the server may come back: the batch goes on
            log.error("%s", exc)
            out = error_line(str(exc))
        except (ValueError, UnicodeDecodeError) as exc:
            log.error("Bad input line: %s", exc)
            out = error_line(f"invalid input line: {exc}")
        except RecursionError:
            log.error("Bad input line: nested too deeply")
            out = error_line("invalid input line: the JSON is nested too deeply")
        except Exception as exc:  # noqa: BLE001 - one line's failure must not end the batch
            log.exception("Answering a batch line failed")
            out = error_line(f"internal error ({type(exc).__name__}); the line was not answered")
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def chat_loop(pipeline: Pipeline) -> int:
    print("Stel uw vraag over 'De waarde van het sociaal domein' (leeg = stoppen).")
    session = Session()
    while True:
        try:
            question = input("\nVraag: ")
        except EOFError:
            return 0
        if not question.strip():
            return 0
        try:
            question = check_question(question, pipeline.settings.max_question_chars)
            answer = pipeline.answerer.ask(question, session.turns)
        except BadQuestion as exc:
            print(exc)
            continue
        print(render_answer(answer))
        session.add(answer)


# ------------------------------------------------------------------ entry point
@dataclass
class Args:
    command: str
    question: str | None
    k: int | None
    jsonl: bool
    rebuild: bool
    explain: bool = False
    questions: Path | None = None  # eval
    out: Path | None = None  # eval: the report's folder


def parse_args(argv: list[str] | None) -> Args:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="build or update the vector store")
    index.add_argument("--rebuild", action="store_true", help="start over from an empty store")
    for name in ("search", "ask"):
        cmd = sub.add_parser(name, help=f"{name} the documents")
        cmd.add_argument("question", nargs="?", help="the question, in Dutch")
        cmd.add_argument("--jsonl", action="store_true", help="batch mode: JSON lines on stdin and stdout")
        cmd.add_argument("--k", type=int, default=None, help="how many passages (default TOP_K)")
        if name == "ask":
            cmd.add_argument("--explain", action="store_true",
                             help="explain for a resident: plain language, the hard words explained")
    sub.add_parser("chat", help="ask questions one after another in the terminal")
    sub.add_parser("mcp", help="serve the MCP tools over stdio (for a desktop client that starts the assistant)")
    sub.add_parser("register", help="print the Algoritmeregister entry, filled from ORGANISATION_NAME/_CONTACT")
    evaluation = sub.add_parser("eval", help="ask your own questions and write a report (Markdown, HTML)")
    evaluation.add_argument("questions", type=Path, help="JSON lines: question, and optionally id, type, gold, ...")
    evaluation.add_argument("--out", type=Path, default=Path("eval-report"), help="the report's folder")
    ns = parser.parse_args(argv)
    args = Args(ns.command, getattr(ns, "question", None), getattr(ns, "k", None),
                getattr(ns, "jsonl", False), getattr(ns, "rebuild", False), getattr(ns, "explain", False),
                getattr(ns, "questions", None), getattr(ns, "out", None))
    if args.command in ("search", "ask") and not args.jsonl and args.question is None:
        parser.error(f"{args.command} needs a question, or --jsonl to read questions from stdin")
    if args.k is not None and not 1 <= args.k <= 50:
        parser.error("--k must be between 1 and 50")
    return args


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    args = parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as bad:
        log.error("%s", bad)
        return 2
    try:
        return run(args, settings)
    except IndexBusy as busy:
        log.error("%s", busy)
        return 3
    except StoreUnavailable as down:
        log.error("%s", down)
        return 4


def run(args: Args, settings: Settings) -> int:
    if args.command == "register":
        try:
            entry = filled_entry(settings)
        except EntryError as problems:
            log.error("The Algoritmeregister entry is not complete: %s (ORGANISATION_NAME and ORGANISATION_CONTACT "
                      "give the organisation's fields; docs/algoritmeregister.json the rest)", problems)
            return 2
        print(json.dumps(entry, ensure_ascii=False, indent=2))
        return 0
    if args.command == "index":
        skipped: list[SkippedFile] = []
        report = build_index(settings, rebuild=args.rebuild, skipped=skipped)
        print(f"Index bijgewerkt: {report.added} passages toegevoegd ({report.sentences_added} zinnen), "
              f"{report.removed} verwijderd, {report.kept} ongewijzigd.")
        for entry in skipped:
            print(f"Overgeslagen: {entry.name}: {entry.dutch}")
        return EXIT_SKIPPED if skipped else 0
    question = ""
    items: list[dict] = []
    if args.command == "eval":
        try:  # before loading the model: a file that cannot be read is told at once
            items = read_questions(args.questions)
        except (QuestionsError, OSError, UnicodeDecodeError) as bad:
            log.error("Cannot evaluate %s: %s", args.questions, bad)
            return 2
    if args.command in ("search", "ask") and not args.jsonl:
        try:  # before loading the model: a bad question is told at once
            question = check_question(args.question, settings.max_question_chars)
        except BadQuestion as exc:
            print(exc, file=sys.stderr)
            return 2
    pipeline = load_pipeline(settings)
    k = args.k or settings.top_k
    if args.jsonl:
        return run_batch(pipeline, args.command, k, sys.stdin.buffer, sys.stdout)
    if args.command == "chat":
        return chat_loop(pipeline)
    if args.command == "eval":
        return run_evaluation(pipeline, items, args.questions.stem, args.out)
    if args.command == "mcp":  # stdout carries the protocol: every log line goes to stderr
        build_mcp(pipeline).run("stdio")
        return 0
    if args.command == "search":
        print(render_search(pipeline.answerer.search(question, k=k)))
    else:
        print(render_answer(pipeline.answerer.ask(question, explain=args.explain)))
    return 0


def run_evaluation(pipeline: Pipeline, items: list[dict], title: str, out: Path) -> int:
    results = evaluate(pipeline, items)
    written = write_report(results, out, title)
    measured = ", ".join(f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}"
                         for name, value in figures(results).items())
    print(f"{measured}\nRapport: {', '.join(str(path) for path in written)}")
    return 0
