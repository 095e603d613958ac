"""The `reference` commands (add, list, generate) and `synth`: the machine share of each period."""
from __future__ import annotations

from typing import Annotated

import typer

from provenance.cli.app import (
    DbOption,
    JsonOption,
    app,
    fail,
    handled,
    print_json,
    print_table,
)

reference_app = typer.Typer(help="Reference corpora of human and machine text for `provenance synth`.",
                            no_args_is_help=True)
app.add_typer(reference_app, name="reference")

ByOption = Annotated[str, typer.Option("--by", help="Periods are years or crawl ids: year or crawl.")]
LangOption = Annotated[str | None, typer.Option("--lang", help="Only documents of this language.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (folds, samples, bootstrap, generation).")]
ReplaceOption = Annotated[bool, typer.Option("--replace", help="Rebuild a reference that exists.")]


@reference_app.command("add")
def reference_add(
    name: Annotated[str, typer.Argument(help="Name of the reference.")],
    paths: Annotated[list[str] | None, typer.Argument(help="JSONL (a 'text' field), Parquet or CSV/TSV tables, .txt (one document each) or WARC/WET/ARC files.")] = None,
    label: Annotated[str, typer.Option("--label", help="human or machine.")] = "human",
    field: Annotated[str, typer.Option("--field", help="The JSONL field or table column of the documents (text, or a chat: its assistant turns).")] = "text",
    where: Annotated[str | None, typer.Option("--where", help="Only the table rows where this DuckDB SQL condition holds, e.g. \"model = 'gpt4'\".")] = None,
    from_store: Annotated[str | None, typer.Option("--from-store", help="Take periods of the store (years or crawl ids, comma-separated) instead of files.")] = None,
    from_references: Annotated[str | None, typer.Option("--from-references", help="Pool references of this label (comma-separated: several model families), as many documents of each as the smallest has.")] = None,
    by: ByOption = "year", lang: LangOption = None,
    limit: Annotated[int | None, typer.Option("--limit", help="With --from-store: a seeded sample of this many documents.")] = None,
    replace: ReplaceOption = False, seed: SeedOption = 0, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Add a reference corpus (documents and word-occurrence statistics) to the store."""
    from provenance.store import Store
    from provenance.synth import references as refs

    if bool(paths) + (from_store is not None) + (from_references is not None) != 1:
        fail("give PATH..., --from-store PERIOD or --from-references NAMES (exactly one)", 2)
    if not paths and (field != "text" or where is not None):
        fail("--field and --where pick documents of files, not of --from-store or --from-references", 2)
    if from_references is not None and (limit is not None or lang is not None or by != "year"):
        fail("--limit, --lang and --by pick documents of --from-store, not of --from-references", 2)
    with handled(), Store(db, create=bool(paths)) as store:  # (--from-store and --from-references read a store)
        if from_store is not None:
            info = refs.add_reference_from_store(store, name, label, from_store, by, lang, limit, replace, seed=seed)
        elif from_references is not None:
            info = refs.add_reference_from_references(store, name, label, from_references, replace, seed=seed)
        else:
            source = ",".join(paths or []) + (f" --field {field}" if field != "text" else "") + (f" --where {where}" if where else "")
            info = refs.add_reference(store, name, label, refs.read_texts(paths or [], field, where), source, replace=replace, seed=seed)
    print_json(info.to_dict()) if as_json else typer.echo(
        f"reference {info.name} ({info.label}): {info.n_docs} documents, {info.n_sentences} sentences, a vocabulary of {info.vocabulary} words")


@reference_app.command("list")
def reference_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the reference corpora in the store."""
    from provenance.store import Store
    from provenance.synth.references import list_references

    with handled(), Store(db, read_only=True) as store:
        df = list_references(store)
    print_json(df.to_dicts()) if as_json else print_table(df, title="references")


@reference_app.command("remove")
def reference_remove(name: Annotated[str, typer.Argument(help="Name of the reference.")], db: DbOption = None) -> None:
    """Delete a reference corpus (the synth estimates made against it stay in metrics)."""
    from provenance.store import Store
    from provenance.synth.references import remove_reference

    with handled(), Store(db, create=False) as store:
        info = remove_reference(store, name)
    typer.echo(f"removed reference {info['name']} ({info['label']}, {info['n_docs']} documents)")


@reference_app.command("generate")
def reference_generate(
    name: Annotated[str, typer.Argument(help="Name of the machine reference to create.")],
    n: Annotated[int, typer.Option("--n", help="Texts to generate.")] = 100,
    prompts: Annotated[str | None, typer.Option("--prompts", help="File of prompts, one per line (cycled).")] = None,
    from_store: Annotated[str | None, typer.Option("--from-store", help="Derive prompts from this period's documents (their titles or first sentences).")] = None,
    by: ByOption = "year", lang: LangOption = None,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", help="Tokens generated per text.")] = 160,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Prompts per batch.")] = 16,
    temperature: Annotated[float, typer.Option("--temperature", help="Sampling temperature; 0 = greedy.")] = 0.8,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads for torch.")] = None,
    out: Annotated[str | None, typer.Option("--out", help="Also write the texts as JSONL here.")] = None,
    replace: ReplaceOption = False, seed: SeedOption = 0, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Generate machine text with the local SmolLM2-135M-Instruct and store it as a machine reference."""
    from rich.console import Console
    from rich.progress import Progress

    from provenance.store import Store
    from provenance.synth.generate import GenerationConfig
    from provenance.synth.references import generate_reference, generation_prompts

    config = GenerationConfig(max_new_tokens, batch_size, seed, temperature, threads=threads)
    with handled(), Store(db, create=from_store is None) as store, Progress(console=Console(stderr=True), transient=True) as bar:  # (stdout: the result)
        chosen = generation_prompts(store, n, prompts, from_store, by, lang, seed)
        task = bar.add_task("generating", total=n)
        info = generate_reference(store, name, n, chosen, config, lambda k: bar.advance(task, k), replace, out)
    print_json(info.to_dict()) if as_json else typer.echo(f"reference {info.name} (machine): {info.n_docs} generated documents")


@app.command()
def synth(
    human: Annotated[str, typer.Option("--human", help="Name of the human reference.")],
    machine: Annotated[str, typer.Option("--machine", help="Name of the machine reference; several, comma-separated, give an estimate each; families joined by '+' (gpt4+llama3) are estimated jointly (one estimate, each family's part).")],
    by: ByOption = "year", lang: LangOption = None,
    unit: Annotated[str, typer.Option("--unit", help="Occurrence unit: document (default) or sentence (Liang et al.).")] = "document",
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates (documents resampled).")] = 500,
    ci_level: Annotated[float, typer.Option("--ci-level", help="Confidence level of the interval.")] = 0.95,
    max_docs: Annotated[int | None, typer.Option("--max-docs", help="Per period, a seeded sample of this many documents.")] = None,
    min_units: Annotated[int, typer.Option("--min-units", help="Vocabulary: words in at least this many units of each reference.")] = 2,
    smoothing: Annotated[float, typer.Option("--smoothing", help="Add-k smoothing of occurrence probabilities.")] = 0.5,
    calibrate: Annotated[bool, typer.Option("--calibrate/--no-calibrate", help="Correct the MLE's bias with held-out reference folds.")] = True,
    seed: SeedOption = 0, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Estimate the share of machine-generated documents in each period (rows go to metrics)."""
    from provenance.store import Store
    from provenance.synth.estimate import SynthConfig, SynthRunsError, estimate_synth_each

    machines = [m.strip() for m in machine.split(",") if m.strip()]
    if not machines:
        fail(f"--machine {machine!r}: name a machine reference (several: comma-separated)", 2)
    with handled():
        configs = [SynthConfig(human, m, by, unit, lang, min_units, smoothing, bootstrap, ci_level, seed, max_docs, calibrate).validate()
                   for m in machines]
        with Store(db, create=False) as store:
            try:
                results = estimate_synth_each(store, configs)
            except SynthRunsError as exc:  # the runs stored before the failure are shown, then the failure
                _show_synth(exc.results, len(machines), ci_level, as_json)
                raise
    _show_synth(results, len(machines), ci_level, as_json)


def _show_synth(results: list, asked: int, ci_level: float, as_json: bool) -> None:
    from provenance.synth.estimate import side_by_side

    if as_json:  # one machine reference: its result, as before; several: a list, in the order given
        return print_json(results[0].to_dict() if asked == 1 else [r.to_dict() for r in results])
    for result in results:
        against = f" against {result.parameters['machine']!r}" if asked > 1 else ""
        share = result.parameters.get("share", "documents")
        print_table(result.table, title=f"run {result.run_id}: machine share of {share}{against}, {ci_level:.0%} bootstrap interval")
        for line in result.notes:
            typer.echo(line)
    if len(results) > 1:  # the same estimates read across: how much the answer depends on the machine reference
        print_table(side_by_side(results), title=f"alpha [{ci_level:.0%} interval] by machine reference")
