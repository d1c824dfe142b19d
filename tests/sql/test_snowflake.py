"""`--dialect snowflake`: the mappings of backends/sql/snowflake.py, its
refusals, its regex translation against RE2, and its tree run on DuckDB
(snowflake_emulation.py) against the DuckDB SELECT, which the differential
tests prove against Policy.evaluate."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import re2
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.regex_dialects import Untranslatable, to_snowflake
from qualdsl.backends.sql.snowflake import STOP
from qualdsl.backends.sql.snowflake import to_snowflake as snowflake_tree_of
from qualdsl.errors import QualError

from . import helpers
from . import snowflake_emulation as sf
from .helpers import AS_OF, decisions_both, deep, portable_tree
from .test_bigquery import LEADS as BIGQUERY_LEADS
from .test_bigquery import MAPPED as BIGQUERY_MAPPED
from .test_bigquery import TYPES as BIGQUERY_TYPES
from .test_bigquery import typed_leads as bigquery_typed_leads
from .test_differential import names as messy_names
from budget import examples

POLICIES = Path(__file__).resolve().parents[2] / "policies"
_SIMPLE = "policy t\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n"

# BigQuery's policy of every mapping, without its list test (refused here), with
# a STRUCT column's members and anchors, `.` and a negated class in a regex.
MAPPED = (BIGQUERY_MAPPED.replace("Every BigQuery mapping", "Every Snowflake mapping")
          .replace("  tags: list[string]\n", "").replace('  rule tagged     +1  when "saas" in tags\n', "")
          .replace("  founded: date\n", "  founded: date\n  company.name: string\n  company.size: int\n")
          .replace("score fit {\n", "score fit {\n"
                   "  rule senior +1 when title matches /^senior.+[^a-z]$/\n"
                   '  rule named +1 when company.name in ["Acme", "STRASSE"]\n'
                   "  rule sized +1 when company.size > 10\n"))
TYPES = {"id": "VARCHAR", "title": "VARCHAR", "email": "VARCHAR", "employees": "BIGINT", "revenue": "DOUBLE",
         "founded": "DATE", "company": 'STRUCT("name" VARCHAR, "size" BIGINT)'}
LEADS = [{**{k: v for k, v in lead.items() if k != "tags"},
          "company": {"name": lead["title"], "size": lead["employees"]} if lead["id"] != "3" else None}
         for lead in BIGQUERY_LEADS]
LEADS.append({"id": "7", "title": "senior dev 9", "email": "x@acme.com", "employees": 7, "revenue": 7.0,
              "founded": None, "company": {"name": "Acme", "size": None}})
LEADS.append({"id": "6", "title": "senior\nVP 9", "email": "a@b@acme.com", "employees": 0, "revenue": -0.0,
              "founded": dt.date(2026, 10, 31), "company": {"name": None, "size": 11}})


def snowflake_tree(policy: qualdsl.Policy, columns: dict[str, str], flat: bool = False) -> exp.Expr:
    return portable_tree(snowflake_tree_of, policy, columns, flat)


def refusal(text: str, columns: dict[str, str] | None = None, **options: object) -> str:
    return helpers.refusal("snowflake", text, columns, **options)


def typed_table(rows: list[dict[str, object]]):
    connection = sf.connect()
    columns = ", ".join(f'"{name}" {kind}' for name, kind in TYPES.items())
    connection.execute(f"CREATE TABLE leads ({columns})")
    connection.executemany(f"INSERT INTO leads VALUES ({', '.join('?' for _ in TYPES)})",
                           [[row[name] for name in TYPES] for row in rows])
    return connection


def test_the_sql_says_it_is_unverified_and_uses_snowflake_functions():
    policy = qualdsl.loads(MAPPED)
    sql = compile_sql(policy.ir, TYPES, dialect="snowflake", as_of=AS_OF)
    first, _, body = sql.partition("\n")
    assert first == "-- qualdsl: snowflake SQL checked by sqlglot round-trip only, not run against Snowflake"
    for name in ("REGEXP_LIKE(", "CHARINDEX(", "LEFT(", "RIGHT(", "NULLIF(", "DATEDIFF(DAY", "OCTET_LENGTH(",
                 "LENGTH(", "SPLIT_PART(", "TRANSLATE(", "MOD(", "OBJECT_CONSTRUCT_KEEP_NULL(", "ARRAY_COMPACT(",
                 "GET(\"company\", 'name')"):
        assert name in body, name
    assert body.startswith("""SELECT 'mapped' AS "policy", __lead AS "lead", """)  # Snowflake keeps quoted case
    for foreign in ("LIST_", "REGEXP_MATCHES", "STRLEN(", "EPOCH_US(", "LAMBDA", "->", "//", "COLLATE", "OFFSET",
                    "UNNEST", "SAFE_ORDINAL", "LOWER(", " STRUCT(", "(STRUCT("):
        assert foreign not in body, foreign
    # RE2's partial match, framed for a whole-subject match, the `i` flag as case orbits.
    assert "'(.|\\n)*(\\\\b([eE][nN][gG][iI][nN][eE][eE][rR]|" in body
    tree = deep(lambda: sqlglot.parse_one(sql, read="snowflake"))
    assert deep(lambda: sqlglot.parse_one(tree.sql("snowflake"), read="snowflake")) == tree


def test_the_snowflake_tree_decides_as_duckdb_and_python_on_duckdb():
    policy = qualdsl.loads(MAPPED)
    connection = typed_table(LEADS)
    got, want = decisions_both(connection, policy)
    assert got == want  # the DuckDB SELECT is Python's decision here
    reference = connection.execute(compile_sql(policy.ir, TYPES, as_of=AS_OF)).fetchall()
    assert sf.rows(connection, snowflake_tree(policy, TYPES)) == reference
    fired = {rule["rule"] for row in reference for rule in row[-2] if rule["fired"]}
    assert {"engineer", "senior", "corp", "recent", "named", "sized", "strasse"} <= fired  # the rules do fire


def test_bundled_policy_on_its_leads():
    flat = False
    policy = qualdsl.load(POLICIES / "xeducation.qual")
    columns = schema_columns(policy.ir)
    connection = sf.connect()
    spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    leads = POLICIES / "xeducation.leads.jsonl"
    connection.execute(f"CREATE TABLE leads AS SELECT * FROM read_json('{leads}', columns={spec}, ignore_errors=true)")
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF, flat=flat)).fetchall()
    assert len(reference) > 10
    assert sf.rows(connection, snowflake_tree(policy, columns, flat)) == reference


def test_membership_in_a_list_of_text_decides_as_duckdb():
    """BigQuery's policy of every mapping, its `"saas" in tags` included (NULL
    lists, NULL and casefolded elements), run as Snowflake's tree."""
    policy = qualdsl.loads(BIGQUERY_MAPPED)
    columns = {**BIGQUERY_TYPES}
    connection = sf.connect()
    connection.execute("CREATE TABLE leads (" + ", ".join(f'"{n}" {t}' for n, t in columns.items()) + ")")
    connection.executemany(f"INSERT INTO leads VALUES ({', '.join('?' for _ in columns)})",
                           [[lead[name] for name in columns] for lead in BIGQUERY_LEADS])
    sql = compile_sql(policy.ir, columns, dialect="snowflake", as_of=AS_OF)
    assert "TRANSFORM(" in sql and "ARRAY_CONTAINS(CAST(TRUE AS VARIANT)" in sql
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF)).fetchall()
    assert sf.rows(connection, snowflake_tree(policy, columns)) == reference
    tagged = [rule["fired"] for row in reference for rule in row[-2] if rule["rule"] == "tagged"]
    assert True in tagged and False in tagged


