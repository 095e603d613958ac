"""The simulator's configuration: one frozen dataclass, validated once, with an explicit seed."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from provenance.errors import UsageError
from provenance.config import PeriodText

FAMILIES = ("categorical", "gaussian")
REGIMES = ("replace", "accumulate")
TRENDS = ("logistic", "linear")
SPLITS = ("mixture", "exact")
GAUSSIAN_DEFAULT_TOKENS = 100


@dataclass(frozen=True)
class SimulationConfig(PeriodText):
    """Options of one simulator run; `validate()` raises UsageError on nonsensical values.

    baseline: the period whose token counts are the true distribution P0 (a year such as
      "2019" or a crawl id such as "CC-MAIN-2019-35"); unused by the Gaussian family (P0 = N(0, 1)).
    schedule: "observed" (trend fitted to metrics rows of `provenance synth`), a constant share
      such as "0.3", or the path of a CSV file (columns generation,alpha or year,alpha).
    regime: "replace", "accumulate" or "both".
    tokens: training tokens per generation (n); None = as many as P0's period holds (100 for
      the Gaussian family), so generation 1 loses only what a same-size human sample loses.
    split: "mixture" draws each training token from (1 - alpha) P0 + alpha Q, so the synthetic
      count is Binomial(n, alpha); "exact" draws round(alpha n) synthetic and the rest human tokens.
    smoothing_k: add-k pseudo-count of the fit (0 = maximum likelihood).
    kl_pseudocount: add-epsilon pseudo-count of the model in KL(P0 || model), so a lost type
      costs a finite amount (Krichevsky-Trofimov 0.5 by default).
    years_per_generation / start_year: generation t trains on the web of year
      start_year + t * years_per_generation; start_year defaults to the baseline's year.
    """

    baseline: str | None = None
    schedule: str = "observed"
    regime: str = "both"
    generations: int = 20
    tokens: int | None = None
    replicates: int = 20
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0
    family: str = "categorical"
    trend: str = "logistic"
    years_per_generation: float = 1.0
    start_year: float | None = None
    split: str = "mixture"
    smoothing_k: float = 0.0
    kl_pseudocount: float = 0.5
    tail_q: float = 0.05
    tail_min_count: int = 3
    lang: str | None = None
    tokenizer: str = "word"
    machine: str | None = None
    # the synth run whose estimates the observed schedule follows (its references, grouping and method): the report
    # passes its own; None: the lead run simulate_observed_alpha.sql picks (the newest, of `machine` when given)
    synth_run: int | None = None

    @property
    def regimes(self) -> tuple[str, ...]:
        """Return the regimes to run, in display order."""
        return REGIMES if self.regime == "both" else (self.regime,)

    @property
    def n(self) -> int:
        """Return the training tokens per generation; call `resolved` first when tokens is None."""
        if self.tokens is None:
            raise ValueError("tokens is not resolved; call SimulationConfig.resolved(baseline_tokens)")
        return self.tokens

    def resolved(self, baseline_tokens: int | None) -> SimulationConfig:
        """Return a copy with tokens set: P0's token total by default, 100 for the Gaussian family."""
        if self.tokens is not None:
            return self
        return replace(self, tokens=int(baseline_tokens) if baseline_tokens else GAUSSIAN_DEFAULT_TOKENS)

    def to_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-ready dict."""
        return asdict(self)

    def validate(self) -> SimulationConfig:
        """Return self, or raise UsageError naming the first nonsensical option."""
        for message in _problems(self):
            raise UsageError(message)
        return self


def _problems(c: SimulationConfig) -> list[str]:
    checks = [
        (c.family in FAMILIES, f"--family must be one of {', '.join(FAMILIES)}, not {c.family!r}"),
        (c.regime in (*REGIMES, "both"), f"--regime must be replace, accumulate or both, not {c.regime!r}"),
        (c.trend in TRENDS, f"--trend must be logistic or linear, not {c.trend!r}"),
        (c.split in SPLITS, f"--split must be mixture or exact, not {c.split!r}"),
        (c.generations >= 1, f"--generations must be at least 1, not {c.generations}"),
        (c.tokens is None or c.tokens >= 2, f"--tokens must be at least 2, not {c.tokens}"),
        (c.replicates >= 1, f"--replicates must be at least 1, not {c.replicates}"),
        (c.temperature > 0, f"--temperature must be positive, not {c.temperature}"),
        (0 < c.top_p <= 1, f"--top-p must be in (0, 1], not {c.top_p}"),
        (c.years_per_generation > 0, f"--years-per-generation must be positive, not {c.years_per_generation}"),
        (c.smoothing_k >= 0, f"--smoothing must be non-negative, not {c.smoothing_k}"),
        (c.kl_pseudocount > 0, f"the KL pseudo-count must be positive, not {c.kl_pseudocount}"),
        (0 < c.tail_q < 1, f"--tail-q must be in (0, 1), not {c.tail_q}"),
        (c.tail_min_count >= 1, f"--tail-min-count must be at least 1, not {c.tail_min_count}"),
        (c.seed >= 0, f"--seed must be non-negative, not {c.seed}"),
        (c.family == "gaussian" or c.baseline, "--baseline PERIOD is required for the categorical family"),
        (c.schedule != "observed" or c.baseline or c.start_year is not None,
         "--schedule observed needs a calendar: pass --baseline or --start-year"),
        (c.family == "categorical" or c.top_p == 1, "--top-p applies to the categorical family only"),
        (c.machine is None or c.schedule == "observed", "--machine applies to --schedule observed only"),
        (c.synth_run is None or c.schedule == "observed", "a synth run to follow applies to the observed schedule only"),
    ]
    return [message for ok, message in checks if not ok]
