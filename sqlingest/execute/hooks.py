"""Run hooks: code that observes a run without changing it (benchmarks, lineage, tracing) — a plug point of the
plugin registry (``sqlingest.run_hooks`` entry points, or :func:`HOOKS.register <sqlingest.plugins.PluginRegistry
.register>` at run time).

A hook is a :class:`RunHook` instance; the runner enters :meth:`RunHook.run` around a whole run and
:meth:`RunHook.step` around each model's steps (``build``: staging, DDL, publish; ``check``: verification).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from sqlingest.plugins import PluginRegistry

if TYPE_CHECKING:
    from sqlingest.execute.context import RunContext
    from sqlingest.plan import PlannedModel


class RunHook:
    """Observes a run; override what you need (each returns a context manager entered around the work)."""

    def run(self, ctx: RunContext) -> AbstractContextManager[None]:
        """Around one run of a plan (``ctx.record`` is the run's record, complete when the block exits)."""
        return nullcontext()

    def step(self, ctx: RunContext, step: str, pm: PlannedModel) -> AbstractContextManager[None]:
        """Around one step of ``pm``'s run on the model's thread: ``build`` or ``check``."""
        return nullcontext()


HOOKS: PluginRegistry[RunHook] = PluginRegistry("run_hooks", {})


def active() -> list[RunHook]:
    """The hooks registered in this process (and installed as entry points), in name order."""
    return [HOOKS.load(name) for name in HOOKS.names()]


@contextlib.contextmanager
def around_run(hooks: list[RunHook], ctx: RunContext) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for hook in hooks:
            stack.enter_context(hook.run(ctx))
        yield


@contextlib.contextmanager
def around_step(hooks: list[RunHook], ctx: RunContext, step: str, pm: PlannedModel) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for hook in hooks:
            stack.enter_context(hook.step(ctx, step, pm))
        yield
