"""The docs hold what the code does: every setting it reads is documented, every relative link
resolves, and the README stays a short page in plain sentences."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from conftest import PROJECT

DOCS = sorted((PROJECT / "docs").glob("*.md")) + [PROJECT / "README.md", PROJECT / "CONTRIBUTING.md"]
CONFIGURATION = PROJECT / "docs" / "configuration.md"
README_MAX_WORDS = 1500
README_MEDIAN_SENTENCE_MAX_WORDS = 20

# what reads a setting: os.environ.get("X"), os.getenv("X"), _env_int("X", ...), os.environ["X"] (not a write)
SETTING_READ = re.compile(r"""(?:environ\.get|getenv|_env_\w+)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
                          r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\](?!\s*=[^=])""")
# variables read that are not the assistant's settings: the offline switch set for Hugging Face,
# and LangChain's own tracing variables, which logs.py turns off
NOT_SETTINGS = {"HF_HUB_OFFLINE", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def settings_read_by_the_code() -> set[str]:
    files = list((PROJECT / "assistant").rglob("*.py")) + [PROJECT / "ui.py"]
    found = (call or index for path in files for call, index in SETTING_READ.findall(path.read_text(encoding="utf-8")))
    return set(found) - NOT_SETTINGS


def documented_settings() -> set[str]:
    rows = [line for line in CONFIGURATION.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", path.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def broken_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not checked offline
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            broken.append(f"{path.relative_to(PROJECT)}: {target}")
    return broken


def sentences(markdown: str) -> list[str]:
    """The README's prose sentences: code blocks, tables and headings left out."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = "\n".join(line for line in prose.splitlines() if line.strip() and line[0] not in "#|!")
    prose = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", prose)
    return [s for s in re.split(r"(?<=[.!?:])\s+(?=[A-Z*`\"(])", " ".join(prose.split())) if s.split()]


def test_every_setting_the_code_reads_is_documented():
    read = settings_read_by_the_code()
    assert {"TOP_K", "LLM_MODEL", "UI_AUTH", "ASSISTANT_TRACING"} <= read, "the scan finds the settings"
    missing = sorted(read - documented_settings())
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_documented_setting_is_read_by_the_code():
    stale = sorted(documented_settings() - settings_read_by_the_code())
    assert not stale, f"docs/configuration.md documents settings the code no longer reads: {stale}"


def test_every_relative_link_in_the_readme_and_docs_resolves():
    broken = [link for path in DOCS for link in broken_links(path)]
    assert not broken, broken


def test_a_broken_link_and_a_missing_anchor_are_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.PROJECT", tmp_path)
    (tmp_path / "a.md").write_text("# Een kop\n[ok](a.md#een-kop) [weg](b.md) [anker](a.md#geen-kop)\n")
    assert broken_links(tmp_path / "a.md") == ["a.md: b.md", "a.md: a.md#geen-kop"]


def test_the_readme_is_short_in_plain_sentences():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert len(readme.split()) <= README_MAX_WORDS
    lengths = [len(sentence.split()) for sentence in sentences(readme)]
    assert len(lengths) > 20, "the sentence splitter reads the README's prose"
    assert statistics.median(lengths) <= README_MEDIAN_SENTENCE_MAX_WORDS
