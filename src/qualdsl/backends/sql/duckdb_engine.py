"""The duckdb engine of `qualdsl score`: DuckDB reads the inputs natively
(CSV as text, JSONL, Parquet), runs the compiled SELECT, and writes the
outputs (Parquet and CSV by DuckDB itself, JSONL as batch writes it).

Inputs reach DuckDB through its Python API (paths are never SQL text):
- CSV: every cell VARCHAR (`all_varchar`), an empty cell NULL, as the python
  engine reads a CSV (strings, coerced by the schema);
- JSONL: DuckDB's inferred types (STRUCT for objects, LIST for arrays);
- Parquet: its own types.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ...asof import AsOf
from ...batch.inputs import InputError, Row, RowError
from ...batch.outputs import flat_columns
from ...decision import Decision, RuleResult
from .coerce import PYTHON_DIGITS
from .compile import compile_sql
from .errors import SqlRefused, handed_over, has_lone_surrogate, held_back, lone_surrogate_in, lone_surrogate_text
from .moments import sql_moment, with_moment_errors

if TYPE_CHECKING:
    from ...batch.engines import Chunk

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


_NULL_TYPE = re.compile(r"\bNULL\b")


class InputProblem(InputError, ValueError):
    """An input the engine cannot read (the message names it)."""


def input_format(paths: Sequence[str], given: str | None = None) -> str:
    if given:
        return given
    kinds = {FORMATS.get(os.path.splitext(p)[1].lower()) for p in paths}
    if len(kinds) != 1 or None in kinds:
        raise InputProblem(f"cannot tell the input format of {', '.join(paths)}: name them *.csv, *.jsonl or *.parquet")
    kind = kinds.pop()
    assert kind is not None
    return kind


def connect() -> Any:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")  # nothing here may depend on the machine
    # DuckDB prints its own progress bar to stdout when it guesses it runs
    # interactively (`python -c`, a notebook), which would corrupt JSONL on
    # stdout; qualdsl draws its own (_execute).
    connection.execute("SET enable_progress_bar_print = false")
    return connection


def load_leads(connection: Any, paths: Sequence[str], format: str | None = None,
               guessed_times: bool = False, json_cells: Callable[[str], bool] | None = None,
               json_names: Sequence[str] | None = None) -> dict[str, str]:
    """Create the view `leads` over the inputs; returns its column types.
    `guessed_times`: keep the DATE/TIMESTAMP types read_json guesses for
    JSONL text (as a user's own read_json relation has them: `--like`).
    `json_cells`: which CSV columns (by field) hold JSON text, read as the
    python reader reads them (batch.inputs.cell_value). `json_names`: read
    JSONL as these top-level keys, each a JSON column (what json.loads gives
    for it, as DuckDBEvaluator passes a lead), instead of inferred types."""
    import duckdb

    for path in paths:
        # DuckDB reads files itself: a FIFO would block it and a device would
        # read as an endless or empty file. Only regular files, as elsewhere.
        if path == "-":
            raise InputProblem("-: the duckdb engine reads regular files only, not stdin "
                               "(use the python engine for pipes)")
        try:
            mode = os.stat(path).st_mode
        except OSError as error:
            raise InputProblem(f"{path}: {error.strerror}") from None
        if not stat.S_ISREG(mode):
            raise InputProblem(f"{path}: not a regular file; the duckdb engine reads regular files only "
                               "(use the python engine for pipes)")
    kind = input_format(paths, format)
    files = list(paths)
    if kind != "parquet":
        for path in files:
            _scan_text(path, format)
    try:
        if kind == "csv":
            for path in files:
                _check_csv_header(path)
            # The python reader's dialect, not DuckDB's guesses (the sniffer once
            # read a row with a cell too many as one column named `id,company...`):
            # commas, double quotes, no comment lines, no skipped rows, and a row
            # with the wrong number of cells is an error, not padded.
            relation = connection.read_csv(files, all_varchar=True, header=True, sep=",", quotechar='"',
                                           escapechar='"', comment="", skiprows=0, strict_mode=True,
                                           null_padding=False)
            if json_cells is not None:
                relation = _json_cells(relation, json_cells, paths)
        elif kind == "jsonl" and json_names:
            # Inferred STRUCTs give every object every key seen (null where a
            # row had none: a warning then shows keys the lead never had), and
            # infer from a sample only: JSON columns keep each value as it is.
            # records: each line is an object of these keys (DuckDB's `auto` read a
            # lone column as the whole line: `{"id": 1}` was an id of `{"id":1}`).
            relation = connection.read_json(files, format="newline_delimited", records="true",
                                            columns={name: "JSON" for name in json_names})
        elif kind == "jsonl":
            relation = connection.read_json(files, format="newline_delimited", records="true")
            guessed = [_as_text_if_time(str(t)) for t in relation.types]
            if not guessed_times and guessed != [str(t) for t in relation.types]:
                # DuckDB guesses DATE/TIMESTAMP from ISO text (and then fails on
                # a later row that is not one); JSON has only strings, which
                # the compiled coercion reads as the contract says.
                relation = connection.read_json(files, format="newline_delimited", records="true",
                                                columns=dict(zip(relation.columns, guessed)))
        else:
            relation = connection.sql(_parquet_in_order(files))
        if kind != "parquet":
            # DuckDB reads text in parallel; row_number() OVER () numbers the rows
            # in file order (insertion order is kept up to it), and the decision
            # SELECT, which does not keep that order, is sorted on it.
            relation = relation.project(f"*, row_number() OVER () AS {ROW}")
        relation.create_view("leads")
        # A column (or struct member) holding only nulls has DuckDB's type NULL:
        # every value of it is missing, read as VARCHAR like any text.
        return {
            name: _NULL_TYPE.sub("VARCHAR", str(sql_type)) for name, sql_type in zip(relation.columns, relation.types)
            if name != ROW
        }
    except duckdb.Error as error:
        raise _unreadable(paths, format, error) from None


# JSON text DuckDB's parser reads otherwise than Python's json: a trailing
# comma (`[1, 2,]`, `{"a": 1,}`), which DuckDB accepts and Python refuses,
# and a lone surrogate escape, which Python keeps and DuckDB refuses (a CSV
# cell then reads as text). A match anywhere, in a string too, hands the
# input over: the python engine's reading is then the one given.
_READ_OTHERWISE = re.compile(
    rb",[ \t\r\n]*[\]}]"
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_SCAN_CHUNK = 1 << 20
# What every _READ_OTHERWISE match holds, without the lookarounds RE2 lacks:
# RE2 scans a MiB in about 1.5 ms, Python's re in 20 (it tries every comma).
_CANDIDATE = rb",[ \t\r\n]*[\]}]|\\u[dD][89a-fA-F]"


@functools.cache
def _candidate() -> Any:
    import re2

    return re2.compile(_CANDIDATE)


def _read_otherwise(text: bytes, line: int, first: bool, final: bool) -> tuple[int, bool] | None:
    """The line of the first _READ_OTHERWISE match in `text` (which starts
    on `line`), and whether it is a surrogate. An escape is judged with the
    6 bytes either side of it: unless `final`, one in the last 6 bytes is
    not yet a match (the low half of a pair may follow in the next chunk);
    unless `first`, one in the first 6 was judged with the previous chunk."""
    if _candidate().search(text) is None:
        return None
    for match in _READ_OTHERWISE.finditer(text):
        surrogate = match.group().startswith(b"\\")
        if surrogate and not first and match.start() < 6:
            continue
        if surrogate and not final and match.end() + 6 > len(text):
            return None  # judged with the next chunk, as is everything after it
        return line + text.count(b"\n", 0, match.start()), surrogate
    return None


# A JSONL line `null`: Python's reader makes it an error row, DuckDB's a
# lead with every key missing. Matched on whole lines only.
_NULL_LINE = re.compile(rb"(?m)^[ \t\r]*null[ \t\r]*$")


@functools.cache
def _null_candidate() -> Any:
    import re2

    return re2.compile(rb"null[ \t\r]*(\n|$)")


def _null_line(text: bytes, line: int, final: bool) -> int | None:
    """The line of the first `null` line in `text` (which starts a line, on
    `line`); unless `final`, the part after the last newline is no line yet."""
    if _null_candidate().search(text) is None:
        return None
    end = len(text) if final else text.rfind(b"\n") + 1
    match = _NULL_LINE.search(text, 0, end) if end > 0 else None
    return None if match is None else line + text.count(b"\n", 0, match.start())


def _line_so_far(rest: bytes) -> bytes:
    """What the start of a line needs to be judged a `null` line when it
    ends: its blanks as one (so a line of blanks holds no memory), or `x`
    where it can no longer be one."""
    blanks = b" \t\r"
    core = rest.strip(blanks)
    if core not in (b"", b"n", b"nu", b"nul", b"null"):
        return b"x"
    lead = b" " if rest[:1] in (b" ", b"\t", b"\r") else b""
    return lead + core + (b" " if core and rest[-1:] in (b" ", b"\t", b"\r") else b"")


def _scan_text(path: str, format: str | None) -> None:
    """One pass over a text input, at disk speed, before DuckDB reads it.
    A NUL byte anywhere makes it binary to the python reader, which refuses
    the whole file (DuckDB would read on): InputProblem, with the python
    reader's message. JSON text DuckDB reads otherwise (_READ_OTHERWISE):
    batch's HandOver, naming the line."""
    from ...batch.engines import HandOver
    from ...batch.inputs import read_rows

    lines = 1  # the line the kept tail starts on
    start = 0  # and its offset in the file
    tail = b""
    jsonl = input_format([path], format) == "jsonl"
    partial, partial_line = b"", 1  # JSONL: the line the last chunk ended in, and its number
    null: int | None = None
    found: tuple[int, bool] | None = None
    with open(path, "rb") as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            if b"\x00" in chunk:
                break
            text = tail + chunk
            if found is None:
                found = _read_otherwise(text, lines, first=start == 0, final=False)
            if jsonl and null is None:
                whole = partial + chunk
                null = _null_line(whole, partial_line, final=False)
                cut = whole.rfind(b"\n") + 1
                partial_line += whole.count(b"\n", 0, cut)
                partial = _line_so_far(whole[cut:])
            # Keep what a match across the boundary needs: a comma and the
            # blanks after it, or an escape with the 6 bytes either side of it.
            keep = max(len(text) - 18, 0)
            blank = len(text.rstrip(b" \t\r\n"))
            if blank and text[blank - 1:blank] == b",":
                keep = min(keep, blank - 1)
            lines += text.count(b"\n", 0, keep)
            start += keep
            tail = text[keep:]
        else:
            if found is None:
                found = _read_otherwise(tail, lines, first=start == 0, final=True)
            if jsonl and null is None:
                null = _null_line(partial, partial_line, final=True)
            if null is not None and (found is None or null < found[0]):
                raise HandOver(f"{path}:{null}: a lead is a JSON object, not null, which the duckdb engine "
                               "would read as a lead with every key missing")
            if found is not None:
                where = f"{path}:{found[0]}"
                raise HandOver(lone_surrogate_text(where, "duckdb") if found[1] else
                               f"{where}: a trailing comma in JSON, which Python's json refuses and the duckdb "
                               "engine would read")
            return
    try:
        for _ in read_rows([path], format=format):
            pass
    except InputError as problem:
        raise InputProblem(str(problem)) from None
    raise InputProblem(f"{path}: file is binary (a NUL byte), not leads")


def _check_csv_header(path: str) -> None:
    """The python reader's refusals of a CSV header (a field named twice, a
    bad backtick path, a line too long), which DuckDB would read anyway
    (`id`, `id` as `id` and `id_1`): the header and the first row are read
    as batch.inputs reads them."""
    from ...batch.inputs import InputError, check_csv_header

    try:
        check_csv_header(path)
    except InputError as error:
        raise InputProblem(str(error)) from None


@functools.cache
def _py_space() -> str:
    """Python's str.strip() removes every character whose isspace() is true
    (worked out when first needed: scanning every code point costs a
    quarter of a second, which every run of the engine paid at import)."""
    return "".join(f"\\x{{{c:x}}}" for c in range(0x110000) if chr(c).isspace())


def _json_cells(relation: Any, json_cells: Callable[[str], bool], paths: Sequence[str]) -> Any:
    """The CSV columns of list and events fields as JSON, cell by cell as
    batch.inputs.cell_value reads them: a cell that is (once stripped) a JSON
    list or object is that JSON, any other cell the JSON string of its text."""
    from sqlglot import exp

    from ...batch.inputs import header_key
    from . import builders as b

    source = ", ".join(paths)
    columns: list[str] = []
    for index, name in enumerate(relation.columns):
        column = b.column(name)
        key = header_key(name, source, index)
        if key is None or not json_cells(key):
            columns.append(column.sql(b.DIALECT))
            continue
        space = _py_space()
        stripped = b.call("regexp_replace", column, b.string(f"^[{space}]+|[{space}]+$"), b.string(""),
                          b.string("g"))
        parsed = b.try_cast(stripped, "JSON")
        looks = exp.In(this=b.call("left", stripped, b.integer(1)), expressions=[b.string("["), b.string("{")])
        value = b.case((b.and_(looks, b.not_(b.is_null(parsed))), parsed), default=b.call("to_json", column))
        columns.append(value.as_(exp.to_identifier(name, quoted=True), copy=False).sql(b.DIALECT))
    return relation.project(", ".join(columns))


def _unreadable(paths: Sequence[str], format: str | None, error: Exception) -> Exception:
    """DuckDB could not read an input. If the python reader can, the python
    engine decides it (batch's HandOver: a row it writes to --errors, a lone
    surrogate, a key twice), named as the python reader names it;
    otherwise the reader's own refusal (InputProblem)."""
    from ...batch.engines import HandOver
    from ...batch.inputs import read_rows

    try:
        for row in read_rows(paths, format=format):
            if type(row) is RowError:
                return HandOver(f"{row.location}: {row.error}, which the duckdb engine cannot read")
            if isinstance(row, Row) and has_lone_surrogate(row.lead):  # DuckDB's line number is one too many
                return HandOver(lone_surrogate_text(f"{row.source}:{row.line}", "duckdb"))
    except InputError as problem:
        return InputProblem(str(problem))
    # Rows the python engine reads and DuckDB does not (a duplicate key):
    # DuckDB's reason, without its advice on reader options qualdsl chooses itself.
    reason = str(error).splitlines()[0].split(" Try ", 1)[0].strip()
    return HandOver(f"the duckdb engine cannot read {', '.join(paths)}: {reason}")


def _as_text_if_time(sql_type: str) -> str:
    """The type with every DATE, TIME and TIMESTAMP in it (STRUCT members and
    LIST elements too) made VARCHAR."""
    from sqlglot import exp

    from . import builders as b

    times = {exp.DataType.Type.DATE, exp.DataType.Type.TIME, exp.DataType.Type.TIMESTAMP,
             exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPNTZ}
    if not any(word in sql_type for word in ("DATE", "TIME")):
        return sql_type
    tree = _NULL_TYPE.sub("VARCHAR", sql_type)
    parsed = b.sql_type(tree).transform(
        lambda node: b.sql_type("VARCHAR") if isinstance(node, exp.DataType) and node.this in times else node)
    return str(parsed.sql(b.DIALECT))


ROW = "__qualdsl_row"  # the input position of a Parquet row: (file, row) as one BIGINT


def _parquet_in_order(files: Sequence[str]) -> str:
    """The Parquet files as one relation with each row's input position:
    DuckDB reads row groups in parallel and the decision SELECT does not keep
    their order, so the position is carried through it and sorted on."""
    from sqlglot import exp

    parts = [f"SELECT * EXCLUDE (file_row_number), {index} * 1099511627776 + file_row_number AS {ROW} "  # noqa: S608  # the path enters as a sqlglot string literal
             f"FROM read_parquet({exp.Literal.string(path).sql('duckdb')}, file_row_number = true)"
             for index, path in enumerate(files)]
    return " UNION ALL ".join(parts)


def _query(policy: Any, paths: Sequence[str], as_of: dt.datetime | AsOf, format: str | None,
           flat: bool, connection: Any = None, outer: str = f"* EXCLUDE ({ROW})",
           jsonl: bool = False) -> tuple[Any, str]:
    """The decision SELECT over the inputs, in input order (sorted on ROW
    inside it, and kept by the SELECT of `outer` over it alone);
    `outer`: the columns taken from it (SQL over its column names)."""
    connection = connection if connection is not None else connect()
    from ...batch.inputs import json_cells

    # JSONL as JSON columns, except with --as-of-field (the compiled moment
    # reads its column below the JSON lookups): such runs read it as before.
    names = _top_level_names(policy.ir) if isinstance(sql_moment(as_of), dt.datetime) else None
    columns = load_leads(connection, paths, format, json_cells=json_cells(policy.schema), json_names=names)
    try:
        select = compile_sql(policy.ir, columns, table="leads", as_of=sql_moment(as_of), flat=flat, carry=(ROW,),
                             order_by=ROW, jsonl=jsonl)
    except SqlRefused as refused:
        raise handed_over(refused) from None
    return connection, f"SELECT {outer} FROM ({select.rstrip().rstrip(';')})"  # noqa: S608  # generated SQL


def decisions(policy: Any, paths: Sequence[str], *, as_of: dt.datetime | AsOf,
              format: str | None = None) -> Iterator[Decision]:
    """Every input row's Decision, in input order. With `as_of` an AsOf of a
    field, each row's own moment; a row without one has `as_of` None (its
    other columns mean nothing)."""
    import duckdb

    connection, sql = _query(policy, paths, as_of, format, flat=False)
    try:
        # DuckDB reads the files as the rows are fetched: a row it cannot read
        # fails a fetch, not the execute.
        cursor = connection.execute(sql)
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                return
            for row in batch:
                yield _decision(row)
    except duckdb.Error as error:
        raise _stopped(error) or _unreadable(paths, format, error) from None


def jsonl_chunks(policy: Any, paths: Sequence[str], *, as_of: dt.datetime,
                 format: str | None = None) -> Iterator[Chunk]:
    """Every input row's decision as batch's JSONL line, made by the SQL
    (`line`: the text JsonlRows writes), in input order, 10,000 rows a
    Chunk: building each Decision from DuckDB's nested rows and dumping it
    cost more than deciding it."""
    import duckdb

    from ...batch.engines import Chunk

    connection, sql = _query(policy, paths, as_of, format, flat=False, outer="tier, route, line", jsonl=True)
    try:
        cursor = connection.execute(sql)
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                return
            tiers, routes, lines = zip(*batch)
            yield Chunk(tiers, routes, ("\n".join(lines) + "\n").encode("utf-8"))
    except duckdb.Error as error:
        raise _stopped(error) or _unreadable(paths, format, error) from None


def _stopped(error: Exception) -> Exception | None:
    """The SQL's stop for a value DuckDB cannot hold exactly, as batch's HandOver."""
    from ...batch.engines import HandOver

    what = held_back(error)
    return HandOver(f"the duckdb engine {what}") if what is not None else None


def _decision(row: tuple[Any, ...]) -> Decision:
    name, lead, as_of, icp, scores, tier, route, rules, warnings = row
    return Decision(
        name, lead, as_of, icp["pass"], list(icp["reasons"]), dict(scores), tier, route,
        tuple(RuleResult(r["block"], r["rule"], r["fired"], r["points"]) for r in rules), list(warnings),
    )


@attrs.frozen
class Written:
    """What a native write put in its file, counted over the file itself:
    decisions, and (name or None, count) per tier and per route, most
    common first and ties in order of first appearance (Counter.most_common
    of the python engine's counts)."""

    decisions: int
    tiers: list[tuple[str | None, int]]
    routes: list[tuple[str | None, int]]


def write_flat(policy: Any, paths: Sequence[str], *, as_of: dt.datetime, output_path: str, kind: str,
               format: str | None = None, progress: Callable[[float], None] | None = None) -> Written:
    """Decide every row of the inputs and have DuckDB write the flat rows to
    `output_path` (`kind` "parquet" or "csv") exactly as batch's python
    writers do: no decision passes through Python. `progress` is called
    with the share of the query done (DuckDB's estimate), from a thread.

    The python writers' one rewrite of a decision, a score or points that
    is not finite written as null with a warning, cannot apply: the checker
    bounds points at 1e15 (QE150) and decay factors at 1, so no sum of them
    comes near overflowing."""
    connection = connect()
    columns = flat_columns(policy.blocks)
    if kind == "parquet":
        # DuckDB marks a column it proves never NULL as required; pyarrow's
        # schema (the python writer's) has every column nullable.
        outer = ", ".join(f"CASE WHEN {_name(c)} IS NULL THEN NULL ELSE {_name(c)} END AS {_name(c)}"
                          for c in columns)
        options = "FORMAT parquet"
    elif kind == "csv":
        outer = ", ".join(_csv_cell(c, c.startswith("score_")) for c in columns)
        # csv.writer's dialect: commas, CRLF, quotes only where needed, doubled; no
        # comment character (DuckDB quotes a cell holding its `#` otherwise).
        options = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NEW_LINE '\r\n', COMMENT ''"
    else:
        raise ValueError(f"DuckDB writes parquet and csv, not {kind}")
    _, sql = _query(policy, paths, as_of, format, flat=True, connection=connection, outer=outer)
    _execute(connection, f"COPY ({sql}) TO {_literal(output_path)} ({options})", progress, paths, format)
    return _tally(connection, output_path, kind)


def _name(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(text: str) -> str:
    from sqlglot import exp

    return str(exp.Literal.string(text).sql("duckdb"))


def _csv_cell(column: str, score: bool) -> str:
    """A flat column as the text CsvRows gives csv.writer: floats by
    Python's repr, booleans `true`/`false`, None and "" both an empty
    cell (DuckDB writes "" as `""` to tell it from NULL)."""
    from . import builders as b
    from .show import _float_json

    name = _name(column)
    if score:
        return f"{_float_json(b.column(column)).sql(b.DIALECT)} AS {name}"
    if column == "icp_pass":
        return f"CASE WHEN {name} THEN 'true' ELSE 'false' END AS {name}"
    return f"NULLIF({name}, '') AS {name}"


def _execute(connection: Any, sql: str, progress: Callable[[float], None] | None, paths: Sequence[str],
             format: str | None) -> None:
    import threading

    import duckdb

    done = threading.Event()
    if progress is not None:  # query_progress() needs the progress bar on; its own printing stays off
        connection.execute("SET enable_progress_bar = true")
        connection.execute("SET enable_progress_bar_print = false")

    def poll() -> None:
        assert progress is not None
        while not done.wait(0.2):
            share = connection.query_progress()
            if share >= 0:
                progress(min(share, 100.0) / 100)

    poller = threading.Thread(target=poll, daemon=True) if progress is not None else None
    if poller is not None:
        poller.start()
    try:
        connection.execute(sql)
    except duckdb.Error as error:
        raise _stopped(error) or _unreadable(paths, format, error) from None
    finally:
        done.set()
        if poller is not None:
            poller.join()


def _tally(connection: Any, path: str, kind: str) -> Written:
    """One aggregate query over the written file: its rows, and its tiers
    and routes with their first row (for the order of ties)."""
    if kind == "parquet":
        source = (f"SELECT tier, route, file_row_number AS __pos FROM read_parquet({_literal(path)}, "  # noqa: S608  # generated SQL
                  "file_row_number = true)")
    else:
        source = (f"SELECT tier, route, row_number() OVER () AS __pos FROM read_csv({_literal(path)}, "  # noqa: S608  # generated SQL
                  "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"', comment = '', "
                  "strict_mode = true)")
    rows = connection.execute(
        f"SELECT grouping(tier), grouping(route), tier, route, count(*), min(__pos) "  # noqa: S608  # generated SQL
        f"FROM ({source}) GROUP BY GROUPING SETS ((tier), (route), ())").fetchall()
    total = 0
    tiers: list[tuple[int, int, str | None]] = []
    routes: list[tuple[int, int, str | None]] = []
    for tier_grouped, route_grouped, tier, route, count, first in rows:
        if tier_grouped and route_grouped:
            total = count
        elif route_grouped:
            tiers.append((-count, first, tier))
        else:
            routes.append((-count, first, route))
    return Written(total, [(name, -count) for count, _, name in sorted(tiers)],
                   [(name, -count) for count, _, name in sorted(routes)])


def score_duckdb(policy: Any, input_paths: Sequence[str], *, as_of: dt.datetime, output_path: str,
                 format: str | None = None) -> int:
    """Decide every row of the inputs and write them to `output_path`
    (`.parquet` and `.csv`: batch's flat columns, written by DuckDB
    (write_flat); `.jsonl`: the decision JSON plus `policy_hash`). Returns
    the number of rows written."""
    kind = FORMATS.get(os.path.splitext(output_path)[1].lower())
    if kind == "parquet" or kind == "csv":
        return write_flat(policy, input_paths, as_of=as_of, output_path=output_path, kind=kind,
                          format=format).decisions
    if kind != "jsonl":
        raise InputProblem(f"cannot tell the output format of `{output_path}`: name it *.jsonl, *.csv or *.parquet")
    written = 0
    with open(output_path, "w", encoding="utf-8") as out:
        for decision in decisions(policy, input_paths, as_of=as_of, format=format):
            data = decision.to_dict()
            data = {"policy": data.pop("policy"), "policy_hash": policy.hash, **data}
            out.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")
            written += 1
    return written


class DuckDBEngine:
    """batch's Engine protocol: `run(job, policy)` yields Decisions in input order."""

    per_lead_as_of = True  # decides each row as of its own field (`--as-of-field`)

    def write_flat(self, job: Any, policy: Any, path: str, kind: str,
                   progress: Callable[[float], None] | None = None) -> Written:
        """The Parquet or CSV output written by DuckDB itself (batch's cli
        calls it instead of `run` for those outputs without --as-of-field)."""
        return write_flat(policy, job.inputs, as_of=job.as_of, output_path=path, kind=kind,
                          format=job.input_format, progress=progress)

    def run(self, job: Any, policy: Any) -> Iterator[Decision | RowError | Chunk]:
        if job.per_lead is None and job.encoding is not None and job.encoding[0] == "jsonl":
            return jsonl_chunks(policy, job.inputs, as_of=job.as_of, format=job.input_format)
        if job.per_lead is None:
            return decisions(policy, job.inputs, as_of=job.as_of, format=job.input_format)
        results = decisions(policy, job.inputs, as_of=job.per_lead, format=job.input_format)
        return with_moment_errors(results, policy, job)


def lead_object(lead: Any) -> tuple[Mapping[str, Any], list[str]]:
    """The lead as an object, with the contract's warning when it is not one
    (it is evaluated as {}): the one-lead evaluators' first step."""
    if isinstance(lead, Mapping):
        return lead, []
    from ...runtime import show

    return {}, [f"lead: expected an object, got {show(lead)}; evaluated as {{}}"]


class DuckDBEvaluator:
    """The SQL backend as an `Evaluator` (backends/__init__.py), one lead at a
    time, for the conformance tests and `qualdsl test --backend duckdb`
    (`qualdsl score --engine duckdb` decides whole files at once).

    Every top-level value of the lead is a query parameter holding its raw
    JSON text, read as a JSON column: no type is guessed from the value, and
    the compiled coercion SQL reads it as the contract says (as Python
    reads the same JSON). A date or datetime object at the top level (YAML
    gives them) is passed typed, as DATE or TIMESTAMP(TZ). One connection,
    and one compiled SELECT per shape of column types, serve every lead."""

    def __init__(self, policy: Any):
        self.ir = policy
        self.names = _top_level_names(policy)
        # Top-level keys of fields Python reads an int of any size as (and the
        # events, whose keys it compares as ints): an int of more than 4,300
        # digits there is held by Python, and SQL reads its JSON as text.
        paths = [f.path for f in policy.fields if f.type in ("int", "number", "list[number]")]
        paths += [policy.events.path] if policy.events is not None else []
        self.numeric = {name for path in paths for name in (path[0], ".".join(path))}
        self.connection: Any = None
        self.compiled: dict[tuple[str, ...], str] = {}

    def evaluate(self, lead: Any, *, as_of: Any) -> Decision:
        import duckdb

        from ...api import format_as_of, normalize_as_of
        lead, warnings = lead_object(lead)
        kinds = tuple(_column_type(lead.get(name, _ABSENT)) for name in self.names)
        sql = self.compiled.get(kinds)
        if sql is None:
            sql = self.compiled[kinds] = self._compile(kinds)
        if self.connection is None:
            self.connection = connect()
            self.connection.execute("SET threads = 1")  # one row: threads only add overhead
        parameters: dict[str, Any] = {"as_of": format_as_of(normalize_as_of(as_of))}
        for index, (name, kind) in enumerate(zip(self.names, kinds)):
            value = lead.get(name, _ABSENT)
            # JSON null is SQL NULL, as read_json gives it (not the JSON value null,
            # which the coercion would show as "got null")
            try:
                parameters[f"c{index}"] = (None if value is _ABSENT or value is None
                                           else value if kind != "JSON" else json_text(value))
            except RecursionError:  # Python's json recurses: only a Python caller's value is this deep
                from .. import LeadRefused

                raise LeadRefused(f"duckdb: `{name}` is nested too deeply to pass as JSON") from None
            if type(parameters[f"c{index}"]) is str and has_lone_surrogate(parameters[f"c{index}"]):
                from .. import LeadRefused

                raise LeadRefused(lone_surrogate_in(name, "duckdb"))
            if kind == "JSON" and name in self.numeric and _holds_unprintable_int(value):
                from .. import LeadRefused

                raise LeadRefused(f"duckdb: cannot hold `{name}`: an int of more than {PYTHON_DIGITS} digits "
                                  "(Python keeps it; SQL reads it as text)")
        try:
            (row,) = self.connection.execute(sql, parameters).fetchall()
        except duckdb.Error as error:
            what = held_back(error)
            if what is None:
                raise
            from .. import LeadRefused

            raise LeadRefused(f"duckdb: {what}") from None
        decision = _decision(row)
        if warnings:
            decision = decision._replace(warnings=warnings + list(decision.warnings))
        return decision

    def _compile(self, kinds: tuple[str, ...]) -> str:
        from sqlglot import exp

        from . import builders as b
        from .compile import compile_select, refuse_lone_surrogates

        columns = dict(zip(self.names, kinds))
        select = compile_select(self.ir, columns, table=_ONE_LEAD)
        refuse_lone_surrogates(select, b.DIALECT)
        one_row = exp.Select(expressions=[
            b.cast(exp.Placeholder(this=f"c{index}"), kind).as_(exp.to_identifier(name, quoted=True), copy=False)
            for index, (name, kind) in enumerate(columns.items())
        ] or [b.null().as_("__none", copy=False)])
        for table in select.find_all(exp.Table):
            if table.name == _ONE_LEAD:
                table.replace(one_row.subquery(_ONE_LEAD, copy=False))
        return select.sql(dialect=b.DIALECT)


_ONE_LEAD = "__one_lead"
_ABSENT = object()


def _top_level_names(policy: Any) -> tuple[str, ...]:
    """Every top-level key the policy can read: each field's first segment
    and its flat dotted name, the events field and the lead id."""
    paths = [f.path for f in policy.fields] + [policy.lead_id.path]
    if policy.events is not None:
        paths.append(policy.events.path)
    names: dict[str, None] = {}
    for path in paths:
        names[path[0]] = None
        if len(path) > 1:
            names[".".join(path)] = None
    return tuple(names)


def _column_type(value: Any) -> str:
    if type(value) is dt.date:
        return "DATE"
    if type(value) is dt.datetime:
        return "TIMESTAMP" if value.tzinfo is None else "TIMESTAMPTZ"
    return "JSON"


def json_text(value: Any) -> str:
    """A lead value as JSON text. Values JSON has no form for: a date or
    datetime inside a list or object is its text (as runtime.show prints
    it; a known gap: Python compares it as a time); an int of more digits
    than Python prints (never from JSON, only from Python callers) is an
    integer of 4,301 nines with its sign, which the SQL, like Python, cannot
    print, shows as `<int>` and reads as a huge number."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        return json.dumps(_printable(value), ensure_ascii=False, default=str).replace(
            json.dumps(_HUGE, ensure_ascii=False), "9" * 4301).replace(
            json.dumps(_NEGATIVE_HUGE, ensure_ascii=False), "-" + "9" * 4301)


_HUGE = "\ue000 int beyond 4300 digits \ue000"
_NEGATIVE_HUGE = "\ue000 -int beyond 4300 digits \ue000"


def _holds_unprintable_int(value: Any) -> bool:
    """An int of more digits than Python prints (a Python caller's, never JSON's), at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is int and item.bit_length() > 14_000:  # 4,300 digits need 14,282 bits or more
            try:
                str(item)
            except ValueError:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _printable(value: Any) -> Any:
    if type(value) is int:
        try:
            str(value)
        except ValueError:
            return _HUGE if value > 0 else _NEGATIVE_HUGE
        return value
    if isinstance(value, Mapping):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(item) for item in value]
    return value


def evaluator(policy: Any) -> DuckDBEvaluator:
    return DuckDBEvaluator(policy)
