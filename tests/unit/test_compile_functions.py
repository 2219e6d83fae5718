"""Function calls through `sqlingest compile`: Spark's registry, arities, did-you-mean, project functions."""

from __future__ import annotations

import pytest

from sqlingest.cli import main
from tests.unit.test_compile import CONFIG, FILES


def compile_gold(make_project, capsys, sql: str, config: str = CONFIG) -> tuple[int, str]:
    root = make_project({**FILES, "models/gold/by_status.sql": sql}, config=config)
    code = main(["compile", "--project-dir", str(root)])
    out = capsys.readouterr()
    return code, out.err + out.out


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT\n  lenght(status) AS n\nFROM {{ ref('silver.orders') }}\n",
     "models/gold/by_status.sql:2:3: unknown function 'lenght'\n  hint: did you mean 'length'?"),
    ("SELECT substr(status) AS s FROM {{ ref('silver.orders') }}\n",
     "models/gold/by_status.sql:1:8: function 'substr' takes 2 or 3 arguments, got 1"),
    ("SELECT id,\n       upper(status, 1) AS s FROM {{ ref('silver.orders') }}\n",
     "models/gold/by_status.sql:2:8: function 'upper' takes 1 argument, got 2"),
    ("SELECT status, row_number(id) OVER (ORDER BY id) AS r FROM {{ ref('silver.orders') }}\n",
     "models/gold/by_status.sql:1:16: function 'row_number' takes no arguments, got 1"),
    ("SELECT status, count(*) AS n FROM {{ ref('silver.orders') }} GROUP BY status HAVING sum(id, 2) > 0\n",
     "function 'sum' takes 1 argument, got 2"),
])
def test_bad_calls_are_located_and_named(make_project, capsys, sql, expected):
    code, text = compile_gold(make_project, capsys, sql)
    assert code == 2
    assert expected in text
    assert "Traceback" not in text and "sqlglot" not in text and "Anonymous" not in text


def test_valid_calls_compile_clean(make_project, capsys):
    code, text = compile_gold(make_project, capsys, (
        "SELECT status, count(DISTINCT id) AS n, nvl(max(amount), 0) AS top,\n"
        "       date_format(current_timestamp(), 'yyyy') AS y, trim(BOTH 'x' FROM status) AS t,\n"
        "       datediff(DAY, current_date(), current_date()) AS d, percentile_approx(id, 0.5) AS med\n"
        "FROM {{ ref('silver.orders') }} GROUP BY status\n"))
    assert code == 0, text


def test_project_functions_are_known(make_project, capsys):
    sql = "SELECT mask_email(status) AS s FROM {{ ref('silver.orders') }}\n"
    code, text = compile_gold(make_project, capsys, sql)
    assert code == 2 and "unknown function 'mask_email'" in text
    config = CONFIG + "functions:\n  mask_email: {args: 1, returns: string}\n"
    code, text = compile_gold(make_project, capsys, sql, config=config)
    assert code == 0, text
    code, text = compile_gold(make_project, capsys, "SELECT mask_email(status, 1) AS s FROM {{ ref('silver.orders') }}\n",
                              config=config)
    assert code == 2 and "function 'mask_email' takes 1 argument, got 2" in text


def test_project_aggregates_are_aggregates(make_project, capsys):
    config = CONFIG + "functions:\n  weighted_avg: {args: 2, returns: double, kind: aggregate}\n"
    code, text = compile_gold(make_project, capsys,
                              "SELECT status, weighted_avg(amount, id) AS w FROM {{ ref('silver.orders') }} "
                              "GROUP BY status\n", config=config)
    assert code == 0, text
    code, text = compile_gold(make_project, capsys,
                              "SELECT status, weighted_avg(amount, id) AS w FROM {{ ref('silver.orders') }}\n",
                              config=config)
    assert code == 2 and "column 'status' must be in GROUP BY or inside an aggregate function" in text
