"""Quotes that stand verbatim in their source, also where cleaning joined a sentence a page break cut."""

from assistant.answering.citations import is_verbatim, verbatim_pieces, verbatim_quote
from assistant.index.chunking import chunk_document

from handmade import DOCUMENT, chunk_with, document

# a PDF page ends mid-sentence and the next page repeats the chapter title above the rest
PAGE_BREAK = """# Bestaanszekerheid

- **Armoede.** Inwoners kunnen rekenen op steun bij armoede. Gezinnen in armoede bieden we

# Bestaanszekerheid

samenhangende ondersteuning op alle levensterreinen om veilig op te groeien.
"""


def test_a_sentence_cut_by_a_page_header_is_quoted_whole_in_verbatim_parts():
    doc = document(PAGE_BREAK, "pagina.md")
    chunk = next(c for c in chunk_document(doc) if "Gezinnen" in c.text)
    start, end = next(span for span in chunk.sentences if "Gezinnen" in chunk.text[slice(*span)])
    assert chunk.text[start:end] == ("Gezinnen in armoede bieden we samenhangende ondersteuning op alle "
                                     "levensterreinen om veilig op te groeien."), "cleaning joined the sentence"
    pieces = verbatim_pieces(chunk, start, end, doc)
    assert pieces == ["Gezinnen in armoede bieden we",
                      "samenhangende ondersteuning op alle levensterreinen om veilig op te groeien."]
    assert all(is_verbatim(piece, doc) for piece in pieces)
    assert not is_verbatim(" ".join(pieces), doc), "the whole would not stand in the source as one quote"
    assert verbatim_quote(chunk, start, end, doc) == pieces[1]


def test_an_uncut_sentence_is_one_quote():
    chunk = chunk_with("schuldhulp")
    start, end = next(span for span in chunk.sentences if "schuldhulp" in chunk.text[slice(*span)])
    assert verbatim_pieces(chunk, start, end, DOCUMENT) == [chunk.text[start:end].strip()]