@pytest.mark.parametrize(("stem", "construct"), [
    ("bant", "events (each is loaded with its position"),
    ("abm_outbound", "events (each is loaded with its position"),
    ("saas_inbound", "events (each is loaded with its position"),
    ("plg_signups", "`max K` over events"),
])
def test_bundled_policies_with_events_are_refused_by_name(stem, construct):
    policy = qualdsl.load(POLICIES / f"{stem}.qual")
    with pytest.raises(QualError) as refused:
        compile_sql(policy.ir, schema_columns(policy.ir), dialect="snowflake", as_of=AS_OF)
    message = str(refused.value)
    assert f"{stem}.qual:" in message and construct in message and "to snowflake SQL" in message


def test_a_float_python_would_show_stops_the_query():
    """A float Python shows in a warning (2.5 or 0.1 for an int field) is
    not one Snowflake can print as repr does: the query stops naming it."""
    policy = qualdsl.loads(_SIMPLE)
    values = (2.5, 0.1, None)
    connection = sf.connect()
    connection.execute("CREATE TABLE leads (n DOUBLE)")
    connection.executemany("INSERT INTO leads VALUES (?)", [[n] for n in values])
    shown = [row[-1] for row in sf.rows(connection, snowflake_tree(policy, {"n": "DOUBLE"}))]
    python = [policy.evaluate({"n": n}, as_of=AS_OF).warnings for n in values]
    assert [len(w) for w in shown] == [len(w) for w in python] == [1, 1, 0]
    for got, want in zip(shown[:2], python[:2]):
        assert got[0].startswith(f"n: expected int, got {sf.STOPPED}{STOP}") and want[0].endswith("treated as missing")


