"""``sqlingest contracts …`` (sqlingest.registry.cli): compat exit codes, diff output, publish, list, show."""

from __future__ import annotations

import argparse
import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sqlingest.errors import SqlingestError
from sqlingest.registry.cli import COMMANDS, add_subcommands, diff_contracts
from sqlingest.registry.file_store import FileStore


def run(*argv: str) -> tuple[int, str]:
    """Parse and run like ``sqlingest.cli.main``: exit code and everything printed (errors included)."""
    parser = argparse.ArgumentParser(prog="sqlingest")
    add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    console = Console(file=out, width=400, highlight=False, soft_wrap=True)
    try:
        code = COMMANDS[args.command](args, console)
    except SqlingestError as exc:
        return exc.exit_code, out.getvalue() + f"error: {exc.format()}\n"
    return code, out.getvalue()


def record(*fields: dict[str, Any], name: str = "Order") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "shop", "fields": list(fields)}


def write(path: Path, content: Any) -> Path:
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


ORDER_V1 = record({"name": "id", "type": "long"}, {"name": "status", "type": "string"})
ORDER_V2 = record({"name": "id", "type": "long"}, {"name": "status", "type": "string"},
                  {"name": "note", "type": ["null", "string"], "default": None})
ORDER_V3 = record({"name": "id", "type": "int"}, {"name": "status", "type": "string"},
                  {"name": "region", "type": "string"})


# ------------------------------------------------------------------------------------------------------------
# contracts compat
# ------------------------------------------------------------------------------------------------------------


def test_compat_avro_compatible_exits_0(tmp_path: Path) -> None:
    code, out = run("contracts", "compat", str(write(tmp_path / "v1.avsc", ORDER_V1)),
                    str(write(tmp_path / "v2.avsc", ORDER_V2)))
    assert code == 0, out
    assert "v2.avsc against v1.avsc (BACKWARD)" in out
    assert out.strip().endswith("compatible")


def test_compat_avro_incompatible_exits_1_and_lists_every_path(tmp_path: Path) -> None:
    code, out = run("contracts", "compat", str(write(tmp_path / "v1.avsc", ORDER_V1)),
                    str(write(tmp_path / "v3.avsc", ORDER_V3)))
    assert code == 1, out
    assert "id: " in out and "[type-narrowed]" in out
    assert "region: " in out and "[field-added-without-default]" in out
    assert "data written with v1.avsc" in out  # history[i] is named after its file
    assert "not compatible: 2 incompatibilities" in out


def test_compat_mode_and_transitive_history(tmp_path: Path) -> None:
    v1 = write(tmp_path / "v1.avsc", record({"name": "id", "type": "long"}, {"name": "code", "type": "string"}))
    v2 = write(tmp_path / "v2.avsc", record({"name": "id", "type": "long"}))
    v3 = write(tmp_path / "v3.avsc", record({"name": "id", "type": "long"},
                                            {"name": "code", "type": "int", "default": 0}))
    assert run("contracts", "compat", str(v1), str(v2), str(v3))[0] == 0
    code, out = run("contracts", "compat", "--mode", "backward_transitive", str(v1), str(v2), str(v3))
    assert code == 1 and "code: " in out and "BACKWARD_TRANSITIVE" in out
    code, out = run("contracts", "compat", "--mode", "FORWARD", str(v1), str(v2))
    assert code == 1 and "[field-removed-without-default]" in out  # v1 readers need 'code'
    forward_ok = run("contracts", "compat", "--mode", "FORWARD", str(write(tmp_path / "o1.avsc", ORDER_V1)),
                     str(write(tmp_path / "o2.avsc", ORDER_V2)))
    assert forward_ok[0] == 0, forward_ok[1]
    code, out = run("contracts", "compat", "--mode", "NONE", str(write(tmp_path / "v3b.avsc", ORDER_V3)),
                    str(v1))
    assert code == 0


