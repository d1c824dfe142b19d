"""The spark engine of `qualdsl score`: the policy compiled to Spark SQL
(dialects.py) run on a Spark session (`--spark-master`, default `local[*]`).

Inputs:
- Parquet is read by Spark itself, with its own types (one file after the
  other, each in file order).
- CSV, JSONL and JSON arrays are read by qualdsl's reader (batch.inputs),
  so unreadable rows are reported exactly as the python engine reports them
  (same records, same line numbers) and never reach Spark. The leads are
  written to a JSONL file in a temporary folder with a Spark schema built
  from their values: one JSON kind per field (text, integer, number,
  boolean, list, object; integers and numbers together are numbers where
  the field's type reads both alike). A field holding two kinds
  (text in one row, a number in another) is refused with a message naming
  it: Spark has no column that keeps both exactly.

Output order is input order: each row carries its number through the
SELECT (`compile_sql(carry=...)`), the plan has no shuffle, and the rows
are checked to come back in order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyspark  # noqa: F401 - without it, `--engine spark` names the extra that installs it

from ...asof import AsOf
from ...batch.engines import HandOver
from ...batch.inputs import InputError, Row, RowError, input_format, read_rows
from ...decision import Decision, RuleResult
from .. import LeadRefused
from .compile import AsOfField, compile_sql
from .errors import SqlRefused, handed_over, has_lone_surrogate, held_back, lone_surrogate_in, lone_surrogate_text
from .moments import sql_moment, with_moment_errors

ROW = "__qualdsl_row"  # the input row number, carried through the SELECT
INSTALL = "pip install 'qualdsl[spark]'"
_INT64 = 2**63


class SparkProblem(InputError, ValueError):
    """Spark cannot be started, or an input cannot be given to it exactly."""


class SparkCannotHold(HandOver, SparkProblem):
    """A lead Spark cannot hold as the python engine reads it (two kinds in
    one field, an int beyond 64 bits, a lone surrogate): `score` hands the
    input to the python engine; the one-lead evaluator refuses the lead."""


# ------------------------------------------------------------------ session

LOG4J = Path(__file__).with_name("spark-log4j2.properties")  # errors only: no start-up chatter


def quiet(master: str) -> None:
    """Keep Spark's chatter off the command's stderr: a local master binds to
    loopback (no "resolves to a loopback address" warning), and PySpark's
    JSON log of a failed query is dropped (the command reports the error)."""
    import logging

    from pyspark.logger import PySparkLogger

    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)


def session(master: str = "local[*]") -> Any:
    """A Spark session (the one running, else a new one on `master`)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkProblem(f"the spark engine needs a Java 17 runtime (`java` is not on PATH); "
                           f"and pyspark: {INSTALL}")
    from pyspark.sql import SparkSession

    quiet(master)
    try:
        spark = (SparkSession.builder.master(master).appName("qualdsl")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")  # qualdsl's own progress, or none
                 .config("spark.sql.shuffle.partitions", "1")
                 .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile={LOG4J}")
                 .getOrCreate())
    except Exception as error:  # noqa: BLE001 - pyspark raises many kinds at start
        raise SparkProblem(f"cannot start Spark on {master}: {str(error).splitlines()[0]}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# ------------------------------------------------------------------ types

def column_types(schema: Any) -> dict[str, str]:
    """A Spark schema as the SQL types compile.py reads (DuckDB's names)."""
    return {field.name: _sql_type(field.dataType) for field in schema.fields}


def _sql_type(kind: Any) -> str:
    from pyspark.sql import types as t

    if isinstance(kind, t.ArrayType):
        return f"{_sql_type(kind.elementType)}[]"
    if isinstance(kind, t.StructType):
        return "STRUCT(" + ", ".join(f"{json.dumps(f.name)} {_sql_type(f.dataType)}" for f in kind.fields) + ")"
    if isinstance(kind, t.DecimalType):
        return f"DECIMAL({kind.precision}, {kind.scale})"
    simple = {
        t.StringType: "VARCHAR", t.LongType: "BIGINT", t.IntegerType: "INTEGER", t.ShortType: "SMALLINT",
        t.ByteType: "TINYINT", t.DoubleType: "DOUBLE", t.FloatType: "FLOAT", t.BooleanType: "BOOLEAN",
        t.DateType: "DATE", t.TimestampType: "TIMESTAMPTZ", t.TimestampNTZType: "TIMESTAMP",
        t.NullType: "VARCHAR",
    }
    for spark_kind, name in simple.items():
        if type(kind) is spark_kind:
            return name
    return "BLOB"  # refused by the compile, naming the type


# ------------------------------------------------------- leads from qualdsl's reader

class _Kinds:
    """The Spark type of each field's values, merged over every lead."""

    def __init__(self, numbers_alike: set[tuple[str, ...]]) -> None:
        self.numbers_alike = numbers_alike  # paths whose int and float values read alike
        self.seen: dict[tuple[str, ...], str] = {}

    def add(self, value: Any, path: tuple[str, ...], where: str) -> Any:
        """The Spark type of `value` (a nested description), checked against
        what the path held before."""
        if value is None:
            return None
        if isinstance(value, bool):
            kind: Any = "boolean"
        elif isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                raise SparkCannotHold(f"{where}: `{'.'.join(path)}` holds an integer beyond 64 bits, "
                                      "which the spark engine cannot hold")
            kind = "long"
        elif isinstance(value, float):
            kind = "double"
        elif isinstance(value, str):
            kind = "string"
        elif isinstance(value, list):
            for item in value:
                self.add(item, (*path, "[]"), where)
            kind = "array"
        elif isinstance(value, dict):
            for key, item in value.items():
                self.add(item, (*path, key), where)
            kind = "struct"
        else:
            raise SparkCannotHold(f"{where}: `{'.'.join(path)}` holds a {type(value).__name__}, which the spark "
                                  "engine cannot hold")
        before = self.seen.get(path)
        if before is not None and before != kind:
            if {before, kind} == {"long", "double"} and path in self.numbers_alike:
                kind = "double"
            else:
                raise SparkCannotHold(
                    f"{where}: `{'.'.join(p for p in path if p != '[]')}` holds {_KIND_WORDS[kind]} here and "
                    f"{_KIND_WORDS[before]} before, and the spark engine needs one kind per field")
        self.seen[path] = kind
        return kind

    def spark_type(self, path: tuple[str, ...]) -> Any:
        from pyspark.sql import types as t

        kind = self.seen.get(path)
        if kind == "array":
            return t.ArrayType(self.spark_type((*path, "[]")))
        if kind == "struct":
            members = [p[len(path)] for p in self.seen if len(p) == len(path) + 1 and p[:len(path)] == path]
            return t.StructType([t.StructField(m, self.spark_type((*path, m))) for m in members])
        return {"boolean": t.BooleanType(), "long": t.LongType(), "double": t.DoubleType()}.get(
            kind or "", t.StringType())


_KIND_WORDS = {"boolean": "a boolean", "long": "an integer", "double": "a number", "string": "text",
               "array": "a list", "struct": "an object"}


def _wanted(policy: Any) -> tuple[set[str], set[tuple[str, ...]]]:
    """The top-level keys the SELECT reads (fields, their flat dotted keys,
    events, the lead id), and the paths where ints and floats read alike."""
    fields = list(policy.ir.fields) + [policy.ir.lead_id]
    keys: set[str] = set()
    alike: set[tuple[str, ...]] = set()
    for field in fields:
        keys.add(field.path[0])
        keys.add(".".join(field.path))
        if field.type in ("int", "number", "string"):
            alike.add(tuple(field.path))
            alike.add((".".join(field.path),))
    if policy.ir.events is not None:
        keys.add(policy.ir.events.path[0])
        keys.add(".".join(policy.ir.events.path))
    return keys, alike


def _text_leads(policy: Any, paths: Sequence[str], format: str | None, folder: str,
                errors: list[tuple[int, RowError]]) -> tuple[str, Any, int]:
    """Write the readable leads of text inputs as JSONL for Spark (with their
    row number); unreadable rows go to `errors` as (leads before it, error)."""
    from pyspark.sql import types as t

    keys, alike = _wanted(policy)
    kinds = _Kinds(alike)
    target = os.path.join(folder, "leads.jsonl")
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        for row in read_rows(paths, format=format, schema=policy.schema):
            if type(row) is not Row:
                assert isinstance(row, RowError)
                errors.append((count, row))
                continue
            kept = {key: value for key, value in row.lead.items() if key in keys}
            where = f"{row.source}:{row.line}"
            for key, value in kept.items():
                kinds.add(value, (key,), where)
            kept[ROW] = count
            try:
                out.write(json.dumps(kept, ensure_ascii=False) + "\n")
            except UnicodeEncodeError:
                raise SparkCannotHold(lone_surrogate_text(where, "spark")) from None
            count += 1
    top = sorted({path[0] for path in kinds.seen})
    schema = t.StructType([t.StructField(key, kinds.spark_type((key,))) for key in top]
                          + [t.StructField(ROW, t.LongType())])
    return target, schema, count


# ------------------------------------------------------------------ running

def decisions(policy: Any, paths: Sequence[str], *, as_of: dt.datetime | AsOf, format: str | None = None,
              master: str = "local[*]") -> Iterator[Decision | RowError]:
    """Every input row's Decision (or RowError), in input order. With `as_of`
    an AsOf of a field, each row's own moment; a row without one has `as_of`
    None (its other columns mean nothing)."""
    folder = tempfile.mkdtemp(prefix="qualdsl-spark-")
    try:
        errors: list[tuple[int, RowError]] = []
        kinds = {input_format(path, format) for path in paths}
        if kinds == {"parquet"}:
            spark = session(master)
            frame = _parquet(spark, paths)
        elif "parquet" in kinds:
            raise SparkProblem("the spark engine reads Parquet inputs or text inputs in one run, not both")
        else:
            # Read (and check) every lead before Spark starts: a refused input costs no session.
            target, schema, _ = _text_leads(policy, paths, format, folder, errors)
            spark = session(master)
            frame = spark.read.schema(schema).option("allowNonNumericNumbers", "true") \
                .option("mode", "FAILFAST").json(target)
        yield from _run(spark, policy, frame, as_of, errors)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _parquet(spark: Any, paths: Sequence[str]) -> Any:
    from pyspark.sql import functions as f

    frames = []
    for offset, path in enumerate(paths):
        if not os.path.isfile(path):
            raise SparkProblem(f"{path}: not a regular file; the spark engine reads regular files only")
        try:
            frame = spark.read.parquet(path)
        except Exception as error:  # noqa: BLE001 - AnalysisException and friends
            raise SparkProblem(f"cannot read {path}: {str(error).splitlines()[0]}") from None
        # Row numbers in file order: one Parquet file is read in offset order.
        frame = frame.withColumn(ROW, f.monotonically_increasing_id() + f.lit(offset * 2**33))
        frames.append(frame)
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame, allowMissingColumns=True)
    return result