@pytest.mark.parametrize(("text", "columns", "construct"), [
    ("policy d\nschema {\n  n: int\n}\nlet big = n * n\nscore s {\n  rule r +1 when big > 1\n}\n", None,
     "integer arithmetic beyond 64 bits"),
    ("policy d\nschema {\n  t: list[number]\n}\nscore s {\n  rule r +1 when 1.5 in t\n}\n", None,
     "a test over a list's elements other than text"),
    ("policy d\nschema {\n  t: string\n}\nscore s {\n  rule r +1 when t matches /a|/\n}\n", None,
     "the regex /a|/ (an empty alternative)"),
    ("policy d\nschema {\n  t: string\n}\nscore s {\n  rule r +1 when t matches /[]x]/\n}\n", None,
     "`]` inside `[...]`"),
    ("policy d\nschema {\n  t: string\n}\nscore s {\n  rule r +1 when t matches /x{1,300}/\n}\n", None,
     "a repetition count over 255"),
    ("policy d\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n", {"n": "VARCHAR"},
     "text read as BIGINT"),
    (_SIMPLE, {"n": "JSON"}, "JSON-typed column"),
])
def test_refusals_name_the_construct_and_the_place(text, columns, construct):
    message = refusal(text, columns, as_of=AS_OF)
    assert re.match(r"odd\.qual:\d+:\d+: ", message), message
    assert construct in message and "cannot be compiled exactly to snowflake SQL" in message
    if columns is None:  # at the condition, not the policy's first line
        assert not message.startswith("odd.qual:1:1:"), message


def test_flat_output_is_refused():
    assert "`--flat`" in refusal(_SIMPLE, as_of=AS_OF, flat=True)


def test_per_event_rules_are_refused():
    text = "policy d\nschema {\n  events: events\n}\nscore s {\n  rule r +1 per event \"demo\"\n}\n"
    assert "events (each is loaded with its position" in refusal(text, as_of=AS_OF)


def test_decay_is_refused():
    text = ("policy d\nschema {\n  events: events\n}\nscore s {\n  decay half_life 10d\n"
            "  rule r +1 when count(events) >= 1\n}\n")
    assert "decay" in refusal(text, as_of=AS_OF)


def test_the_as_of_parameter_is_refused():
    message = refusal(_SIMPLE)
    assert "`$as_of` parameter" in message and "give --as-of" in message


@pytest.mark.parametrize(("kind", "construct"), [
    ("DECIMAL(18, 3)", "a column of type DECIMAL(18, 3)"), ("FLOAT", "a column of type REAL"),
])
def test_column_types_without_a_snowflake_twin_are_refused(kind, construct):
    text = "policy t\nschema {\n  n: number\n}\nscore s {\n  rule r +1 when n > 1\n}\n"
    policy = qualdsl.loads(text, path="odd.qual")
    with pytest.raises(QualError) as refused:
        compile_sql(policy.ir, {"n": kind}, dialect="snowflake", as_of=AS_OF)
    assert construct in str(refused.value) and "to snowflake SQL" in str(refused.value)
    assert compile_sql(policy.ir, {"n": "DOUBLE", "other": kind}, dialect="snowflake", as_of=AS_OF)


# ------------------------------------------------------------------ regexes
PATTERNS = [r"\b(chief|head of|vp)\b", r"(spreadsheet|manual|churn)", r"^a.c$", r"[^a-z\d]+x", r"\s\S\D",
            r"[a-c.-]{2,3}", r"(?:k|s)+?", r"\x41\t", r"[^\n]", r"^$", r"", r"a*b|c+", r"\Aab\z", r"[-^]x", r"[\d_]",
            r"\B.\b", r"ſ|K", r"é+", r"[(-+k]x"]
_ALPHABET = st.sampled_from(list("abcxkKsS AéÉ_-^.\n\t\r9\u212a\u017f"))


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("fold", [False, True], ids=["c", "i"])
@settings(max_examples=examples(200, quick=20), deadline=None)
@given(text=st.lists(_ALPHABET, max_size=8).map("".join))
def test_the_translation_finds_what_re2_finds(pattern, fold, text):
    """RE2 reads the translated ERE as POSIX does (the subset is written so
    that it means the same in both): a whole-subject match of it is RE2's
    search of the pattern, and its full match too."""
    check_translation(pattern, fold, text)


@pytest.mark.parametrize("fold", [False, True], ids=["c", "i"])
@settings(max_examples=examples(200, quick=20), deadline=None)
@given(text=st.lists(_ALPHABET, max_size=8).map("".join))
def test_the_translation_of_w(fold, text):
    # Under `i`, RE2 folds K and ſ into \w (and so out of \W).
    check_translation(r"a\Wb|\w\W|[\w.]", fold, text)


