import re
from dataclasses import replace

from assistant.index.chunking import MAX_CHARS, chunk_document, chunk_documents
from assistant.index.documents import SourceMap, load_documents

from conftest import PROJECT


def _chunks():
    return chunk_documents(load_documents(PROJECT / "seeds"))


def _containing(chunks, phrase):
    return next(c for c in chunks if phrase in c.text)


def test_section_paths_follow_headings():
    chunks = _chunks()
    chunk = _containing(chunks, "Maak samen met ons fundamentele keuzes in het stelsel van bestaanszekerheid")
    assert chunk.section == ("Bestaanszekerheid bieden door onzekerheid te verminderen",
                             "Zekerheid die het rijk kan bieden")


def test_bold_lead_in_extends_the_section_path():
    chunk = _containing(_chunks(), "Als inwoners geen of onvoldoende inkomen hebben")
    assert chunk.section[-2:] == ("Onzekerheid die wij als gemeenten verminderen", "Inkomen")


def test_plain_text_pages_get_headings_too():
    chunk = _containing(_chunks(), "Fundamentele keuze voor voldoende bestaanszekerheid")
    assert chunk.source.startswith("000_")
    assert chunk.section == ("Bestaanszekerheid bieden door onzekerheid te verminderen", "Wat is nodig?")


def test_chunks_do_not_cut_sentences():
    for chunk in _chunks():
        assert len(chunk.text) <= MAX_CHARS + 200
        assert chunk.text[:1].isupper() or chunk.text[:1].isdigit() or chunk.text[:1] in "'‘\"(", chunk.text[:40]
        last = chunk.text.rstrip()
        # ends a sentence, or is a list item / title-like line that has no full stop in the source
        assert re.search(r"[.!?:;)'’\"]$", last) or "\n" in chunk.text or len(last) < 200, last[-60:]


def test_ids_are_stable_and_follow_content():
    docs = load_documents(PROJECT / "seeds")
    first = [c.id for c in chunk_documents(docs)]
    again = [c.id for c in chunk_documents(load_documents(PROJECT / "seeds"))]
    assert first == again
    assert len(set(first)) == len(first)
    doc = docs[3]
    changed = replace(doc, blocks=[replace(b) for b in doc.blocks])
    changed.blocks[1].text += " Extra zin."
    changed.blocks[1].offsets = SourceMap.of([*changed.blocks[1].offsets] + [0] * len(" Extra zin."))
    before, after = chunk_document(doc), chunk_document(changed)
    assert len({c.id for c in before} ^ {c.id for c in after}) == 2  # one chunk replaced


def test_a_passage_repeated_in_one_section_is_kept_once(tmp_path):
    paragraph = "Gemeenten investeren in de sociale basis. " * 20
    (tmp_path / "herhaald.txt").write_text(f"# Titel\n\n{paragraph}\n\nIets anders.\n\n{paragraph}\n", encoding="utf-8")
    chunks = chunk_documents(load_documents(tmp_path))
    assert len({c.id for c in chunks}) == len(chunks)
    assert sum(c.text == paragraph.strip() for c in chunks) == 1
