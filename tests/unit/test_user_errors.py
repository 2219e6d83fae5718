"""Failures people can read (issue #15): every user-caused error is a located message with exit code 2, never a
Python traceback — broken configuration, contracts and models, files that are not UTF-8, folders where files should
be, unreadable files, bad command-line values, and ``init`` onto something that exists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.scaffold import create_project

Setup = Callable[[Path, pytest.MonkeyPatch], None]

UTF8_HINT = "re-save this file as UTF-8"


def write(rel: str, content: str | bytes) -> Setup:
    def setup(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return setup


def mkdir(rel: str) -> Setup:
    def setup(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (root / rel).mkdir(parents=True)
    return setup


def unreadable(rel: str) -> Setup:
    """chmod 000 does not stop root: make reading that one file fail as it would for another user."""
    def setup(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        target = (root / rel).resolve()
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.resolve() == target:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return setup


def nothing(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


SILVER = "contracts/shop/events.silver.yml"
MODEL = "models/silver/events.sql"

#: (id, setup, arguments, the message — or several parts of it — stderr must contain)
CASES: list[tuple[str, Setup, list[str], str | tuple[str, ...]]] = [
    # sqlingest.yml
    ("empty sqlingest.yml", write("sqlingest.yml", ""), ["compile"], "sqlingest.yml:1:1: sqlingest.yml is empty"),
    ("sqlingest.yml is a list", write("sqlingest.yml", "- a\n- b\n"), ["compile"],
     "sqlingest.yml:1:1: sqlingest.yml must be a mapping"),
    ("unknown top-level key", write("sqlingest.yml", "name: p\ntargetz: {}\n"), ["compile"],
     "sqlingest.yml:2:1: unknown key 'targetz'\n  hint: did you mean 'targets'?"),
    ("tabs in YAML", write("sqlingest.yml", "name: p\ntargets:\n\tdev: {}\n"), ["compile"],
     ("sqlingest.yml:3:1: invalid YAML: found character", ("cannot start any token\n"
                                                           "  hint: YAML indents with spaces, never tabs"))),
    ("sqlingest.yml not UTF-8", write("sqlingest.yml", b"name: caf\xe9\n"), ["compile"],
     "sqlingest.yml:1:10: not valid UTF-8 (byte 0xE9: invalid continuation byte)"),
    ("undefined env var in sqlingest.yml", write("sqlingest.yml", "\nname: {{ env_var('SQLINGEST_NOPE_X') }}\n"),
     ["compile"], "sqlingest.yml:2: environment variable 'SQLINGEST_NOPE_X' is not set and has no default"),
    ("sqlingest.yml unreadable", unreadable("sqlingest.yml"), ["compile"],
     "sqlingest.yml: cannot read the file: permission denied"),
    # contracts
    ("empty contract", write(SILVER, ""), ["compile"], f"{SILVER}:1:1: a contract file must be a YAML mapping"),
    ("contract with a duplicate key", write("contracts/shop/x.gold.yml", "name: shop.x\nlayer: gold\nname: y\n"),
     ["compile"], "contracts/shop/x.gold.yml:3:1: duplicate key 'name'"),
    ("contract not UTF-8", write("contracts/shop/x.gold.yml", b"name: shop.x\nlayer: gold\ndescription: caf\xe9\n"),
     ["compile"], "contracts/shop/x.gold.yml:3:17: not valid UTF-8 (byte 0xE9: invalid continuation byte)"),
    ("contract is a folder", mkdir("contracts/shop/x.yml"), ["compile"],
     "contracts/shop/x.yml: is a folder, not a file"),
    ("contract unreadable", unreadable(SILVER), ["compile"], f"{SILVER}: cannot read the file: permission denied"),
    # models and macros
    ("model not UTF-8", write(MODEL, b"-- \xc3\nSELECT 1\n"), ["compile"],
     f"{MODEL}:1:4: not valid UTF-8 (byte 0xC3: invalid continuation byte)"),
    ("model is a folder", mkdir("models/silver/more.sql"), ["compile"], "models/silver/more.sql: is a folder, not a file"),
    ("macro not UTF-8", write("macros/m.sql", b"{% macro a() %}\n  \xff{% endmacro %}\n"), ["compile"],
     "macros/m.sql:2:3: not valid UTF-8 (byte 0xFF: invalid start byte)"),
    ("macro is a folder", mkdir("macros/m.sql"), ["compile"], "macros/m.sql: is a folder, not a file"),
    # command line
    ("--vars not a mapping", nothing, ["compile", "--vars", "[1, 2]"], "--vars must be a mapping"),
    ("--vars not YAML", nothing, ["compile", "--vars", "{a: [}"],
     "--vars is not valid YAML: expected the node content, but found '}' at column 6"),
    ("--select of a model that does not exist", nothing, ["compile", "--select", "silver.nope"],
     "--select 'silver.nope' matches no model"),
    ("--target unknown", nothing, ["compile", "--target", "prod"], ("sqlingest.yml:1:1: unknown target 'prod'\n"
                                                                    "  hint: targets: dev")),
    ("replay of an unknown model", nothing, ["replay", "nope"], "replay: no model 'nope'"),
    # files sqlingest writes but people edit
    ("run log not JSON", write(".sqlingest/runs/20240101.json", "{\n x"), ["runs"],
     ".sqlingest/runs/20240101.json:2:2: run log is corrupt: Expecting property name enclosed in double quotes"),
    ("run log not UTF-8", write(".sqlingest/runs/20240101.json", b"\xe9"), ["runs"],
     ".sqlingest/runs/20240101.json:1:1: not valid UTF-8 (byte 0xE9: unexpected end of data)"),
    ("report onto a folder", mkdir("out.html"), ["report", "--output", "{root}/out.html"],
     "out.html: cannot write the report: Is a directory"),
    ("registry file not UTF-8", write("contracts/.registry/silver__shop.events.json", b"[\xe9]"), ["compile"],
     "contracts/.registry/silver__shop.events.json:1:2: not valid UTF-8 (byte 0xE9: invalid continuation byte)"),
    ("schema file not UTF-8", write("x.avsc", b'{"type": "record", "name": "caf\xe9"}'),
     ["contracts", "compat", "{root}/x.avsc", "{root}/x.avsc"], "x.avsc:1:32: not valid UTF-8 (byte 0xE9"),
    # init
    ("init onto an existing file", nothing, ["init", "{root}/sqlingest.yml"],
     "sqlingest.yml: a file already exists here (init needs a new or empty folder)"),
    ("init onto a non-empty folder", nothing, ["init", "{root}/models"], "models: the folder is not empty"),
    ("init onto a project", nothing, ["init", "{root}"], "proj: already holds a project (sqlingest.yml)"),
    ("init below a file", nothing, ["init", "{root}/sqlingest.yml/sub"], "sqlingest.yml is a file, not a folder"),
]


@pytest.mark.parametrize(("setup", "args", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_error_is_located_without_a_traceback(tmp_path, monkeypatch, capsys, setup, args, message):
    root = create_project(tmp_path / "proj")
    setup(root, monkeypatch)
    argv = [a.replace("{root}", str(root)) for a in args]
    if argv[0] not in ("init", "contracts"):
        argv += ["--project-dir", str(root)]
    code = main(argv)
    out = capsys.readouterr()
    assert code == 2, out.err
    for part in (message,) if isinstance(message, str) else message:
        assert part in out.err
    assert "Traceback" not in out.out + out.err


def test_init_never_overwrites(tmp_path, capsys):
    root = create_project(tmp_path / "proj")
    (root / "models/silver/events.sql").write_text("-- mine\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert main(["init", str(root)]) == 2
    assert main(["init", str(root / "models")]) == 2
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_byte_order_mark_is_fine(tmp_path, capsys):
    root = create_project(tmp_path / "proj")
    for rel in ("sqlingest.yml", SILVER, MODEL):
        path = root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert main(["compile", "--project-dir", str(root)]) == 0, capsys.readouterr().err
    compiled = (root / "target/compiled/silver/events.sql").read_text(encoding="utf-8")
    assert "\ufeff" not in compiled
    assert "SELECT event_id, user_id, LOWER(kind) AS kind" in compiled