def check_translation(pattern: str, fold: bool, text: str) -> None:
    flags = "(?i)" if fold else ""
    want_search = re2.search(flags + pattern, text) is not None
    want_full = re2.fullmatch(flags + f"(?:{pattern})", text) is not None
    try:
        search, full = to_snowflake(pattern, fold=fold), to_snowflake(pattern, fold=fold, full=True)
    except Untranslatable as refused:  # RE2's folding of a non-ASCII letter is not written out
        assert fold and "non-ASCII" in refused.construct, refused.construct
        return
    assert (re2.fullmatch(search, text) is not None) == want_search, search
    assert (re2.fullmatch(full, text) is not None) == want_full, full


@pytest.mark.parametrize(("pattern", "construct"), [
    ("a||b", "an empty alternative"), ("()", "an empty alternative"), ("[]a]", "`]` inside"), ("[\\\\]", "`\\` inside"),
    ("[[:alpha:]]", "a POSIX class"), ("(?i)a", "a group flag"), ("\\pL", "the escape `\\p`"), ("a{1,256}", "over 255"),
    ("\\x00", "a NUL character"), ("[]]", "`]` inside"),
])
def test_untranslatable_regexes_are_named(pattern, construct):
    with pytest.raises(Untranslatable) as refused:
        to_snowflake(pattern)
    assert construct in refused.value.construct


def test_the_translation_has_no_backslash_in_a_class_and_no_lazy_quantifier():
    translated = to_snowflake(r"[\d\s.\-]+?x*?")
    assert "\\" not in translated and "?" not in translated and translated.count("-") == 2


# ------------------------------------------------------------------ generated leads
_TEXT = st.one_of(messy_names, st.sampled_from(["Senior VP", "senior engineer\n", "Chief Officer", "a@acme.com",
                                                "x@ÉCOLE.fr", "@", "a@@"]))


@st.composite
def typed_leads(draw):
    return {
        "id": draw(st.text(max_size=4)), "title": draw(_TEXT), "email": draw(_TEXT),
        "employees": draw(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(-600, 600))),
        "revenue": draw(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                                  st.integers(-600, 600).map(float))),
        "founded": draw(st.one_of(st.none(), st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1)))),
        "company": draw(st.one_of(st.none(), st.fixed_dictionaries({
            "name": _TEXT, "size": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))}))),
    }


@settings(max_examples=examples(15, quick=3), deadline=None)  # each example plans two large queries
@given(st.lists(typed_leads(), min_size=1, max_size=40))
def test_generated_typed_leads_decide_as_duckdb(rows):
    policy = qualdsl.loads(MAPPED)
    connection = typed_table(rows)
    reference = connection.execute(compile_sql(policy.ir, TYPES, as_of=AS_OF)).fetchall()
    assert repr(sf.rows(connection, snowflake_tree(policy, TYPES))) == repr(reference)  # floats to the bit


def test_the_cli_prints_snowflake_sql_or_refuses_with_a_located_error():
    from click.testing import CliRunner

    from qualdsl.backends.sql.cli import compile_command

    ok = CliRunner().invoke(compile_command, [str(POLICIES / "xeducation.qual"), "--target", "sql", "--dialect",
                                              "snowflake", "--as-of", "2026-11-01"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("-- qualdsl: snowflake SQL checked by sqlglot round-trip only")
    assert deep(lambda: sqlglot.parse_one(ok.output, read="snowflake")).find(exp.Select) is not None
    refused = CliRunner().invoke(compile_command, [str(POLICIES / "bant.qual"), "--target", "sql", "--dialect",
                                                   "snowflake", "--as-of", "2026-11-01"])
    assert refused.exit_code == 1
    assert re.search(r"bant\.qual:\d+:\d+: .*events.*cannot be compiled exactly to snowflake SQL", refused.output)
    assert "Traceback" not in refused.output


@settings(max_examples=examples(15, quick=3), deadline=None)  # each example plans two large queries
@given(st.lists(bigquery_typed_leads(), min_size=1, max_size=40))
def test_generated_leads_with_lists_of_text_decide_as_duckdb(rows):
    """BigQuery's generated typed leads (lists of text with NULLs, any text) on
    the Snowflake tree of BigQuery's policy of every mapping."""
    policy = qualdsl.loads(BIGQUERY_MAPPED)
    connection = sf.connect()
    connection.execute("CREATE TABLE leads (" + ", ".join(f'"{n}" {t}' for n, t in BIGQUERY_TYPES.items()) + ")")
    connection.executemany(f"INSERT INTO leads VALUES ({', '.join('?' for _ in BIGQUERY_TYPES)})", rows)
    reference = connection.execute(compile_sql(policy.ir, BIGQUERY_TYPES, as_of=AS_OF)).fetchall()
    assert repr(sf.rows(connection, snowflake_tree(policy, BIGQUERY_TYPES))) == repr(reference)
