"""Synthetic share: corpus-level estimates of machine-generated text against reference corpora.

references.py builds and stores reference corpora (tables.py reads them out of tables), units.py turns text into sets of words per
sentence or document, estimate.py holds the maximum-likelihood estimate (Liang et al. 2024), its
bias correction and bootstrap, generate.py writes machine text with a local LLM (optional extra).
"""
from __future__ import annotations

from provenance.synth.estimate import (
           ShareEstimate,
           ShareEstimator,
           SynthConfig,
           SynthResult,
           estimate_synth,
           estimate_synth_each,
           mle_alpha,
)
from provenance.synth.references import (
           ReferenceInfo,
           add_reference,
           add_reference_from_references,
           add_reference_from_store,
           list_references,
)

__all__ = [
           "ReferenceInfo",
           "ShareEstimate",
           "ShareEstimator",
           "SynthConfig",
           "SynthResult",
           "add_reference",
           "add_reference_from_references",
           "add_reference_from_store",
           "estimate_synth",
           "estimate_synth_each",
           "list_references",
           "mle_alpha",
]
