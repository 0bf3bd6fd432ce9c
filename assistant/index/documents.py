"""Loading and cleaning the source documents, with a map back to the source text.

Cleaning removes what is not content (share buttons, "Zie ook", "Reageer nu!", repeated page
headers) and markdown noise (`<sup>n</sup>`, `**bold**`); a download link's title stays (it names a
related document and whom it went to). Each document is split into structural blocks (headings,
paragraphs, bullet items). Every character of a cleaned block remembers the offset of the source
character it came from, so any passage shown can be found verbatim in its source file.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..types import PUBLIC_AUDIENCE, Block, Document, SourceMap

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")
# A documents folder may hold a file that cannot be read, or should not be: it is skipped with its
# reason, and every other document is indexed. Memory stays bounded: sizes are checked before reading.
FILE_MAX_MB = 100  # a file larger than this is not read
UNPACKED_MAX_MB = 200  # a Word file whose parts would unpack to more (a zip bomb), by the zip's own directory
LINE_MAX_CHARS = 200_000  # a text with a longer line is not a document (one 6 MB line)
MB = 1024 * 1024
PARAGRAPH_BREAK = re.compile(r"(?<=[.!?:])\n(?=[A-Z\d•-])")  # in extracted PDF text

# Whole lines that are web-page furniture, not content (matched on the stripped line).
BOILERPLATE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"[•\-*]?\s*(facebook|linkedin|twitter|x|whatsapp|e-?mail|delen|print)",
        r"zie ook",
        r"meer informatie.*",
        r"reageer nu!?",
        r"opdrachtgevers.*bekijk.*",
        r"vinden wij jouw ideale match\?",
        r"waar vind je ons\?",
        r"\[[^\]]+\]\(https?://[^)]+\)",  # a bare markdown link
    )
]
INLINE_NOISE = re.compile(r"<sup>\s*\d+\s*</sup>|\*\*|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)")
BULLET = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
BOLD_LEAD = re.compile(r"^\*\*([^*]{2,80}?)[.:]?\*\*")
SENTENCE_END = re.compile(r"[.!?:;)\"'’”]\s*$")


def _strip_noise(line: str, start: int) -> tuple[str, list[int]]:
    """Remove inline markdown noise, keeping each kept character's source offset."""
    chars, offsets = [], []
    pos = 0
    for match in INLINE_NOISE.finditer(line):
        chars.append(line[pos:match.start()])
        offsets.extend(range(start + pos, start + match.start()))
        pos = match.end()
    chars.append(line[pos:])
    offsets.extend(range(start + pos, start + len(line)))
    return "".join(chars), offsets


