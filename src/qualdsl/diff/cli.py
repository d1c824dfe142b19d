"""`qualdsl diff`: the pull-request review command.

Exit codes: 0 done; 1 --fail-above tripped (too many leads change tier or
route); 2 bad input: usage, a policy that does not compile on either side,
an unreadable leads file, a git problem with --rev.
"""

from __future__ import annotations

import sys

import click

from ..cli import Exit, print_diagnostics, use_color
from ..diagnostics import Diagnostic


@click.command("diff")
@click.argument("paths", nargs=-1, metavar="OLD NEW | --rev REV PATH", type=click.Path())
@click.option("--rev", metavar="REV",
              help="Compare PATH at this git revision (main, HEAD~1, a merge base) with the working tree.")
@click.option("--leads", "leads", metavar="FILE",
              help="Evaluate both versions on these leads (JSON array, JSONL or CSV).")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Evaluate the leads as of this date or datetime (UTC). --leads needs it or --as-of-field.")
@click.option("--as-of-field", "as_of_field", metavar="PATH",
              help="Evaluate each lead as of its own date or datetime field (when it arrived).")
@click.option("--as-of-offset", "as_of_offset", metavar="DURATION",
              help="Added to --as-of-field: 12h, 1d, 2w.")
@click.option("--outcome", "outcome", metavar="FIELD",
              help="With --leads: the field holding each lead's known outcome; adds how many of the leads "
                   "each change moves converted.")
@click.option("--positive", "positive", multiple=True, metavar="VALUE",
              help="An --outcome value meaning converted (repeatable; default 1, true, yes).")
@click.option("--fail-above", "fail_above", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 when more than PCT% of leads change tier or route.")
@click.option("--examples", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Example lead ids shown per transition.")
@click.option("--format", "output", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text: terminal; markdown: PR comment or job summary; json.")
@click.pass_context
def diff_command(ctx: click.Context, paths: tuple[str, ...], rev: str | None, leads: str | None,
                 as_of: str | None, as_of_field: str | None, as_of_offset: str | None, outcome: str | None,
                 positive: tuple[str, ...], fail_above: float | None, examples: int, output: str) -> None:
    """Show what changed between two versions of a policy, by meaning.

    `qualdsl diff OLD NEW` compares two files; `qualdsl diff --rev REV PATH`
    compares PATH at a git revision (its includes read from that revision too)
    with the working tree. Rules are matched by block and name, tiers by name,
    routes by queue, sets and lets by name, ICP statements by reason; layout
    and comments are never a change.

    With --leads and --as-of (or --as-of-field), both versions decide every
    lead and the report counts the leads that change ICP result, tier, route
    and score; with --outcome, how many of the leads each change moves
    converted, against today's conversion in the tier or route they move to.
    """
    from ..api import load, normalize_as_of
    from ..errors import QualError
    from ..leads import LeadFileError, read_leads
    from .gitsource import GitSourceError, read_old_version
    from .impact import measure_impact
    from .report import DiffReport, render_json, render_markdown, render_text
    from .semantic import diff_policies

    if rev is not None and len(paths) != 1:
        raise click.UsageError("with --rev give exactly one policy PATH (compared with the working tree)")
    if rev is None and len(paths) != 2:
        raise click.UsageError("give two policy files, OLD NEW, or --rev REV PATH")
    if leads is not None and as_of is None and as_of_field is None:
        raise click.UsageError("--leads needs --as-of DATE (both versions decide the leads as of that moment) "
                               "or --as-of-field PATH")
    if as_of is not None and as_of_field is not None:
        raise click.UsageError("give one of --as-of DATE or --as-of-field PATH, not both")
    if as_of_offset is not None and as_of_field is None:
        raise click.UsageError("--as-of-offset needs --as-of-field PATH")
    if (outcome is not None or positive or as_of_field is not None) and leads is None:
        raise click.UsageError("--outcome, --positive and --as-of-field need --leads FILE")
    from ..backtest.inputs import AsOf, Outcomes, parse_duration

    outcomes = None
    if outcome is not None:
        try:
            values = tuple(part for value in positive for part in value.split(","))
            outcomes = Outcomes.build(outcome, values) if values else Outcomes.build(outcome)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--outcome") from None
    elif positive:
        raise click.UsageError("--positive needs --outcome FIELD")
    per_lead = None
    if as_of_field is not None:
        try:
            offset = parse_duration(as_of_offset) if as_of_offset is not None else None
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-offset") from None
        try:
            per_lead = AsOf.of_field(as_of_field, offset) if offset is not None else AsOf.of_field(as_of_field)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-field") from None
    if fail_above is not None and leads is None:
        raise click.UsageError("--fail-above needs --leads FILE (it measures how many leads move)")
    moment = None
    if as_of is not None:
        try:
            moment = normalize_as_of(as_of)
        except ValueError as error:
            raise click.BadParameter(str(error).removeprefix("as_of: "), param_hint="--as-of") from None

    old_missing = False
    problems: list[Diagnostic] = []  # diagnostics of both sides, so one run shows every mistake
    old = new = None
    old_label, new_path = (f"{rev}:{paths[0]}", paths[0]) if rev is not None else paths
    try:
        if rev is not None:
            old_version = read_old_version(rev, paths[0])
            old, old_label = old_version.policy, old_version.label
            old_missing = old is None
        else:
            old = load(old_label)
    except GitSourceError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)
    except QualError as error:
        problems.extend(error.diagnostics)
    try:
        new = load(new_path)
    except QualError as error:
        problems.extend(error.diagnostics)
    if problems or new is None:
        print_diagnostics(ctx, problems)
        click.echo("error: the policy must compile on both sides to be compared", err=True)
        ctx.exit(Exit.USAGE)
    assert new is not None

    changes = diff_policies(old.checked if old is not None else None, new.checked)
    impact = None
    if leads is not None:
        when = per_lead if per_lead is not None else moment
        assert when is not None
        try:
            impact = measure_impact(old, new, read_leads(leads), as_of=when, examples=examples,
                                    outcomes=outcomes)
        except LeadFileError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(Exit.USAGE)
    report = DiffReport(old_label, new_path, changes, impact, fail_above, old_missing)

    if output == "json":
        click.echo(render_json(report))
    elif output == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        color = use_color(ctx, sys.stdout)
        # color= stops click from stripping the codes when --color always is asked for.
        click.echo(render_text(report, color=color), color=color)

    # Human chatter on stderr, so stdout stays a clean document.
    if impact is not None:
        if output != "text":  # the text report already lists them
            for lead_error in impact.errors:
                click.echo(f"{lead_error.location}: error: {lead_error.error}", err=True)
        if impact.errors:
            click.echo(f"{len(impact.errors)} lead{'s' if len(impact.errors) != 1 else ''} "
                       "could not be read (counted in the report)", err=True)
    if report.gate_tripped:
        assert impact is not None
        click.echo(f"error: {impact.shifted_percent:.1f}% of leads change tier or route, "
                   f"above --fail-above {fail_above:g}%", err=True)
        ctx.exit(Exit.FINDINGS)
