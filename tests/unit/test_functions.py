"""Spark's function registry without a JVM: the snapshot, arity messages, project functions, and how sqlglot's
nodes map back to the calls the user wrote."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from sqlingest.validate.functions import (
    FunctionRegistry,
    SqlingestSpark,
    argument_count,
    builtin_registry,
    call_arguments,
    check_calls,
    common_type,
    function_calls,
    parse_spark,
    scan_calls,
    snapshot_meta,
    spark_name,
    udf_from_config,
    wider_type,
)

# (call as written, Spark function name, argument count the user wrote; None: keyword syntax, not countable)
WELL_FORMED = [
    ('count(*)', 'count', 1), ('count(x)', 'count', 1), ('count(DISTINCT x)', 'count', 1),
    ('count(DISTINCT x, y)', 'count', 2), ('sum(x)', 'sum', 1), ('avg(x)', 'avg', 1), ('mean(x)', 'mean', 1),
    ('min(x)', 'min', 1), ('max(x)', 'max', 1), ('percentile_approx(x, 0.5)', 'percentile_approx', 2),
    ('percentile_approx(x, 0.5, 100)', 'percentile_approx', 3),
    ('approx_percentile(x, 0.5)', 'approx_percentile', 2), ('approx_count_distinct(x)', 'approx_count_distinct', 1),
    ('collect_list(x)', 'collect_list', 1), ('collect_set(x)', 'collect_set', 1), ('first(x)', 'first', 1),
    ('first(x, true)', 'first', 2), ('last(x)', 'last', 1), ('stddev(x)', 'stddev', 1),
    ('variance(x)', 'variance', 1), ('count_if(x > 1)', 'count_if', 1), ('max_by(x, y)', 'max_by', 2),
    ('min_by(x, y)', 'min_by', 2), ('bool_and(b)', 'bool_and', 1), ('any_value(x)', 'any_value', 1),
    ('percentile(x, 0.5)', 'percentile', 2), ('corr(x, y)', 'corr', 2), ('array_agg(x)', 'array_agg', 1),
    ('row_number() OVER (ORDER BY x)', 'row_number', 0), ('rank() OVER (ORDER BY x)', 'rank', 0),
    ('dense_rank() OVER (ORDER BY x)', 'dense_rank', 0), ('lag(x, 1) OVER (ORDER BY x)', 'lag', 2),
    ('lag(x) OVER (ORDER BY x)', 'lag', 1), ('lead(x, 1, 0) OVER (ORDER BY x)', 'lead', 3),
    ('ntile(4) OVER (ORDER BY x)', 'ntile', 1), ('first_value(x) OVER (ORDER BY x)', 'first_value', 1),
    ('nth_value(x, 2) OVER (ORDER BY x)', 'nth_value', 2), ('percent_rank() OVER (ORDER BY x)', 'percent_rank', 0),
    ('cume_dist() OVER (ORDER BY x)', 'cume_dist', 0), ('explode(a)', 'explode', 1),
    ('explode_outer(a)', 'explode_outer', 1), ('posexplode(a)', 'posexplode', 1), ('inline(a)', 'inline', 1),
    ('stack(2, 1, 2)', 'stack', 3), ('posexplode_outer(a)', 'posexplode_outer', 1),
    ('transform(a, x -> x + 1)', 'transform', 2), ('transform(a, (x, i) -> x + i)', 'transform', 2),
    ('filter(a, x -> x > 1)', 'filter', 2), ('aggregate(a, 0, (acc, x) -> acc + x)', 'aggregate', 3),
    ('aggregate(a, 0, (acc, x) -> acc + x, acc -> acc * 10)', 'aggregate', 4),
    ('exists(a, x -> x > 1)', 'exists', 2), ('forall(a, x -> x > 1)', 'forall', 2),
    ('zip_with(a, b, (x, y) -> x + y)', 'zip_with', 3), ('array_sort(a)', 'array_sort', 1),
    ('map_filter(m, (k, v) -> v > 1)', 'map_filter', 2), ('reduce(a, 0, (acc, x) -> acc + x)', 'reduce', 3),
    ('date_add(d, 1)', 'date_add', 2), ('date_sub(d, 1)', 'date_sub', 2), ('datediff(d1, d2)', 'datediff', 2),
    ('date_diff(d1, d2)', 'date_diff', 2), ('add_months(d, 1)', 'add_months', 2),
    ('months_between(d1, d2)', 'months_between', 2), ('months_between(d1, d2, false)', 'months_between', 3),
    ("date_format(d, 'yyyy')", 'date_format', 2), ('to_date(s)', 'to_date', 1),
    ("to_date(s, 'yyyy-MM-dd')", 'to_date', 2), ('to_timestamp(s)', 'to_timestamp', 1),
    ("to_timestamp(s, 'yyyy')", 'to_timestamp', 2), ('unix_timestamp()', 'unix_timestamp', 0),
    ('unix_timestamp(s)', 'unix_timestamp', 1), ("unix_timestamp(s, 'yyyy')", 'unix_timestamp', 2),
    ('from_unixtime(n)', 'from_unixtime', 1), ("from_unixtime(n, 'yyyy')", 'from_unixtime', 2),
    ("date_trunc('month', t)", 'date_trunc', 2), ("trunc(d, 'MM')", 'trunc', 2), ('year(d)', 'year', 1),
    ('month(d)', 'month', 1), ('day(d)', 'day', 1), ('dayofmonth(d)', 'dayofmonth', 1),
    ('dayofweek(d)', 'dayofweek', 1), ('hour(t)', 'hour', 1), ('minute(t)', 'minute', 1), ('second(t)', 'second', 1),
    ('weekofyear(d)', 'weekofyear', 1), ('quarter(d)', 'quarter', 1), ('last_day(d)', 'last_day', 1),
    ("next_day(d, 'Mon')", 'next_day', 2), ('current_date()', 'current_date', 0),
    ('current_timestamp()', 'current_timestamp', 0), ('now()', 'now', 0), ('make_date(2020, 1, 1)', 'make_date', 3),
    ('make_timestamp(2020, 1, 1, 0, 0, 0)', 'make_timestamp', 6),
    ("from_utc_timestamp(t, 'UTC')", 'from_utc_timestamp', 2), ("to_utc_timestamp(t, 'UTC')", 'to_utc_timestamp', 2),
    ('timestampadd(HOUR, 1, t)', 'timestampadd', 3), ('dateadd(d, 1)', 'dateadd', 2),
    ("date_part('year', d)", 'date_part', 2), ("datepart('year', d)", 'datepart', 2), ('length(s)', 'length', 1),
    ('char_length(s)', 'char_length', 1), ('character_length(s)', 'character_length', 1), ('len(s)', 'len', 1),
    ('substr(s, 1)', 'substr', 2), ('substr(s, 1, 2)', 'substr', 3), ('substring(s, 1, 2)', 'substring', 3),
    ('substring(s, 2)', 'substring', 2), ('upper(s)', 'upper', 1), ('ucase(s)', 'ucase', 1),
    ('lower(s)', 'lower', 1), ('lcase(s)', 'lcase', 1), ('trim(s)', 'trim', 1), ('ltrim(s)', 'ltrim', 1),
    ('rtrim(s)', 'rtrim', 1), ('btrim(s)', 'btrim', 1), ("lpad(s, 5, 'x')", 'lpad', 3), ('lpad(s, 5)', 'lpad', 2),
    ("rpad(s, 5, 'x')", 'rpad', 3), ('concat(a, b)', 'concat', 2), ('concat(a, b, c)', 'concat', 3),
    ("concat_ws(',', a, b)", 'concat_ws', 3), ("replace(s, 'a', 'b')", 'replace', 3),
    ("replace(s, 'a')", 'replace', 2), ("regexp_replace(s, 'a', 'b')", 'regexp_replace', 3),
    ("regexp_extract(s, 'a', 1)", 'regexp_extract', 3), ("regexp_extract(s, 'a')", 'regexp_extract', 2),
    ("regexp_extract_all(s, 'a', 1)", 'regexp_extract_all', 3), ("regexp_like(s, 'a')", 'regexp_like', 2),
    ("rlike(s, 'a')", 'rlike', 2), ("split(s, ',')", 'split', 2), ("split(s, ',', 2)", 'split', 3),
    ("split_part(s, ',', 1)", 'split_part', 3), ("instr(s, 'a')", 'instr', 2), ("locate('a', s)", 'locate', 2),
    ("locate('a', s, 2)", 'locate', 3), ('initcap(s)', 'initcap', 1), ('reverse(s)', 'reverse', 1),
    ('repeat(s, 2)', 'repeat', 2), ('left(s, 2)', 'left', 2), ('right(s, 2)', 'right', 2),
    ("format_string('%s', a)", 'format_string', 2), ("printf('%s', a)", 'printf', 2), ('md5(s)', 'md5', 1),
    ('sha2(s, 256)', 'sha2', 2), ('sha1(s)', 'sha1', 1), ('base64(s)', 'base64', 1), ('unbase64(s)', 'unbase64', 1),
    ('hex(s)', 'hex', 1), ("translate(s, 'a', 'b')", 'translate', 3), ('ascii(s)', 'ascii', 1),
    ("startswith(s, 'a')", 'startswith', 2), ("endswith(s, 'a')", 'endswith', 2),
    ("contains(s, 'a')", 'contains', 2), ('levenshtein(a, b)', 'levenshtein', 2),
    ("get_json_object(j, '$.a')", 'get_json_object', 2), ("json_tuple(j, 'a', 'b')", 'json_tuple', 3),
    ("from_json(j, 'a INT')", 'from_json', 2), ('to_json(st)', 'to_json', 1),
    ("schema_of_json('{}')", 'schema_of_json', 1), ("parse_url(u, 'HOST')", 'parse_url', 2),
    ('coalesce(a, b)', 'coalesce', 2), ('coalesce(a, b, c)', 'coalesce', 3), ('coalesce(a)', 'coalesce', 1),
    ('nvl(a, b)', 'nvl', 2), ('ifnull(a, b)', 'ifnull', 2), ('nvl2(a, b, c)', 'nvl2', 3),
    ('nullif(a, b)', 'nullif', 2), ('if(a > 1, b, c)', 'if', 3), ('iff(a > 1, b, c)', 'iff', 3),
    ('greatest(a, b, c)', 'greatest', 3), ('least(a, b)', 'least', 2), ('isnull(a)', 'isnull', 1),
    ('isnotnull(a)', 'isnotnull', 1), ('isnan(a)', 'isnan', 1), ('nanvl(a, b)', 'nanvl', 2),
    ('assert_true(a)', 'assert_true', 1), ('abs(x)', 'abs', 1), ('round(x)', 'round', 1),
    ('round(x, 2)', 'round', 2), ('bround(x, 2)', 'bround', 2), ('ceil(x)', 'ceil', 1), ('ceiling(x)', 'ceiling', 1),
    ('floor(x)', 'floor', 1), ('floor(x, 1)', 'floor', 2), ('pow(x, 2)', 'pow', 2), ('power(x, 2)', 'power', 2),
    ('sqrt(x)', 'sqrt', 1), ('exp(x)', 'exp', 1), ('ln(x)', 'ln', 1), ('log(x)', 'log', 1), ('log(10, x)', 'log', 2),
    ('log10(x)', 'log10', 1), ('log2(x)', 'log2', 1), ('mod(a, b)', 'mod', 2), ('pmod(a, b)', 'pmod', 2),
    ('sign(x)', 'sign', 1), ('signum(x)', 'signum', 1), ('rand()', 'rand', 0), ('rand(1)', 'rand', 1),
    ('random()', 'random', 0), ('randn()', 'randn', 0), ('uuid()', 'uuid', 0), ('hash(a, b)', 'hash', 2),
    ('xxhash64(a)', 'xxhash64', 1), ('crc32(s)', 'crc32', 1), ('width_bucket(x, 0, 10, 5)', 'width_bucket', 4),
    ('div(a, b)', 'div', 2), ('try_divide(a, b)', 'try_divide', 2), ('try_add(a, b)', 'try_add', 2),
    ('int(x)', 'int', 1), ('bigint(x)', 'bigint', 1), ('double(x)', 'double', 1), ('string(x)', 'string', 1),
    ('date(x)', 'date', 1), ('timestamp(x)', 'timestamp', 1), ('boolean(x)', 'boolean', 1),
    ('decimal(x)', 'decimal', 1), ('float(x)', 'float', 1), ('smallint(x)', 'smallint', 1),
    ('tinyint(x)', 'tinyint', 1), ('binary(x)', 'binary', 1), ('array(1, 2)', 'array', 2), ('array()', 'array', 0),
    ("map('a', 1)", 'map', 2), ('map()', 'map', 0), ('struct(a, b)', 'struct', 2),
    ("named_struct('a', 1, 'b', 2)", 'named_struct', 4), ('array_contains(a, 1)', 'array_contains', 2),
    ('array_distinct(a)', 'array_distinct', 1), ("array_join(a, ',')", 'array_join', 2),
    ("array_join(a, ',', 'x')", 'array_join', 3), ('array_position(a, 1)', 'array_position', 2),
    ('array_remove(a, 1)', 'array_remove', 2), ('array_union(a, b)', 'array_union', 2),
    ('array_intersect(a, b)', 'array_intersect', 2), ('array_except(a, b)', 'array_except', 2),
    ('arrays_zip(a, b)', 'arrays_zip', 2), ('flatten(a)', 'flatten', 1), ('sequence(1, 5)', 'sequence', 2),
    ('sequence(1, 5, 2)', 'sequence', 3), ('slice(a, 1, 2)', 'slice', 3), ('size(a)', 'size', 1),
    ('cardinality(a)', 'cardinality', 1), ('element_at(a, 1)', 'element_at', 2), ('sort_array(a)', 'sort_array', 1),
    ('sort_array(a, false)', 'sort_array', 2), ('array_max(a)', 'array_max', 1), ('array_min(a)', 'array_min', 1),
    ('array_size(a)', 'array_size', 1), ('array_repeat(x, 3)', 'array_repeat', 2), ('shuffle(a)', 'shuffle', 1),
    ('map_keys(m)', 'map_keys', 1), ('map_values(m)', 'map_values', 1), ('map_entries(m)', 'map_entries', 1),
    ('map_from_arrays(a, b)', 'map_from_arrays', 2), ('map_from_entries(a)', 'map_from_entries', 1),
    ('map_concat(m, n)', 'map_concat', 2), ('str_to_map(s)', 'str_to_map', 1),
    ("str_to_map(s, ',', ':')", 'str_to_map', 3), ("to_number(s, '999')", 'to_number', 2),
    ("to_char(x, '999')", 'to_char', 2), ("try_to_number(s, '999')", 'try_to_number', 2), ('typeof(x)', 'typeof', 1),
    ('monotonically_increasing_id()', 'monotonically_increasing_id', 0),
    ('spark_partition_id()', 'spark_partition_id', 0), ('input_file_name()', 'input_file_name', 0),
    ('current_database()', 'current_database', 0), ('current_user()', 'current_user', 0),
    ('version()', 'version', 0), ('bit_length(s)', 'bit_length', 1), ('octet_length(s)', 'octet_length', 1),
    ("encode(s, 'UTF-8')", 'encode', 2), ("decode(b, 'UTF-8')", 'decode', 2), ('soundex(s)', 'soundex', 1),
    ('try_element_at(a, 1)', 'try_element_at', 2), ('array_append(a, 1)', 'array_append', 2),
    ('array_compact(a)', 'array_compact', 1), ('ifnull(a, 1)', 'ifnull', 2), ('nvl(a, 1)', 'nvl', 2),
    ('bit_count(x)', 'bit_count', 1), ("regexp_count(s, 'a')", 'regexp_count', 2),
    ("regexp_substr(s, 'a')", 'regexp_substr', 2), ("position('a', s)", 'position', 2),
    ("position('a', s, 2)", 'position', 3), ("overlay(s, 'x', 2)", 'overlay', 3), ('mask(s)', 'mask', 1),
    ('url_decode(s)', 'url_decode', 1), ('conv(s, 16, 10)', 'conv', 3), ('bin(x)', 'bin', 1), ('e()', 'e', 0),
    ('pi()', 'pi', 0), ('degrees(x)', 'degrees', 1), ('cot(x)', 'cot', 1), ('atan2(y, x)', 'atan2', 2),
    ('hypot(a, b)', 'hypot', 2), ('factorial(x)', 'factorial', 1), ('shiftleft(x, 1)', 'shiftleft', 2),
    ('timestamp_seconds(n)', 'timestamp_seconds', 1), ('timestamp_millis(n)', 'timestamp_millis', 1),
    ('unix_date(d)', 'unix_date', 1), ('unix_seconds(t)', 'unix_seconds', 1),
    ("window(t, '5 minutes')", 'window', 2), ("session_window(t, '5 minutes')", 'session_window', 2),
    ('sentences(s)', 'sentences', 1), ('elt(1, a, b)', 'elt', 3), ("find_in_set('a', s)", 'find_in_set', 2),
    ('lower(upper(s))', 'lower', 1), ('make_interval(1, 2)', 'make_interval', 2),
    ('date_from_unix_date(n)', 'date_from_unix_date', 1), ('weekday(d)', 'weekday', 1),
    ('extract(YEAR FROM d)', 'extract', None), ("trim(BOTH 'x' FROM y)", 'trim', None),
    ('trim(LEADING FROM y)', 'trim', None), ("position('a' IN s)", 'position', None),
    ("overlay(s PLACING 'x' FROM 2)", 'overlay', None), ("overlay(s PLACING 'x' FROM 2 FOR 1)", 'overlay', None),
    ('substring(s FROM 2)', 'substring', None), ('substring(s FROM 2 FOR 1)', 'substring', None),
    ('cast(x AS int)', None, None), ('try_cast(x AS int)', None, None),
    ('percentile_cont(0.5) WITHIN GROUP (ORDER BY x)', 'percentile_cont', 1), ('every(b)', 'every', 1),
    ('some(b)', 'some', 1), ('any(b)', 'any', 1), ('std(x)', 'std', 1), ('stddev_samp(x)', 'stddev_samp', 1),
    ('var_pop(x)', 'var_pop', 1), ('skewness(x)', 'skewness', 1), ('kurtosis(x)', 'kurtosis', 1),
    ('covar_pop(x, y)', 'covar_pop', 2), ('regr_count(y, x)', 'regr_count', 2),
    ('histogram_numeric(x, 5)', 'histogram_numeric', 2), ('mode(x)', 'mode', 1), ('median(x)', 'median', 1),
    ('bit_or(x)', 'bit_or', 1), ('bool_or(b)', 'bool_or', 1),
    ('count_min_sketch(x, 0.5d, 0.5d, 1)', 'count_min_sketch', 4), ('lenght(s)', 'lenght', 1),
    ('my_udf(a, b)', 'my_udf', 2), ('substr(s)', 'substr', 1), ('round(x, 1, 2)', 'round', 3),
    ('count()', 'count', 0), ('nvl(a)', 'nvl', 1), ('nvl(a, b, c)', 'nvl', 3), ('ifnull(a, b, c)', 'ifnull', 3),
    ('if(a, b)', 'if', 2), ('datediff(a, b, c)', 'datediff', 3), ('date_diff(a)', 'date_diff', 1),
    ('to_date(a, b, c)', 'to_date', 3), ('row_number(x) OVER (ORDER BY x)', 'row_number', 1),
    ('explode(a, b)', 'explode', 2), ('transform(a)', 'transform', 1), ('struct()', 'struct', 0),
    ('trim(a, b)', 'trim', 2), ('regexp_replace(a, b, c, d)', 'regexp_replace', 4),
    ('regexp_replace(a, b)', 'regexp_replace', 2), ('percentile_approx(x)', 'percentile_approx', 1),
    ('max_by(x)', 'max_by', 1), ('approx_count_distinct(x, 0.05)', 'approx_count_distinct', 2),
    ('first(x, true, 1)', 'first', 3), ('sha2(s)', 'sha2', 1), ('current_date(1)', 'current_date', 1),
    ('rand(1, 2)', 'rand', 2), ('uuid(1)', 'uuid', 1), ('hash()', 'hash', 0), ('greatest(a)', 'greatest', 1),
    ('to_timestamp(a, b, c)', 'to_timestamp', 3), ('array_sort(a, b, c)', 'array_sort', 3),
    ('struct(a)', 'struct', 1), ('initcap(a, b)', 'initcap', 2),
]

# calls sqlglot refuses to parse (its message names its own classes): found again from the tokens
MALFORMED = [
    ('date_add(d)', 'date_add', 1), ('coalesce()', 'coalesce', 0), ('concat()', 'concat', 0),
    ('upper(a, b)', 'upper', 2), ('sum(a, b)', 'sum', 2), ('date_format(d)', 'date_format', 1),
    ('left(s)', 'left', 1), ('split(a)', 'split', 1), ('array_join(a)', 'array_join', 1),
    ('lag(a, 1, 2, 3) OVER (ORDER BY x)', 'lag', 4), ("map('a')", 'map', 1), ('length()', 'length', 0),
    ('year(a, b)', 'year', 2), ('trim(a, b, c)', 'trim', 3), ("date_trunc('month')", 'date_trunc', 1),
    ('instr(s)', 'instr', 1), ('locate(s)', 'locate', 1), ('md5(a, b)', 'md5', 2),
    ('array_contains(a)', 'array_contains', 1), ('size()', 'size', 0), ('element_at(a)', 'element_at', 1),
    ('sequence(1)', 'sequence', 1), ('log(1, 2, 3)', 'log', 3), ('round()', 'round', 0), ('mod(a)', 'mod', 1),
    ('pow(a)', 'pow', 1), ('abs()', 'abs', 0), ('stddev(a, b)', 'stddev', 2), ('add_months(a)', 'add_months', 1),
    ('from_unixtime(a, b, c)', 'from_unixtime', 3), ('unix_timestamp(a, b, c)', 'unix_timestamp', 3),
    ('nullif(a)', 'nullif', 1), ('reverse(a, b)', 'reverse', 2), ('repeat(a)', 'repeat', 1), ('lpad(a)', 'lpad', 1),
    ('concat_ws()', 'concat_ws', 0),
]

NOT_SPARK = {"lenght", "my_udf", "iff"}  # the table's deliberate unknown names


def test_snapshot_is_the_pinned_spark() -> None:
    import pyspark

    meta = snapshot_meta()
    assert meta["spark_version"] == pyspark.__version__ == "3.5.7"
    registry = builtin_registry()
    assert len(registry.names()) == 431 + 4  # + timestampadd, timestampdiff, percentile_cont, percentile_disc
    assert registry.lookup("UPPER") is registry.lookup("upper")
    assert registry.lookup("upper").kind == "scalar"
    assert registry.lookup("sum").kind == "aggregate"
    assert registry.lookup("row_number").kind == "window"
    assert registry.lookup("explode").kind == "generator"
    assert registry.lookup("rand").deterministic is False
    assert registry.lookup("upper").deterministic is True
    assert registry.lookup("+").operator and not registry.lookup("upper").operator
    assert sorted(meta["table_functions"]) == ["explode", "explode_outer", "inline", "inline_outer", "json_tuple",
                                               "posexplode", "posexplode_outer", "range", "sql_keywords", "stack"]


@pytest.mark.parametrize("name, text", [
    ("upper", "1"), ("substr", "2 or 3"), ("concat", "any number of"), ("coalesce", "1 or more"),
    ("greatest", "2 or more"), ("map", "an even number of"), ("named_struct", "an even number of"),
    ("row_number", "no"), ("rand", "0 or 1"), ("lag", "0 to 3"), ("make_timestamp", "6 or 7"),
    ("concat_ws", "1 or more"), ("percentile_approx", "2 or 3"), ("date_add", "2 or 3"), ("if", "3"),
    ("count", "1 or more"), ("stack", "2 or more"), ("current_date", "no"), ("datediff", "2 or 3"),
    ("timestampadd", "3"), ("percentile_cont", "1"),
])
def test_arity_text(name: str, text: str) -> None:
    assert builtin_registry().lookup(name).arity_text() == text


def test_check_call_messages() -> None:
    registry = builtin_registry()
    assert registry.check_call("lenght", 1) == "unknown function 'lenght'"
    assert registry.check_call("nosuch", None) == "unknown function 'nosuch'"
    assert registry.check_call("substr", 1) == "function 'substr' takes 2 or 3 arguments, got 1"
    assert registry.check_call("UPPER", 2) == "function 'upper' takes 1 argument, got 2"
    assert registry.check_call("row_number", 1) == "function 'row_number' takes no arguments, got 1"
    assert registry.check_call("map", 3) == "function 'map' takes an even number of arguments, got 3"
    assert registry.check_call("coalesce", 0) == "function 'coalesce' takes 1 or more arguments, got 0"
    assert registry.check_call("nvl", 3) == "function 'nvl' takes 2 arguments, got 3"
    for name, n in [("concat", 0), ("concat", 7), ("map", 10), ("substr", 3), ("upper", None), ("count", 1),
                    ("cast", 2), ("struct", 0), ("lag", 0)]:
        assert registry.check_call(name, n) is None, (name, n)


@pytest.mark.parametrize("typo, meant", [
    ("lenght", "length"), ("date_fromat", "date_format"), ("todate", "to_date"), ("collectlist", "collect_list"),
    ("coalsce", "coalesce"), ("SUBSTRNG", "substring"), ("row_numbr", "row_number"), ("datediff", "datediff"),
])
def test_suggest(typo: str, meant: str) -> None:
    assert builtin_registry().suggest(typo) == meant


def test_suggest_nothing_close() -> None:
    assert builtin_registry().suggest("xyzzy_plugh") is None


def test_variadic_steps() -> None:
    info = builtin_registry().lookup("map")
    assert [n for n in range(12) if info.accepts(n)] == [0, 2, 4, 6, 8, 10]
    assert builtin_registry().lookup("concat").accepts(40)
    assert not builtin_registry().lookup("substr").accepts(4)


@pytest.mark.parametrize("name, args, result", [
    ("sum", ["int"], "bigint"), ("sum", ["decimal(10,2)"], "decimal(20,2)"), ("sum", ["double"], "double"),
    ("avg", ["int"], "double"), ("upper", ["string"], "string"), ("upper", [None], "string"),
    ("abs", ["int"], "int"), ("abs", ["bigint"], "bigint"), ("abs", ["string"], "double"),
    ("coalesce", ["int", "bigint"], "bigint"), ("coalesce", ["int", "int", "int"], "int"),
    ("coalesce", [None, "int"], None), ("nvl", ["int", "double"], "double"), ("count", [None], "bigint"),
    ("length", ["string"], "int"), ("collect_list", ["string"], "array<string>"),
    ("if", ["boolean", "int", "double"], "double"), ("array", ["int", "int"], "array<int>"),
    ("element_at", ["array<string>", "int"], "string"), ("date_add", ["date", "int"], "date"),
    ("to_date", ["string"], "date"), ("current_date", [], "date"), ("row_number", [], "int"),
    ("lag", ["string", "int"], "string"), ("first", ["date"], "date"), ("filter", ["array<int>", None], "array<int>"),
    ("from_json", ["string", "string"], None), ("struct", ["int"], None), ("nosuch", [], None),
])
def test_return_type(name: str, args: list[str | None], result: str | None) -> None:
    assert builtin_registry().return_type(name, args) == result


def test_wider_type() -> None:
    assert wider_type("int", "bigint") == "bigint"
    assert wider_type("void", "date") == "date"
    assert wider_type("int", "decimal(10,2)") == "decimal(12,2)"
    assert wider_type("decimal(10,2)", "double") == "double"
    assert wider_type("date", "timestamp") == "timestamp"
    assert wider_type("string", "int") == "string"
    assert wider_type("array<int>", "array<bigint>") == "array<bigint>"
    assert wider_type("map<string,int>", "map<string,double>") == "map<string,double>"
    assert wider_type("binary", "date") is None
    assert common_type(["int", "lambda", "double"]) == "double"


def test_udf_from_config() -> None:
    mask = udf_from_config("mask_email", {"args": 1, "returns": "string"})
    assert (mask.name, mask.kind, mask.arities, mask.variadic_from, mask.source) == \
        ("mask_email", "scalar", (1,), None, "project")
    assert mask.return_type([None]) == "string"
    my_agg = udf_from_config("My_Agg", {"args": [2, 1], "returns": "LONG", "kind": "aggregate"})
    assert (my_agg.name, my_agg.kind, my_agg.arities, my_agg.arity_text()) == ("my_agg", "aggregate", (1, 2), "1 or 2")
    assert my_agg.return_type(["int"]) == "bigint"
    any_args = udf_from_config("any_args", {"args": "1+", "returns": "string"})
    assert (any_args.arities, any_args.variadic_from, any_args.arity_text()) == ((), 1, "1 or more")
    assert udf_from_config("free", {}).arity_text() == "any number of"
    assert udf_from_config("free", {}).return_type(["int"]) is None


@pytest.mark.parametrize("spec, message", [
    ({"args": "x"}, "function 'f': args must be a count, a list of counts or 'N+', not 'x'"),
    ({"args": True}, "function 'f': args must be a count, a list of counts or 'N+', not True"),
    ({"args": [-1]}, "function 'f': args cannot be negative"),
    ({"kind": "table"}, "function 'f': kind must be one of scalar, aggregate, window, generator, not 'table'"),
    ({"returns": "nosuchtype<"},
     "function 'f': returns: 'nosuchtype<' is not a Spark SQL type: unknown type 'nosuchtype' at position 0"),
    ({"arity": 1}, "function 'f': unknown field(s) arity (expected args, returns, kind, deterministic, description)"),
])
def test_udf_from_config_errors(spec: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        udf_from_config("f", spec)
    assert str(err.value) == message


def test_project_functions_win_over_builtins() -> None:
    registry = FunctionRegistry(extra={
        "mask_email": udf_from_config("mask_email", {"args": 1, "returns": "string"}),
        "upper": udf_from_config("upper", {"args": 2, "returns": "int"}),
    })
    assert registry.check_call("MASK_EMAIL", 1) is None
    assert registry.check_call("mask_email", 2) == "function 'mask_email' takes 1 argument, got 2"
    assert registry.check_call("upper", 2) is None
    assert registry.return_type("upper", ["string", "string"]) == "int"
    assert registry.suggest("mask_emial") == "mask_email"
    assert builtin_registry().lookup("mask_email") is None
    assert builtin_registry().check_call("upper", 2) == "function 'upper' takes 1 argument, got 2"


@pytest.mark.parametrize("call, name, nargs", WELL_FORMED)
def test_spark_name_and_argument_count(call: str, name: str | None, nargs: int | None) -> None:
    sql = f"SELECT {call} FROM t"
    calls = function_calls(parse_spark(sql)[0])
    if name is None:  # CAST / TRY_CAST: syntax, not a registry call
        assert calls == []
        return
    node = calls[0]
    assert spark_name(node).lower() == name
    assert argument_count(node, sql) == nargs
    assert argument_count(node) == nargs  # counted while parsing
    # parsed with plain "spark", the tree is trusted only where sqlglot keeps the arguments as written
    plain = sqlglot.parse_one(sql, read="spark")
    plain_calls = [n for n in plain.walk() if n.meta.get("start") == node.meta["start"]]
    if plain_calls and isinstance(plain_calls[0], exp.Func):
        from_tree = argument_count(plain_calls[0])
        assert from_tree in (None, nargs)
        if from_tree is not None:
            assert len(call_arguments(plain_calls[0])) == nargs


def test_table_covers_enough_functions() -> None:
    assert len({name for _, name, _ in WELL_FORMED if name}) >= 80


def test_every_name_in_the_table_is_in_the_registry() -> None:
    registry = builtin_registry()
    names = {name for _, name, _ in WELL_FORMED + MALFORMED if name}
    assert {name for name in names if registry.lookup(name) is None} == NOT_SPARK


@pytest.mark.parametrize("call, args", [
    ("locate('a', s, 2)", ["'a'", "s", "2"]), ("log(10, x)", ["10", "x"]), ("log10(x)", ["x"]),
    ("named_struct('a', 1, 'b', 2)", ["'a'", "1", "'b'", "2"]), ("map('a', 1, 'b', 2)", ["'a'", "1", "'b'", "2"]),
    ("count(DISTINCT x, y)", ["x", "y"]), ("date_add(d, 1)", ["d", "1"]), ("regexp_extract(s, 'a')", ["s", "'a'"]),
    ("substr(s, 1, 2)", ["s", "1", "2"]), ("coalesce(a, b, c)", ["a", "b", "c"]), ("nvl(a, b)", ["a", "b"]),
    ("transform(a, x -> x + 1)", ["a", "x -> x + 1"]), ("concat_ws(',', a, b)", ["','", "a", "b"]),
    ("str_to_map(s)", ["s"]), ("initcap(s)", ["s"]), ("array_sort(a)", ["a"]), ("my_udf(b, a)", ["b", "a"]),
    ("count(*)", ["*"]), ("coalesce(NULL, 1)", ["NULL", "1"]),
])
def test_call_arguments_in_written_order(call: str, args: list[str]) -> None:
    node = function_calls(parse_spark(f"SELECT {call} FROM t")[0])[0]
    assert [a.sql("spark") for a in call_arguments(node)] == args


def test_dialect_generates_the_same_sql_as_spark() -> None:
    for call, _, _ in WELL_FORMED:
        sql = f"SELECT {call} FROM t"
        assert parse_spark(sql)[0].sql("spark") == sqlglot.parse_one(sql, read="spark").sql("spark")


def test_check_calls_finds_every_problem_with_its_position() -> None:
    sql = ("SELECT lenght(name) AS l,\n"
           "       substr(name) AS s,\n"
           "       nvl(a, b, c) AS n, date_diff(a) AS d, datediff(DAY, a, b) AS e,\n"
           "       trim(BOTH 'x' FROM name) AS t, count(DISTINCT a, b) AS k, db.my_fn(a) AS q,\n"
           "       `weird name`(1) AS w\n"
           "FROM range(1, 2, 3, 4, 5)")
    problems = [(p.name, p.message, p.hint, p.line, p.col) for p in check_calls(parse_spark(sql)[0], sql)]
    assert problems == [
        ("lenght", "unknown function 'lenght'", "did you mean 'length'?", 1, 8),
        ("substr", "function 'substr' takes 2 or 3 arguments, got 1", None, 2, 8),
        ("nvl", "function 'nvl' takes 2 arguments, got 3", None, 3, 8),
        ("date_diff", "function 'date_diff' takes 2 or 3 arguments, got 1", None, 3, 27),
        ("weird name", "unknown function 'weird name'", None, 5, 8),
        ("range", "table function 'range' takes 1 to 4 arguments, got 5", None, 6, 6),
    ]


def test_check_calls_needs_no_text_when_parsed_with_the_dialect() -> None:
    sql = "SELECT first(x, true, 1), to_date(a, b), date_add(d, 1), lenght(s), substr(s) FROM t"
    problems = check_calls(parse_spark(sql)[0], None)
    assert [p.message for p in problems] == ["function 'first' takes 1 or 2 arguments, got 3",
                                             "unknown function 'lenght'",
                                             "function 'substr' takes 2 or 3 arguments, got 1"]


def test_check_calls_on_a_plain_spark_tree_is_conservative() -> None:
    sql = "SELECT first(x, true), to_date(a, b), date_add(d, 1), lenght(s), if(a, NULL, 1), nvl(NULL, 2) FROM t"
    problems = check_calls(sqlglot.parse_one(sql, read="spark"), None)
    assert [p.message for p in problems] == ["unknown function 'lenght'"]


@pytest.mark.parametrize("call, name, nargs", MALFORMED)
def test_scan_calls_where_sqlglot_cannot_parse(call: str, name: str, nargs: int) -> None:
    sql = f"SELECT {call} FROM t"
    with pytest.raises(Exception):  # noqa: B017 - sqlglot raises ParseError, and IndexError for map('a')
        parse_spark(sql)
    sites = scan_calls(sql)
    if builtin_registry().lookup(name).operator:  # mod(a): `a mod b` is an operator, calls are not scanned
        assert sites == []
        return
    assert [(s.name, s.nargs, s.line, s.col) for s in sites] == [(name, nargs, 1, 8)]
    if call != "concat()":  # Spark takes concat() (an empty string); sqlglot refuses it
        assert builtin_registry().check_call(name, nargs) is not None


@pytest.mark.parametrize("sql", [
    "WITH upper(a) AS (SELECT 1) SELECT * FROM upper",
    "SELECT a FROM t WHERE a AND (b OR c)",
    "SELECT db.upper(x, y) FROM t",
    "SELECT CAST(x AS DECIMAL(10, 2)), CAST(m AS MAP<STRING, DECIMAL(10, 2)>) FROM t",
    "SELECT count(x) FILTER (WHERE x > 1) FROM t",
    "SELECT * FROM t WHERE EXISTS (SELECT 1)",
    "SELECT * FROM range(1, 2, 3, 4, 5, 6)",
    "INSERT INTO upper (a, b) SELECT 1, 2",
])
def test_scan_calls_skips_what_is_no_call(sql: str) -> None:
    registry = builtin_registry()
    assert [s for s in scan_calls(sql) if s.name.lower() != "count"] == []
    assert [s for s in scan_calls(sql) if registry.check_call(s.name, s.nargs)] == []


@pytest.mark.parametrize("dialect", ["spark", SqlingestSpark])
def test_counting_call_arguments_raises_no_false_alarm(dialect: object) -> None:
    """``len(call_arguments(node))`` (approximate where sqlglot rewrites a call) never reports a call Spark takes."""
    registry = builtin_registry()
    alarms = []
    for call, name, nargs in WELL_FORMED:
        if name is None or nargs is None or registry.check_call(name, nargs) is not None:
            continue
        node = sqlglot.parse_one(f"SELECT {call} FROM t", read=dialect).expressions[0].unalias()
        node = node.this if isinstance(node, exp.Window) else node
        written = spark_name(node) if isinstance(node, exp.Func) else None
        if written and registry.check_call(written, len(call_arguments(node))):
            alarms.append((call, written, len(call_arguments(node))))
    assert alarms == []
