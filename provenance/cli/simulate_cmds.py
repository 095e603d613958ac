"""The `simulate` command: the retrain simulator over a store's baseline period."""
from __future__ import annotations

from typing import Annotated

import typer

from provenance.cli.app import DbOption, JsonOption, app, handled, print_json, print_table


@app.command()
def simulate(
    baseline: Annotated[str | None, typer.Option("--baseline", help="Period of the true distribution P0: a year (2019) or a crawl id.")] = None,
    schedule: Annotated[str, typer.Option("--schedule", help="Synthetic share per generation: 'observed' (trend fitted to `provenance synth` estimates), a constant such as 0.3, or a CSV (generation,alpha or year,alpha).")] = "observed",
    regime: Annotated[str, typer.Option("--regime", help="replace (train on this generation's data), accumulate (keep all data), or both.")] = "both",
    generations: Annotated[int, typer.Option("--generations", "-g", help="Retraining generations.")] = 20,
    tokens: Annotated[int | None, typer.Option("--tokens", "-n", help="Training tokens per generation (default: the baseline's token total).")] = None,
    replicates: Annotated[int, typer.Option("--replicates", "-r", help="Monte Carlo replicates.")] = 20,
    temperature: Annotated[float, typer.Option("--temperature", help="Decoding temperature of the synthetic data.")] = 1.0,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus (top-p) truncation of the synthetic data; 1 = none.")] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives identical results.")] = 0,
    family: Annotated[str, typer.Option("--family", help="categorical (over the baseline's vocabulary) or gaussian (P0 = N(0, 1), closed-form check).")] = "categorical",
    trend: Annotated[str, typer.Option("--trend", help="Trend fitted to observed shares: logistic or linear.")] = "logistic",
    years_per_generation: Annotated[float, typer.Option("--years-per-generation", help="Calendar years between generations.")] = 1.0,
    start_year: Annotated[float | None, typer.Option("--start-year", help="Calendar year of generation 0 (default: the baseline's year).")] = None,
    split: Annotated[str, typer.Option("--split", help="mixture (each token synthetic with probability alpha) or exact (round(alpha n) synthetic tokens).")] = "mixture",
    smoothing: Annotated[float, typer.Option("--smoothing", help="Add-k smoothing of the fit; 0 = maximum likelihood.")] = 0.0,
    tail_q: Annotated[float, typer.Option("--tail-q", help="P0's tail: least-frequent types holding this share of mass.")] = 0.05,
    tail_min_count: Annotated[int, typer.Option("--tail-min-count", help="Only types seen at least this often in P0 can be tail types.")] = 3,
    lang: Annotated[str | None, typer.Option("--lang", help="Use only this language's token counts and shares.")] = None,
    tokenizer: Annotated[str, typer.Option("--tokenizer", help="Tokenizer of the baseline's token counts.")] = "word",
    machine: Annotated[str | None, typer.Option("--machine", help="Machine reference whose `provenance synth` estimates --schedule observed follows (default: the newest synth run's).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate retraining, generation after generation, on a web whose synthetic share grows."""
    from provenance.simulate import SimulationConfig, describe_horizons, side_by_side
    from provenance.simulate import simulate as run_simulation
    from provenance.store import Store

    with handled():
        config = SimulationConfig(
            baseline=baseline, schedule=schedule, regime=regime, generations=generations, tokens=tokens,
            replicates=replicates, temperature=temperature, top_p=top_p, seed=seed, family=family, trend=trend,
            years_per_generation=years_per_generation, start_year=start_year, split=split, smoothing_k=smoothing,
            tail_q=tail_q, tail_min_count=tail_min_count, lang=lang, tokenizer=tokenizer, machine=machine,
        ).validate()
        with Store(db, create=False) as store:
            result = run_simulation(store, config)
    if as_json:
        print_json(result.to_dict())
        return
    print_table(side_by_side(result), title=f"run {result.run_id}: {result.schedule.description}; median [90% band] over {config.replicates} replicates")
    for line in describe_horizons(result) + result.notes:
        typer.echo(line)
