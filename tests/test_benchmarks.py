"""The scale benchmark runs as a script; here at a smoke size (1x the seeds, 5 questions): embedded with the
real model (and its own limit measured), and a server with the seeds' vectors reused."""

import re
import subprocess
import sys

import pytest

from conftest import PROJECT


@pytest.mark.parametrize("store", ["embedded", "server"])
def test_scale_benchmark_smoke(store, tmp_path):
    args = ["--sizes", "1", "--questions", "5", "--keep", str(tmp_path)] + (
        ["--server"] if store == "server" else ["--vectors", "model"])
    done = subprocess.run([sys.executable, "benchmarks/scale.py", *args], cwd=PROJECT, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"store: {store}" in done.stdout
    row = next(line for line in done.stdout.splitlines() if line.strip().startswith("1x"))
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", row.split("fp32", 1)[1])]
    text_mb, docs, chunks, sentences = numbers[:4]
    assert docs >= 5 and chunks > 100 and sentences > chunks
    median_ms, p95_ms = numbers[-2:]
    assert 0 < median_ms <= p95_ms
    if store == "embedded":  # the build's rate as a share of the model's own, measured in the same run
        assert re.search(r"\s\d+%\s", row), row


def test_insights_benchmark_smoke():
    """benchmarks/insights.py at a smoke size: the tab's figures from a filled store, and the gaps."""
    done = subprocess.run([sys.executable, "benchmarks/insights.py", "--exchanges", "3000", "--repeat", "2"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "3000 exchanges filled" in done.stdout and "(3000 questions" in done.stdout
    assert "never cited: 004_document.txt" in done.stdout and "grofvuil" in done.stdout
