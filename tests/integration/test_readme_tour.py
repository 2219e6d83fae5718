"""README's tour works as written: its ``file=`` blocks are written into a fresh ``sqlingest init`` project, its
``console tour`` blocks' ``$ sqlingest …`` commands run in order (one build), and each prints the lines README
shows (timings and run ids aside)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sqlingest.cli import main
from sqlingest.scaffold import FILES, create_project
from tests.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
RUN_ID = re.compile(r"\d{8}T\d{6}\d*-[0-9a-f]{6}")
SECONDS = re.compile(r"\b\d+(?:\.\d+)?s\b")


def tour() -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """(file → text, [(command, expected lines)]) from README's tour."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    files, commands = {}, []
    for block in BLOCK.finditer(text):
        info, body = block["info"].split(), block["body"]
        where = [w.split("=", 1)[1] for w in info[1:] if w.startswith("file=")]
        if where:
            files[where[0]] = body
        elif info[:2] == ["console", "tour"]:
            for line in body.splitlines():
                if line.startswith("$ "):
                    commands.append((line[2:], []))
                else:
                    commands[-1][1].append(line)
    return files, commands


def normal(lines: list[str]) -> list[str]:
    return [SECONDS.sub("<t>", RUN_ID.sub("<run>", line.rstrip())) for line in lines if line.strip()]


def test_readme_files_are_the_ones_init_writes():
    files, commands = tour()
    assert files and {f for f in files} <= set(FILES)
    for path, text in files.items():
        assert text == FILES[path], f"README's {path} is not what `sqlingest init` writes"
    assert [c.split()[:2] for c, _ in commands] == [["sqlingest", "compile"], ["sqlingest", "ls"],
                                                    ["sqlingest", "build"], ["sqlingest", "show"],
                                                    ["sqlingest", "show"], ["sqlingest", "test"]]


def test_readme_tour_runs_as_shown(lakehouse, tmp_path, capsys, monkeypatch):
    root = create_project(tmp_path / "shop")
    files, commands = tour()
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)  # `cd /tmp/shop`
    for command, expected in commands:
        argv = shlex.split(command, comments=True)
        assert argv[0] == "sqlingest"
        capsys.readouterr()
        main(argv[1:])
        captured = capsys.readouterr()
        got = normal((captured.out + captured.err).splitlines())
        assert got == normal(expected), f"$ {command}"
    assert Path(root / "target" / "manifest.json").is_file()