def _run(spark: Any, policy: Any, frame: Any, as_of: dt.datetime | AsOf,
         errors: list[tuple[int, RowError]]) -> Iterator[Decision | RowError]:
    view = "__qualdsl_leads"
    frame.createOrReplaceTempView(view)
    columns = {name: kind for name, kind in column_types(frame.schema).items() if name != ROW}
    columns[ROW] = "BIGINT"
    try:
        sql = compile_sql(policy.ir, columns, dialect="spark", table=view, as_of=sql_moment(as_of), carry=(ROW,))
    except SqlRefused as refused:
        raise handed_over(refused) from None
    pending = iter(errors)
    next_error = next(pending, None)
    index = 0
    last = -1
    try:
        for row in spark.sql(sql).toLocalIterator():
            while next_error is not None and next_error[0] <= index:
                yield next_error[1]
                next_error = next(pending, None)
            number = row[ROW]
            if number <= last:
                raise SparkProblem("Spark returned the rows out of input order (please report this)")
            last = number
            yield _decision(row)
            index += 1
    except SparkProblem:
        raise
    except Exception as error:
        if type(error).__module__.startswith(("pyspark", "py4j")):
            what = held_back(error)
            if what is not None:  # the SQL's stop: a lead Spark cannot decide exactly
                from ...batch.engines import HandOver

                raise HandOver(f"the spark engine {what}" if what.startswith("cannot hold") else what) from None
            raise SparkProblem(f"Spark could not decide the leads: {_first_line(error)}") from None
        raise
    while next_error is not None:
        yield next_error[1]
        next_error = next(pending, None)


