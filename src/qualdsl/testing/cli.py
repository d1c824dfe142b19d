"""`qualdsl test`: run policy test suites, like pytest runs tests.

Exit codes: 0 every test passed; 1 a test failed or coverage is below
--min-coverage; 2 usage, a bad test file, or a policy that does not compile;
5 no tests were collected (as pytest does, so an empty CI job is noticed).
"""

from __future__ import annotations

import os
import sys

import click

from ..cli import Exit, printable, use_color


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "output", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True,
              help="text: the report on stdout; json / github (annotations): on stdout, with the "
                   "text report on stderr.")
@click.option("--junit-xml", "junit_xml", type=click.Path(dir_okay=False), metavar="PATH",
              help="Also write a JUnit XML report (one testcase per test) to PATH (folders are created).")
@click.option("--junit-family", "junit_family", type=click.Choice(["xunit2", "xunit1"]), default="xunit2",
              show_default=True,
              help="xunit2 validates against Jenkins' junit-10.xsd; xunit1 adds `file` and `line` to "
                   "each testcase (as pytest's junit_family).")
@click.option("--coverage", is_flag=True,
              help="Report decision coverage: rules never fired, ICP statements never failed, "
                   "tiers and routes never reached.")
@click.option("--min-coverage", "min_coverage", type=click.FloatRange(0, 100), metavar="PCT",
              help="Fail (exit 1) when any policy's decision coverage is below PCT. Implies --coverage.")
@click.option("--update", is_flag=True,
              help="Rewrite the expectations of failing cases to the actual outcomes, then rerun.")
@click.pass_context
@click.option("--backend", default="python", show_default=True, metavar="NAME",
              help="Run the cases on this backend (python, duckdb, ...): every backend must pass the same suites.")
def test_command(ctx: click.Context, paths: tuple[str, ...], output: str, junit_xml: str | None,
                 junit_family: str, coverage: bool, min_coverage: float | None, update: bool,
                 backend: str) -> None:
    """Run the test suites (*.test.yaml) found under PATHS (default: the
    current directory) and print a report ending in `N passed, M failed`.

    A suite names a policy and an `as_of`, and lists cases: a lead and what
    its decision must show. See docs/testing.md.
    """
    from .. import backends
    from .cases import PolicyCache, discover, load_suite
    from .report import below, render_github, render_json, render_junit, render_text
    from .runner import Run, run_suites

    if backend not in backends.BACKENDS:
        raise click.BadParameter(
            f"`{backend}` is not a backend; backends are {', '.join(backends.BACKENDS)}", param_hint="--backend")
    files, _ = discover(paths or (".",))
    if not files:
        click.echo(printable(f"no test files (*.test.yaml) found in {', '.join(paths or ('.',))}"), err=True)
        click.echo("0 passed, 0 failed", err=True)
        if junit_xml:  # CI reads the report whatever happened: an empty run is one too
            _write_junit(ctx, junit_xml, render_junit(Run((), (), ()), junit_family))
        ctx.exit(Exit.NO_TESTS)

    def run_all() -> Run:
        cache = PolicyCache()
        try:
            return run_suites([load_suite(path, cache) for path in files], backend)
        except backends.BackendUnavailable as problem:
            click.echo(f"qualdsl test: {problem}", err=True)
            ctx.exit(Exit.USAGE)

    run = run_all()
    if update and run.failed:
        from .update import update as rewrite

        for path, count in rewrite(run.outcomes).items():
            click.echo(f"updated {count} case{'s' if count != 1 else ''} in {path}", err=True)
        run = run_all()  # report what the files now say
    show_coverage = coverage or min_coverage is not None
    if output == "text":
        color = use_color(ctx, sys.stdout)
        # click.echo strips ANSI codes off a terminal unless told: --color always must win.
        click.echo(printable(render_text(run, coverage=show_coverage, min_coverage=min_coverage, color=color)),
                   color=color)
    else:
        if output == "json":
            click.echo(printable(render_json(run, coverage=show_coverage)))
        else:
            annotations = render_github(run, min_coverage=min_coverage)
            if annotations:
                click.echo(printable(annotations))
        color = use_color(ctx, sys.stderr)
        click.echo(printable(render_text(run, coverage=show_coverage, min_coverage=min_coverage, color=color)),
                   err=True, color=color)
    if junit_xml:
        _write_junit(ctx, junit_xml, render_junit(run, junit_family))
    if run.errors:
        ctx.exit(Exit.USAGE)
    if run.failed or below(run.coverage, min_coverage):
        ctx.exit(Exit.FINDINGS)
    if not run.outcomes:
        ctx.exit(Exit.NO_TESTS)


def _write_junit(ctx: click.Context, path: str, xml: str) -> None:
    folder = os.path.dirname(path)
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(xml)
    except OSError as error:
        click.echo(printable(f"error: cannot write --junit-xml {path}: {error.strerror or error}"), err=True)
        ctx.exit(Exit.USAGE)
