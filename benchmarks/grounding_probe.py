"""How often an altered claim of a scripted LLM reaches the user: the shown rate per form.

    python benchmarks/grounding_probe.py [--questions ../shared/eval/dev.jsonl]

For every answerable question of the set and every form (tests/grounding_probe.py: faithful,
negated, number changed, clause added, actors swapped, unmarked invented) a scripted
OpenAI-compatible stub (tests/stub_llm.py) reads the numbered passages the assistant sent, takes
the sentence closest to the question's gold quote and answers with it in that form, cited. The
table gives, per form, the questions it applied to and the share whose claim the answer showed.
Wanted: faithful >= 0.95, every altered form <= 0.05.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from assistant.answering.llm import LLMWriter  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402
from assistant.types import Role, Turn  # noqa: E402

from grounding_probe import FORMS, scripted, shown  # noqa: E402
from stub_llm import StubLLM  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--show", action="store_true",
                        help="print each shown altered claim and each faithful one not shown, with the reason")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if i["gold"]]
    settings = Settings.from_env()
    pipeline = load_pipeline(settings)
    applied, shown_count = Counter(), Counter()
    for form in FORMS:
        for index, item in enumerate(items):
            made: list[str] = []
            stub = StubLLM(script=scripted(form, [g["quote"] for g in item["gold"]], index, made))
            answerer = copy.copy(pipeline.answerer)
            answerer.writer = LLMWriter(replace(settings, llm_base_url=stub.base_url, llm_model="stub"))
            history = [Turn(Role(t["role"]), t["content"]) for t in item.get("history", [])]
            answer = answerer.ask(item["question"], history)
            stub.shutdown()
            if not answer.found or not made or not made[0]:
                continue
            applied[form] += 1
            if shown(made[0], answer):
                shown_count[form] += 1
                if args.show and form != "faithful":
                    print(f"  shown [{form}] {made[0]}", file=sys.stderr)
            elif args.show and form == "faithful":
                rejected = [s.fields.get("rejected") for s in answer.trace if s.step == "grounding"]
                print(f"  not shown [faithful] {made[0]}: {rejected}", file=sys.stderr)
    print(f"{len(items)} answerable questions; a scripted LLM answers with the sentence closest to the gold quote\n")
    print(f"{'form':20}{'applied':>8}{'shown':>7}")
    for form in FORMS:
        rate = shown_count[form] / applied[form] if applied[form] else float("nan")
        print(f"{form:20}{applied[form]:>8}{rate:>7.2f}")


if __name__ == "__main__":
    main()