def _first_line(error: Exception) -> str:
    text = str(error)
    for line in text.splitlines():
        if "qualdsl:" in line:
            return line.strip()
    return text.splitlines()[0] if text else type(error).__name__


def _decision(row: Any) -> Decision:
    icp, scores = row["icp"], row["scores"]
    return Decision(
        row["policy"], row["lead"], row["as_of"], icp["pass"], list(icp["reasons"]), scores.asDict(),
        row["tier"], row["route"],
        tuple(RuleResult(r["block"], r["rule"], r["fired"], r["points"]) for r in row["rules"]),
        list(row["warnings"]),
    )


class SparkEngine:
    """batch's Engine protocol: decisions and unreadable rows in input order."""

    per_lead_as_of = True  # decides each row as of its own field (`--as-of-field`)

    def __init__(self, master: str = "local[*]") -> None:
        self.master = master

    def run(self, job: Any, policy: Any) -> Iterator[Decision | RowError]:
        master = getattr(job, "spark_master", None) or self.master
        if job.per_lead is None:
            return decisions(policy, job.inputs, as_of=job.as_of, format=job.input_format, master=master)
        results = decisions(policy, job.inputs, as_of=job.per_lead, format=job.input_format, master=master)
        return with_moment_errors(results, policy, job)


def spark_columns(frame: Any) -> Mapping[str, str]:
    """The column types of a DataFrame as compile_sql takes them."""
    return column_types(frame.schema)


