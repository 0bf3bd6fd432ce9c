# `make run` starts the assistant, `make test` runs the whole test suite. Both create .venv
# and install what they need on a fresh machine.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test test-fast lint index eval install chromium postgresql llm node-packages lock

# Everything is installed from requirements.lock: exact versions with their sha256 hashes (torch is
# the CPU build this machine keeps on disk; PyPI's pulls CUDA). `make lock` writes it anew from
# pyproject.toml after a dependency change.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)

# (without the installed stamp: a dependency just added to pyproject.toml is not installed yet)
lock:
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet "pip-tools>=7.5,<8"
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra test --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --constraint constraints.txt --output-file requirements.lock pyproject.toml

install: $(STAMP)

run: $(STAMP)
	$(PY) ui.py

index: $(STAMP)
	$(PY) -m assistant index

# the browser tests drive Debian's chromium (never `playwright install`: it downloads a browser)
chromium:
	@command -v chromium >/dev/null || apt-get install -y -q chromium || \
		(apt-get update -q && apt-get install -y -q chromium)

# a real PostgreSQL server for the store's tests: Debian's binaries (initdb, pg_ctl); the tests
# start one of their own in a temporary folder
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt-get install -y -q postgresql || \
		(apt-get update -q && apt-get install -y -q postgresql)

# a real OpenAI-compatible LLM for the tests: llama.cpp's server and Qwen2.5 1.5B, built and
# downloaded once into ~/.cache/sociaal-domein-assistant/llm (see scripts/local_llm.py)
llm: $(STAMP)
	$(PY) scripts/local_llm.py prepare

# from npm (package-lock.json pins them): axe-core for the accessibility tests, and oidc-provider, a
# certified OpenID Connect provider the sign-in tests run with node (tests/oidc_provider.mjs)
node-packages:
	@(test -f node_modules/axe-core/axe.min.js && test -f node_modules/oidc-provider/package.json) || \
		npm ci --no-audit --no-fund

# two workers on the two cores: many tests wait part of the time on a server, a browser or the
# LLM. A file's tests run on one worker, in order: the LLM tests share one llama.cpp server, whose
# prompt cache the tests asking the same question reuse. (Not --dist loadgroup: with pytest 9.2 it
# no longer groups, pytest-xdist issue #1386.) The files go out longest first, in the order
# tests/conftest.py gives them (LONGEST_FILES). The shared index is built once, under a lock.
test: $(STAMP) chromium postgresql llm node-packages
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# the tests that need no model, server or browser: question reading, relevance, composition,
# grounding, the session, chunking (well under a minute)
test-fast: $(STAMP)
	$(PY) -m pytest -m "not integration"

# ruff: pyflakes, pycodestyle, bugbear and import order (pyproject.toml [tool.ruff])
lint: $(STAMP)
	$(VENV)/bin/ruff check .

eval: $(STAMP)
	$(PY) ../shared/eval/score.py ../shared/eval/dev.jsonl --ask
