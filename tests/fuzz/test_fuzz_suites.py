"""Hostile test suites: `qualdsl test` loads, runs and reports (text, JSON,
JUnit) any suite text, and never raises. Values come from YAML's own pieces,
explicit tags on text that does not fit them (`!!timestamp 99999-01-01` exited
3 before session 4), sexagesimal and huge numbers, anchors and aliases, deep
nesting and odd characters."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fuzz_budget import fuzz_settings, no_hang
from hypothesis import given
from hypothesis import strategies as st

from qualdsl.testing import load_suite, run_suites
from qualdsl.testing.report import render_json, render_junit, render_text

pytestmark = pytest.mark.fuzz

POLICY = Path(__file__).resolve().parents[2] / "policies" / "saas_inbound.qual"

TAGS = st.sampled_from(["", "!!str ", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!null ", "!!binary ",
                        "!!set ", "!!omap ", "!!pairs ", "!!seq ", "!!map ", "!!python/object:os.system ", "!x "])
SCALARS = st.one_of(
    st.sampled_from(["", '""', "-", "+", "0x", "0b", "0o9", "1_000", "1:59:59", "190:20:30.15", ".inf", "-.nan",
                     "99999-01-01", "2026-13-45", "0000-01-01", "2001-12-14t21:59:43.10+99:00", "maybe", "on",
                     "NO", "~", "'it''s'", '"\\ud800"', '"\\x1b[2J"', '"\\u2028"', "\u00e9", "@x", "`x"]),
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: "1" + ":59" * n),
    st.text(max_size=12).map(json.dumps),
)
VALUES = st.recursive(
    st.tuples(TAGS, SCALARS).map("".join),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "id", "tier", "total", "<<"]), inner), max_size=4)
        .map(lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
        st.tuples(TAGS, inner).map("".join),
        st.integers(min_value=1, max_value=400).map(lambda n: "[" * n + "]" * n),
    ),
    max_leaves=12,
)


def suite_text(lead: str, expect: str, as_of: str, name: str, anchors: str) -> str:
    return (f"policy: policy.qual\nas_of: {as_of}\nanchors: {anchors}\ncases:\n"
            f"  - name: {name}\n    lead: {lead}\n    expect: {expect}\n"
            "  - name: a good case\n    lead: {id: G}\n    expect: {icp: fail}\n")


@fuzz_settings(weight=0.5)
@given(lead=VALUES, expect=VALUES, as_of=st.one_of(SCALARS, VALUES), name=st.one_of(SCALARS, VALUES),
       anchors=st.sampled_from(["&a [1, 2]", "&a {id: X}", "&a [*a]", "~"]))
def test_hostile_suites_are_reported_never_raised(tmp_path_factory: pytest.TempPathFactory, lead: str,
                                                   expect: str, as_of: str, name: str, anchors: str) -> None:
    folder = tmp_path_factory.mktemp("suite")
    shutil.copy(POLICY, folder / "policy.qual")
    path = folder / "hostile.test.yaml"
    path.write_text(suite_text(lead, expect, as_of, name, anchors), encoding="utf-8", errors="surrogatepass")
    with no_hang():
        run = run_suites([load_suite(str(path))])
        assert render_text(run)
        json.loads(render_json(run))
        for family in ("xunit2", "xunit1"):
            ET.fromstring(render_junit(run, family))
