"""`qualdsl backtest`: how well a policy's decisions predicted real outcomes.

Exit codes: 0 report written; 2 bad input (usage, a policy that does not
compile, an unreadable leads file, no usable lead, an -o path that cannot
be written).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..asof import AsOf, as_of_options, from_options
from ..cli import Exit, print_diagnostics
from .inputs import DEFAULT_NEGATIVE, DEFAULT_POSITIVE, Outcomes
from .measure import ENGINES

FORMATS = ("text", "markdown", "json", "html")
INPUT_FORMATS = ("csv", "jsonl", "json", "parquet")


def _values(given: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    # `--positive won --positive closed` and `--positive won,closed` both work.
    values = tuple(part for value in given for part in value.split(","))
    return values or default


@click.command("backtest")
@click.argument("policy", type=click.Path())
@click.option("--leads", "leads", metavar="FILE", required=True,
              help="Leads with a known outcome: CSV, JSONL, a JSON array or Parquet ('-' reads stdin).")
@click.option("--input-format", "input_format", type=click.Choice(INPUT_FORMATS), default=None,
              help="The format of --leads (default: from the extension; stdin: JSONL, or a JSON array).")
@click.option("--outcome", "outcome", metavar="FIELD", required=True,
              help="The field holding each lead's outcome (`Converted`, `deal.won`).")
@click.option("--positive", "positive", multiple=True, metavar="VALUE",
              help="An outcome value that means converted (repeatable; default 1, true, yes; "
                   "case-insensitive).")
@click.option("--negative", "negative", multiple=True, metavar="VALUE",
              help="An outcome value that means not converted (default 0, false, no). Other values "
                   "are counted as unknown and left out.")
@as_of_options()
@click.option("--target-volume", "target_volume", type=click.FloatRange(0, 100, min_open=True), metavar="PCT",
              help="Also propose, per tier boundary, the threshold that keeps about PCT% of leads.")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="python", show_default=True,
              help="What decides the leads: python, or duckdb (the compiled SQL; regular files only).")
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: terminal; markdown: PR comment; json: tools; html: a page to share.")
@click.option("-o", "--output", "out", metavar="FILE", help="Write the report here instead of stdout.")
@click.pass_context
def backtest_command(ctx: click.Context, policy: str, leads: str, input_format: str | None, outcome: str,
                     positive: tuple[str, ...], negative: tuple[str, ...], as_of: str | None,
                     as_of_field: str | None, as_of_offset: str | None, target_volume: float | None,
                     engine: str, output: str, out: str | None) -> None:
    """Measure POLICY against leads whose outcome is known.

    Reports conversion by tier and route (with Wilson 95% intervals), each
    rule's lift beside its points, the ROC AUC of the score and of each
    block, a score-decile table, and a sweep of each `score >= N` tier
    boundary. Rows that cannot be read, or with a missing or unknown
    outcome, or an unusable --as-of-field, are counted and reported, never
    used.

    Without --as-of or --as-of-field the leads are decided as of now; past
    leads then look as cold as decay makes them today.
    """
    from ..api import load
    from ..batch.engines import EngineUnavailable, get_engine
    from ..batch.inputs import InputError, check_input, read_rows, sniff_format
    from ..errors import QualError
    from .measure import run_backtest

    try:
        outcomes = Outcomes.build(outcome, _values(positive, DEFAULT_POSITIVE), _values(negative, DEFAULT_NEGATIVE))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--outcome") from None
    moment = from_options(as_of, as_of_field, as_of_offset) or AsOf.now()
    if engine != "python":
        try:
            get_engine(engine)  # installed? (says how to install it when not)
        except EngineUnavailable as error:
            raise click.UsageError(str(error)) from None
    try:
        check_input(leads)
        kind = sniff_format(leads, input_format)
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)

    try:
        compiled = load(policy)
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        click.echo("error: the policy must compile to be backtested", err=True)
        ctx.exit(Exit.USAGE)
    try:
        rows = read_rows([leads], format=kind, schema=compiled.schema)
        report = run_backtest(compiled, rows, outcomes, moment, engine=ENGINES[engine]([leads], kind),
                              target_volume=target_volume / 100 if target_volume is not None else None)
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)

    for skipped in report.skipped:
        for example in skipped.examples:
            click.echo(f"{example}: left out: {skipped.reason}", err=True)
        if skipped.count > len(skipped.examples):
            click.echo(f"... and {skipped.count - len(skipped.examples)} more left out: {skipped.reason}",
                       err=True)
    if report.leads == 0:
        click.echo(f"error: {leads}: no lead with a usable outcome `{outcome}`; nothing to measure", err=True)
        ctx.exit(Exit.USAGE)

    text = _render(report, output)
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"error: {out}: cannot write the report: {error.strerror or error}", err=True)
        ctx.exit(Exit.USAGE)
    click.echo(f"wrote {out}", err=True)


def _render(report: object, output: str) -> str:
    from . import report as reports
    from .measure import Backtest

    assert isinstance(report, Backtest)
    if output == "html":
        from .html import render_html

        return render_html(report)
    if output == "json":
        return reports.render_json(report) + "\n"
    if output == "markdown":
        return reports.render_markdown(report)
    return reports.render_text(report)


__all__ = ["backtest_command"]
