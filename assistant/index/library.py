"""The documents folder as staff manage it from the page: add, describe and remove documents.

Every change is checked before it touches the folder: a file is added only when its name is
safe, its size within DOCUMENT_MAX_MB, its content the type its name says, and it reads as a
document with text; it is written under a temporary name and then renamed, so a build never
sees half a file. The manifest (titles, organisations, citation authors) is rewritten whole and
renamed into place under a lock. A removed document is moved to `.removed/`, never deleted.
What the page answers from changes only when the index is rebuilt (Pipeline.reindex).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from ..types import PUBLIC_AUDIENCE
from .documents import MANIFEST_NAME, SUPPORTED_SUFFIXES, load_document, load_manifest

MANIFEST_FIELDS = ("title", "organisation", "kind", "date", "citation_author", "audience")
GROUP_NAME = re.compile(r"[\w.@-]+")  # a group as identity providers name them (no spaces, no commas)
FIELD_MAX_CHARS = 300
NAME_MAX_CHARS = 120
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
REMOVED_FOLDER = ".removed"
LOCK_NAME = ".library.lock"


class DocumentRefused(ValueError):
    """A change to the documents that is not made: English for developers, `dutch` for users."""

    def __init__(self, english: str, dutch: str):
        super().__init__(english)
        self.dutch = dutch


class DocumentLibrary:
    def __init__(self, folder: Path, max_bytes: int):
        self.folder = folder
        self.max_bytes = max_bytes
        self.lock = FileLock(str(folder / LOCK_NAME), timeout=10)

    def descriptions(self) -> dict[str, dict]:
        """The manifest: file name -> its title, organisation, kind, date and citation author."""
        return load_manifest(self.folder)

    def add(self, upload: Path, file_name: str, description: dict) -> str:
        """Put an uploaded file into the folder as `file_name` (made safe), with its description;
        returns the name it is stored under."""
        name = safe_name(file_name)
        size = upload.stat().st_size
        if size > self.max_bytes:
            raise DocumentRefused(f"{name}: {size} bytes, more than the {self.max_bytes} allowed",
                                  f"Het bestand is te groot (maximaal {self.max_bytes // 1_000_000} MB).")
        check_content(upload, name)
        entry = checked_description(description)
        with self.lock:
            target = self.folder / name
            if target.exists():
                raise DocumentRefused(f"{name} exists already",
                                      "Er is al een document met deze naam. Verwijder het eerst of geef het bestand "
                                      "een andere naam.")
            readable(upload, name, entry)
            partial = self.folder / f".{name}.part"  # not a document suffix: no build reads it
            shutil.copyfile(upload, partial)
            os.replace(partial, target)
            self._write_manifest(self.descriptions() | {name: entry})
        return name

    def describe(self, name: str, description: dict) -> None:
        """Change a document's title, organisation, kind, date or citation author."""
        entry = checked_description(description)
        with self.lock:
            self._existing(name)
            self._write_manifest(self.descriptions() | {name: entry})

    def remove(self, name: str) -> Path:
        """Take a document out of the folder (kept under .removed/, with the time); returns where."""
        with self.lock:
            path = self._existing(name)
            kept = self.folder / REMOVED_FOLDER
            kept.mkdir(exist_ok=True)
            moved = kept / f"{datetime.now(UTC):%Y%m%dT%H%M%S}_{name}"
            os.replace(path, moved)
            self._write_manifest({k: v for k, v in self.descriptions().items() if k != name})
        return moved

    def _existing(self, name: str) -> Path:
        path = self.folder / name
        if Path(name).name != name or not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentRefused(f"no document {name!r} in {self.folder}", "Dat document staat er niet (meer).")
        return path

    def _write_manifest(self, manifest: dict) -> None:
        partial = self.folder / f".{MANIFEST_NAME}.part"
        partial.write_text(json.dumps(dict(sorted(manifest.items())), ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
        os.replace(partial, self.folder / MANIFEST_NAME)


def safe_name(file_name: str) -> str:
    """The file name without a path, with only letters, digits, '.', '_' and '-'."""
    base = Path(file_name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = SAFE_NAME.sub("_", stem).strip("._-")[:NAME_MAX_CHARS]
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentRefused(f"{base!r}: not one of {', '.join(SUPPORTED_SUFFIXES)}",
                              "Alleen .txt-, .md-, .pdf- en .docx-bestanden kunnen worden toegevoegd.")
    if not stem:
        raise DocumentRefused(f"{base!r}: no usable file name", "Geef het bestand een naam met letters of cijfers.")
    return stem + suffix


def check_content(upload: Path, name: str) -> None:
    """The content is what the name says: a PDF starts with %PDF-, a Word file is a zip with a
    document in it, a text file is UTF-8 without NUL bytes."""
    suffix = Path(name).suffix.lower()
    wrong = DocumentRefused(f"{name}: the content is not a {suffix} file",
                            f"Dit bestand is geen echt {suffix}-bestand (de inhoud klopt niet met de naam).")
    if suffix == ".pdf":
        with upload.open("rb") as file:
            if file.read(5) != b"%PDF-":
                raise wrong
    elif suffix == ".docx":
        if not zipfile.is_zipfile(upload):
            raise wrong
        with zipfile.ZipFile(upload) as archive:
            if "word/document.xml" not in archive.namelist():
                raise wrong
    else:
        data = upload.read_bytes()
        if b"\0" in data:
            raise wrong
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise DocumentRefused(f"{name}: not UTF-8 text",
                                  "Dit tekstbestand is niet in UTF-8 opgeslagen; sla het op als UTF-8.") from None


def readable(upload: Path, name: str, entry: dict) -> None:
    """The file reads as a document with text (a scanned PDF without text does not)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / name
        shutil.copyfile(upload, copy)
        try:
            document = load_document(copy, entry)
        except ValueError as unreadable:
            raise DocumentRefused(f"{name}: {unreadable}", "Dit bestand kon niet worden gelezen.") from None
    if not any(block.text.strip() for block in document.blocks):
        raise DocumentRefused(f"{name}: no text found",
                              "In dit bestand staat geen tekst die te lezen is (een gescande PDF?).")


def checked_description(description: dict) -> dict:
    """A manifest entry from the form: known fields only, text, not too long; the citation
    author defaults to the organisation."""
    entry: dict = {}
    for key in MANIFEST_FIELDS:
        value = description.get(key)
        value = "" if value is None else str(value).strip()
        if len(value) > FIELD_MAX_CHARS:
            raise DocumentRefused(f"{key}: more than {FIELD_MAX_CHARS} characters",
                                  f"Een veld mag hoogstens {FIELD_MAX_CHARS} tekens hebben.")
        entry[key] = value
    entry["date"] = entry["date"] or None
    entry["citation_author"] = entry["citation_author"] or entry["organisation"]
    groups = [group.strip() for group in entry["audience"].split(",") if group.strip()]
    if not all(GROUP_NAME.fullmatch(group) for group in groups):
        raise DocumentRefused(f"audience {entry['audience']!r}: groups are names without spaces, separated by commas",
                              "Vul bij 'Wie mag het lezen' 'openbaar' in, of groepsnamen zonder spaties, "
                              "gescheiden door komma's.")
    entry["audience"] = ", ".join(groups) or PUBLIC_AUDIENCE
    return entry
