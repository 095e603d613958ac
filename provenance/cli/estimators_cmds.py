"""The estimator commands: drift, tails, dups. Each builds a config, calls the library, renders."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from provenance.cli.app import DbOption, JsonOption, app, handled, print_json, print_table

BaselineOption = Annotated[str, typer.Option("--baseline", help="Baseline period: a year (2019) or a crawl id (CC-MAIN-2019-04).")]
ByOption = Annotated[str, typer.Option("--by", help="Group rows by year, crawl, year,lang or crawl,lang.")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Use only documents of this language code.")]
TokenizerOption = Annotated[str, typer.Option("--tokenizer", help="Tokenizer whose counts to use.")]
BudgetOption = Annotated[Optional[int], typer.Option("--budget", help="Tokens per sample (default: the largest equal budget).")]
DrawsOption = Annotated[int, typer.Option("--draws", help="Random half-splits of each period's blocks (estimate and interval).")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same numbers.")]
TopOption = Annotated[int, typer.Option("--top", help="Tokens or clusters listed per period.")]


def _render(result: Any, as_json: bool, title: str) -> None:
    if as_json:
        print_json(result.to_json())
        return
    print_table(result.table(), title=f"{title} (run {result.run_id}); 95% intervals in brackets")
    if result.details.height:
        print_table(result.details, title="details")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)


@app.command()
def drift(
    baseline: BaselineOption, by: ByOption = "year", lang: LangOption = None, tokenizer: TokenizerOption = "word",
    budget: BudgetOption = None, draws: DrawsOption = 10, top: TopOption = 10, seed: SeedOption = 0,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Measure token-distribution drift (Jensen-Shannon divergence) of each period from a baseline."""
    from provenance.estimators import DriftConfig, estimate_drift
    from provenance.store import Store

    with handled():
        config = DriftConfig(baseline=baseline, by=by, lang=lang, tokenizer=tokenizer, budget=budget,
                             draws=draws, top=top, seed=seed)
        with Store(db, create=False) as store:
            result = estimate_drift(store, config)
    _render(result, as_json, f"drift against {baseline}")


@app.command()
def tails(
    baseline: BaselineOption, by: ByOption = "year", lang: LangOption = None, tokenizer: TokenizerOption = "word",
    tail_mass: Annotated[float, typer.Option("--tail-mass", "-q", help="The tail holds at most this share of the baseline's tokens.")] = 0.05,
    min_count: Annotated[int, typer.Option("--min-count", "-m", help="Tail types were seen at least this many times.")] = 3,
    budget: BudgetOption = None, draws: DrawsOption = 10, top: TopOption = 10, seed: SeedOption = 0,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Measure loss of the baseline's tail vocabulary, unseen mass and richness in each period."""
    from provenance.estimators import TailsConfig, estimate_tails
    from provenance.store import Store

    with handled():
        config = TailsConfig(baseline=baseline, by=by, lang=lang, tokenizer=tokenizer, tail_mass=tail_mass,
                             min_count=min_count, budget=budget, draws=draws, top=top, seed=seed)
        with Store(db, create=False) as store:
            result = estimate_tails(store, config)
    _render(result, as_json, f"tails of {baseline}")


@app.command()
def dups(
    baseline: Annotated[Optional[str], typer.Option("--baseline", help="Also report each period's overlap with this period.")] = None,
    by: ByOption = "year", lang: LangOption = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Jaccard similarity (word 5-shingles) of near-duplicates.")] = 0.8,
    replicates: Annotated[int, typer.Option("--replicates", help="Block-bootstrap replicates for the intervals.")] = 200,
    top: TopOption = 10, seed: SeedOption = 0, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Cluster near-duplicate documents across the store; report exact, near and carry-over rates."""
    from provenance.estimators import DupsConfig, estimate_dups
    from provenance.store import Store

    with handled():
        config = DupsConfig(baseline=baseline, by=by, lang=lang, threshold=threshold, replicates=replicates,
                            top=top, seed=seed)
        with Store(db, create=False) as store:
            result = estimate_dups(store, config)
    _render(result, as_json, "near-duplicates")
