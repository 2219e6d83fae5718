"""Contracts validated at compile time (issue #14, #15): each rule's exact ``file:line:col: message`` from
``sqlingest compile``, exit 2, every problem at once, and valid contracts that must stay clean."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.project import load_project

SILVER = "contracts/shop/orders.silver.yml"
HEAD = """\
name: shop.orders
layer: silver
keys: {business: [id]}
columns:
  - {name: id, type: bigint, nullable: false}
  - {name: status, type: string}
  - {name: qty, type: int}
  - {name: price, type: "decimal(10,2)"}
  - {name: day, type: date}
  - {name: ts, type: timestamp}
  - {name: paid, type: boolean}
"""
CUSTOMERS = """\
name: shop.customers
layer: silver
columns:
  - {name: customer_id, type: bigint}
  - {name: email, type: string}
"""


def compile_errors(make_project, capsys, files: dict[str, str], config: str | None = None) -> list[str]:
    """``sqlingest compile`` on a project of ``files``: exit 2, no traceback; the error lines (hints included)."""
    root = make_project(files, config=config)
    assert main(["compile", "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.removeprefix("error: ").rstrip("\n").splitlines()
    return [line for line in lines if not line.endswith(" found")]


def table_check(make_project, capsys, *checks: str) -> list[str]:
    """Errors of the silver contract with ``checks`` as its table checks (first check on line 13)."""
    text = HEAD + "checks:\n" + "".join(f"  - {c}\n" for c in checks)
    return compile_errors(make_project, capsys, {SILVER: text, "contracts/shop/customers.silver.yml": CUSTOMERS})


def column_check(make_project, capsys, column: str, *checks: str) -> list[str]:
    """Errors of the silver contract with ``checks`` under ``column``, which moves to the end of the columns in
    block style (``- name:`` on line 11, ``type:`` on 12, ``checks:`` on 13, the first check on line 14)."""
    lines = HEAD.splitlines()
    index = next(i for i, line in enumerate(lines) if f"name: {column}," in line)
    ctype = lines[index].split("type: ", 1)[1].split("}")[0].split(", nullable")[0]
    rest = lines[:index] + lines[index + 1:]
    text = "\n".join(rest) + f"\n  - name: {column}\n    type: {ctype}\n    checks:\n"
    text += "".join(f"      - {c}\n" for c in checks)
    return compile_errors(make_project, capsys, {SILVER: text, "contracts/shop/customers.silver.yml": CUSTOMERS})


L = f"{SILVER}:13:5"  # the first table check's entry


# ---------------------------------------------------------------------------------------------------------------
# columns named by checks, keys and partitions
# ---------------------------------------------------------------------------------------------------------------


def test_table_check_on_an_undeclared_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: not_null, column: statu}") == [
        f"{SILVER}:13:22: check not_null(statu): column 'statu' is not a declared column",
        "  hint: did you mean 'status'?"]


def test_compound_unique_on_an_undeclared_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: unique, columns: [id, dya]}") == [
        f"{SILVER}:13:34: check unique(id,dya): column 'dya' is not a declared column",
        "  hint: did you mean 'day'?"]


def test_undeclared_key_and_partition_columns_at_their_entries(make_project, capsys):
    text = HEAD.replace("keys: {business: [id]}", "keys: {business: [id, nope], ordering: upd}\n"
                        "partitioned_by: [day, month]")
    assert compile_errors(make_project, capsys, {SILVER: text}) == [
        f"{SILVER}:3:23: key column 'nope' is not a declared column",
        f"{SILVER}:3:30: key column 'upd' is not a declared column",
        f"{SILVER}:4:23: partition column 'month' is not a declared column"]


def test_a_column_declared_twice(make_project, capsys):
    text = HEAD + "  - {name: qty, type: bigint}\n"
    assert compile_errors(make_project, capsys, {SILVER: text}) == [
        f"{SILVER}:12:6: column 'qty' is declared twice"]


def test_scd2_and_audit_columns_may_be_checked(make_project, capsys):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: primary_key, columns: [id, valid_from]}\n"
                                        "  - {type: expression, expression: 'valid_to IS NULL OR is_current = false'}\n",
                         "contracts/shop/orders.bronze.yml": HEAD.replace("layer: silver", "layer: bronze")
                         + "checks:\n  - {type: not_null, column: _ingested_at}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0


# ---------------------------------------------------------------------------------------------------------------
# parameters of each check type
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "message"), [
    ("{type: regex, column: status}", "check regex(status): needs pattern (a Java regular expression)"),
    ("{type: relationships, column: id}",
     "check relationships(id): needs to (the referenced contract, layer:domain.dataset)"),
    ("{type: accepted_values, column: status}", "check accepted_values(status): needs values (the accepted literals)"),
    ("{type: expression}", "check expression(table): needs expression (a SQL predicate)"),
    ("{type: sql_metric, name: m}", "check m: needs query (SELECT … FROM {table})"),
    ("{type: range, column: qty}", "check range(qty): needs min or max"),
    ("{type: row_count}", "check row_count(table): needs min or max"),
    ("{type: freshness, column: ts}", "check freshness(ts): needs max (a duration such as 1d, 6h, 1d12h)"),
    ("{type: not_null}", "check not_null(table): needs 'column' (or declare the check under the column)"),
])
def test_required_parameters(make_project, capsys, check, message):
    assert table_check(make_project, capsys, check) == [f"{L}: {message}"]


def test_a_parameter_its_type_does_not_use(make_project, capsys):
    assert table_check(make_project, capsys, "{type: not_null, column: id, pattern: '^a'}") == [
        f"{SILVER}:13:34: check not_null(id): 'pattern' is not a parameter of not_null checks",
        "  hint: 'pattern' is a parameter of regex checks"]


def test_a_misspelt_parameter_of_the_shorthand(make_project, capsys):
    # at the misspelt key itself, naming the check (was "14:9: unknown key 'mni'", at the entry)
    assert column_check(make_project, capsys, "qty", "{range: {mni: 1}}") == [
        f"{SILVER}:14:18: check range(qty): 'mni' is not a parameter of range checks",
        "  hint: did you mean 'min'?"]


def test_a_table_check_under_a_column(make_project, capsys):
    assert column_check(make_project, capsys, "qty", "{row_count: {min: 1}}") == [
        f"{SILVER}:14:9: check row_count(qty): row_count is a table check, not a column check",
        "  hint: move it to the contract's top-level checks: list"]


def test_column_on_a_table_check(make_project, capsys):
    assert table_check(make_project, capsys, "{type: row_count, column: id, min: 1}") == [
        f"{SILVER}:13:23: check row_count(id): row_count checks take no 'column'"]


def test_unknown_check_type_with_did_you_mean(make_project, capsys):
    errors = table_check(make_project, capsys, "{type: not_nul, column: id}")
    assert errors[0].startswith(f"{SILVER}:13:6: checks.0.type: unknown check type 'not_nul' "
                                "(did you mean 'not_null'? known: not_null, unique,")


@pytest.mark.parametrize(("check", "message", "hint"), [
    ("{type: not_null, column: id, severity: fatl}", "checks.0.severity: Input should be 'error' or 'warn'", None),
    ("{type: not_null, column: id, severity: eror}", "checks.0.severity: Input should be 'error' or 'warn'",
     "did you mean 'error'?"),
    ("{type: not_null, column: id, action: quarantaine}",
     "checks.0.action: Input should be 'fail', 'warn', 'quarantine' or 'drop'", "did you mean 'quarantine'?"),
])
def test_severity_and_action_literals(make_project, capsys, check, message, hint):
    errors = table_check(make_project, capsys, check)
    assert errors[0].endswith(message) and errors[0].startswith(f"{SILVER}:13:")
    assert (errors[1] if len(errors) > 1 else None) == (f"  hint: {hint}" if hint else None)


def test_quarantine_on_a_table_level_check(make_project, capsys):
    assert table_check(make_project, capsys, "{type: row_count, min: 1, action: quarantine}") == [
        (f"{SILVER}:13:31: check row_count(table): action 'quarantine' is not supported by row_count checks "
         "(row_count is evaluated on the whole table; 'quarantine' needs failing rows to set aside: not_null, unique, "
         "accepted_values, range, regex, length, relationships, expression, decodable)"),
        "  hint: row_count supports action: fail, warn"]


# ---------------------------------------------------------------------------------------------------------------
# thresholds and durations
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", ["10", "'10'", "'5%'", "'0.5%'", "0", "'100%'"])
def test_valid_thresholds(make_project, capsys, threshold):
    root = make_project({SILVER: HEAD + f"checks:\n  - {{type: not_null, column: id, threshold: {threshold}}}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(("threshold", "message"), [
    ("0.5", "threshold '0.5' is neither a row count (10) nor a percentage ('5%', '0.5%')"),
    ("'five'", "threshold 'five' is neither a row count (10) nor a percentage ('5%', '0.5%')"),
    ("'-1'", "threshold '-1' is neither a row count (10) nor a percentage ('5%', '0.5%')"),
    ("'150%'", "threshold '150%' is more than 100%"),
])
def test_invalid_thresholds(make_project, capsys, threshold, message):
    errors = table_check(make_project, capsys, f"{{type: not_null, column: id, threshold: {threshold}}}")
    assert errors[0] == f"{SILVER}:13:34: check not_null(id): {message}"


@pytest.mark.parametrize("duration", ["1d", "6h", "90m", "30s", "1d12h"])
def test_valid_freshness_durations(make_project, capsys, duration):
    root = make_project({SILVER: HEAD + f"checks:\n  - {{type: freshness, column: ts, max: {duration}}}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(("param", "value"), [("max", "1 day"), ("warn_after", "1w"), ("error_after", "'24'")])
def test_unparseable_durations(make_project, capsys, param, value):
    errors = table_check(make_project, capsys, f"{{type: freshness, column: ts, {param}: {value}}}")
    shown = value.strip("'")
    column = 35
    assert errors == [f"{SILVER}:13:{column}: check freshness(ts): {param} '{shown}' is not a duration",
                      "  hint: write <number><unit> with units d, h, m, s: 1d, 6h, 90m, 1d12h"]


def test_freshness_on_a_non_temporal_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: freshness, column: status, max: 1d}") == [
        f"{SILVER}:13:23: check freshness(status): freshness needs a date or timestamp column; 'status' is string"]


# ---------------------------------------------------------------------------------------------------------------
# regex (as java.util.regex judges it)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "problem"), [
    ("'[a-'", "Unclosed character class near index 2"),
    ("'{abc}'", "Illegal repetition near index 0"),
    ("'\\p{Latin}+'", "Unknown character property name {Latin} near index 9"),
    ("'(?P<x>a)'", "Unknown inline modifier near index 2"),
    ("'*a'", "Dangling meta character '*' near index 0"),
])
def test_patterns_java_rejects(make_project, capsys, pattern, problem):
    errors = column_check(make_project, capsys, "status", f"{{regex: {pattern}}}")
    shown = pattern.strip("'")
    assert errors == [
        f"{SILVER}:14:10: check regex(status): pattern '{shown}' is not a valid Java regular expression: {problem}",
        "  hint: regex checks run in Spark (java.util.regex); in YAML quote patterns with single quotes"]


@pytest.mark.parametrize("pattern", ["'^\\p{Alpha}+$'", "'\\Qa.b\\E'", "'(?<word>\\w+)\\k<word>'", "'a(?i)b'",
                                     "'\\h*\\d++'"])
def test_java_only_syntax_is_accepted(make_project, capsys, pattern):
    root = make_project({SILVER: HEAD + f"checks:\n  - {{type: regex, column: status, pattern: {pattern}}}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# range, length, row_count, sql_metric, anomaly bounds
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("column", "bounds", "message"), [
    ("qty", "min: 10, max: 1", "min 10 is greater than max 1"),
    ("qty", "min: abc", "min 'abc' is not a whole number (the type of 'qty')"),
    ("price", "max: lots", "max 'lots' is not a number (the type of 'price')"),
    ("day", "min: '2024-02-30'", "min '2024-02-30' is not a date (yyyy-mm-dd) (the type of 'day')"),
    ("day", "min: 2024-03-01, max: 2024-01-01", "min 2024-03-01 is greater than max 2024-01-01"),
    ("ts", "min: yesterday", "min 'yesterday' is not a timestamp (yyyy-mm-dd[ hh:mm:ss]) (the type of 'ts')"),
    ("status", "min: 1", "min 1 is not a string (the type of 'status')"),
])
def test_range_bounds(make_project, capsys, column, bounds, message):
    errors = table_check(make_project, capsys, f"{{type: range, column: {column}, {bounds}}}")
    assert len(errors) == 1 and errors[0].startswith(f"{SILVER}:13:")
    assert errors[0].split(": ", 1)[1] == f"check range({column}): {message}"


def test_range_on_a_boolean_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: range, column: paid, min: 0}") == [
        f"{L}: check range(paid): range needs a numeric, date, timestamp or string column; 'paid' is boolean"]


def test_valid_ranges_of_every_family(make_project, capsys):
    checks = ["{type: range, column: qty, min: 1, max: '1000'}", "{type: range, column: price, min: 0.5}",
              "{type: range, column: day, min: 2024-01-01, max: '2024-12-31'}",
              "{type: range, column: ts, min: '2024-01-01T00:00:00Z', max: 2025-01-01 10:00:00}",
              "{type: range, column: status, min: a, max: z}"]
    root = make_project({SILVER: HEAD + "checks:\n" + "".join(f"  - {c}\n" for c in checks)})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


def test_length_and_row_count_need_whole_numbers(make_project, capsys):
    assert table_check(make_project, capsys, "{type: length, column: status, min: a}",
                       "{type: row_count, min: 10, max: 5}") == [
        f"{SILVER}:13:36: check length(status): min 'a' is not a length (a whole number ≥ 0)",
        f"{SILVER}:14:23: check row_count(table): min 10 is greater than max 5"]


def test_anomaly_parameters(make_project, capsys):
    assert table_check(make_project, capsys, "{type: anomaly, metric: rows, window: 0, sigma: -1}") == [
        (f"{SILVER}:13:21: check anomaly(table): metric 'rows' is not a run metric (rows_in, rows_written, "
        "rows_quarantined, rows_dropped, rows_rescued)"),
        "  hint: did you mean 'rows_in'?",
        f"{SILVER}:13:35: check anomaly(table): window 0 must be at least 1 run",
        f"{SILVER}:13:46: check anomaly(table): sigma -1 must be greater than 0"]


# ---------------------------------------------------------------------------------------------------------------
# accepted_values literals
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("column", "values", "message"), [
    ("qty", "[1, abc]", "accepted value 'abc' is not a number (the type of the column is int)"),
    ("qty", "[1, 2.5]", "accepted value 2.5 is not a whole number (the type of the column is int)"),
    ("qty", "[1, 99999999999]", "accepted value 99999999999 is out of the range of int"),
    ("paid", "[true, maybe]", "accepted value 'maybe' is not a boolean (true or false)"),
    ("day", "[2024-01-01, soon]", "accepted value 'soon' is not a date (yyyy-mm-dd)"),
    ("status", "[a, null]", "accepted value null is null (a NULL is never an accepted value; use not_null)"),
])
def test_accepted_values_that_do_not_fit_the_column(make_project, capsys, column, values, message):
    entry = f"      - {{accepted_values: {values}}}"
    at = entry.index(values.strip("[]").split(", ")[-1]) + 1  # the last value is the offending one
    assert column_check(make_project, capsys, column, entry.strip().removeprefix("- ")) == [
        f"{SILVER}:14:{at}: check accepted_values({column}): {message}"]


def test_a_date_that_does_not_exist_is_a_yaml_error(make_project, capsys):
    assert table_check(make_project, capsys, "{type: range, column: day, min: 2024-02-30}") == [
        f"{SILVER}:13:37: invalid YAML: invalid date '2024-02-30' (day is out of range for month)"]


def test_accepted_values_spark_casts(make_project, capsys):
    checks = ["{type: accepted_values, column: status, values: [1, a, true]}",  # Spark casts them to text
              "{type: accepted_values, column: qty, values: ['1', 2]}", ("{type: accepted_values, column: paid, "
              "values: [true, 'false']}")]
    root = make_project({SILVER: HEAD + "checks:\n" + "".join(f"  - {c}\n" for c in checks)})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# relationships
# ---------------------------------------------------------------------------------------------------------------


def test_relationship_to_an_unknown_contract(make_project, capsys):
    assert table_check(make_project, capsys, "{type: relationships, column: id, to: 'silver:shop.customer'}") == [
        f"{SILVER}:13:39: check relationships(id): 'to: silver:shop.customer' is not a contract of this project",
        "  hint: did you mean 'silver:shop.customers'?"]


def test_relationship_without_the_layer(make_project, capsys):
    assert table_check(make_project, capsys, "{type: relationships, column: id, to: shop.customers}") == [
        f"{SILVER}:13:39: check relationships(id): 'to: shop.customers' is not a contract of this project",
        "  hint: did you mean 'silver:shop.customers'?"]


def test_relationship_to_an_unknown_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: relationships, column: id, to: 'silver:shop.customers', "
                                             "field: customer}") == [
        f"{SILVER}:13:68: check relationships(id): silver:shop.customers has no column 'customer'",
        "  hint: did you mean 'customer_id'?"]


def test_relationship_between_incompatible_types(make_project, capsys):
    assert table_check(make_project, capsys, "{type: relationships, column: status, to: 'silver:shop.customers', "
                                             "field: customer_id}") == [
        (f"{SILVER}:13:72: check relationships(status): 'status' (string) cannot reference "
        "silver:shop.customers.customer_id (bigint)"),
        "  hint: both columns need the same kind of type"]


def test_relationship_between_integers_of_different_width_is_fine(make_project, capsys):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: relationships, column: qty, to: 'silver:shop.customers', "
                                        "field: customer_id}\n", "contracts/shop/customers.silver.yml": CUSTOMERS})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# expressions and sql_metric queries (sqlglot, Spark dialect)
# ---------------------------------------------------------------------------------------------------------------


def test_expression_on_an_undeclared_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: expression, expression: 'qty > 0 AND shipped_at >= ts'}") == [
        (f"{SILVER}:13:24: check expression(table): expression uses 'shipped_at', which is not a declared column "
        "of shop.orders")]


def test_column_expression_may_use_other_columns(make_project, capsys):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: expression, column: qty, expression: "
                                        "'qty * price < 1000 AND exists(array(qty), x -> x > 0)'}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err
    assert column_check(make_project, capsys, "qty", "{expression: 'qty < quantity_max'}") == [
        (f"{SILVER}:14:10: check expression(qty): expression uses 'quantity_max', which is not a declared column "
        "of shop.orders")]


def test_expression_syntax_error(make_project, capsys):
    assert table_check(make_project, capsys, "{type: expression, expression: 'qty > 0 AND'}") == [
        f"{SILVER}:13:24: check expression(table): expression does not parse as Spark SQL: 'AND' is incomplete"]


def test_expression_that_is_a_query(make_project, capsys):
    assert table_check(make_project, capsys, "{type: expression, expression: 'SELECT 1'}") == [
        f"{SILVER}:13:24: check expression(table): expression must be a predicate on one row, not a query"]


def test_sql_metric_on_an_undeclared_column(make_project, capsys):
    assert table_check(make_project, capsys, "{type: sql_metric, name: neg, query: 'SELECT COUNT(*) FROM {table} "
                                             "WHERE revenue < 0', max: 0}") == [
        f"{SILVER}:13:35: check neg: query uses 'revenue', which is not a declared column of shop.orders"]


def test_sql_metric_that_does_not_parse(make_project, capsys):
    assert table_check(make_project, capsys, "{type: sql_metric, name: neg, query: 'SELEC 1', max: 0}") == [
        (f"{SILVER}:13:35: check neg: query does not parse as Spark SQL: Invalid expression / Unexpected token "
        "near '1'")]


def test_sql_metric_with_joins_is_only_parsed(make_project, capsys):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: sql_metric, name: orphans, query: 'SELECT COUNT(*) AS n "
                                        "FROM {table} o LEFT JOIN lake.silver.x c ON o.id = c.order_id "
                                        "WHERE c.order_id IS NULL', max: 0}\n"})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# every independent problem at once, across files and in one file
# ---------------------------------------------------------------------------------------------------------------


def test_all_problems_of_a_file_at_once(make_project, capsys):
    text = HEAD.replace("keys: {business: [id]}", "keys: {business: [idd]}") + (
        "checks:\n"
        "  - {type: not_null, column: id, severity: fatal}\n"     # schema error (line 13)
        "  - {type: regex, column: status, pattern: '[a'}\n"      # semantic errors of the same file still reported
        "  - {type: range, column: qty, min: x}\n")
    assert compile_errors(make_project, capsys, {SILVER: text, "contracts/shop/customers.silver.yml":
                                                 CUSTOMERS + "checks:\n  - {type: not_null, column: mail}\n"}) == [
        f"{SILVER}:13:34: checks.0.severity: Input should be 'error' or 'warn'",
        f"{SILVER}:3:19: key column 'idd' is not a declared column",
        (f"{SILVER}:14:35: check regex(status): pattern '[a' is not a valid Java regular expression: "
        "Unclosed character class near index 1"),
        "  hint: regex checks run in Spark (java.util.regex); in YAML quote patterns with single quotes",
        f"{SILVER}:15:32: check range(qty): min 'x' is not a whole number (the type of 'qty')",
        "contracts/shop/customers.silver.yml:7:22: check not_null(mail): column 'mail' is not a declared column",
        "  hint: did you mean 'email'?"]


@pytest.mark.parametrize("command", [["build"], ["test"], ["run"], ["contracts", "publish"]])
def test_every_command_refuses_them(make_project, capsys, command):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: not_null, column: nope}\n"})
    assert main([*command, "--project-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"{SILVER}:13:22: check not_null(nope): column 'nope' is not a declared column" in err
    assert "Traceback" not in err


def test_threshold_numbers_reach_the_checks(make_project):
    root = make_project({SILVER: HEAD + "checks:\n  - {type: not_null, column: id, threshold: 10}\n"})
    check = load_project(root).contracts["silver:shop.orders"].checks[0]
    assert check.threshold == "10"
    assert check.location is not None and (check.location.line, check.location.col) == (13, 5)
    assert check.param_locations["threshold"].col == 34


# ---------------------------------------------------------------------------------------------------------------
# source sections (issue #15): reader options, JDBC passwords, env_var()/var() in paths
# ---------------------------------------------------------------------------------------------------------------

SOURCE = "contracts/shop/orders.source.yml"


def source(make_project, capsys, section: str, config: str | None = None) -> list[str]:
    text = "name: shop.orders\nlayer: source\nsource:\n" + textwrap.indent(textwrap.dedent(section), "  ") + \
        "columns:\n  - {name: id, type: bigint}\n  - {name: at, type: timestamp}\n"
    return compile_errors(make_project, capsys, {SOURCE: text}, config=config)


def test_unknown_spark_option_of_a_file_source(make_project, capsys):
    assert source(make_project, capsys, "format: csv\npath: data/*.csv\noptions: {delimter: ';', header: true}\n") == [
        f"{SOURCE}:6:13: source shop.orders: unknown option 'delimter' for csv sources",
        "  hint: did you mean 'delimiter'?"]


def test_spark_option_without_effect(make_project, capsys):
    assert source(make_project, capsys, "format: json\npath: data/*.jsonl\noptions: {allowComments: true}\n") == [
        (f"{SOURCE}:6:13: source shop.orders: option 'allowComments' has no effect on json sources: each line is "
        "decoded with from_json into text values, then cast to the declared types")]


def test_option_sqlingest_sets(make_project, capsys):
    assert source(make_project, capsys, "format: csv\npath: data/*.csv\noptions: {mode: FAILFAST}\n") == [
        f"{SOURCE}:6:13: source shop.orders: option 'mode' is set by sqlingest and cannot be given",
        "  hint: sqlingest reads with the contract's schema, PERMISSIVE, rescuing what does not fit"]


def test_unknown_source_level_key(make_project, capsys):
    assert source(make_project, capsys, "format: kafka\ntopic: t\nbootstrap_server: b:9092\n") == [
        f"{SOURCE}:6:3: source shop.orders: unknown key 'bootstrap_server' for kafka sources",
        "  hint: did you mean 'bootstrap_servers'?"]


def test_spark_jdbc_option_at_the_source_level(make_project, capsys):
    assert source(make_project, capsys, "format: jdbc\nurl: jdbc:postgresql://h/db\ntable: t\nfetchsize: 10\n") == [
        f"{SOURCE}:7:3: source shop.orders: unknown key 'fetchsize' for jdbc sources",
        "  hint: Spark JDBC options go under options: (options: {fetchsize: …})"]


def test_misspelt_jdbc_option(make_project, capsys):
    assert source(make_project, capsys, "format: jdbc\nurl: jdbc:postgresql://h/db\ntable: t\n"
                                        "options: {fetchsiz: 10, sslmode: require}\n") == [
        f"{SOURCE}:7:13: source shop.orders: unknown option 'fetchsiz' for jdbc sources",
        "  hint: did you mean 'fetchsize'? (other keys are passed to the driver as connection properties)"]


def test_jdbc_url_with_a_password_is_a_compile_error(make_project, capsys):
    assert source(make_project, capsys, "format: jdbc\nurl: 'jdbc:postgresql://h/db?user=a&password=hunter2'\n"
                                        "table: t\n") == [
        f"{SOURCE}:5:3: source shop.orders: the JDBC URL must not hold a password",
        "  hint: use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)"]


def test_jdbc_literal_password_and_undeclared_watermark(make_project, capsys):
    assert source(make_project, capsys, "format: jdbc\nurl: jdbc:postgresql://h/db\nquery: SELECT 1\n"
                                        "password: x\nwatermark: updated\n") == [
        f"{SOURCE}:7:3: source shop.orders: a literal 'password' is not allowed",
        "  hint: use 'password_secret: <secret name>' (env SQLINGEST_SECRET_<NAME> or a provider)",
        f"{SOURCE}:8:3: source shop.orders: watermark column 'updated' is not a declared column",
        "  hint: declare it in the contract's columns so it is kept in the target table"]


def test_enumerated_source_values(make_project, capsys):
    assert source(make_project, capsys, "format: kafka\ntopic: t\nstarting_offsets: earlist\n"
                                        "metadata_columns: {timestamp: at, keey: id}\n") == [
        f"{SOURCE}:6:3: source shop.orders: starting_offsets 'earlist' is not one of earliest, latest",
        "  hint: did you mean 'earliest'?",
        (f"{SOURCE}:7:37: source shop.orders: metadata_columns: unknown field 'keey' (key, timestamp, topic, "
        "partition, offset)"),
        "  hint: did you mean 'key'?"]


def test_http_credentials_and_pagination(make_project, capsys):
    assert source(make_project, capsys, "format: http\nurl: https://api/x\nheaders: {Authorization: Bearer x}\n"
                                        "pagination: {type: cursr, cursor: next}\n") == [
        f"{SOURCE}:7:29: source shop.orders: unknown pagination key 'cursor'",
        "  hint: did you mean 'cursor_path'?",
        f"{SOURCE}:7:16: source shop.orders: pagination.type 'cursr' is not one of none, page, offset, cursor, link",
        "  hint: did you mean 'cursor'?",
        f"{SOURCE}:6:13: source shop.orders: header 'Authorization' must come from a secret",
        "  hint: use auth_secret: <secret name> (and auth_header/auth_scheme)"]


def test_literal_aws_key_and_kafka_jaas(make_project, capsys):
    assert source(make_project, capsys, "format: kinesis\nstream: s\nsecret_access_key: abc\n") == [
        f"{SOURCE}:6:3: source shop.orders: AWS keys must come from secrets",
        "  hint: access_key_id_secret / secret_access_key_secret"]
    assert source(make_project, capsys, "format: kafka\ntopic: t\noptions: {kafka.sasl.jaas.config: x}\n") == [
        f"{SOURCE}:6:13: source shop.orders: kafka.sasl.jaas.config must come from a secret",
        "  hint: use jaas_secret: <name>"]


def test_unknown_source_format(make_project, capsys):
    errors = source(make_project, capsys, "format: jsonl\npath: data/*.jsonl\n")
    assert errors[:2] == [f"{SOURCE}:4:3: source shop.orders: unknown source format 'jsonl'",
                          "  hint: did you mean 'json'?"]


def test_reader_options_in_both_documented_places(make_project, capsys):
    section = "format: csv\npath: data/*.csv\nsep: ';'\noptions: {header: true, nullValue: NA, pathGlobFilter: '*.csv'}\n"
    text = "name: shop.orders\nlayer: source\nsource:\n" + textwrap.indent(section, "  ") + \
        "columns:\n  - {name: id, type: bigint}\n"
    root = make_project({SOURCE: text})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err
    from sqlingest.sources import load_source

    reader = load_source(load_project(root).contracts["source:shop.orders"], root)
    assert reader.reader_options() == {"header": "true", "nullValue": "NA", "pathGlobFilter": "*.csv", "sep": ";"}
    assert reader.listing_options() == {"pathGlobFilter": "*.csv"}


def test_source_paths_render_env_var_and_var(make_project, monkeypatch):
    section = ("format: csv\npath: \"{{ env_var('LANDING', 'data') }}/{{ var('feed') }}/*.csv\"\n")
    text = "name: shop.orders\nlayer: source\nsource:\n" + textwrap.indent(section, "  ") + \
        "columns:\n  - {name: id, type: bigint}\n"
    root = make_project({SOURCE: text}, config="name: t\nvars: {feed: orders}\n"
                                               "targets:\n  dev: {vars: {feed: orders_dev}}\n")
    monkeypatch.delenv("LANDING", raising=False)
    assert load_project(root).contracts["source:shop.orders"].source.path == "data/orders_dev/*.csv"
    monkeypatch.setenv("LANDING", "/mnt/landing")
    assert load_project(root, cli_vars={"feed": "x"}).contracts["source:shop.orders"].source.path == \
        "/mnt/landing/x/*.csv"


def test_source_path_with_an_undefined_var(make_project, capsys):
    assert source(make_project, capsys, "format: csv\npath: \"{{ var('landing') }}/*.csv\"\n") == [
        f"{SOURCE}:5:3: var('landing') is not defined",
        "  hint: define it under vars: in sqlingest.yml or pass --vars '{landing: …}'"]


def test_registry_loads_contracts_without_vars(make_project):
    from sqlingest.project import load_contracts

    section = "format: csv\npath: \"{{ var('landing') }}/*.csv\"\n"
    text = "name: shop.orders\nlayer: source\nsource:\n" + textwrap.indent(section, "  ") + \
        "columns:\n  - {name: id, type: bigint}\n"
    root = make_project({SOURCE: text})
    assert load_contracts(Path(root))["source:shop.orders"].source.path == "{{ var('landing') }}/*.csv"


# ---------------------------------------------------------------------------------------------------------------
# valid contracts stay clean
# ---------------------------------------------------------------------------------------------------------------


def test_every_documented_check_compiles(make_project, capsys):
    text = HEAD.replace("  - {name: status, type: string}", "  - name: status\n    type: string\n    checks:\n"
                        "      - accepted_values: [placed, shipped]\n      - {regex: '^[a-z]+$', severity: warn}\n"
                        "      - {length: {min: 1, max: 20}, action: drop}") + (
        "checks:\n"
        "  - {type: primary_key, columns: [id]}\n"
        "  - {type: row_count, min: 1}\n"
        "  - {type: relationships, column: id, to: 'silver:shop.customers', field: customer_id}\n"
        "  - {type: freshness, column: ts, max: 1d}\n"
        "  - {type: expression, expression: \"paid OR status <> 'shipped'\", action: drop}\n"
        "  - {type: sql_metric, name: negative, query: 'SELECT COUNT(*) FROM {table} WHERE price < 0', max: 0}\n"
        "  - {type: anomaly, metric: rows_in, window: 10, sigma: 3, severity: warn}\n"
        "  - {type: not_null, column: qty, threshold: '5%', action: quarantine}\n"
        "  - type: sodacl\n    sodacl: {\"avg(price) between 0 and 500\": {name: avg_price}}\n")
    root = make_project({SILVER: text, "contracts/shop/customers.silver.yml": CUSTOMERS})
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err


def test_the_demo_project_compiles(capsys):
    root = Path(__file__).resolve().parents[2]
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err