# ------------------------------------------------------- one lead at a time

class SparkEvaluator:
    """The Spark SQL backend as an `Evaluator` (backends/__init__.py), one
    lead at a time, for the conformance tests and `qualdsl test --backend
    spark` (`qualdsl score --engine spark` decides whole files at once).

    A lead becomes one JSON line read with the Spark types of its own values
    (as `_text_leads` types a file's; a date or datetime object at the top
    level, which YAML gives, as DATE or TIMESTAMP), so the compiled coercion
    SQL reads each as the contract says, and `as_of` is a column of that row
    (read as `--as-of` text is). Spark's analysis of a large SELECT takes
    seconds, so each shape of column types has one DataFrame, analysed once,
    over one file that every lead of that shape overwrites: the file keeps
    its size (the line is padded with spaces), and each collect reads it
    anew. (`as_of` is a TIMESTAMP, not text: Spark's optimizer copies a
    column's expression into each use, and the parse of a text is large.)
    A policy Spark cannot run exactly raises its located refusal
    (SqlRefused) at the first evaluate whose shape needs the construct; a
    lead Spark cannot hold or show exactly raises LeadRefused naming it."""

    def __init__(self, policy: Any, master: str = "local[1]") -> None:
        from .duckdb_engine import _top_level_names

        self.ir = policy
        self.master = master
        self.names = _top_level_names(policy)
        self.spark: Any = None
        self.folder = tempfile.mkdtemp(prefix="qualdsl-spark-lead-")
        weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.shapes: dict[tuple[Any, int], tuple[str, Any]] = {}  # (schema, file size) -> (file, decision frame)

    def evaluate(self, lead: Any, *, as_of: Any) -> Decision:
        from ...api import format_as_of, normalize_as_of
        from .duckdb_engine import lead_object
        lead, warnings = lead_object(lead)
        for name in self.names:
            if name in lead and has_lone_surrogate(lead[name]):  # the lead travels as UTF-8 JSON
                raise LeadRefused(lone_surrogate_in(name, "spark"))
        try:
            values = {name: _plain(name, lead[name]) for name in self.names if name in lead}
            schema = _one_lead_schema(values)
        except SparkProblem as problem:
            raise LeadRefused(f"spark: {problem}") from None
        line = json.dumps({**{name: _json_value(value) for name, value in values.items()},
                           _AS_OF: format_as_of(normalize_as_of(as_of))}, ensure_ascii=False)
        size = max(4096, 1 << len(line.encode("utf-8")).bit_length())
        path, frame = self._frame(schema, size)
        with open(path, "w", encoding="utf-8") as out:
            out.write(line + " " * (size - len(line.encode("utf-8"))))
        try:
            (result,) = frame.collect()
        except Exception as error:
            if type(error).__module__.startswith(("pyspark", "py4j")):
                message = _first_line(error)
                if "qualdsl:" in message:  # the SQL's own stop: a value Spark cannot show exactly
                    raise LeadRefused(f"spark: {message[message.index('qualdsl:'):]}") from None
                raise SparkProblem(f"Spark could not decide the lead: {message}") from None
            raise
        decision = _decision(result)
        if warnings:
            decision = decision._replace(warnings=warnings + list(decision.warnings))
        return decision

    def _frame(self, schema: Any, size: int) -> tuple[str, Any]:
        """The lead file and the decision DataFrame over it for one shape."""
        from pyspark.sql import types as t

        known = self.shapes.get((schema, size))
        if known is not None:
            return known
        # Each (shape, size) its own view, so its own SELECT (a longer lead of a
        # known shape once read the shorter lead's file through the first view).
        # Compiled before Spark starts: a refused policy costs no session.
        view = f"__qualdsl_lead_{id(self)}_{len(self.shapes)}"
        columns = {**column_types(schema), _AS_OF: "TIMESTAMPTZ"}
        sql = compile_sql(self.ir, columns, dialect="spark", table=view, as_of=AsOfField((_AS_OF,)))
        if self.spark is None:
            self.spark = evaluation_session(self.master)
        path = os.path.join(self.folder, f"{len(self.shapes)}.json")
        with open(path, "w", encoding="utf-8") as out:
            out.write(" " * size)
        # Times travel as their text (exact, whatever the session time zone) and are cast back.
        times = (t.DateType, t.TimestampType, t.TimestampNTZType)
        text_schema = t.StructType([t.StructField(f.name, t.StringType() if isinstance(f.dataType, times)
                                                  else f.dataType) for f in schema.fields]
                                   + [t.StructField(_AS_OF, t.StringType())])
        raw = self.spark.read.schema(text_schema).option("allowNonNumericNumbers", "true") \
            .option("mode", "FAILFAST").json(path)
        # By quoted name: `raw["company.employees"]` would be the member of `company`.
        typed = raw.select(*[_column(f.name).cast(f.dataType).alias(f.name) if isinstance(f.dataType, times)
                             else _column(f.name) for f in schema.fields],
                           _column(_AS_OF).cast(t.TimestampType()).alias(_AS_OF))
        typed.createOrReplaceTempView(view)
        frame = self.spark.sql(sql)
        self.shapes[(schema, size)] = (path, frame)
        return path, frame


