"""The checked-in function snapshot against the live Spark: a sample of arities and return types, and the grammar
forms kept by hand, so that neither can drift from the pinned Spark without a failing test."""

from __future__ import annotations

from typing import Any

import pytest

from sqlingest.validate.functions import GRAMMAR_ARITIES, builtin_registry

pytestmark = pytest.mark.integration

SAMPLE = ["upper", "substr", "concat", "coalesce", "nvl", "nvl2", "if", "date_add", "datediff", "to_date",
          "date_format", "sum", "count", "percentile_approx", "collect_list", "row_number", "lag", "ntile",
          "explode", "posexplode", "stack", "transform", "aggregate", "map", "named_struct", "array",
          "regexp_extract", "round", "make_timestamp", "greatest", "current_date", "rand"]

RETURNS = [  # (expression, function, argument types as the analyzer would pass them)
    ("upper('a')", "upper", ["string"]), ("length('a')", "length", ["string"]),
    ("sum(CAST(1 AS INT))", "sum", ["int"]), ("sum(CAST(1 AS DECIMAL(10,2)))", "sum", ["decimal(10,2)"]),
    ("avg(1)", "avg", ["int"]), ("abs(1L)", "abs", ["bigint"]), ("abs('1')", "abs", ["string"]),
    ("coalesce(1, 2L)", "coalesce", ["int", "bigint"]), ("coalesce(1, 2L, 3.5D)", "coalesce", ["int", "bigint", "double"]),
    ("nvl(1, 2.5D)", "nvl", ["int", "double"]), ("if(true, 1, 2.5D)", "if", ["boolean", "int", "double"]),
    ("date_add(DATE'2020-01-01', 1)", "date_add", ["date", "int"]), ("to_date('2020-01-01')", "to_date", ["string"]),
    ("collect_list('a')", "collect_list", ["string"]), ("array(1, 2)", "array", ["int", "int"]),
    ("element_at(array('a'), 1)", "element_at", ["array<string>", "int"]), ("count(1)", "count", ["int"]),
    ("current_date()", "current_date", []), ("round(1.5D, 0)", "round", ["double", "int"]),
    ("concat('a', 'b', 'c', 'd')", "concat", ["string", "string", "string", "string"]),
    ("datediff(DAY, TIMESTAMP'2020-01-01 00:00:00', TIMESTAMP'2020-01-02 00:00:00')", "datediff",
     ["day", "timestamp", "timestamp"]),
]

GRAMMAR = {  # each hand-kept grammar form, as Spark takes it
    "timestampadd": "timestampadd(HOUR, 1, TIMESTAMP'2020-01-01 00:00:00')",
    "dateadd": "dateadd(HOUR, 1, TIMESTAMP'2020-01-01 00:00:00')",
    "date_add": "date_add(HOUR, 1, TIMESTAMP'2020-01-01 00:00:00')",
    "timestampdiff": "timestampdiff(DAY, DATE'2020-01-01', DATE'2020-02-01')",
    "datediff": "datediff(DAY, DATE'2020-01-01', DATE'2020-02-01')",
    "date_diff": "date_diff(DAY, DATE'2020-01-01', DATE'2020-02-01')",
    "percentile_cont": "percentile_cont(0.5) WITHIN GROUP (ORDER BY a)",
    "percentile_disc": "percentile_disc(0.5) WITHIN GROUP (ORDER BY a)",
}


def _error_class(spark: Any, sql: str) -> str | None:
    """Analyze ``sql`` (no job, no Dataset: ``named_struct()``'s empty struct has no encoder) → its error class."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException

    state = spark._jsparkSession.sessionState()
    mode = spark._jvm.org.apache.spark.sql.execution.CommandExecutionMode.SKIP()
    try:
        state.executePlan(state.sqlParser().parsePlan(sql), mode).analyzed()
    except AnalysisException as exc:
        return exc.getErrorClass() or str(exc)
    except Py4JJavaError as exc:  # Spark's internal errors are not AnalysisExceptions
        return str(exc.java_exception.getMessage())
    return None


def _wrong_arity(err: str | None) -> bool:
    return err is not None and err.startswith(("WRONG_NUM_ARGS", "DATATYPE_MISMATCH.WRONG_NUM_ARGS",
                                               "REQUIRED_PARAMETER_NOT_FOUND"))


def test_sampled_arities_match_spark(lakehouse) -> None:
    registry = builtin_registry()
    mismatches = []
    for name in SAMPLE:
        info = registry.lookup(name)
        for n in range(7):
            if n in GRAMMAR_ARITIES.get(name, ("", ()))[1]:
                continue  # datediff(DAY, a, b): grammar, checked below
            # literal 1s, where the snapshot probed with NULLs: an independent second look
            err = _error_class(lakehouse.spark, f"SELECT {name}({', '.join(['1'] * n)})")
            if info.accepts(n) == _wrong_arity(err):
                mismatches.append((name, n, info.arity_text(), err))
    assert mismatches == []


def test_sampled_return_types_match_spark(lakehouse) -> None:
    registry = builtin_registry()
    got = []
    for expr, name, types in RETURNS:
        from_values = " FROM VALUES (1) AS t(a)" if name in ("sum", "avg", "count", "collect_list") else ""
        live = lakehouse.spark.sql(f"SELECT {expr}{from_values}").schema[0].dataType.simpleString()
        got.append((expr, registry.return_type(name, types), live))
    assert [g for g in got if g[1] != g[2]] == []


def test_grammar_forms_are_taken_by_spark(lakehouse) -> None:
    assert sorted(GRAMMAR) == sorted(GRAMMAR_ARITIES)
    for name, expr in GRAMMAR.items():
        assert _error_class(lakehouse.spark, f"SELECT {expr} FROM VALUES (1) AS t(a)") is None, name
    # the probe really cannot see them: the registry has no 3-argument datediff
    assert _wrong_arity(_error_class(lakehouse.spark, "SELECT datediff(NULL, NULL, NULL)"))
