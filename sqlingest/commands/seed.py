"""seed"""
from __future__ import annotations

from typing import Any


def add_parser(sub: Any, common: Any, lock_timeout: Any) -> None:
    p = sub.add_parser("seed", help="seed")
    common(p)


def run(args: Any, console: Any) -> int:
    return 2
