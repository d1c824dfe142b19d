"""casefold() in DuckDB equals Python's str.casefold on every code point and on
mixed text; the shipped table is what the generator builds today."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql import casefold as cf

TROUBLE = "".join(
    [c for c, _ in cf.table()["before"]] + list(cf.table()["translate"][0]) + [c for c, _ in cf.table()["replace"]]
)


def test_every_code_point_and_the_table_is_current(engine):
    chars = cf.code_points()
    chars_table = pa.table({"v": chars, "want": [c.casefold() for c in chars]})  # noqa: F841 (read by name)
    folded = cf.casefold(b.column("v")).sql(b.DIALECT)
    wrong = engine.connection.execute(
        f"SELECT v, {folded} FROM chars_table WHERE {folded} IS DISTINCT FROM want"
    ).fetchall()
    assert wrong == []
    assert len(chars) == 0x110000 - 0x800
    # The shipped table is what the generator builds from this DuckDB.
    lowered = [row[0] for row in engine.connection.execute("SELECT lower(v) FROM chars_table").fetchall()]
    lower_of = dict(zip(chars, lowered))
    built = cf.build_table(lambda texts: ["".join(lower_of[c] for c in text) for text in texts])
    assert cf.as_json(built) == cf.table(), "run python -m qualdsl.backends.sql.casefold"


def test_known_pairs(engine):
    for text, folded in [("Straße", "strasse"), ("ẞ", "ss"), ("İstanbul", "i̇stanbul"), ("ΣΑΣ", "σασ"),
                         ("ꭰ", "Ꭰ"), ("ﬃ", "ffi"), ("MAẞE", "masse"), ("ASCII Only", "ascii only")]:
        assert engine.scalar(cf.casefold(b.string(text))) == folded == text.casefold()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(TROUBLE)), max_size=12),
                min_size=1, max_size=80))
def test_mixed_text(engine, values):
    for folded, value in engine.rows(cf.casefold(b.column("v")), values, "VARCHAR"):
        assert folded == value.casefold(), value