_AS_OF = "__qualdsl_as_of"


def evaluation_session(master: str = "local[1]") -> Any:
    """The session of SparkEvaluator: `session`, with code generation off
    (speed only, the SQL does not depend on it: one row through a large
    SELECT spends most of its time compiling Java)."""
    spark = session(master)
    spark.conf.set("spark.sql.codegen.wholeStage", "false")
    spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    return spark


def _column(name: str) -> Any:
    from pyspark.sql import functions as f

    return f.col("`" + name.replace("`", "``") + "`")


def _plain(name: str, value: Any) -> Any:
    """A top-level lead value as the one-row relation holds it: dates and
    datetimes as they are; anything else as its JSON (what json.loads gives
    for the JSON text DuckDBEvaluator passes: tuples are lists, a nested date
    its text)."""
    from .duckdb_engine import json_text

    if type(value) in (dt.date, dt.datetime):
        return value
    try:
        return json.loads(json_text(value))
    except ValueError:  # an int of more digits than Python converts
        raise SparkProblem(f"lead: `{name}` holds an integer beyond 64 bits; use the python engine") from None


def _json_value(value: Any) -> Any:
    """A value of `_plain` in the lead's JSON line: a time as its ISO text,
    which Spark casts to DATE, TIMESTAMP (with its offset) or TIMESTAMP_NTZ."""
    if type(value) is dt.date:
        return value.isoformat()
    if type(value) is dt.datetime:
        return value.isoformat(sep=" ")
    return value


def _one_lead_schema(values: Mapping[str, Any]) -> Any:
    """The Spark schema of one lead's top-level values (`_Kinds`, each value
    on its own: a list's ints and floats are refused together)."""
    from pyspark.sql import types as t

    kinds = _Kinds(set())
    fields = []
    for name, value in values.items():
        if type(value) is dt.date:
            kind: Any = t.DateType()
        elif type(value) is dt.datetime:
            kind = t.TimestampNTZType() if value.tzinfo is None else t.TimestampType()
        else:
            kinds.add(value, (name,), "lead")
            kind = kinds.spark_type((name,))
        fields.append(t.StructField(name, kind))
    return t.StructType(fields)


def evaluator(policy: Any) -> SparkEvaluator:
    return SparkEvaluator(policy)
