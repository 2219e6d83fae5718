"""Every compile error points at the line and column of the *template* the user wrote (issue #14): through Jinja
comments, whitespace control, blocks that render nothing, loops, macros emitting several lines, captures, raw blocks,
CRLF line endings, tabs and non-ASCII text."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from sqlingest.cli import main
from sqlingest.project import load_project
from sqlingest.render import Renderer
from sqlingest.render.sourcemap import MARKER_RE, SourceMap, SourceMapEnvironment, compile_mapped, render_mapped

BASE = {
    "contracts/shop/orders.source.yml": """
        name: shop.orders
        layer: source
        source: {format: csv, path: data/*.csv}
        columns:
          - {name: id, type: bigint}
          - {name: amount, type: "decimal(10,2)"}
          - {name: status, type: string}
    """,
    "macros/cols.sql": (
        "{% macro three() %}id,\n  amount,\n  status{% endmacro %}\n"
        "{% macro three_bad() %}id,\n  amount,\n  stauts{% endmacro %}\n"
        "{% macro inner() %}amount,\n  status{% endmacro %}\n"
        "{% macro outer() %}id,\n  {{ inner() }}{% endmacro %}\n"
    ),
    "macros/refs.sql": (
        "{% macro helper() %}\n"
        "  {{ ref('no_such_model') }}\n"
        "{% endmacro %}\n"
        "{% macro undefined_inside() %}\n"
        "  {{ nope }}\n"
        "{% endmacro %}\n"
        "{% macro nested() %}{{ helper() }}{% endmacro %}\n"
    ),
}
MODEL = "models/bronze/x.sql"
SRC = "{{ source('shop', 'orders') }}"


def compile_project(make_project, capsys, model: str | bytes, files: dict[str, str] | None = None
                    ) -> tuple[int, str, Path]:
    root = make_project({**BASE, **(files or {}), MODEL: "SELECT 1\n"})
    raw = model if isinstance(model, bytes) else model.encode("utf-8")
    (root / MODEL).write_bytes(raw)
    code = main(["compile", "--project-dir", str(root)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.err, root


def error_of(make_project, capsys, model: str | bytes, files: dict[str, str] | None = None) -> str:
    code, err, _ = compile_project(make_project, capsys, model, files)
    assert code == 2, err
    return err


def rendered(make_project, model: str, files: dict[str, str] | None = None, *, markers: bool = False
             ) -> tuple[str, SourceMap]:
    root = make_project({**BASE, **(files or {})})
    (root / MODEL).parent.mkdir(parents=True, exist_ok=True)
    (root / MODEL).write_text(model, encoding="utf-8")
    project = load_project(root)
    r = Renderer(project, lambda n: f"lake.{n}").render(project.models["bronze.x"])
    assert markers or not MARKER_RE.search(r.sql)
    return r.sql, r.source_map


# -- one construct per test: each asserts the exact template line:col of an unknown column or a syntax error ------


def test_comment_lines(make_project, capsys):
    err = error_of(make_project, capsys, "{# one #}\n{# two #}\nSELECT id,\n  stauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:4:3: unknown column 'stauts'" in err


def test_multi_line_comment_before_the_error_on_the_same_line(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT {# a\nlong\ncomment #} id, stauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:3:16: unknown column 'stauts'" in err


def test_whitespace_control_does_not_shift_columns(make_project, capsys):
    model = "SELECT id,\n{%- if true -%}\n   {{ 'amount' }},   stauts\n{%- endif %}\nFROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:3:22: unknown column 'stauts'" in err


def test_if_false_block_that_renders_nothing(make_project, capsys):
    model = "{% if false %}\nSELECT a\nFROM b\n{% endif %}\nSELECT id, stauts FROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:5:12: unknown column 'stauts'" in err


def test_after_a_loop(make_project, capsys):
    model = ("SELECT id\n{% for c in ['amount', 'status'] %}\n  , {{ c }}\n{% endfor %}\n  , stauts\nFROM "
             + SRC + "\n")
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:5:5: unknown column 'stauts'" in err


def test_inside_a_loop_body_each_iteration_maps_to_the_body(make_project):
    sql, source_map = rendered(make_project, "SELECT id\n{% for c in ['amount', 'status'] %}\n  , {{ c }} + x\n"
                                             "{% endfor %}FROM " + SRC + "\n")
    assert sql.count("+ x") == 2
    first, second = (i for i in range(len(sql)) if sql.startswith("+ x", i))
    assert source_map.locate(first) == source_map.locate(second) == (3, 13)
    assert source_map.locate(sql.index("status")) == (3, 5)  # an expression's output maps to its {{


def test_loop_body_error_in_a_compile(make_project, capsys):
    model = "SELECT id\n{% for c in ['amount'] %}\n  , {{ c }} + stauts\n{% endfor %}FROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:3:15: unknown column 'stauts'" in err


def test_macro_emitting_three_lines_before_the_error(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT {{ three() }},\n  stauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:2:3: unknown column 'stauts'" in err


def test_error_inside_a_macros_output_maps_to_the_call(make_project, capsys):
    err = error_of(make_project, capsys, "-- header\nSELECT {{ three_bad() }}\nFROM " + SRC + "\n")
    assert f"{MODEL}:2:8: unknown column 'stauts'" in err


def test_syntax_error_after_a_macro_emitting_three_lines(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT {{ three() }}\nFROM " + SRC + "\nWHERE id IN (1 2)\n")
    assert f"{MODEL}:3:16: SQL syntax error: Expecting )" in err


def test_set_block(make_project, capsys):
    model = "{% set cols %}\nid,\namount\n{% endset %}\nSELECT {{ cols }}, stauts FROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:5:20: unknown column 'stauts'" in err


def test_error_inside_a_set_capture_maps_to_where_it_is_printed(make_project, capsys):
    model = "{% set cols %}\nid,\nstauts\n{% endset %}\nSELECT {{ cols }} FROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:5:8: unknown column 'stauts'" in err


def test_nested_macros(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT\n  {{ outer() }},\n  stauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:3:3: unknown column 'stauts'" in err


def test_raw_block(make_project, capsys):
    model = "SELECT '{% raw %}{{ not jinja }}{% endraw %}' AS s,\n  {% raw %}id, stauts{% endraw %}\nFROM " + SRC + "\n"
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:2:16: unknown column 'stauts'" in err


def test_crlf_line_endings(make_project, capsys):
    model = ("{# c #}\r\nSELECT id,\r\n  {{ 'amount' }},\r\n  stauts\r\nFROM " + SRC + "\r\n").encode()
    err = error_of(make_project, capsys, model)
    assert f"{MODEL}:4:3: unknown column 'stauts'" in err


def test_tabs_count_as_one_column(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT\tid,\n\t\t{{ 'amount' }},\tstauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:2:19: unknown column 'stauts'" in err


def test_unicode_text_before_the_error_on_the_same_line(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT 'héllo wörld — ✓' AS s, {{ 'id' }}, stauts\nFROM " + SRC + "\n")
    assert f"{MODEL}:1:44: unknown column 'stauts'" in err


def test_unicode_before_a_syntax_error(make_project, capsys):
    err = error_of(make_project, capsys, "{# é #}SELECT 'ü' AS s, id FROM " + SRC + " WHERE id IN (1 2)\n")
    assert f"{MODEL}:1:79: SQL syntax error: Expecting )" in err


# -- Jinja errors ------------------------------------------------------------------------------------------------


def test_undefined_variable_is_located_in_the_model(make_project, capsys):
    err = error_of(make_project, capsys, "{# c #}\nSELECT id,\n  {{ nope }} AS x\nFROM " + SRC + "\n")
    assert f"{MODEL}:3:6: UndefinedError: 'nope' is undefined" in err


def test_ref_to_an_unknown_model_inside_a_macro(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT id\n-- x\nFROM {{ helper() }}\n")
    assert f"macros/refs.sql:2:6: ref('no_such_model'): no such model (called from {MODEL}:3)" in err


def test_ref_inside_a_nested_macro(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT id\nFROM {{ nested() }}\n")
    assert f"macros/refs.sql:2:6: ref('no_such_model'): no such model (called from {MODEL}:2)" in err


def test_undefined_inside_a_macro(make_project, capsys):
    err = error_of(make_project, capsys, "\n\nSELECT {{ undefined_inside() }} AS x FROM " + SRC + "\n")
    assert f"macros/refs.sql:5:6: UndefinedError: 'nope' is undefined (called from {MODEL}:3)" in err


def test_error_raised_by_a_macro(make_project, capsys):
    files = {"macros/boom.sql": "{% macro boom() %}\n{{ (1).nope() }}\n{% endmacro %}\n"}
    err = error_of(make_project, capsys, "SELECT 1 AS a\n{{ boom() }}\n", files)
    assert f"macros/boom.sql:2: UndefinedError: 'int object' has no attribute 'nope' (called from {MODEL}:2)" in err


def test_jinja_syntax_error(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT id\n{# c #}\nFROM {{ source('shop', 'orders') }\n")
    assert f"{MODEL}:3: unexpected '}}'" in err


def test_ref_to_an_unknown_model_in_the_model(make_project, capsys):
    err = error_of(make_project, capsys, "SELECT id\n{# c\n #}\nFROM {{ ref('nope') }}\n")
    assert f"{MODEL}:4:9: ref('nope'): no such model" in err


# -- markers never reach the SQL or a value ------------------------------------------------------------------------


def test_markers_do_not_break_templates(make_project):
    model = (
        "{{ config(materialized='append', tags=['a']) }}\n"
        "{% macro local(c) %}UPPER({{ c }}){% endmacro %}\n"
        "{% set kind %}status{% endset %}\n"
        "{%- if kind == 'status' and kind | length == 6 -%}\n"
        "SELECT id, {{ local(kind) }} AS s, '{{ kind }}' AS k, '{% raw %}{{ x }}{% endraw %}' AS r,\n"
        "{% endif %}"
        "  '{% if true %}in a string{% endif %}' AS t\n"
        "FROM {{ source('shop', kind.replace('status', 'orders')) }}\n"
    )
    sql, source_map = rendered(make_project, model)
    assert sql == ("\n\nSELECT id, UPPER(status) AS s, 'status' AS k, '{{ x }}' AS r,\n"
                   "  'in a string' AS t\nFROM source__shop__orders\n")
    assert source_map.locate(sql.index("SELECT")) == (5, 1)
    assert source_map.locate(sql.index("UPPER")) == (5, 12)
    assert source_map.locate(sql.index("{{ x }}")) == (5, 65)
    assert source_map.locate(sql.index("in a string")) == (6, 28)
    assert source_map.locate(sql.index("FROM")) == (7, 1)


def test_compiled_sql_has_no_marker(make_project, capsys):
    model = "{# c #}\nSELECT {{ three() }}\n{% for c in ['x'] %}{% endfor %}FROM " + SRC + "\n"
    code, err, root = compile_project(make_project, capsys, model)
    assert code == 0, err
    text = (root / "target/compiled/bronze/x.sql").read_text(encoding="utf-8")
    assert "SELECT id,\n  amount,\n  status\nFROM source__shop__orders" in text
    assert not MARKER_RE.search(text)


def test_a_template_holding_private_use_characters_falls_back_to_the_identity_map(make_project):
    sql, source_map = rendered(make_project, "SELECT '\U000f0001' AS p, {{ 'id' }}\nFROM " + SRC + "\n", markers=True)
    assert sql == "SELECT '\U000f0001' AS p, id\nFROM source__shop__orders\n"
    assert source_map.locate(sql.index("FROM")) == (2, 1)


@pytest.mark.parametrize("options", [{"trim_blocks": True}, {"trim_blocks": True, "lstrip_blocks": True}])
def test_trim_and_lstrip_blocks_keep_positions(options):
    env = SourceMapEnvironment(keep_trailing_newline=True, **options)
    text = "SELECT\n    {% if true %}\n  a,\n    {% endif %}\n  b\n"
    template, builder = compile_mapped(env, text)
    assert builder is not None
    sql, source_map = render_mapped(template, builder)
    assert sql == jinja2.Environment(keep_trailing_newline=True, **options).from_string(text).render()
    assert source_map.locate(sql.index("a,")) == (3, 3)
    assert source_map.locate(sql.index("b")) == (5, 3)


def test_locate_line_col_and_identity():
    identity = SourceMap.identity("SELECT 1\nFROM t\n")
    assert identity.locate(9) == (2, 1)
    assert identity.locate_line_col(2, 3) == (2, 3)
    assert identity.locate(10_000) == (3, 1)


def test_rendering_200_models_stays_fast(make_project):
    import time

    files = {f"models/bronze/m{i}.sql": "{# c #}SELECT {{ three() }}\n{% for c in ['x'] %}\n{% endfor %}FROM " + SRC
             for i in range(200)}
    project = load_project(make_project({**BASE, **files}))
    renderer = Renderer(project, lambda n: f"lake.{n}")
    started = time.process_time()  # CPU time: a loaded machine (CI, parallel workers) must not fail it
    for model in project.models.values():
        assert renderer.render(model).source_map.locate(0) == (1, 8)
    assert time.process_time() - started < 5  # ~0.8 s of CPU here, of which the source map is ~10 %


def test_call_filter_and_include_map_to_their_tag(make_project):
    files = {"macros/wrap.sql": "{% macro wrap() %}COALESCE({{ caller() }}, 0){% endmacro %}\n",
             "snippets/cols.sql": "id,\n  amount"}
    model = ("SELECT {% call wrap() %}amount{% endcall %} AS a,\n"
             "  {% filter upper %}status{% endfilter %} AS s,\n"
             "  {% include 'snippets/cols.sql' %}\n"
             "FROM " + SRC + "\n")
    sql, source_map = rendered(make_project, model, files)
    assert sql == "SELECT COALESCE(amount, 0) AS a,\n  STATUS AS s,\n  id,\n  amount\nFROM source__shop__orders\n"
    assert source_map.locate(sql.index("COALESCE")) == source_map.locate(sql.index("amount, 0")) == (1, 8)
    assert source_map.locate(sql.index(" AS a")) == (1, 44)
    assert source_map.locate(sql.index("STATUS")) == (2, 3)
    assert source_map.locate(sql.index("id,")) == source_map.locate(sql.rindex("amount")) == (3, 3)
    assert source_map.locate(sql.index("FROM")) == (4, 1)


# -- the compiled-template cache (.sqlingest/cache/templates): a cached template maps exactly as a fresh one --------

CACHED_MODELS = [
    "{# one #}\n{# two #}\nSELECT id,\n  stauts\nFROM " + SRC + "\n",
    "SELECT id,\n{%- if true -%}\n   {{ 'amount' }},   stauts\n{%- endif %}\nFROM " + SRC + "\n",
    "SELECT id\n{% for c in ['amount'] %}\n  , {{ c }} + stauts\n{% endfor %}FROM " + SRC + "\n",
    "SELECT {{ three() }}\nFROM " + SRC + "\nWHERE id IN (1 2)\n",
    "{% set cols %}\nid,\namount\n{% endset %}\nSELECT {{ cols }}, stauts FROM " + SRC + "\n",
    "SELECT id,\r\n  {% raw %}{{ x }}{% endraw %} AS y, stauts\r\nFROM " + SRC + "\r\n",
    "SELECT {{ nope }} FROM " + SRC + "\n",
    "SELECT \U000f0001 AS x, stauts FROM " + SRC + "\n",  # falls back to the identity map: cached as unmapped
    "SELECT {{ three() }} FROM " + SRC + "\n",  # compiles clean
]


@pytest.mark.parametrize("model", CACHED_MODELS, ids=range(len(CACHED_MODELS)))
def test_a_cached_template_reports_the_same_errors_and_sql(make_project, capsys, monkeypatch, model):
    code, err, root = compile_project(make_project, capsys, model)
    compiled = (root / "target" / "compiled" / "bronze" / "x.sql").read_text() if code == 0 else None
    cached = sorted((root / ".sqlingest" / "cache" / "templates").glob("*.bin"))
    assert len(list((root / ".sqlingest" / "cache" / "templates").glob("jinja-*.cache"))) == 2  # the macro files
    assert len(cached) == 1  # a render error (an undefined name) happens after the template compiled

    def no_compile(self, *args, **kwargs):
        raise AssertionError("the template was compiled again")

    monkeypatch.setattr(SourceMapEnvironment, "compile", no_compile)  # neither the model nor a macro file
    assert main(["compile", "--project-dir", str(root)]) == code
    assert capsys.readouterr().err == err
    if code == 0:
        assert (root / "target" / "compiled" / "bronze" / "x.sql").read_text() == compiled


def test_a_cached_template_has_the_same_source_map(make_project):
    model = ("SELECT id\n{% for c in ['amount', 'status'] %}\n  , {{ c }} + x\n{% endfor %}"
             "{# c #}, {{ three() }}\nFROM " + SRC + "\n")
    fresh = rendered(make_project, model)
    project_root = make_project({**BASE, MODEL: model})
    project = load_project(project_root)
    first = Renderer(project, lambda n: f"lake.{n}").render(project.models["bronze.x"])
    second = Renderer(project, lambda n: f"lake.{n}").render(project.models["bronze.x"])
    assert (first.sql, first.source_map) == (second.sql, second.source_map) == fresh


def test_the_cache_recompiles_a_changed_or_corrupt_template(make_project, capsys):
    _, err, root = compile_project(make_project, capsys, "SELECT id, stauts FROM " + SRC + "\n")
    assert f"{MODEL}:1:12: unknown column 'stauts'" in err
    (root / MODEL).write_text("SELECT id,\n  amount, stauts FROM " + SRC + "\n")
    assert main(["compile", "--project-dir", str(root)]) == 2
    assert f"{MODEL}:2:11: unknown column 'stauts'" in capsys.readouterr().err
    (entry,) = (root / ".sqlingest" / "cache" / "templates").glob("*.bin")
    entry.write_bytes(entry.read_bytes()[:40])  # truncated: a miss, compiled afresh and rewritten
    assert main(["compile", "--project-dir", str(root)]) == 2
    assert f"{MODEL}:2:11: unknown column 'stauts'" in capsys.readouterr().err
    assert len(entry.read_bytes()) > 40
