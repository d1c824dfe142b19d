"""The condition reasoner and the score ranges. Its answers are proofs, so
they are checked against the real evaluator: whenever it says "never" (or
"implies"), no lead contradicts it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl import nodes as n
from qualdsl.check import LEAD, ROUTE, TIERS
from qualdsl.lint.conditions import Reasoner
from qualdsl.lint.scores import outcome_ranges

from budget import examples

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def policy_with(*conditions: str, extra: str = ""):
    rules = "\n".join(f"  rule r{i} +1 when {c}" for i, c in enumerate(conditions))
    return qualdsl.loads(f"policy t\n{extra}\nscore s {{\n{rules}\n}}\n")


def conditions_of(policy) -> list[n.Expr]:
    return [rule.condition for rule in policy.checked.blocks[0].rules]


def test_contradictions_and_tautologies() -> None:
    policy = policy_with(
        "x > 5 and x < 3", "x == \"a\" and x == \"B\"", "x == \"a\" and x != \"A\"",
        "x is missing and x >= 1", "x in [1, 2] and x not in [1, 2]",
        "x between 1 and 5 and x > 5", "x > 5 and x < 6", "x != 1",
    )
    reasoner = Reasoner(policy.checked, LEAD)
    verdicts = [reasoner.never(c) for c in conditions_of(policy)]
    assert verdicts == [True, True, True, True, True, True, False, False]


def test_missing_data_makes_not_different_from_not_equal() -> None:
    policy = policy_with("x != 1 or x == 1", "not (x == 1) or x == 1", "x is missing or x is present")
    reasoner = Reasoner(policy.checked, LEAD)
    assert [reasoner.always(c) for c in conditions_of(policy)] == [False, True, True]


def test_lets_are_expanded() -> None:
    policy = policy_with("big and x < 10", extra="let big = x >= 1000")
    assert Reasoner(policy.checked, LEAD).never(conditions_of(policy)[0])


def test_tier_names_and_score_ranges() -> None:
    policy = qualdsl.loads(
        "policy t\nscore fit max 30 {\n  rule a +20 when x > 1\n  rule b +20 when y > 1\n  rule c -5 when z > 1\n}\n"
        "score eng {\n  rule e +2 per event \"click\" max 5\n}\n"
        "tiers {\n  tier A when fit >= 20\n  tier B when score >= 5\n  tier C otherwise\n}\n"
        "route {\n  to \"a\" when tier == A\n  to \"b\" when tier == a and x > 1\n  to \"c\" otherwise\n}\n"
    )
    ranges = outcome_ranges(policy.checked)
    assert (ranges["fit"].low, ranges["fit"].high) == (-5, 30)
    assert (ranges["eng"].low, ranges["eng"].high) == (0, 10)
    assert (ranges["score"].low, ranges["score"].high) == (-5, 40)
    routes = [r.condition for r in policy.checked.routes.routes]
    assert Reasoner(policy.checked, ROUTE).implies(routes[1], [routes[0]])  # tier names ignore case
    tiers = [t.condition for t in policy.checked.tiers.tiers]
    assert not Reasoner(policy.checked, TIERS).implies(tiers[1], [tiers[0]])


OPS = ["==", "!=", "<", "<=", ">", ">="]
atom = st.one_of(
    st.tuples(st.sampled_from(OPS), st.integers(0, 6)).map(lambda t: f"x {t[0]} {t[1]}"),
    st.tuples(st.integers(0, 6), st.integers(0, 6)).map(lambda t: f"x between {min(t)} and {max(t)}"),
    st.lists(st.integers(0, 6), min_size=1, max_size=3).map(lambda v: f"x in {v}"),
    st.lists(st.integers(0, 6), min_size=1, max_size=3).map(lambda v: f"x not in {v}"),
    st.sampled_from(["x is missing", "x is present"]),
)
condition = st.recursive(
    atom,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]} and {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} or {t[1]})"),
        inner.map(lambda c: f"not ({c})"),
    ),
    max_leaves=4,
)
# Every value that matters for thresholds 0..6, halves included, and missing.
LEADS = [{}] + [{"x": v / 2} for v in range(-2, 15)]


def fired(policy, lead) -> list[bool]:
    decision = policy.evaluate(lead, as_of=AS_OF)
    return [r.fired for r in decision.rules]


@settings(max_examples=examples(150), deadline=None)
@given(condition, condition)
def test_never_always_and_implies_agree_with_the_evaluator(a: str, b: str) -> None:
    policy = policy_with(a, b)
    reasoner = Reasoner(policy.checked, LEAD)
    first, second = conditions_of(policy)
    outcomes = [fired(policy, lead) for lead in LEADS]
    if reasoner.never(first):
        assert not any(o[0] for o in outcomes)
    if reasoner.always(first):
        assert all(o[0] for o in outcomes)
    if reasoner.implies(first, [second]):
        assert all(o[1] for o in outcomes if o[0])


# ------------------------------------------------- sizes (issue 13, "Amplification and slowness")


def _many_rules(conditions: list[str]) -> str:
    rules = "\n".join(f"  rule r{i} +1 when {c}" for i, c in enumerate(conditions))
    return f"policy p\nschema {{ size: int\n country: string }}\nscore fit {{\n{rules}\n}}\n"


def test_slowness_qd113_compares_a_rule_only_with_rules_of_its_key(monkeypatch) -> None:
    from qualdsl.lint.conditions import Reasoner
    from qualdsl.lint.config import LintConfig
    from qualdsl.lint.engine import lint_policy

    calls = []
    original = Reasoner.equivalent
    monkeypatch.setattr(Reasoner, "equivalent", lambda self, a, b: calls.append(1) or original(self, a, b))
    conditions = [f"size >= {i}" if i % 2 else f'country == "C{i}"' for i in range(300)]
    conditions += ["size >= 7"]  # written like r7
    conditions += ["size between 3 and 9", "size >= 3 and size <= 9"]  # equivalent, written apart
    policy = qualdsl.loads(_many_rules(conditions))
    found = [d for d in lint_policy(policy.checked, LintConfig()) if d.code == "QD113"]
    assert [d.message.split(":")[0] for d in found] == [
        "rule `r300` scores the same condition as rule `r7` (line 12) in block `fit`",
        "rule `r302` scores the same condition as rule `r301` (line 306) in block `fit`",
    ]
    # 303 rules: all pairs would be ~46,000 proofs; keyed, only rules with the same constants meet.
    assert len(calls) <= 3


@pytest.mark.parametrize(("first", "second"), [
    ('country in ["a", "b"]', 'country in ["B", "a"]'),  # another order, another case
    ("size < 5", "size < 5 or size < 3"),  # an absorbed alternative
    ("size >= 1 and size <= 5", "size <= 5 and size between 1 and 9"),  # a redundant bound
])
def test_qd113_keys_keep_equivalences(first: str, second: str) -> None:
    from qualdsl.lint.config import LintConfig
    from qualdsl.lint.engine import lint_policy

    policy = qualdsl.loads(_many_rules([first, second]))
    assert [d.code for d in lint_policy(policy.checked, LintConfig()) if d.code == "QD113"] == ["QD113"]


def test_slowness_an_800_let_chain_lints(tmp_path) -> None:
    from qualdsl.lint.config import LintConfig
    from qualdsl.lint.engine import lint_policy

    lets = ["let l0 = size > 0"] + [f"let l{i} = l{i - 1} and size > {i}" for i in range(1, 800)]
    text = ("policy p\nschema { size: int }\n" + "\n".join(lets)
            + "\nscore fit {\n  rule deep +1 when l799\n  rule again +1 when l799\n}\n")
    policy = qualdsl.loads(text)
    # It ran out of stack expanding the lets (exit 3) after minutes of walking the chain per condition.
    found = lint_policy(policy.checked, LintConfig())
    assert [d.message.split(":")[0] for d in found if d.code == "QD113"] == [
        "rule `again` scores the same condition as rule `deep` (line 804) in block `fit`"]
