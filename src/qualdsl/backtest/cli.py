"""`qualdsl backtest`: how well a policy's decisions predicted real outcomes.

Exit codes: 0 report written; 2 bad input (usage, a policy that does not
compile, an unreadable leads file, no usable lead, an -o path that cannot
be written).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..cli import Exit, print_diagnostics
from .inputs import DEFAULT_NEGATIVE, DEFAULT_POSITIVE
from .measure import ENGINES

FORMATS = ("text", "markdown", "json", "html")


def _values(given: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    # `--positive won --positive closed` and `--positive won,closed` both work.
    values = tuple(part for value in given for part in value.split(","))
    return values or default


@click.command("backtest")
@click.argument("policy", type=click.Path())
@click.option("--leads", "leads", metavar="FILE", required=True,
              help="Leads with a known outcome: CSV, JSONL or a JSON array ('-' reads stdin).")
@click.option("--outcome", "outcome", metavar="FIELD", required=True,
              help="The field holding each lead's outcome (`Converted`, `deal.won`).")
@click.option("--positive", "positive", multiple=True, metavar="VALUE",
              help="An outcome value that means converted (repeatable; default 1, true, yes; "
                   "case-insensitive).")
@click.option("--negative", "negative", multiple=True, metavar="VALUE",
              help="An outcome value that means not converted (default 0, false, no). Other values "
                   "are counted as unknown and left out.")
@click.option("--as-of", "as_of", metavar="DATE", help="Decide every lead as of this date or datetime (UTC).")
@click.option("--as-of-field", "as_of_field", metavar="PATH",
              help="Decide each lead as of its own date or datetime field (when it arrived).")
@click.option("--as-of-offset", "as_of_offset", metavar="DURATION",
              help="Added to --as-of-field: 12h, 1d, 2w (how long after arrival it is judged).")
@click.option("--target-volume", "target_volume", type=click.FloatRange(0, 100, min_open=True), metavar="PCT",
              help="Also propose, per tier boundary, the threshold that keeps about PCT% of leads.")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="python", show_default=True,
              help="What decides the leads.")
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: terminal; markdown: PR comment; json: tools; html: a page to share.")
@click.option("-o", "--output", "out", metavar="FILE", help="Write the report here instead of stdout.")
@click.pass_context
def backtest_command(ctx: click.Context, policy: str, leads: str, outcome: str, positive: tuple[str, ...],
                     negative: tuple[str, ...], as_of: str | None, as_of_field: str | None,
                     as_of_offset: str | None, target_volume: float | None, engine: str, output: str,
                     out: str | None) -> None:
    """Measure POLICY against leads whose outcome is known.

    Reports conversion by tier and route (with Wilson 95% intervals), each
    rule's lift beside its points, the ROC AUC of the score and of each
    block, a score-decile table, and a sweep of each `score >= N` tier
    boundary. Rows with a missing or unknown outcome, or an unusable
    --as-of-field, are counted and reported, never used.

    Without --as-of or --as-of-field the leads are decided as of now; past
    leads then look as cold as decay makes them today.
    """
    from ..api import load, normalize_as_of
    from ..errors import QualError
    from ..leads import LeadFileError
    from .inputs import AsOf, Outcomes, parse_duration, read_leads
    from .measure import run_backtest

    if as_of is not None and as_of_field is not None:
        raise click.UsageError("give one of --as-of DATE (one moment) or --as-of-field PATH (each lead's own)")
    if as_of_offset is not None and as_of_field is None:
        raise click.UsageError("--as-of-offset needs --as-of-field PATH")
    try:
        outcomes = Outcomes.build(outcome, _values(positive, DEFAULT_POSITIVE), _values(negative, DEFAULT_NEGATIVE))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--outcome") from None
    if as_of_field is not None:
        try:
            offset = parse_duration(as_of_offset) if as_of_offset is not None else dt.timedelta(0)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-offset") from None
        try:
            moment = AsOf.of_field(as_of_field, offset)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-field") from None
    else:
        try:
            when = (normalize_as_of(as_of) if as_of is not None
                    else dt.datetime.now(dt.UTC).replace(microsecond=0))
        except ValueError as error:
            raise click.BadParameter(str(error).removeprefix("as_of: "), param_hint="--as-of") from None
        moment = AsOf(when)

    try:
        compiled = load(policy)
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        click.echo("error: the policy must compile to be backtested", err=True)
        ctx.exit(Exit.USAGE)
    try:
        report = run_backtest(compiled, read_leads(leads), outcomes, moment, engine=engine,
                              target_volume=target_volume / 100 if target_volume is not None else None)
    except LeadFileError as error:
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
