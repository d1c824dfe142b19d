"""`matches` in DuckDB is the RE2 search regex.compile_regex runs in Python."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql import logic
from qualdsl.regex import compile_regex

from budget import examples

PATTERNS = [r"a.b", r"^b", r"a$", r"\d+", r"\w", r"\bcto\b", r"(?i)straße", r"é|ß", r"[[:alpha:]]+$", r"^$",
            r"vp|director", r"\s", r"[^a-z]", r"k", r"\.com$", r"x*", r"\pL"]
texts = st.text(alphabet=st.sampled_from("ab\nxé ßSKk\u212a1.comCTOvpdirector_\t"), max_size=10)


@pytest.mark.parametrize("ignore_case", [False, True])
@settings(max_examples=examples(15, quick=4), deadline=None)
@given(values=st.lists(st.one_of(st.none(), texts), min_size=1, max_size=80))
def test_matches_is_re2_search(engine, ignore_case, values):
    value = logic.Value(b.column("v"), "string")
    expressions = [logic.matches(value, p, ignore_case) for p in PATTERNS]
    rows = engine.select(expressions, {"v": ("VARCHAR", values)})
    for text, got in zip(values, rows):
        want = [text is not None and compile_regex(p, ignore_case).search(text) is not None for p in PATTERNS]
        assert list(got) == want, text


def test_non_strings_never_match(engine):
    assert engine.scalar(logic.matches(logic.literal(5), r"5", False)) is False


def test_a_letter_written_by_its_code_folds_under_i_for_java_and_snowflake():
    """RE2's `(?i)\\x41` finds `a`: the translators fold it as the letter
    (Java's once wrote `\\x{41}` alone, which finds only `A`)."""
    import re2

    from qualdsl.backends.sql.regex_dialects import to_java, to_snowflake

    assert re2.search("(?i)\\x41", "a") is not None
    assert to_java("\\x41", fold=True) == "[aA]"
    assert re2.fullmatch(to_snowflake("\\x41", fold=True), "a") is not None
