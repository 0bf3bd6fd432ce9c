"""PDF and Word documents beside text: indexed with per-document progress, searched, cited verbatim."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import docx
import pytest

from assistant.answering.citations import is_verbatim
from assistant.index.documents import load_document
from assistant.pipeline import load_pipeline

from conftest import PROJECT, make_settings

PDF_LINES = [
    "Fietsenwerkplaats voor nieuwkomers",
    "De gemeente Voorbeeldstad opent in het voorjaar een fietsenwerkplaats.",
    "Statushouders leren daar fietsen repareren en oefenen tegelijk de Nederlandse taal.",
]


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with these lines in Helvetica (no PDF writer library needed)."""
    content = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    pdf += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return pdf


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    shutil.copy(PROJECT / "seeds" / "003_601c73c71d766d51.txt", folder)
    (folder / "fietsen.pdf").write_bytes(minimal_pdf(PDF_LINES))
    word = docx.Document()
    word.add_heading("Schuldhulp in Voorbeeldstad", level=1)
    word.add_heading("Het spreekuur", level=2)
    word.add_paragraph("Elke dinsdag houdt de gemeente een inloopspreekuur voor inwoners met geldzorgen.")
    word.add_paragraph("Een schuldhulpmaatje helpt bij het ordenen van de post.", style="List Bullet")
    word.save(folder / "schuldhulp.docx")
    return folder


def test_pdf_and_word_files_become_documents(mixed_folder):
    pdf = load_document(mixed_folder / "fietsen.pdf")
    assert "fietsenwerkplaats" in pdf.source and any("Statushouders leren" in b.text for b in pdf.blocks)
    word = load_document(mixed_folder / "schuldhulp.docx")
    assert word.title == "Schuldhulp in Voorbeeldstad"
    assert ("heading", "Het spreekuur") in [(b.kind, b.text) for b in word.blocks]
    assert any(b.kind == "bullet" and "schuldhulpmaatje" in b.text for b in word.blocks)


def test_a_broken_pdf_is_a_clear_error(tmp_path):
    broken = tmp_path / "kapot.pdf"
    broken.write_bytes(b"%PDF-1.4 dit is geen pdf")
    with pytest.raises(ValueError, match="is not a readable PDF"):
        load_document(broken)
    fake = tmp_path / "kapot.docx"
    fake.write_bytes(b"geen zip")
    with pytest.raises(ValueError, match="not a readable Word"):
        load_document(fake)


def test_a_mixed_folder_is_indexed_with_progress_and_cited_verbatim(mixed_folder, tmp_path):
    settings = make_settings(seeds_dir=mixed_folder, vectorstore_dir=tmp_path / "vs")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SEEDS_DIR": str(mixed_folder),
           "VECTORSTORE_DIR": str(settings.vectorstore_dir)}
    done = subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"Indexeren: .*3/3", done.stderr)  # per-document progress

    pipeline = load_pipeline(settings, build_if_needed=False, progress=False)
    for question, source in [("Wat leren statushouders in de fietsenwerkplaats?", "fietsen.pdf"),
                             ("Wanneer is het inloopspreekuur voor geldzorgen?", "schuldhulp.docx")]:
        answer = pipeline.answerer.ask(question)
        assert answer.found, question
        cited = [c for c in answer.citations if c.source == source]
        assert cited, (question, answer.text)
        assert all(is_verbatim(c.quote, pipeline.documents[source]) for c in cited)
