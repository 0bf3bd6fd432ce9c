"""The Dutch keyword index saved once and served memory-mapped: the same scores, shares and splits."""

from __future__ import annotations

import math

import numpy as np

from assistant.answering.keywords import DutchKeywordIndex, stem
from assistant.answering.retrieval import Corpus

from handmade import CHUNKS, CORPUS

QUESTIONS = ["Wat doen gemeenten aan schulden en betalingsachterstand?", "hulp voor de jeugd",
             "Herzie de Participatiewet", "zorgbegroting jeugdhulp 2026", "iets dat er niet staat"]


def test_a_saved_index_loads_memory_mapped_and_scores_the_same(tmp_path):
    built = CORPUS.keywords
    built.save(tmp_path / "index")
    loaded = DutchKeywordIndex.load(tmp_path / "index")
    assert isinstance(loaded.bm25.scores["data"], np.memmap), "served from the files, not copied into memory"
    for question in QUESTIONS:
        assert np.allclose(built.scores(question), loaded.scores(question))
        assert loaded.tokens(question) == built.tokens(question), "compounds split alike"
        assert loaded.focus_tokens(question) == built.focus_tokens(question)
    assert loaded.rarity("") == built.rarity("") == math.log(len(CHUNKS)), "the rarest: a token no text holds"
    for token in [stem("schulden"), stem("gemeenten"), stem("jeugd"), "onbekend"]:
        assert loaded.rarity(token) == built.rarity(token)


def test_the_share_of_texts_holding_a_token_is_counted_from_the_index():
    keywords = CORPUS.keywords
    token = stem("schulden")
    holding = [c for c in CHUNKS if token in keywords.tokens(c.embedding_text)]
    assert 0 < len(holding) < len(CHUNKS) and keywords.document_share(token) == len(holding) / len(CHUNKS)
    assert keywords.document_share("geenwoordhier") == 0.0


def test_the_corpus_saves_its_index_once_per_set_of_chunks_and_rebuilds_a_damaged_one(tmp_path):
    cache = tmp_path / "keywords"
    first = Corpus(CHUNKS, cache)
    saved = [p for p in cache.iterdir() if p.is_dir()]
    assert len(saved) == 1
    assert np.allclose(first.keywords.scores(QUESTIONS[0]), CORPUS.keywords.scores(QUESTIONS[0]))
    (saved[0] / "vocab.index.json").write_text("{kapot", encoding="utf-8")
    again = Corpus(CHUNKS, cache)
    assert np.allclose(again.keywords.scores(QUESTIONS[0]), CORPUS.keywords.scores(QUESTIONS[0]))
    Corpus(CHUNKS[:3], cache)
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2, "another set of chunks: its own index"
    assert not [p for p in cache.iterdir() if p.name.startswith(".")], "no partial folder left"


def test_a_separable_verb_split_by_te_also_counts_whole():
    from assistant.answering.keywords import words

    said = words("We zullen kritischer zijn de ambities bij te stellen en problemen op te lossen.")
    assert "bijstellen" in said and "oplossen" in said
    assert "bijstellen" not in words("Wij stellen bij elkaar te veel vragen."), "'bij elkaar te' is no verb"