CONTRACT_V1 = """
    name: retail.orders
    layer: silver
    columns:
      - {name: order_id, type: bigint, nullable: false}
      - {name: status, type: string}
"""
CONTRACT_V2 = """
    name: retail.orders
    layer: silver
    compatibility: FULL
    columns:
      - {name: order_id, type: bigint, nullable: false}
      - {name: status, type: string}
      - {name: amount, type: "decimal(10,2)"}
"""
CONTRACT_BREAKING = """
    name: retail.orders
    layer: silver
    columns:
      - {name: order_id, type: string, nullable: false}
      - {name: region, type: string, nullable: false}
"""


def test_compat_yaml_contracts(tmp_path: Path) -> None:
    v1 = write(tmp_path / "v1.yml", CONTRACT_V1)
    v2 = write(tmp_path / "v2.yml", CONTRACT_V2)
    code, out = run("contracts", "compat", str(v1), str(v2))
    assert code == 0, out
    assert "(FULL)" in out  # the mode comes from the new contract unless --mode says otherwise
    code, out = run("contracts", "compat", str(v1), str(v2), str(write(tmp_path / "v3.yaml", CONTRACT_BREAKING)))
    assert code == 1, out
    assert "order_id: " in out and "region: " in out


def test_compat_mixes_yaml_and_avsc(tmp_path: Path) -> None:
    old = write(tmp_path / "old.avsc", record({"name": "order_id", "type": "long"},
                                              {"name": "status", "type": ["null", "string"], "default": None}))
    code, out = run("contracts", "compat", str(old), str(write(tmp_path / "new.yml", CONTRACT_V1)))
    assert code == 0, out
    code, out = run("contracts", "compat", str(old), str(write(tmp_path / "bad.yml", CONTRACT_BREAKING)))
    assert code == 1, out


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.avsc": "{not json"}, "not valid JSON"),
        ({"a.avsc": {"type": "record", "name": "R"}}, "invalid Avro schema"),
        ({"a.avsc": {"type": "enum", "name": "E", "symbols": []}}, "invalid Avro schema"),
        ({"a.yml": "name: retail.orders\nlayer: silver\ncolumns: [{name: x, type: not_a_type}]\n"}, "not_a_type"),
        ({"a.yml": "name: [unclosed\n"}, "invalid YAML"),
        ({"a.txt": "hello"}, "unknown schema file type"),
    ],
)
def test_compat_invalid_input_exits_2(tmp_path: Path, files: dict[str, Any], message: str) -> None:
    good = write(tmp_path / "good.avsc", ORDER_V1)
    (name, content), = files.items()
    bad = write(tmp_path / name, content)
    for argv in ((str(good), str(bad)), (str(bad), str(good))):
        code, out = run("contracts", "compat", *argv)
        assert code == 2, out
        assert message in out


def test_compat_usage_errors_exit_2(tmp_path: Path) -> None:
    good = str(write(tmp_path / "good.avsc", ORDER_V1))
    assert run("contracts", "compat", good)[0] == 2
    code, out = run("contracts", "compat", "--mode", "SIDEWAYS", good, good)
    assert code == 2 and "unknown compatibility mode" in out
    code, out = run("contracts", "compat", good, str(tmp_path / "missing.avsc"))
    assert code == 2 and "no such file" in out
    with pytest.raises(SystemExit) as caught:  # argparse: no files at all
        run("contracts", "compat")
    assert caught.value.code == 2


# ------------------------------------------------------------------------------------------------------------
# A project: publish, list, show, diff
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "contracts" / "retail").mkdir(parents=True)
    write(root / "sqlingest.yml", "name: t\n")
    write(root / "contracts" / "retail" / "orders.silver.yml", CONTRACT_V1)
    return root


