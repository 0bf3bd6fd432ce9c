"""Documents that cannot break the index: each unreadable file is skipped with its reason, every
other document is indexed and served, the build's memory stays bounded, `index` exits 5."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from assistant.index.documents import (
    LINE_MAX_CHARS,
    UNPACKED_MAX_MB,
    UnreadableDocument,
    folder_files,
    load_document,
)
from assistant.pipeline import load_pipeline

from conftest import PROJECT, make_settings

MB = 1024 * 1024
PEAK_MAX_MB = 1500  # the build of such a folder
PASSWD = Path("/etc/passwd")


def zip_bomb(path: Path, unpacked_mb: int) -> None:
    """A .docx whose document part unpacks to `unpacked_mb` MB of spaces (a few hundred KB packed)."""
    block = b" " * MB
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(unpacked_mb):
                part.write(block)


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory) -> Path:
    """The seeds beside a file of every unreadable kind."""
    folder = tmp_path_factory.mktemp("bad")
    for seed in (PROJECT / "seeds").iterdir():
        shutil.copy(seed, folder)
    (folder / "kapotte-tekens.txt").write_bytes("Schuldhulp voor inwoners ".encode() + b"\xff\xfe\xc3\x28 en meer")
    zip_bomb(folder / "bom.docx", UNPACKED_MAX_MB + 100)
    (folder / "afgebroken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    (folder / "een-regel.md").write_text("woord " * (6 * MB // 6), encoding="utf-8")
    (folder / "wachtwoorden.txt").symlink_to(PASSWD)
    (folder / "tabel.xlsx").write_bytes(b"PK\x03\x04 geen document")
    return folder


SKIPPED = {"kapotte-tekens.txt": "UTF-8", "bom.docx": "unpack", "afgebroken.pdf": "PDF",
           "een-regel.md": "line", "wachtwoorden.txt": "outside", "tabel.xlsx": "unknown type"}


def test_each_kind_of_unreadable_file_has_its_reason(bad_folder):
    paths, refused = folder_files(bad_folder)
    assert {f.name for f in refused} == {"wachtwoorden.txt", "tabel.xlsx"}
    assert all(f.dutch for f in refused), "the Documenten tab says why in Dutch"
    for name in ("kapotte-tekens.txt", "bom.docx", "afgebroken.pdf", "een-regel.md"):
        assert bad_folder / name in paths
        with pytest.raises(UnreadableDocument, match=SKIPPED[name]) as refusal:
            load_document(bad_folder / name)
        assert refusal.value.dutch
    assert LINE_MAX_CHARS < 6 * MB


def peak_mb_of(process: subprocess.Popen) -> float:
    """The process's peak resident memory (VmHWM), read until it exits."""
    peak = 0.0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        except OSError:
            break
        if found:
            peak = max(peak, int(found.group(1)) / 1024)
        time.sleep(0.05)
    return peak


def test_a_folder_with_unreadable_files_is_indexed_without_them(bad_folder, tmp_path):
    settings = make_settings(seeds_dir=bad_folder, vectorstore_dir=tmp_path / "vs")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SEEDS_DIR": str(bad_folder),
           "VECTORSTORE_DIR": str(settings.vectorstore_dir)}
    build = subprocess.Popen([sys.executable, "-m", "assistant", "index"], cwd=PROJECT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = peak_mb_of(build)
    stdout, stderr = build.communicate(timeout=600)
    assert build.returncode == 5, stderr[-3000:]
    assert "Traceback" not in stderr
    for name, reason in SKIPPED.items():
        assert re.search(rf"Skipped {re.escape(name)}: .*{reason}", stderr), (name, stderr[-3000:])
        assert f"Overgeslagen: {name}" in stdout
    assert peak < PEAK_MAX_MB, f"the build peaked at {peak:.0f} MB"

    pipeline = load_pipeline(settings, build_if_needed=False, progress=False)
    assert {f.name for f in pipeline.documents.skipped} == set(SKIPPED)
    served = {d.name for d in pipeline.documents.descriptions()}
    assert served == {p.name for p in (PROJECT / "seeds").glob("*.txt")}
    answer = pipeline.answerer.ask("Wat vragen gemeenten van het rijk voor de jeugdhulp?")
    assert answer.found and answer.citations
    assert "root:" not in " ".join(c.quote for c in answer.citations)
