"""`qualdsl lint` and `qualdsl rule`.

Findings go to stdout in the chosen format (they are the command's output);
the one-line summary goes to stderr. Exit 0: nothing at or above --fail-on;
1: findings (or a policy that does not compile); 2: usage or configuration
errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..cli import STDIN, Exit, expand_policy_paths, source_highlighter, use_color
from ..diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from .config import LintConfig


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="text for people, json for scripts, github for workflow annotations, "
                                      "sarif for code scanning.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules (codes or prefixes, comma-separated: QD101,QD11). Replaces the config's.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (added to the config's).")
@click.option("--fail-on", "fail_on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Exit 1 when a finding is at least this severe. [default: warning]")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Use this qualdsl.toml or pyproject.toml instead of searching for one.")
@click.pass_context
def lint_command(ctx: click.Context, paths: tuple[str, ...], output: str, select: tuple[str, ...],
                 ignore: tuple[str, ...], fail_on: str | None, config_path: str | None) -> None:
    """Report policy mistakes that compile but are almost certainly not meant:
    unreachable or shadowed tiers, contradictions, unbounded scores, ...

    PATHS are policy files or directories (default: the current directory).
    `qualdsl rule CODE` explains a rule. Silence one finding with
    `# qualdsl: ignore[QD101]` on its line.
    """
    from .config import (
        ConfigError,
        config_for,
        known_selector,
        split_codes,
        with_options,
    )
    from .engine import is_policy_file, lint_file

    selected, ignored = split_codes(select), split_codes(ignore)
    for option, codes in (("--select", selected), ("--ignore", ignored)):
        for code in codes:
            if not known_selector(code):
                raise click.BadParameter(f"no lint rule has the code `{code}` (see `qualdsl rule`)",
                                         param_hint=option)
    if config_path is not None and not Path(config_path).is_file():
        raise click.BadParameter(f"no such file: {config_path}", param_hint="--config")

    files = [f for f in expand_policy_paths(paths or (".",))]
    skipped = [f for f in files if Path(f).is_file() and not is_policy_file(Path(f))]
    for fragment in skipped:
        click.echo(f"{fragment}: skipped, no `policy` line (an included fragment is linted "
                   "through the policies that include it)", err=True)
    files = [f for f in files if f not in skipped]

    cache: dict[Path, LintConfig] = {}
    diagnostics: list[Diagnostic] = []
    threshold = Severity(fail_on) if fail_on else None
    try:
        for path in files:
            config = with_options(config_for(path, config_path, cache), selected, ignored, fail_on)
            threshold = threshold or config.fail_on
            diagnostics.extend(_lint_stdin(config) if path == STDIN else lint_file(path, config).diagnostics)
    except ConfigError as error:
        from ..render import render_all_text

        click.echo(render_all_text(error.diagnostics, color=use_color(ctx, sys.stderr)), err=True)
        ctx.exit(Exit.USAGE)
    threshold = threshold or Severity.WARNING
    # A fragment included by several policies would otherwise be reported once per policy.
    diagnostics = list(dict.fromkeys(diagnostics))

    _print(ctx, output, diagnostics)
    failing = [d for d in diagnostics if d.severity.rank >= threshold.rank]
    _summary(diagnostics, len(files))
    if failing:
        ctx.exit(Exit.FINDINGS)


def _lint_stdin(config: Any) -> tuple[Diagnostic, ...]:
    """`lint -`: the policy on stdin, read as `check -` reads it (cli.read_stdin_source)."""
    import attrs

    from ..api import compile_source
    from ..cli import read_stdin_source
    from ..errors import QualError
    from .engine import lint_policy
    from .registry import COMPILE_ERROR

    try:
        policy = compile_source(read_stdin_source())
    except QualError as error:
        return tuple(attrs.evolve(d, code=d.code or COMPILE_ERROR.code, severity=Severity.ERROR)
                     for d in error.diagnostics)
    return tuple(lint_policy(policy.checked, config))


def _print(ctx: click.Context, output: str, diagnostics: list[Diagnostic]) -> None:
    from ..render import render_all_text, render_github, render_json
    from .sarif import render_sarif

    if output == "json":
        click.echo(render_json(diagnostics))
    elif output == "sarif":
        click.echo(render_sarif(diagnostics))
    elif output == "github":
        if diagnostics:
            click.echo(render_github(diagnostics))
    elif diagnostics:
        color = use_color(ctx, sys.stdout)
        click.echo(render_all_text(diagnostics, color=color, highlight=source_highlighter()) + "\n")


def _summary(diagnostics: list[Diagnostic], count: int) -> None:
    noun = "policy" if count == 1 else "policies"
    if not diagnostics:
        click.echo(f"{count} {noun} linted: no problems", err=True)
        return
    parts = []
    for severity in Severity:
        number = sum(1 for d in diagnostics if d.severity is severity)
        if number:
            parts.append(f"{number} {severity.value}{'s' if number != 1 else ''}")
    click.echo(f"{count} {noun} linted: {', '.join(parts)}", err=True)


@click.command("rule")
@click.argument("code", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every lint rule and compile-error code.")
def rule_command(code: str | None, list_all: bool) -> None:
    """Show the documentation of lint rule or compile error CODE (e.g. QD101,
    unreachable-tier, QE127), or list them all."""
    from ..error_codes import CODES, get_code
    from .registry import COMPILE_ERROR, get_rule, load_rules

    rules = load_rules()
    if code is None or list_all:
        for rule in (COMPILE_ERROR, *rules.values()):
            click.echo(f"{rule.code}  {rule.name:<28} {rule.level.value:<8} {rule.summary}")
        for listed in CODES.values():
            click.echo(f"{listed.code}  {listed.name:<28} {'error':<8} {listed.title}")
        return
    found = get_rule(code)
    if found is not None:
        click.echo(found.documentation(), nl=False)
        return
    entry = get_code(code)
    if entry is None:
        raise click.BadParameter(f"no lint rule or compile error `{code}`; `qualdsl rule --list` lists them",
                                 param_hint="CODE")
    click.echo(entry.documentation(), nl=False)
