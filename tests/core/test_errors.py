"""Compile errors: every one is located (line, column), rendered the one way,
and never a traceback. Fixtures: tests/cases/errors/*.qual (snapshots of the
rendered diagnostics), plus generated files for includes, encodings, sizes
and absurd nesting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.cli import cli
from qualdsl.errors import CheckError, ParseError, QualError, SourceError
from qualdsl.render import render_all_text
from qualdsl.source import MAX_SOURCE_BYTES

from budget import examples
from qd_helpers import T

CASES = Path(__file__).resolve().parents[1] / "cases"
ERROR_FILES = sorted(p.name for p in (CASES / "errors").glob("*.qual"))


def diagnostics_of(path: str) -> tuple:
    with pytest.raises(QualError) as error:
        qualdsl.load(path)
    return error.value.diagnostics


def assert_located(diagnostics, text: str | None = None) -> None:
    assert diagnostics
    lines = text.splitlines() if text is not None else None
    for d in diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1, d
        assert "\n" not in d.message and d.message, d
        assert d.message[0].islower() or d.message[0] in "`\"", d.message  # lowercase, one line
        if lines is not None:
            assert d.span.line <= len(lines) + 1, d


# ============================================================ fixtures


@pytest.mark.parametrize("name", ERROR_FILES)
def test_error_fixture_snapshot(name, snapshot, monkeypatch):
    monkeypatch.chdir(CASES)
    diagnostics = diagnostics_of(f"errors/{name}")
    assert_located(diagnostics, (CASES / "errors" / name).read_text(encoding="utf-8"))
    assert all(d.path == f"errors/{name}" for d in diagnostics)
    assert render_all_text(diagnostics) == snapshot


# (file, [(line, column, message start)]): checked by hand against the fixtures.
EXPECTED = {
    "unknown_field.qual": [(6, 11, "unknown field `company.employes`")],
    "unknown_set.qual": [(7, 30, "unknown set `supported_country`")],
    "unknown_let.qual": [(7, 20, "unknown name `decison_maker`")],
    "unknown_tier.qual": [(7, 30, "unknown tier `SLQ`"), (9, 30, "unknown tier `nurture`")],
    "type_mismatch.qual": [(8, 11, "`>=` compares an int with a string"), (9, 11, "`contains` works on strings"),
                           (10, 11, "`+` works on numbers"), (11, 11, "`in` looks for an int")],
    "duplicate_rule.qual": [(4, 3, "rule `big` is defined twice in block `fit`")],
    "missing_policy.qual": [(2, 1, "missing `policy` line")],
    "two_policies.qual": [(2, 1, "a second `policy` line")],
    "policy_not_first.qual": [(2, 1, "the `policy` line must come first")],
    "unterminated_string_at_eol.qual": [(3, 22, "unterminated string")],
    "bad_escape.qual": [(2, 14, "unterminated string or invalid escape")],
    "missing_brace_at_end.qual": [(4, 1, "unexpected end of file: a `{` is never closed")],
    "missing_brace.qual": [(4, 1, "unexpected `tiers`")],
    "bad_regex.qual": [(3, 10, "bad regex `/(student|intern/`"), (4, 10, "bad regex `/a{2,1}/`")],
    "bad_duration.qual": [(3, 19, "bad duration `7days`")],
    "duration_without_unit.qual": [(3, 43, "unexpected `30`; expected a duration")],
    "decay_percent.qual": [(3, 3, "decay of 0% is outside"), (7, 3, "decay of 150% is outside")],
    "zero_period.qual": [(3, 19, "the duration `0d` is zero"), (4, 16, "the duration `0h` is zero"),
                         (8, 19, "the duration `0w` is zero")],
    "min_over_max.qual": [(2, 1, "block `fit` has `min 20` above `max 10`")],
    "max_k_zero.qual": [(3, 3, "`max 0` counts no events")],
    "max_k_fraction.qual": [(3, 43, "`max` takes a whole number of events")],
    "chained_comparison.qual": [(3, 35, "comparisons do not chain")],
    "glued_keyword.qual": [(3, 12, "unexpected `whenscore`")],
    "let_cycle.qual": [(2, 1, "let `a` depends on itself: a -> b -> c -> a")],
    "events_without_field.qual": [(6, 3, "rule `demo` counts events but the schema has no `events` field"),
                                  (7, 22, "`count` reads events but the schema has no `events` field")],
    "otherwise_not_last.qual": [(3, 3, "`otherwise` must be last"), (7, 3, "`otherwise` must be last")],
    "tier_names.qual": [(4, 3, "tier `HOT` is declared twice"), (5, 3, "a tier may not be named `disqualified`")],
    "reserved_block.qual": [(2, 1, "a score block may not be named `total`"),
                            (5, 1, "a score block may not be named `icp`")],
    "invalid_date.qual": [(3, 26, "`2026-02-30` is not a valid date"),
                          (4, 21, "`2026-01-01T25:00:00Z` is not a valid datetime")],
    "condition_not_bool.qual": [(7, 21, "a condition must be true or false"),
                                (8, 23, "a condition must be true or false")],
    "unknown_function.qual": [(3, 22, "unknown function `domian`"), (4, 20, "`len` takes exactly one argument")],
    "single_equals.qual": [(3, 19, "unexpected `=`")],
    "name_clash.qual": [(6, 1, "let `hot` has the same name as set `hot`"),
                        (7, 1, "score block `fit` has the same name as field `fit`"),
                        (11, 3, "tier `hot` has the same name as set `hot`")],
    "duplicate_blocks.qual": [(4, 1, "score block `fit` is defined twice"), (9, 1, "a second `tiers` block")],
    "unknown_type.qual": [(3, 22, "unknown type `integer`"), (4, 9, "unknown type `list[text]`")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_error_locations(name, monkeypatch):
    monkeypatch.chdir(CASES)
    found = [(d.span.line, d.span.column, d.message) for d in diagnostics_of(f"errors/{name}")]
    assert len(found) == len(EXPECTED[name]), found
    for (line, column, message), (want_line, want_column, start) in zip(found, EXPECTED[name]):
        assert (line, column) == (want_line, want_column), message
        assert message.startswith(start), message


def test_did_you_mean(monkeypatch):
    monkeypatch.chdir(CASES)
    helps = {
        "unknown_field.qual": "did you mean `company.employees`?",
        "unknown_set.qual": "did you mean `supported_countries`?",
        "unknown_let.qual": "did you mean `decision_maker`?",
        "unknown_function.qual": "did you mean `domain`?",
        "unknown_type.qual": "did you mean `int`?",
    }
    for name, help in helps.items():
        assert diagnostics_of(f"errors/{name}")[0].help == help


def test_several_errors_in_one_run(monkeypatch):
    monkeypatch.chdir(CASES)
    with pytest.raises(CheckError) as error:
        qualdsl.load("errors/several_errors.qual")
    assert len(error.value.diagnostics) == 8
    with pytest.raises(ParseError) as error:
        qualdsl.load("errors/several_syntax_errors.qual")
    assert [d.span.line for d in error.value.diagnostics] == [4, 5, 9, 12]
    assert "(and 3 more)" in str(error.value)


def test_every_fixture_is_expected():
    # A new fixture gets its hand-checked locations too.
    assert set(ERROR_FILES) - set(EXPECTED) <= {"several_errors.qual", "several_syntax_errors.qual",
                                                "unterminated_string.qual", "missing_reason.qual"}


# ============================================================ includes


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _rendered(tmp_path: Path, error: QualError) -> str:
    text = render_all_text(error.diagnostics)
    return text.replace(str(tmp_path.resolve()), "<tmp>").replace(str(tmp_path), "<tmp>")


def test_include_errors_snapshot(tmp_path, monkeypatch, snapshot):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "secret.qual", 'set secret = ["x"]\n')
    _write(tmp_path / "policies" / "lib" / "a.qual", 'include "b.qual"\n')
    _write(tmp_path / "policies" / "lib" / "b.qual", 'include "a.qual"\nscore s {\n}\n')
    (tmp_path / "policies" / "escape.qual").symlink_to(tmp_path / "secret.qual")
    _write(tmp_path / "policies" / "main.qual", (
        "policy main\n"
        'include "missing.qual"\n'
        'include "../secret.qual"\n'
        'include "escape.qual"\n'
        'include "lib/a.qual"\n'
        'include "/etc/hosts"\n'
    ))
    with pytest.raises(CheckError) as error:
        qualdsl.load("policies/main.qual")
    found = [(Path(d.path).name, d.span.line, d.span.column, d.message) for d in error.value.diagnostics]
    assert found == [
        ("main.qual", 2, 1, "include `missing.qual`: no such file"),
        ("main.qual", 3, 1, "include `../secret.qual` leaves the policy's directory"),
        ("main.qual", 4, 1, "include `escape.qual` leaves the policy's directory"),
        ("main.qual", 6, 1, "include `/etc/hosts` is an absolute path"),
        ("b.qual", 1, 1, "include `a.qual` makes a cycle"),
        ("b.qual", 2, 1, "an included file may not hold `score`"),
    ]
    assert _rendered(tmp_path, error.value) == snapshot


def test_syntax_error_in_included_file_is_located_there(tmp_path):
    _write(tmp_path / "lib.qual", "set s = [\"a\"\n")
    main = _write(tmp_path / "m.qual", 'policy m\ninclude "lib.qual"\n')
    with pytest.raises(QualError) as error:
        qualdsl.load(main)
    (d,) = error.value.diagnostics
    assert Path(d.path).name == "lib.qual" and d.span.line >= 1


# =========================================================== bad files


def test_non_utf8_file(tmp_path, snapshot):
    path = tmp_path / "latin1.qual"
    path.write_bytes('policy p "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(SourceError) as error:
        qualdsl.load(path)
    (d,) = error.value.diagnostics
    assert d.message == "file is not valid UTF-8 (bad byte at offset 13)"  # the é of `caf\xe9`
    assert (d.span.line, d.span.column) == (1, 14)
    assert _rendered(tmp_path, error.value) == snapshot


def test_binary_file(tmp_path):
    path = tmp_path / "image.qual"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError) as error:
        qualdsl.load(path)
    (d,) = error.value.diagnostics
    assert d.message.startswith("file is binary")
    assert (d.span.line, d.span.column) == (3, 1)  # the first NUL starts line 3 (after "\r\n" and "\x1a\n")


def test_unreadable_included_file_is_reported_at_the_include(tmp_path):
    _write(tmp_path / "m.qual", 'policy m\ninclude "b.qual"\n')
    (tmp_path / "b.qual").write_bytes(b'set x = ["\xff"]\n')
    with pytest.raises(CheckError) as error:
        qualdsl.load(tmp_path / "m.qual")
    (d,) = error.value.diagnostics
    assert (Path(d.path).name, d.span.line, d.message) == (
        "m.qual", 2, "include `b.qual`: file is not valid UTF-8 (bad byte at offset 10)")


def test_huge_file(tmp_path):
    path = tmp_path / "huge.qual"
    path.write_bytes(b"policy p\n" + b"# padding\n" * (MAX_SOURCE_BYTES // 10 + 1))
    with pytest.raises(SourceError) as error:
        qualdsl.load(path)
    assert error.value.diagnostics[0].message.startswith("file is too large")


def test_loads_bytes_checks_encoding():
    with pytest.raises(SourceError):
        qualdsl.loads(b"policy p \xff\n")
    assert qualdsl.loads("\ufeffpolicy p\n".encode("utf-8")).name == "p"  # a BOM is fine


def test_missing_file_and_directory(tmp_path):
    for path, message in ((tmp_path / "nope.qual", "no such file"),
                          (tmp_path, "is a directory, not a policy file")):
        with pytest.raises(SourceError) as error:
            qualdsl.load(path)
        assert error.value.diagnostics[0].message == message


# ====================================================== absurd nesting


def _compile_or_located_error(text: str):
    """Compile, or fail with a located QualError: never RecursionError."""
    try:
        return qualdsl.loads(text)
    except QualError as error:
        assert_located(error.diagnostics, text)
        return None


@pytest.mark.parametrize(
    "condition",
    [
        "not " * 5000 + "x",
        "(" * 5000 + "x" + ")" * 5000,
        " + ".join(["x"] * 3000) + " > 1",
        "-" * 5000 + "x > 1",
        " and ".join(["x"] * 5000),
        " or ".join([f"x == {i}" for i in range(3000)]),
        "(" * 5000 + "x",  # unbalanced
        "x in [" + ", ".join(map(str, range(20000))) + "]",
    ],
    ids=["5000-not", "5000-parens", "3000-sum", "5000-minus", "5000-and", "3000-or", "unbalanced", "20000-list"],
)
def test_absurd_nesting_is_a_clean_error_or_compiles(condition):
    text = f"policy deep\nscore s {{\n  rule r 1 when {condition}\n}}\n"
    policy = _compile_or_located_error(text)
    if policy is not None:
        policy.evaluate({"x": 2}, as_of=T)


def test_5000_parentheses_compile_and_mean_x():
    text = "policy deep\nscore s {\n  rule r 1 when " + "(" * 5000 + "x > 1" + ")" * 5000 + "\n}\n"
    policy = qualdsl.loads(text)
    assert policy.evaluate({"x": 2}, as_of=T).rules[0].fired


def test_deep_not_is_a_located_error():
    with pytest.raises(ParseError) as error:
        qualdsl.loads("policy deep\nscore s {\n  rule r 1 when " + "not " * 5000 + "x\n}\n")
    (d,) = error.value.diagnostics
    assert d.span.line == 3 and "nested too deeply" in d.message


@pytest.mark.parametrize("count", [3000])
def test_thousands_of_statements_compile(count):
    rules = "".join(f"  rule r{i} 1 when x > {i}\n" for i in range(count))
    tiers = "".join(f"  tier t{i} when x > {count - i}\n" for i in range(count))
    routes = "".join(f'  to "q{i}" when x > {count - i}\n' for i in range(count))
    blocks = "".join(f"score b{i} {{\n  rule r 1 when x > {i}\n}}\n" for i in range(count))
    lets = "".join(f"let l{i} = l{i + 1}\n" for i in range(count)) + f"let l{count} = x > 0\n"
    text = (f"policy many\n{lets}score s {{\n{rules}}}\n{blocks}tiers {{\n{tiers}}}\nroute {{\n{routes}}}\n"
            "icp {\n  require l0 else \"no\"\n}\n")
    decision = qualdsl.loads(text).evaluate({"x": 10}, as_of=T)
    # rules r0..r9 fire (x > 0..9), blocks b0..b9 likewise; first tier with x > count - i: i = count - 9
    assert decision.scores["s"] == 10.0
    assert decision.scores["total"] == 20.0
    assert decision.tier == f"t{count - 9}"
    assert decision.route == f"q{count - 9}"
    assert decision.icp_pass


def test_many_syntax_errors_are_capped():
    text = "policy p\n" + "".join(f"set s{i} = [\n" for i in range(100))
    with pytest.raises(ParseError) as error:
        qualdsl.loads(text)
    assert 1 <= len(error.value.diagnostics) <= 20


# ================================================================== CLI


def test_cli_check_reports_located_errors_and_exit_1(monkeypatch, snapshot):
    monkeypatch.chdir(CASES)
    result = CliRunner().invoke(cli, ["check", "errors/unknown_field.qual", "errors/two_policies.qual"])
    assert result.exit_code == 1
    assert "errors/unknown_field.qual:6:11: error[QE127]: unknown field `company.employes`" in result.stderr
    assert "errors/two_policies.qual:2:1: error[QE102]: a second `policy` line" in result.stderr
    assert result.stdout == ""
    assert result.stderr == snapshot


def test_cli_check_ok_exit_0(monkeypatch):
    monkeypatch.chdir(CASES)
    result = CliRunner().invoke(cli, ["check", "parse/saas_inbound.qual"])
    assert result.exit_code == 0, result.stderr
    assert "1 policy OK" in result.stderr


def test_cli_check_json_output(monkeypatch):
    import json

    monkeypatch.chdir(CASES)
    result = CliRunner().invoke(cli, ["check", "--format", "json", "errors/min_over_max.qual"])
    assert result.exit_code == 1
    (d,) = json.loads(result.stdout)
    assert (d["path"], d["line"], d["column"], d["severity"]) == ("errors/min_over_max.qual", 2, 1, "error")


def test_cli_check_missing_and_binary_files_exit_1(tmp_path):
    binary = tmp_path / "b.qual"
    binary.write_bytes(b"\x00\x01")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "missing.qual"), str(binary)])
    assert result.exit_code == 1
    assert "missing.qual:1:1: error[QE001]: no such file" in result.stderr
    assert "b.qual:1:1: error[QE003]: file is binary" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "args",
    [["check"], ["eval", "parse/saas_inbound.qual", "--lead", "-", "--leads", "-"],
     ["check", "--format", "yaml", "x.qual"], ["nonsense"],
     ["eval", "parse/saas_inbound.qual", "--lead", "-", "--as-of", "next tuesday"]],
)
def test_cli_usage_errors_exit_2(args, monkeypatch):
    monkeypatch.chdir(CASES)
    result = CliRunner().invoke(cli, args, input="{}")
    assert result.exit_code == 2, (result.stdout, result.stderr)


# ============================================================ fuzzing

_BASE = (CASES / "parse" / "saas_inbound.qual").read_text(encoding="utf-8")
_PIECES = list('{}[]()"`/\\#=<>!+-*%.,:@ \n\tabxyz019') + [
    "when", "rule", "not", "and", "tier", "score", "max", "events", "per event", "2026-01-01",
    "30d", "10%", "\u00e9", "\x00", "\ufeff", "policy p\n", "}\n", "else", "as", "include \"x.qual\"\n",
]


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(_BASE)), st.integers(0, 6), st.sampled_from(_PIECES)),
                      min_size=1, max_size=6))
def test_mangled_policies_never_give_a_traceback(edits):
    text = _BASE
    for position, deleted, inserted in edits:
        position = min(position, len(text))
        text = text[:position] + inserted + text[position + deleted:]
    try:
        policy = qualdsl.loads(text)
    except QualError as error:
        assert_located(error.diagnostics)
        render_all_text(error.diagnostics)
    else:
        policy.evaluate({"company": {"employees": 5}, "events": [{"type": "x", "at": "2026-10-01"}]}, as_of=T)
