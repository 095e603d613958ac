#!/usr/bin/env python3
"""Write LLM-generated machine documents (SmolLM2-135M-Instruct, local GGUF) as JSONL.

    python scripts/generate_machine_text.py [--n 400] [--out fixtures/machine/smollm2.jsonl]
        [--source-dir /usr/share/doc/python3-doc/html] [--seed 20241125] [--skip 0]

Prompts ask for web text about the topics of the Python documentation (its section headings, from
Debian's python3-doc HTML, the same pages scripts/build_fixtures.py builds the human fixtures from),
so machine and human fixture documents share topics. The topic list is sorted, then shuffled with
the seed; `--skip K` starts at the K-th topic, so a second corpus (for validation) can avoid the
topics of the first. Each line: {"text", "prompt", "seed", "model", "new_tokens", "topic"}; `seed` is
the seed of the text's batch, so the file is reproducible with the same torch build, batch size and
seed. Needs the llm extra (see provenance/synth/generate.py). Lines are flushed per batch.
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provenance.synth.generate import (
    GenerationConfig,
    clean_topic,
    generate_texts,
    prompt_for,
)

SEED = 20241125
SOURCE_CANDIDATES = ("/usr/share/doc/python3-doc/html", "/usr/share/doc/python3.11/html")
TOPIC_DIRS = ("library", "reference", "tutorial", "howto", "faq", "using", "extending", "installing",
              "distributing", "whatsnew", "c-api")
HEADING_RE = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", re.DOTALL)


def load_topics(source_dir: Path) -> list[str]:
    """Return the distinct cleaned headings (3+ characters, not bare numbers) of the topic pages."""
    topics = set()
    for path in sorted(source_dir.rglob("*.html")):
        rel = path.relative_to(source_dir).as_posix()
        if rel.split("/")[0] not in TOPIC_DIRS:
            continue
        for m in HEADING_RE.finditer(path.read_text(encoding="utf-8")):
            topic = clean_topic(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))))
            if len(topic) >= 3 and re.search(r"[A-Za-z]{3}", topic):
                topics.add(topic)
    return sorted(topics)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--out", default="fixtures/machine/smollm2.jsonl")
    ap.add_argument("--source-dir", default=next((d for d in SOURCE_CANDIDATES if Path(d).is_dir()), SOURCE_CANDIDATES[0]))
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--skip", type=int, default=0, help="start at this topic of the shuffled list")
    ap.add_argument("--max-new-tokens", type=int, default=120)
    ap.add_argument("--batch-size", type=int, default=48)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    topics = load_topics(Path(args.source_dir))
    random.Random(args.seed).shuffle(topics)
    chosen = [topics[(args.skip + i) % len(topics)] for i in range(args.n)]
    prompts = [prompt_for(t, args.skip + i) for i, t in enumerate(chosen)]
    config = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, seed=args.seed,
                              threads=args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0, done, tokens = time.time(), 0, 0
    with out.open("w", encoding="utf-8") as f:
        for g in generate_texts(prompts, config):
            row = {"text": g.text, "prompt": g.prompt, "seed": g.seed, "model": g.model,
                   "new_tokens": g.new_tokens, "topic": chosen[done]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            done, tokens = done + 1, tokens + g.new_tokens
            if done % config.batch_size == 0 or done == len(prompts):
                f.flush()
                rate = tokens / (time.time() - t0)
                print(f"{done}/{len(prompts)} texts, {tokens} tokens, {rate:.1f} tokens/s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
