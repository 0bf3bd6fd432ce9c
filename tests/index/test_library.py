"""The documents folder as the Documenten tab changes it: checked before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from assistant.index.documents import load_documents
from assistant.index.library import LOCK_NAME, REMOVED_FOLDER, DocumentLibrary, DocumentRefused, safe_name

TEXT = "# Armoede\n\nGemeenten helpen inwoners met schulden. Dat doen ze vroeg.\n"
DESCRIPTION = {"title": "Armoedebeleid", "organisation": "Gemeente Utrecht", "kind": "beleidsnota",
               "date": "2026", "citation_author": ""}


@pytest.fixture
def library(tmp_path) -> DocumentLibrary:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "bestaand.md").write_text("# Bestaand\n\nEen document dat er al is.\n", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"bestaand.md": {"title": "Bestaand"}}), encoding="utf-8")
    return DocumentLibrary(folder, max_bytes=100_000)


def upload(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / "upload" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def files(library: DocumentLibrary) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in library.folder.iterdir() if p.name != LOCK_NAME}


def manifest(library: DocumentLibrary) -> dict:
    return json.loads((library.folder / "manifest.json").read_text(encoding="utf-8"))


def test_an_added_document_is_in_the_folder_with_its_description(library, tmp_path):
    name = library.add(upload(tmp_path, "armoede.md", TEXT), "../../elders/Armoede beleid (v2).md", DESCRIPTION)
    assert name == "Armoede_beleid_v2.md", "no path, only safe characters"
    assert (library.folder / name).read_text(encoding="utf-8") == TEXT
    entry = manifest(library)[name]
    assert entry["title"] == "Armoedebeleid" and entry["citation_author"] == "Gemeente Utrecht"
    assert manifest(library)["bestaand.md"] == {"title": "Bestaand"}, "other entries untouched"
    documents = {d.name: d for d in load_documents(library.folder)}
    assert documents[name].title == "Armoedebeleid" and documents[name].kind == "beleidsnota"
    assert not list(library.folder.glob(".*.part")), "no partial file left behind"


def test_a_word_file_is_added_and_read(library, tmp_path):
    word = docx.Document()
    word.add_heading("Schulden", level=1)
    word.add_paragraph("Gemeenten bieden schuldhulp aan iedereen die dat nodig heeft.")
    path = tmp_path / "schulden.docx"
    word.save(path)
    name = library.add(path, "schulden.docx", {})
    assert name == "schulden.docx"
    assert manifest(library)[name]["date"] is None


@pytest.mark.parametrize(("name", "content", "says"), [
    ("virus.exe", "MZ", "Alleen .txt"),
    ("nep.pdf", "dit is geen pdf", "geen echt .pdf"),
    ("nep.docx", "dit is geen zip", "geen echt .docx"),
    ("latin1.txt", "Caf\xe9".encode("latin-1"), "UTF-8"),
    ("binair.md", b"# Kop\x00\x01", "geen echt .md"),
    ("leeg.md", "   \n\n", "geen tekst"),
    ("groot.txt", "a" * 100_001, "te groot"),
    ("...", "tekst", "Alleen .txt"),
    (".md", "tekst", "Alleen .txt"),
    ("().md", "tekst", "naam met letters"),
])
def test_what_is_not_a_readable_document_is_refused_with_a_dutch_reason(library, tmp_path, name, content, says):
    before = files(library)
    with pytest.raises(DocumentRefused) as refused:
        library.add(upload(tmp_path, "upload.bin", content), name, DESCRIPTION)
    assert says in refused.value.dutch
    assert files(library) == before, "nothing written"


def test_a_pdf_without_text_is_refused(library, tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as file:
        writer.write(file)
    with pytest.raises(DocumentRefused, match="no text"):
        library.add(path, "scan.pdf", {})


def test_a_name_that_exists_and_an_overlong_field_are_refused(library, tmp_path):
    with pytest.raises(DocumentRefused, match="exists"):
        library.add(upload(tmp_path, "x.md", TEXT), "bestaand.md", {})
    with pytest.raises(DocumentRefused, match="more than"):
        library.add(upload(tmp_path, "x.md", TEXT), "nieuw.md", {"title": "x" * 301})
    assert (library.folder / "bestaand.md").read_text(encoding="utf-8").startswith("# Bestaand")


def test_a_description_is_changed_and_a_document_removed_but_kept(library):
    library.describe("bestaand.md", {"title": "Nieuwe titel", "organisation": "VNG"})
    assert manifest(library)["bestaand.md"]["title"] == "Nieuwe titel"
    moved = library.remove("bestaand.md")
    assert not (library.folder / "bestaand.md").exists() and "bestaand.md" not in manifest(library)
    assert moved.parent == library.folder / REMOVED_FOLDER and moved.read_text(encoding="utf-8").startswith("# Be")
    assert load_documents(library.folder) == [], "a removed document is not read"


@pytest.mark.parametrize("name", ["onbekend.md", "../seeds/bestaand.md", "manifest.json", ""])
def test_only_a_document_of_the_folder_can_be_described_or_removed(library, name):
    with pytest.raises(DocumentRefused):
        library.describe(name, {})
    with pytest.raises(DocumentRefused):
        library.remove(name)
    assert (library.folder / "bestaand.md").exists()


def test_safe_names():
    assert safe_name("C:\\Users\\jan\\Nota 2026.PDF") == "Nota_2026.pdf"
    assert safe_name("rapport.final.docx") == "rapport.final.docx"
