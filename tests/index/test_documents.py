from assistant.answering.citations import is_verbatim, verbatim_quote
from assistant.index.chunking import chunk_documents
from assistant.index.documents import is_boilerplate, load_documents, parse_blocks

from conftest import PROJECT


def test_every_cleaned_character_maps_back_to_its_source():
    for doc in load_documents(PROJECT / "seeds"):
        for block in doc.blocks:
            assert len(block.text) == len(block.offsets)
            for ch, offset in zip(block.text, block.offsets, strict=True):
                assert ch == " " or doc.source[offset] == ch, (doc.name, block.text[:60])


def test_source_maps_are_runs_not_one_number_per_character():
    docs = {d.name: d for d in load_documents(PROJECT / "seeds")}
    chunks = chunk_documents(list(docs.values()))
    characters = runs = 0
    for chunk in chunks:
        offsets = list(chunk.offsets)
        assert len(offsets) == len(chunk.text) == len(chunk.offsets)
        source = docs[chunk.source].source
        assert all(ch.isspace() or source[o] == ch for ch, o in zip(chunk.text, offsets, strict=True))
        assert [chunk.offsets[i] for i in range(0, len(offsets), 7)] == offsets[::7]
        naive = [i for i in range(1, len(offsets)) if offsets[i] - offsets[i - 1] > 2]
        assert chunk.offsets.jumps(0, len(offsets), more_than=2) == naive
        characters, runs = characters + len(offsets), runs + len(chunk.offsets.starts)
    assert runs < characters / 20


def test_every_sentence_of_every_chunk_gives_a_verbatim_quote():
    docs = {d.name: d for d in load_documents(PROJECT / "seeds")}
    chunks = chunk_documents(list(docs.values()))
    assert len(chunks) > 50
    whole = cut = 0
    for chunk in chunks:
        for start, end in chunk.sentences:
            quote = verbatim_quote(chunk, start, end, docs[chunk.source])
            assert quote and is_verbatim(quote, docs[chunk.source])
            whole += quote == chunk.text[start:end]
            cut += quote != chunk.text[start:end]
    # only sentences that a removed page header interrupted are cut back; they are rare
    assert cut <= 0.02 * (whole + cut)


def test_boilerplate_and_markdown_noise_are_removed():
    docs = load_documents(PROJECT / "seeds")
    text = "\n".join(c.text for c in chunk_documents(docs))
    for noise in ("Reageer nu", "facebook", "linkedin", "Zie ook", "Waar vind je ons", "<sup>", "**",
                  "Meer informatie"):
        assert noise not in text, noise
    assert "Volgens de Vereniging van Nederlandse Gemeenten (VNG)" in text  # content stays


def test_boilerplate_lines():
    assert is_boilerplate("  • linkedin")
    assert is_boilerplate("Reageer nu!")
    assert is_boilerplate("Zie ook")
    # a download link's title is content: it names a document and whom it went to
    assert not is_boilerplate("Aanbiedingsbrief VNG en Divosa propositie aan informateur Plasterk (pdf, 103 kB)")
    assert not is_boilerplate("We stuurden een pamflet (pdf, 170 kB) over de propositie.")


def test_page_header_inside_a_paragraph_is_dropped_and_the_paragraph_rejoined():
    source = ("# Bestaan\n\nGezinnen in armoede bieden we\n\n\n\n# Bestaan\n\n"
              "samenhangende ondersteuning op alle levensterreinen.\n")
    blocks = parse_blocks(source)
    assert [b.kind for b in blocks] == ["heading", "paragraph"]
    assert blocks[1].text == "Gezinnen in armoede bieden we samenhangende ondersteuning op alle levensterreinen."


def test_footnote_marks_and_bold_are_removed_with_offsets_kept():
    source = "Dat is de maatschappelijke **waarde**.<sup>1</sup> Ieders bestaan doet ertoe.\n"
    (block,) = parse_blocks(source)
    assert block.text == "Dat is de maatschappelijke waarde. Ieders bestaan doet ertoe."
    assert source[block.offsets[block.text.index("waarde")]:].startswith("waarde**")


def test_manifest_titles_are_used():
    docs = {d.name: d for d in load_documents(PROJECT / "seeds")}
    proposition = docs["001_c76147defb583f46.txt"]
    assert proposition.title == "De waarde van het sociaal domein"
    assert proposition.kind == "propositie"
    assert docs["003_601c73c71d766d51.txt"].date is None