def _fold_spaces(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """Collapse runs of whitespace to one space and strip the ends."""
    out, out_offsets = [], []
    for ch, off in zip(text, offsets, strict=True):
        if ch.isspace():
            if not out or out[-1] == " ":
                continue
            ch = " "
        out.append(ch)
        out_offsets.append(off)
    while out and out[-1] == " ":
        out.pop()
        out_offsets.pop()
    return "".join(out), out_offsets


def is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(p.fullmatch(stripped) for p in BOILERPLATE_LINES)


def _looks_like_plain_heading(text: str, has_markdown_headings: bool) -> bool:
    """Plain-text web pages mark headings only by a short line without a full stop."""
    if has_markdown_headings or len(text) > 100 or not text[:1].isupper() and not text[:1].isdigit():
        return False
    return not re.search(r"[.!;,]$", text)


def parse_blocks(source: str) -> list[Block]:
    """Split a document into headings, paragraphs and bullet items, cleaned, with offsets."""
    has_md_headings = bool(re.search(r"^#{1,6}\s", source, re.MULTILINE))
    raw_blocks: list[list[tuple[str, int]]] = []  # each: lines with their start offsets
    current: list[tuple[str, int]] = []
    pos = 0
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        starts_item = bool(BULLET.match(body)) or bool(HEADING.match(body))
        if not body.strip() or is_boilerplate(body) or starts_item:
            if current:
                raw_blocks.append(current)
                current = []
        if body.strip() and not is_boilerplate(body):
            current.append((body, pos))
            if HEADING.match(body):
                raw_blocks.append(current)
                current = []
        pos += len(line)
    if current:
        raw_blocks.append(current)

    blocks: list[Block] = []
    chapter = None
    for lines in raw_blocks:
        first, first_start = lines[0]
        heading = HEADING.match(first)
        if heading:
            level = len(heading.group(1))
            text, offsets = _strip_noise(heading.group(2), first_start + heading.start(2))
            text, offsets = _fold_spaces(text, offsets)
            if level == 1 and text == chapter:
                continue  # a page header repeating the chapter title
            if level == 1:
                chapter = text
            blocks.append(Block("heading", text, SourceMap.of(offsets), level=level))
            continue
        bullet = BULLET.match(first)
        kind = "bullet" if bullet else "paragraph"
        if (bullet and not has_md_headings and len(lines) == 1 and first.lstrip()[:1].isdigit()
                and _looks_like_plain_heading(first[bullet.end():].strip(), False)):
            kind, bullet = "paragraph", None  # "1. Transformatie ..." numbers a heading
        text, offsets = "", []
        for i, (line, start) in enumerate(lines):
            skip = bullet.end() if (i == 0 and bullet) else 0
            cleaned, offs = _strip_noise(line[skip:], start + skip)
            text += cleaned + " "
            offsets += offs + [start + len(line)]
        lead_match = BOLD_LEAD.match(first[bullet.end():] if bullet else first)
        text, offsets = _fold_spaces(text, offsets)
        if not text:
            continue
        if kind == "paragraph" and len(lines) == 1 and _looks_like_plain_heading(text, has_md_headings):
            level = 3 if text.endswith(("?", ":")) else (2 if blocks else 1)
            blocks.append(Block("heading", text, SourceMap.of(offsets), level=level))
            continue
        lead = lead_match.group(1).strip().rstrip(".:") if lead_match else ""
        blocks.append(Block(kind, text, SourceMap.of(offsets), lead=lead))
    return _join_broken_paragraphs(blocks)


def _join_broken_paragraphs(blocks: list[Block]) -> list[Block]:
    """Rejoin a paragraph that a page break cut in two (it continues in lower case)."""
    joined: list[Block] = []
    for block in blocks:
        previous = joined[-1] if joined else None
        if (previous is not None and previous.kind in ("paragraph", "bullet")
                and block.kind == "paragraph" and block.text[:1].islower()
                and not SENTENCE_END.search(previous.text)):
            previous.text += " " + block.text
            previous.offsets = SourceMap.of([*previous.offsets, block.offsets[0] - 1, *block.offsets])
            continue
        joined.append(block)
    return joined


def load_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


class UnreadableDocument(ValueError):
    """A file that is not read into the index: the reason in English (`str`) and in Dutch (`dutch`)."""

    def __init__(self, reason: str, dutch: str):
        super().__init__(reason)
        self.dutch = dutch


@dataclass(frozen=True)
class SkippedFile:
    name: str
    reason: str  # English, for the log
    dutch: str  # for the Documenten tab


def read_source(path: Path) -> str:
    """The document's text: the file itself, or the text extracted from a PDF or Word file
    (which is then what passages and citations refer to)."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size > FILE_MAX_MB * MB:
        raise UnreadableDocument(f"{path} is larger than {FILE_MAX_MB} MB ({size // MB} MB)",
                                 f"groter dan {FILE_MAX_MB} MB")
    if suffix == ".pdf":
        return _pdf_text(path)
    if suffix == ".docx":
        return _docx_text(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"{path} is not valid UTF-8 text: {exc}", "geen geldige UTF-8-tekst") from exc
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > LINE_MAX_CHARS:
        raise UnreadableDocument(f"{path} has a line of {longest} characters (at most {LINE_MAX_CHARS})",
                                 f"een regel van meer dan {LINE_MAX_CHARS} tekens")
    return text


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocument(f"{path} is an encrypted PDF", "een beveiligde (versleutelde) PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, UnreadableDocument):
            raise
        raise UnreadableDocument(f"{path} is not a readable PDF: {exc}", "geen leesbare PDF") from exc
    # lines inside a paragraph stay together; a line that ends a sentence before a capital starts one
    return "\n\n".join(PARAGRAPH_BREAK.sub("\n\n", page.strip()) for page in pages if page.strip()) + "\n"


def _docx_text(path: Path) -> str:
    """Word paragraphs as Markdown: heading styles ("Heading 2", "Kop 2") become ## headings."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableDocument(f"{path} is not a readable Word (.docx) file: {exc}",
                                 "geen leesbaar Word-bestand") from exc
    if unpacked > UNPACKED_MAX_MB * MB:
        raise UnreadableDocument(f"{path} would unpack to {unpacked // MB} MB (at most {UNPACKED_MAX_MB} MB)",
                                 f"pakt uit tot meer dan {UNPACKED_MAX_MB} MB")
    try:
        paragraphs = docx.Document(str(path)).paragraphs
    except (PackageNotFoundError, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise UnreadableDocument(f"{path} is not a readable Word (.docx) file: {exc}",
                                 "geen leesbaar Word-bestand") from exc
    parts = []
    for paragraph in paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        level = re.fullmatch(r"(?:heading|kop)\s*(\d)", style)
        if level or style == "title":
            parts.append("#" * (int(level.group(1)) if level else 1) + " " + text)
        elif "list" in style or "lijst" in style:
            parts.append("- " + text)
        else:
            parts.append(text)
    return "\n\n".join(parts) + "\n"


def load_document(path: Path, meta: dict | None = None) -> Document:
    meta = meta or {}
    source = read_source(path)
    blocks = parse_blocks(source)
    fallback_title = next((b.text for b in blocks if b.kind == "heading"), path.stem)
    return Document(
        name=path.name,
        source=source,
        title=meta.get("title") or fallback_title,
        organisation=meta.get("organisation", ""),
        kind=meta.get("kind", ""),
        date=meta.get("date"),
        citation_author=meta.get("citation_author") or meta.get("organisation", ""),
        blocks=blocks,
        audience=audience_of(meta.get("audience")),
    )


def audience_of(value: str | list | None) -> tuple[str, ...]:
    """A manifest's audience ("openbaar", "wijkteam, beleid" or a list of groups) as groups; none
    given is PUBLIC_AUDIENCE."""
    groups = value.split(",") if isinstance(value, str) else list(value or [])
    return tuple(sorted({str(g).strip() for g in groups if str(g).strip()})) or (PUBLIC_AUDIENCE,)


def folder_files(folder: Path) -> tuple[list[Path], list[SkippedFile]]:
    """The .txt/.md/.pdf/.docx files of `folder` that may be read, in file-name order, and the
    other files with why they are not: another type, or a link that leads outside the folder.
    The manifest and hidden files and folders (`.removed/`) are neither."""
    if not folder.is_dir():
        raise FileNotFoundError(f"Document folder not found: {folder}")
    inside = folder.resolve()
    paths, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == MANIFEST_NAME:
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(inside):
            skipped.append(SkippedFile(path.name, "a link that leads outside the documents folder",
                                       "een koppeling naar buiten de documentenmap"))
        elif not path.is_file():
            continue
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(SkippedFile(path.name, f"an unknown type (not {', '.join(SUPPORTED_SUFFIXES)})",
                                       f"onbekend bestandstype (geen {', '.join(SUPPORTED_SUFFIXES)})"))
        else:
            paths.append(path)
    return paths, skipped


def document_paths(folder: Path) -> list[Path]:
    """Every .txt/.md/.pdf/.docx file in `folder` that may be read, in file-name order."""
    return folder_files(folder)[0]


def iter_documents(folder: Path, progress: bool = False, description: str = "Documenten lezen",
                   skipped: list[SkippedFile] | None = None) -> Iterator[Document]:
    """The documents of `folder` one at a time (an index build holds one in memory), with a
    per-document progress bar. A file that cannot be read is skipped with one warning line naming
    it and the reason, and added to `skipped`; every other document is read."""
    from tqdm import tqdm

    paths, refused = folder_files(folder)
    manifest = load_manifest(folder)
    for entry in refused:
        log.warning("Skipped %s: %s", entry.name, entry.reason)
    if skipped is not None:
        skipped.extend(refused)
    for path in tqdm(paths, desc=description, unit="document", disable=not progress):
        try:
            document = load_document(path, manifest.get(path.name))
        except UnreadableDocument as reason:
            log.warning("Skipped %s: %s", path.name, reason)
            if skipped is not None:
                skipped.append(SkippedFile(path.name, str(reason), reason.dutch))
            continue
        yield document


def load_documents(folder: Path, progress: bool = False) -> list[Document]:
    return list(iter_documents(folder, progress))
