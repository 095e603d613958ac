"""What each per-year metric of the report is: its estimator, label, format and definition (the report's words)."""
from __future__ import annotations

# Per-year metrics: key -> (estimator, estimator metric, label, format kind, higher means, sentence).
YEAR_METRICS: dict[str, tuple[str, str, str, str, str, str]] = {
    "jsd": ("drift", "jsd", "JSD to baseline", "jsd", "more drift",
            "Jensen-Shannon divergence (bits, 0 = same, 1 = disjoint) between the year's word distribution "
            "and the baseline's, both sampled at the same number of tokens."),
    "noise_floor": ("drift", "noise_floor", "noise floor", "jsd", "",
                    "The JSD between two halves of the baseline at that token budget: what sampling alone "
                    "produces. A JSD near the floor means no measurable drift."),
    "excess_jsd": ("drift", "excess_jsd", "JSD above noise", "jsd", "more drift",
                   "JSD minus the noise floors of both sides: the drift that sampling does not explain."),
    "tail_survival": ("tails", "tail_survival", "tail survival", "percent", "less loss",
                      "Of the baseline's rare-but-real words (its least frequent types holding 5% of its "
                      "tokens), the share the year still uses, relative to the baseline itself, at an equal token budget."),
    "exact_dup_rate": ("dups", "exact_dup_rate", "exact duplicates", "percent", "more copies",
                       "Share of the year's documents whose text is identical to an earlier document of the same year."),
    "near_dup_rate": ("dups", "near_dup_rate", "near duplicates", "percent", "more copies",
                      "Share of the year's documents that are near-copies (word 5-shingle Jaccard >= 0.8) of "
                      "another document of the same year, beyond the first of each group (includes exact copies)."),
    "carryover_rate": ("dups", "carryover_rate", "carry-over", "percent", "more repetition",
                       "Share of the year's documents that copy or nearly copy a document from an earlier year."),
    "synthetic_share": ("synth", "alpha", "synthetic share", "percent", "more machine text",
                        "Estimated share of the year's documents written by a language model (corpus-level "
                        "maximum likelihood against human and machine reference corpora)."),
}
