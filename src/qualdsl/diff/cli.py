"""`qualdsl diff`: the pull-request review command.

Exit codes: 0 done; 1 --fail-above tripped (too many leads change tier or
route); 2 bad input: usage, a policy that does not compile on either side,
an unreadable leads file, a git problem with --rev.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..asof import as_of_options, from_options
from ..batch.inputs import FORMATS
from ..cli import Exit, print_diagnostics, use_color
from ..diagnostics import Diagnostic

if TYPE_CHECKING:
    from ..api import Policy


@click.command("diff")
@click.argument("paths", nargs=-1, metavar="OLD NEW | --rev REV PATH", type=click.Path())
@click.option("--rev", metavar="REV",
              help="Compare PATH at this git revision (main, HEAD~1, a merge base) with the working tree.")
@click.option("--leads", "leads", metavar="FILE",
              help="Evaluate both versions on these leads: what `qualdsl score` reads (CSV, JSONL, a JSON "
                   "array, Parquet; '-' reads stdin).")
@click.option("--input-format", "input_format", type=click.Choice(FORMATS), default=None,
              help="The format of --leads (default: from the extension; stdin: JSONL, or a JSON array).")
@click.option("--id-field", "id_field", metavar="PATH",
              help="With --leads: the field that names each lead in examples (default `id`; e.g. \"Prospect ID\").")
@as_of_options("Evaluate")  # --leads needs --as-of or --as-of-field
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
                 input_format: str | None, id_field: str | None, as_of: str | None, as_of_field: str | None,
                 as_of_offset: str | None, outcome: str | None,
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
    from ..api import load, parse_field_path
    from ..batch.inputs import InputError, check_input, read_rows, sniff_format
    from ..errors import QualError
    from ..leads import records
    from .gitsource import GitSourceError, read_old_version
    from .impact import measure_impact
    from .report import DiffReport, render_json, render_markdown, render_text
    from .semantic import diff_policies

    if rev is not None and len(paths) != 1:
        raise click.UsageError("with --rev give exactly one policy PATH (compared with the working tree)")
    if rev is None and len(paths) != 2:
        raise click.UsageError("give two policy files, OLD NEW, or --rev REV PATH")
    when = from_options(as_of, as_of_field, as_of_offset)
    if leads is not None and when is None:
        raise click.UsageError("--leads needs --as-of DATE (both versions decide the leads as of that moment) "
                               "or --as-of-field PATH")
    if (outcome is not None or positive or as_of_field is not None or input_format is not None
            or id_field is not None) and leads is None:
        raise click.UsageError("--outcome, --positive, --as-of-field, --input-format and --id-field "
                               "need --leads FILE")
    if id_field is not None:
        try:
            parse_field_path(id_field)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--id-field") from None
    from ..backtest.inputs import Outcomes

    outcomes = None
    if outcome is not None:
        try:
            values = tuple(part for value in positive for part in value.split(","))
            outcomes = Outcomes.build(outcome, values) if values else Outcomes.build(outcome)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--outcome") from None
    elif positive:
        raise click.UsageError("--positive needs --outcome FIELD")
    if fail_above is not None and leads is None:
        raise click.UsageError("--fail-above needs --leads FILE (it measures how many leads move)")

    old_missing = False
    problems: list[Diagnostic] = []  # diagnostics of both sides, so one run shows every mistake
    old = new = None
    old_label, new_path = (f"{rev}:{paths[0]}", paths[0]) if rev is not None else paths
    try:
        if rev is not None:
            old_version = read_old_version(rev, paths[0], id_field=id_field)
            old, old_label = old_version.policy, old_version.label
            old_missing = old is None
        else:
            old = load(old_label, id_field=id_field)
    except GitSourceError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)
    except QualError as error:
        problems.extend(error.diagnostics)
    try:
        new = load(new_path, id_field=id_field)
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
        assert when is not None
        try:
            # The reader `qualdsl score` uses, so both commands see the same leads.
            check_input(leads)
            rows = read_rows([leads], format=sniff_format(leads, input_format), schema=reading_schema(old, new))
            impact = measure_impact(old, new, records(rows), as_of=when, examples=examples, outcomes=outcomes)
        except InputError as error:
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


def reading_schema(old: Policy | None, new: Policy) -> dict[str, str] | None:
    """The schema CSV cells are read with (which hold JSON): each version's,
    merged, a list or events field in either winning, so a cell holding a
    list is one for both (score reads a cell the same way with either
    version, except a field that is a list in one and text in the other).
    None, as `score` reads for a policy without a schema, when either has none."""
    schemas = [policy.schema for policy in (old, new) if policy is not None]
    merged: dict[str, str] = {}
    for schema in schemas:
        if schema is None:
            return None
        for path, kind in schema.items():
            if path not in merged or kind.startswith("list[") or kind == "events":
                merged[path] = kind
    return merged
