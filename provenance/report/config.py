"""The report's configuration: one frozen dataclass with defaults and an explicit seed."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from provenance.errors import UsageError
from provenance.config import PeriodText

FORMATS = ("html", "md", "json")


@dataclass(frozen=True)
class ReportConfig(PeriodText):
    """Options of `provenance report`.

    baseline: the year every period is compared with; None = the baseline of the newest drift run by
      year, else the earliest year in the store.
    assumed_share: the constant synthetic share the simulator assumes when the synthetic share was not
      measured (with measured shares it fits their trend: schedule 'observed').
    generations / replicates: of the simulator run the report starts when none exists for the baseline.
    top: tokens listed (lost tail tokens, top movers); thin_pages: shortest documents listed per year.
    thresholds: (metric, value) pairs of --fail-above; floors: of --fail-below.
    tokenizer: whose token counts drift, tails and the simulator read ('word', the default Unicode word
      tokenizer, or a Hugging Face tokenizer the store was ingested with: its name, the part before '@', or the
      path given to `ingest --tokenizer`).
    """

    baseline: str | None = None
    assumed_share: float = 0.5
    generations: int = 20
    replicates: int = 20
    top: int = 10
    thin_pages: int = 3
    snippet_chars: int = 160
    seed: int = 0
    thresholds: tuple[tuple[str, float], ...] = ()
    floors: tuple[tuple[str, float], ...] = ()  # --fail-below: (metric, value) pairs
    tokenizer: str = "word"

    def validate(self) -> "ReportConfig":
        """Return self, or raise UsageError naming the first nonsensical option."""
        if not 0 <= self.assumed_share <= 1:
            raise UsageError(f"--assume-share must be in [0, 1], not {self.assumed_share}")
        if self.generations < 1 or self.replicates < 1:
            raise UsageError("--generations and --replicates must be at least 1")
        if not isinstance(self.tokenizer, str) or not self.tokenizer.strip():
            raise UsageError("--tokenizer must name a tokenizer (word, or one the store was ingested with)")
        if self.top < 0 or self.thin_pages < 0:
            raise UsageError("--top and --thin-pages must not be negative")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-ready dict."""
        d = asdict(self)
        d["thresholds"] = [f"{m}>{v:g}" for m, v in self.thresholds]
        d["floors"] = [f"{m}<{v:g}" for m, v in self.floors]
        return d
