"""The SQL backend: policies as one SELECT, built as sqlglot expressions.

Phase A (this package today) holds the exact primitives the compiled SELECT is
made of, each proven against the runtime.py function it mirrors:

- `builders`  small constructors over sqlglot's expression nodes
- `show`      a value's JSON text exactly as `runtime.show` prints it (warnings)
- `coerce`    a column of any SQL type coerced to a schema type (`runtime.COERCE`)
- `casefold`  Python's `str.casefold` in DuckDB (lower() plus a generated table)
- `logic`     the contract's two-valued comparisons, arithmetic and string tests
- `events`    the events window, `max K`, `within`, decay and expiry
- `errors`    `SqlRefused`: a construct a dialect cannot run exactly

Time values (date and datetime) are BIGINT microseconds since the epoch, UTC:
comparisons, ages and the floors of decay are then exact integer arithmetic.
"""
