"""The built-in function table, the generic walker, and CheckedPolicy.conditions()."""

from __future__ import annotations

import attrs
import pytest

import qualdsl
from qualdsl import keywords
from qualdsl import nodes as n
from qualdsl.check import EVENT, LEAD, ROUTE, TIERS, _names_in, expression_nodes
from qualdsl.errors import CheckError
from qualdsl.functions import FUNCTIONS, unimplemented
from qualdsl.highlight import QualdslLexer
from qualdsl.visitor import Visitor, children, map_children, walk

from qd_helpers import T


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_functions_example_compiles(name):
    policy = qualdsl.loads(f"policy p\nlet uses = {FUNCTIONS[name].example}\n")
    assert policy.checked.let_types["uses"] == "bool"


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_function_is_known_to_keywords_and_the_lexer(name):
    assert name in keywords.FUNCTIONS
    tokens = list(QualdslLexer().get_tokens(f"policy p\nlet x = {name}(y) > 1\n"))
    assert any(value == name and "Builtin" in str(kind) for kind, value in tokens)


def test_a_wrong_argument_count_follows_the_table():
    with pytest.raises(CheckError) as error:
        qualdsl.loads("policy p\nlet x = lower(a, b) == \"x\"\n")
    (d,) = error.value.diagnostics
    assert d.code == "QE130" and "exactly one argument" in d.message


def test_reads_time_marks_exactly_the_time_dependent_functions():
    assert {f.name for f in FUNCTIONS.values() if f.reads_time} == {"days_since", "count"}


def test_unimplemented_lists_missing_builtins_once_sorted():
    assert unimplemented(["len", "count", "len", "domain", "nope"], {"len"}) == ["count", "domain"]
    assert unimplemented([], set()) == []


def test_signature_reads_like_the_docs():
    assert FUNCTIONS["len"].signature() == "len(string | list) -> int"


# ------------------------------------------------------------------ walker

EXPR = qualdsl.loads(
    'policy p\nlet x = a > 1 and (b or count(events where c == "d") > 2)\n'
).checked.lets["x"].value


def test_walk_is_preorder_and_reaches_every_node():
    kinds = [type(node).__name__ for node in walk(EXPR)]
    assert kinds[0] == "And"
    assert kinds.index("Compare") < kinds.index("Name")
    names = [node.dotted for node in walk(EXPR) if isinstance(node, n.Name)]
    assert names == ["a", "b", "c"]  # field order, left to right


def test_children_skip_data_and_spans():
    compare = EXPR.operands[0]
    assert [type(c).__name__ for c in children(compare)] == ["Name", "Literal"]
    assert list(children(n.Literal(1))) == []


def test_walk_does_not_recurse_on_a_deep_tree():
    node: object = n.Name(("x",), (False,))
    for _ in range(5000):
        node = n.Not(node)  # type: ignore[arg-type]
    assert sum(1 for _ in walk(node)) == 5001


def test_expression_nodes_switch_to_the_event_context_inside_where():
    contexts = {node.dotted: ctx for node, ctx in expression_nodes(EXPR, LEAD) if isinstance(node, n.Name)}
    assert contexts == {"a": LEAD, "b": LEAD, "c": EVENT}


def test_names_in_keeps_only_bare_words_inside_where():
    expr = qualdsl.loads(
        'policy p\nlet x = count(events where c == "d" and e.f == 1) > 2\n'
    ).checked.lets["x"].value
    assert [name.dotted for name in _names_in(expr)] == ["c"]


def test_visitor_dispatches_by_class_and_falls_back_to_children():
    class Counter(Visitor):
        def __init__(self) -> None:
            self.names: list[str] = []
            self.literals = 0

        def visit_Name(self, node: n.Name) -> None:
            self.names.append(node.dotted)

        def visit_Literal(self, node: n.Literal) -> None:
            self.literals += 1

    counter = Counter()
    counter.visit(EXPR)
    assert counter.names == ["a", "b", "c"] and counter.literals == 3


def test_map_children_rebuilds_only_what_changed():
    def rename(node: object) -> object:
        if isinstance(node, n.Name) and node.dotted == "a":
            return attrs.evolve(node, path=("z",))
        return map_children(node, rename)

    changed = rename(EXPR)
    assert [x.dotted for x in walk(changed) if isinstance(x, n.Name)] == ["z", "b", "c"]
    assert changed.operands[1] is EXPR.operands[1]  # untouched subtree kept as is
    assert map_children(EXPR, lambda child: child) is EXPR


# --------------------------------------------------------------- conditions

SITES = """policy p
icp {
  require a > 1 else "r1"
  reject b as "r2"
}
score s {
  rule w +1 when c
  rule e +1 per event "x" where d == 1
  rule f +1 per event "y"
}
tiers {
  tier A when score > 1
  tier B otherwise
}
route {
  to "q" when tier == A
  to "z" otherwise
}
"""


def test_conditions_lists_every_site_in_evaluation_order():
    sites = list(qualdsl.loads(SITES).checked.conditions())
    assert [(s.kind, s.context, s.block) for s in sites] == [
        ("require", LEAD, None), ("reject", LEAD, None), ("rule", LEAD, "s"), ("where", EVENT, "s"),
        ("tier", TIERS, None), ("route", ROUTE, None),
    ]
    assert sites[0].owner.reason == "r1" and sites[3].owner.name == "e"
    assert all(s.expr is getattr(s.owner, "condition", None) or s.expr is s.owner.where for s in sites)


def test_lookup_tables_resolve_like_the_declarations():
    checked = qualdsl.loads(SITES + 'set big = [1, 2]\n').checked
    assert checked.resolve(n.Name(("a",), (False,)), TIERS).kind == "tier"
    assert checked.resolve(n.Name(("s",), (False,)), TIERS).kind == "outcome"
    assert checked.resolve(n.Name(("big",), (False,)), LEAD).type == "list[number]"
    assert checked.resolve(n.Name(("disqualified",), (False,)), ROUTE).name == "disqualified"
    assert qualdsl.loads(SITES).evaluate({"a": 2, "c": True}, as_of=T).tier == "B"
