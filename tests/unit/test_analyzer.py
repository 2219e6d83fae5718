"""The compile-time analyzer on its own: names through scopes, Spark's types and nullability, and what it rejects.

(Agreement with Spark itself is checked by tests/integration/test_compile_differential.py.)"""

from __future__ import annotations

import pytest
import sqlglot

from sqlingest.validate.analyzer import Analyzer, Col

TABLES = {
    "o": [Col("id", "bigint", False), Col("cust", "int", True), Col("amount", "decimal(10,2)", True),
          Col("qty", "int", True), Col("ts", "timestamp", True), Col("d", "date", True),
          Col("tags", "array<string>", True), Col("attrs", "map<string,int>", True),
          Col("addr", "struct<street:string,zip:string>", True),
          Col("items", "array<struct<sku:string,qty:int>>", True), Col("status", "string", True)],
    "c": [Col("id", "int", False), Col("name", "string", True), Col("cust", "int", True)],
}


def analyze(sql: str) -> tuple[list[tuple[str, str | None, bool | None]] | None, list[str]]:
    analyzer = Analyzer(TABLES)
    out = analyzer.analyze(sqlglot.parse_one(sql, read="spark"))
    cols = [(c.name, c.type, c.nullable) for c in out] if out is not None else None
    return cols, [d.message for d in analyzer.diagnostics]


VALID = {
    "SELECT id, amount * qty AS total, amount + 1 AS a1, qty / 2 AS half FROM o":
        [("id", "bigint", False), ("total", "decimal(21,2)", True), ("a1", "decimal(11,2)", True),
         ("half", "double", True)],
    "SELECT cust, count(*) AS n, sum(amount) AS s, avg(qty) AS a, max(ts) m FROM o GROUP BY cust HAVING count(*) > 1":
        [("cust", "int", True), ("n", "bigint", False), ("s", "decimal(20,2)", True), ("a", "double", True),
         ("m", "timestamp", True)],
    "SELECT o.id, c.name FROM o JOIN c ON o.cust = c.id": [("id", "bigint", False), ("name", "string", True)],
    "SELECT o.id, c.name FROM o LEFT JOIN c ON o.cust = c.id": [("id", "bigint", False), ("name", "string", True)],
    "SELECT id FROM o LEFT SEMI JOIN c ON o.cust = c.id": [("id", "bigint", False)],
    "SELECT id, k, v FROM o LATERAL VIEW explode(attrs) x AS k, v":
        [("id", "bigint", False), ("k", "string", False), ("v", "int", True)],
    "SELECT id, pos, col FROM o LATERAL VIEW posexplode(tags) p":
        [("id", "bigint", False), ("pos", "int", False), ("col", "string", True)],
    "SELECT inline(items) FROM o": [("sku", "string", True), ("qty", "int", True)],
    "SELECT addr.street, addr.*, attrs['k'] AS k, tags[0] AS t0 FROM o":
        [("street", "string", True), ("street", "string", True), ("zip", "string", True), ("k", "int", True),
         ("t0", "string", True)],
    "SELECT filter(tags, x -> x <> 'a') f, transform(items, i -> i.qty + 1) AS q FROM o":
        [("f", "array<string>", True), ("q", "array<int>", True)],
    "WITH a AS (SELECT cust, sum(qty) q FROM o GROUP BY cust), b AS (SELECT * FROM a WHERE q > 1) SELECT * FROM b":
        [("cust", "int", True), ("q", "bigint", True)],
    "SELECT id, row_number() OVER w AS rn, lag(amount, 1) OVER w AS prev FROM o "
    "WINDOW w AS (PARTITION BY cust ORDER BY ts)":
        [("id", "bigint", False), ("rn", "int", False), ("prev", "decimal(10,2)", True)],
    "SELECT id FROM o WHERE EXISTS (SELECT 1 FROM c WHERE c.id = o.cust)": [("id", "bigint", False)],
    "SELECT `id`, Amount FROM o": [("id", "bigint", False), ("Amount", "decimal(10,2)", True)],
    "SELECT CASE WHEN qty > 1 THEN qty ELSE id END AS x, coalesce(qty, id) y, coalesce(amount, 0) z FROM o":
        [("x", "bigint", True), ("y", "bigint", False), ("z", "decimal(12,2)", False)],
    "SELECT qty FROM o UNION SELECT amount FROM o": [("qty", "decimal(12,2)", True)],
    "SELECT cust, status, count(*) AS n FROM o GROUP BY ALL":
        [("cust", "int", True), ("status", "string", True), ("n", "bigint", False)],
    "SELECT cust + 1 AS k, count(*) AS n FROM o GROUP BY cust + 1": [("k", "int", True), ("n", "bigint", False)],
    "SELECT qty * 2 AS q2, q2 + 1 AS lat FROM o": [("q2", "int", True), ("lat", "int", True)],
    "SELECT * FROM VALUES (1, 'a'), (2, 'b') AS v(n, s)": [("n", "int", False), ("s", "string", False)],
    "SELECT cast(status as int) b, cast(qty as bigint) c, cast(qty as decimal(5,2)) d FROM o":
        [("b", "int", True), ("c", "bigint", True), ("d", "decimal(5,2)", True)],
    "SELECT cust, sum(qty) AS s FROM o GROUP BY ROLLUP (cust)": [("cust", "int", True), ("s", "bigint", True)],
    "SELECT struct(id, qty) s, named_struct('a', id) ns, array(1, 2) ar, map('k', 1) mp FROM o":
        [("s", "struct<id:bigint,qty:int>", False), ("ns", "struct<a:bigint>", False), ("ar", "array<int>", False),
         ("mp", "map<string,int>", False)],
    "SELECT * FROM o PIVOT (sum(qty) FOR status IN ('a', 'b'))": None,
}