def test_publish_list_show_and_diff(project: Path) -> None:
    p = ("--project-dir", str(project))
    code, out = run("contracts", "publish", *p)
    assert (code, out.strip()) == (0, "silver:retail.orders: v1 registered")
    assert run("contracts", "publish", *p) == (0, "silver:retail.orders: v1 unchanged\n")

    write(project / "contracts" / "retail" / "orders.silver.yml", """
        name: retail.orders
        layer: silver
        columns:
          - {name: order_id, type: bigint}
          - {name: state, type: string, previous_names: [status], deprecated: true, sunset: 2030-01-01}
          - {name: amount, type: "decimal(10,2)", default: 0}
    """)
    code, out = run("contracts", "list", *p)
    assert code == 0 and "silver:retail.orders" in out and "v1" in out and "changed locally" in out
    code, out = run("contracts", "diff", "silver:retail.orders", "latest", "local", *p)
    assert code == 0, out
    assert "silver:retail.orders: v1 → local" in out
    assert "~ order_id: nullability NOT NULL → nullable" in out
    assert "~ state: renamed from status" in out
    assert "~ state: deprecated (sunset 2030-01-01)" in out
    assert "+ amount: decimal(10,2) default 0" in out

    assert run("contracts", "publish", *p)[0] == 0
    code, out = run("contracts", "diff", "silver:retail.orders", "1", "2", *p)
    assert code == 0 and "v1 → v2" in out and "+ amount" in out
    code, out = run("contracts", "list", *p)
    assert "v2" in out and "up to date" in out
    code, out = run("contracts", "show", "silver:retail.orders", "--version", "1", *p)
    assert code == 0 and "# silver:retail.orders v1" in out and "name: status" in out
    code, out = run("contracts", "show", "silver:retail.orders", "--format", "avro", *p)
    assert code == 0, out
    avro = json.loads(out.split("\n", 1)[1])
    assert avro["name"] == "orders" and avro["fields"][1]["aliases"] == ["status"]


def test_diff_lists_removed_and_retyped_columns() -> None:
    old = {"columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "string", "nullable": False}]}
    new = {"compatibility": "NONE", "columns": [{"name": "a", "type": "bigint"}]}
    assert diff_contracts(old, new) == [
        "  ~ compatibility: BACKWARD → NONE",
        "  ~ a: type int → bigint",
        "  - b: string NOT NULL",
    ]
    assert diff_contracts(old, old) == []


def test_diff_without_changes_and_unknown_versions(project: Path) -> None:
    p = ("--project-dir", str(project))
    run("contracts", "publish", *p)
    code, out = run("contracts", "diff", "silver:retail.orders", "1", "latest", *p)
    assert code == 0 and "no column changes" in out
    code, out = run("contracts", "diff", "silver:retail.orders", "1", "7", *p)
    assert code == 2 and "no version 7" in out
    code, out = run("contracts", "show", "silver:retail.nothing", *p)
    assert code == 2 and "no registered versions" in out
    code, out = run("contracts", "diff", "orders", "1", "2", *p)
    assert code == 2 and "invalid subject" in out


def test_publish_refuses_incompatible_contracts(project: Path) -> None:
    p = ("--project-dir", str(project))
    run("contracts", "publish", *p)
    write(project / "contracts" / "retail" / "orders.silver.yml", CONTRACT_BREAKING)
    code, out = run("contracts", "publish", "--dry-run", *p)
    assert code == 1 and "REFUSED" in out
    code, out = run("contracts", "publish", *p)
    assert code == 1, out
    assert "silver:retail.orders: REFUSED, not BACKWARD compatible" in out
    assert "region: " in out and "[field-added-without-default]" in out
    assert FileStore(project).versions("silver:retail.orders") == [1]


def test_publish_to_postgres(project: Path, postgres_service: Any) -> None:
    code, out = run("contracts", "publish", "--project-dir", str(project), "--store-dsn", postgres_service.dsn)
    assert code == 0, out
    code, out = run("contracts", "show", "silver:retail.orders", "--store-dsn", postgres_service.dsn,
                    "--project-dir", str(project))
    assert code == 0 and "v1" in out
    assert not (project / "contracts" / ".registry").exists()
