"""The postgres dialect against a real PostgreSQL server (tests/sql/postgres_server.py;
skipped without one): the bundled policies over their leads give exactly
Policy.evaluate's decisions; translated regexes find what RE2 finds;
refusals are named. Generated messy leads: test_postgres_messy.py."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

import qualdsl
from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.errors import SqlRefused
from qualdsl.backends.sql.postgres import to_are

from .helpers import AS_OF, connect, python_view, same_bits

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BUNDLED = sorted(p for p in POLICIES.glob("*.qual") if p.with_suffix(".leads.jsonl").exists())
T = exp.DataType.Type
_SCALARS = {T.VARCHAR: "text", T.TEXT: "text", T.BIGINT: "bigint", T.DOUBLE: "double precision",
            T.BOOLEAN: "boolean", T.DATE: "date", T.TIMESTAMP: "timestamp", T.TIMESTAMPNTZ: "timestamp",
            T.TIMESTAMPTZ: "timestamptz"}


class Relation:
    """A DuckDB table's rows and types copied into PostgreSQL: STRUCT columns
    as composite types, LISTs as arrays (the shape the dialect expects)."""

    def __init__(self, pg: Any, duck: Any, table: str = "leads"):
        self.columns = {name: kind for name, kind, *_ in duck.execute(f'DESCRIBE "{table}"').fetchall()}
        self.types = {name: b.sql_type(kind) for name, kind in self.columns.items()}
        cursor = duck.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        self.leads = [{n: python_view(v, self.types[n]) for n, v in zip(names, row)} for row in cursor.fetchall()]
        self.counter = 0
        pg.execute("DROP SCHEMA IF EXISTS t CASCADE")
        pg.execute("CREATE SCHEMA t")
        definitions = ", ".join(f'"{n}" {self.pg_type(pg, self.types[n])}' for n in names)
        pg.execute(f"CREATE TABLE t.leads ({definitions})")
        rows = json.dumps([{n: _jsonable(v) for n, v in lead.items()} for lead in self.leads])
        pg.execute("INSERT INTO t.leads SELECT * FROM jsonb_populate_recordset(NULL::t.leads, %s::jsonb)", [rows])

    def pg_type(self, pg: Any, sql_type: exp.DataType) -> str:
        kind = sql_type.this
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind in (T.ARRAY, T.LIST):
            return self.pg_type(pg, sql_type.expressions[0]) + "[]"
        assert kind == T.STRUCT, sql_type
        self.counter += 1
        name = f"t.s{self.counter}"
        members = ", ".join(f'"{c.this.name}" {self.pg_type(pg, c.args["kind"])}' for c in sql_type.expressions)
        pg.execute(f"CREATE TYPE {name} AS ({members})")
        return name


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and (not math.isfinite(value) or (value == 0 and math.copysign(1, value) < 0)):
        # JSON has no NaN, and jsonb's numeric no -0: float8's own text.
        return "NaN" if math.isnan(value) else repr(value).replace("inf", "Infinity")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _decision(row: dict[str, Any]) -> dict[str, Any]:
    """A PostgreSQL row as the decision JSON (jsonb numbers as floats)."""
    row["scores"] = {k: float(v) for k, v in row["scores"].items()}
    row["rules"] = [{**rule, "points": float(rule["points"])} for rule in row["rules"]]
    return row


def decisions_both(pg: Any, policy: Any, relation: Relation, parameter: bool = False) -> tuple[list[Any], list[Any]]:
    sql = compile_sql(policy.ir, relation.columns, dialect="postgres", table="t.leads",
                      as_of=None if parameter else AS_OF)
    if parameter:
        pg.execute("SELECT set_config('qualdsl.as_of', %s, false)", [AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")])
    cursor = pg.execute(sql)
    names = [d.name for d in cursor.description]
    got = [_decision(dict(zip(names, row))) for row in cursor.fetchall()]
    want = [policy.evaluate(lead, as_of=AS_OF).to_dict() for lead in relation.leads]
    return got, want


def _bundled_leads(path: Path) -> Any:
    duck = connect()
    duck.execute(f"CREATE TABLE raw AS SELECT * FROM read_json_auto('{path.with_suffix('.leads.jsonl')}')")
    # The postgres dialect refuses JSON-typed columns (values of mixed kinds): as text here.
    columns = [f'CAST("{n}" AS {k.replace("JSON", "VARCHAR")}) AS "{n}"'
               for n, k, *_ in duck.execute("DESCRIBE raw").fetchall()]
    duck.execute(f"CREATE TABLE leads AS SELECT {', '.join(columns)} FROM raw")
    return duck


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_policies_on_their_leads(pg, path):
    policy = qualdsl.load(path)
    duck = _bundled_leads(path)
    got, want = decisions_both(pg, policy, Relation(pg, duck))
    assert len(got) == len(want) > 0
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)


def test_as_of_from_the_session_setting(pg):
    path = POLICIES / "saas_inbound.qual"
    policy = qualdsl.load(path)
    got, want = decisions_both(pg, policy, Relation(pg, _bundled_leads(path)), parameter=True)
    assert [g["as_of"] for g in got] == ["2026-11-01T00:00:00Z"] * len(got)
    assert all(same_bits(g, w) for g, w in zip(got, want))


@pytest.mark.parametrize(("pattern", "flags", "construct"), [
    ("(?i)x", "c", "a group flag or named group"),
    (r"\p{L}", "c", "the escape `\\p`"),
    ("é", "i", "a non-ASCII cased character under the `i` flag"),
    ("a{256}", "c", "a repetition count over 255"),
    ("a[\\x00]", "c", "a class of nothing PostgreSQL text can hold"),
])
def test_regexes_outside_the_exact_subset_are_refused_by_name(pattern, flags, construct):
    suffix = "i" if flags == "i" else ""
    source = (f'policy p "p"\nschema {{\n  id: string\n  name: string\n}}\n'
              f'score s {{\n  rule r +1 when name matches /{pattern}/{suffix}\n}}\n')
    policy = qualdsl.loads(source)
    with pytest.raises(SqlRefused) as error:
        compile_sql(policy.ir, {"id": "VARCHAR", "name": "VARCHAR"}, dialect="postgres")
    assert construct in str(error.value) and "postgres" in str(error.value)


def test_a_refused_regex_is_located_at_its_condition():
    source = ('policy p "p"\nschema {\n  id: string\n  name: string\n}\n'
              'score s {\n  rule r +1 when name matches /a{256}/\n}\n')
    policy = qualdsl.loads(source, path="p.qual")
    with pytest.raises(SqlRefused) as error:
        compile_sql(policy.ir, {"id": "VARCHAR", "name": "VARCHAR"}, dialect="postgres")
    assert str(error.value).startswith("p.qual:7:"), str(error.value)


@pytest.mark.parametrize(("pattern", "ignore_case", "texts"), [
    (r"\b(vp|chief)\b", True, ["VP Sales", "a chief", "vpn", "chiefly", "Vice", "\u212a"]),
    (r"^a.c$", False, ["abc", "a\nc", "abcd", "ac"]),
    (r"k\d+s", True, ["K12S", "\u212a1\u017f", "k1x", "ks"]),
    (r"[\x00-\x1f\"\\]", False, ["plain", "tab\t", 'q"', "back\\slash", "é"]),
    (r"\s\w\W", False, ["a b!", "\u00a0b!", "\u000bb!", " _."]),
    # Under `i`, RE2 folds K and ſ into \w (and out of \W), and a letter
    # written by its code or in a range folds as the letter does.
    (r"\w\W|^[\w]$", True, ["\u017f!", "\u212a.", "s ", "\u017f\u017f", "a_", "!", "\u017f"]),
    (r"[a-z]x|\x41", True, ["\u017fX", "\u212ax", "Ax", "a", "\u00e9x"]),
    (r"[\x00-a]b", False, ["ab", "\u0001b", "Bb", "bb"]),
])
def test_translated_regexes_find_what_re2_finds(pg, pattern, ignore_case, texts):
    import re2  # type: ignore[import-not-found]

    options = re2.Options()
    options.case_sensitive = not ignore_case
    compiled = re2.compile(pattern, options)
    are = to_are(pattern, ignore_case=ignore_case)
    for text in texts:
        found = pg.execute('SELECT (%s::text COLLATE "C") ~ %s', [text, are]).fetchone()[0]
        assert found == (compiled.search(text) is not None), (pattern, text)