@pytest.mark.parametrize("sql", list(VALID))
def test_valid_queries_are_typed(sql):
    cols, errors = analyze(sql)
    assert errors == []
    assert cols == VALID[sql]


BROKEN = {
    "SELECT cust, status, count(*) FROM o GROUP BY cust":
        "column 'status' must be in GROUP BY or inside an aggregate function",
    "SELECT cust, count(*) FROM o GROUP BY cust HAVING qty > 1":
        "column 'qty' must be in GROUP BY or inside an aggregate function",
    "WITH a AS (SELECT cust, qty, sum(amount) s FROM o GROUP BY cust) SELECT * FROM a":
        "column 'qty' must be in GROUP BY or inside an aggregate function",
    "SELECT id FROM o WHERE sum(qty) > 1": "aggregate functions are not allowed in WHERE (sum)",
    "SELECT sum(max(qty)) FROM o": "cannot nest aggregate function max() inside another aggregate function",
    "SELECT id FROM o WHERE row_number() OVER (ORDER BY id) = 1": "window functions are not allowed in WHERE",
    "SELECT id FROM o JOIN c ON o.cust = c.id": "ambiguous column 'id': it could be o.id, c.id",
    "SELECT o.nope FROM o": "unknown column 'nope' in 'o'",
    "SELECT x.id FROM o": "unknown table or alias 'x'",
    "SELECT addr.city FROM o": "struct 'addr' has no field 'city'",
    "WITH a AS (SELECT cust FROM o) SELECT qty FROM a": "unknown column 'qty'",
    "SELECT id, qty FROM o UNION ALL SELECT id FROM c": "UNION branches have different numbers of columns (2 vs 1)",
    "SELECT tags FROM o UNION ALL SELECT id FROM c": "UNION column 1 ('tags'): incompatible types array<string> and int",
    "SELECT row_number() AS r FROM o": "row_number() is a window function and needs an OVER clause",
    "SELECT id FROM o WHERE cust IN (SELECT nme FROM c)": "unknown column 'nme'",
    "SELECT id FROM o WHERE EXISTS (SELECT 1 FROM c WHERE c.id = o.custt)": "unknown column 'custt' in 'o'",
    "SELECT id FROM o ORDER BY 5": "ORDER BY position 5 is not in the select list (1 to 1)",
    "SELECT cust, count(*) FROM o GROUP BY 3": "GROUP BY position 3 is not in the select list (1 to 2)",
    "SELECT explode(tags), explode(tags) FROM o":
        "only one generator (explode, posexplode, inline, stack…) is allowed per SELECT",
    "SELECT sum(qty) OVER w FROM o WINDOW w2 AS (PARTITION BY cust)": "unknown window 'w'",
    "SELECT id, t.tag FROM o LATERAL VIEW explode(tags) t AS tag, extra":
        "LATERAL VIEW explode produces 1 column, but 2 aliases are given",
    "SELECT id FROM o WHERE q2 > 1": "unknown column 'q2'",
}


@pytest.mark.parametrize("sql", list(BROKEN))
def test_broken_queries_are_reported_once(sql):
    _cols, errors = analyze(sql)
    assert errors == [BROKEN[sql]]
