"""Which Spark engine a target runs on, and what sqlingest cannot do on it (refused at compile time).

Three engines (the "engine" axis of docs/support-matrix.md):

- ``local`` — ``master: local[…]``: driver and executors in one JVM on this machine;
- ``standalone`` — any other ``master`` (``spark://…``, ``yarn``, ``k8s://…``): a classic session whose driver runs
  here (client mode) and whose executors run on the cluster's workers;
- ``connect`` — ``remote: sc://…``: Spark Connect; the session lives in the Connect server and this process holds
  a gRPC client without a JVM.

Spark Connect in the pinned Spark (3.5) lacks APIs every sqlingest build uses; measured against a real Connect
server (tests/integration/test_cluster.py asserts each one still fails, so a newer Spark that fills a gap turns the
test red instead of leaving a stale refusal), and listed in :data:`CONNECT_GAPS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlingest.errors import Location, UnsupportedCombination

if TYPE_CHECKING:
    from sqlingest.project import Project
    from sqlingest.project.config import SparkConfig

__all__ = ["CONNECT_GAPS", "ENGINES", "ENGINE_MATRIX", "Engine", "check_engine", "engine_of"]

Engine = Literal["local", "standalone", "connect"]
ENGINES: tuple[Engine, ...] = ("local", "standalone", "connect")

#: what sqlingest's build needs that a Spark 3.5 Connect session does not have: (API, what needs it, Spark's answer)
CONNECT_GAPS: tuple[tuple[str, str, str], ...] = (
    ("Observation", "the fused checks and row counts of every model (checks/fused.py)",
     "Observation support for Spark Connect is not implemented"),
    ("SparkSession.sparkContext", "each model's job group and Spark job count (execute/runner.py)",
     "sparkContext() is not implemented"),
    ("the JVM gateway (_jvm, _jsc)", ("streaming models' exactly-once batch bookkeeping and Hadoop file system "
     "(execute/streaming.py), file sources' integrity checks (sources/integrity.py)"),
     "Attribute `_jvm` is not supported in Spark Connect as it depends on the JVM"),
)


#: the engine axis of docs/support-matrix.md: (engine, how a target selects it, {what: runs there}, the test that
#: exercises it). tests/integration/test_cluster.py builds the demo on ``standalone`` (every column) and asserts
#: the ``connect`` refusal; ``local`` is the rest of the suite.
FEATURES: tuple[str, ...] = ("batch models", "streaming models", "quarantine", "replay", "checks", "run tables")
ENGINE_MATRIX: tuple[tuple[Engine, str, dict[str, bool], str], ...] = (
    ("local", "`master: local[…]`", dict.fromkeys(FEATURES, True), "the whole suite"),
    ("standalone", "`master: spark://…` (client mode), `sqlingest submit`", dict.fromkeys(FEATURES, True),
     "tests/integration/test_cluster.py"),
    ("connect", "`remote: sc://…`", dict.fromkeys(FEATURES, False),
     "tests/integration/test_cluster.py (refused at compile time; the gaps asserted on a live server)"),
)


def engine_of(spark: SparkConfig) -> Engine:
    """The engine of a target's ``spark`` settings."""
    if spark.remote:
        return "connect"
    return "local" if spark.master.startswith("local") else "standalone"


def check_engine(project: Project) -> list[UnsupportedCombination]:
    """The target's engine refusals: a Spark Connect target (``remote``) cannot run sqlingest's build on Spark 3.5,
    located at the target's ``remote:`` line, naming each missing API and what needs it."""
    spark = project.target.spark
    if engine_of(spark) != "connect":
        return []
    from importlib.metadata import version

    gaps = "; ".join(f"{api} — needed for {what} (Spark: \"{answer}\")" for api, what, answer in CONNECT_GAPS)
    message = (f"target '{project.target_name}' runs on Spark Connect (remote: {spark.remote}), and Spark "
               f"{version('pyspark')}'s Connect client lacks what sqlingest's build needs: {gaps}")
    hint = ("use a classic session on the same cluster instead: `master: spark://…` (client mode) or "
            "`sqlingest submit` (docs/cluster.md)")
    return [UnsupportedCombination(message, hint=hint, location=_remote_location(project))]


def _remote_location(project: Project) -> Location:
    """The ``remote:`` line of the target in ``sqlingest.yml`` (else the file's first line)."""
    from sqlingest.project import PROJECT_FILE

    try:
        lines = (Path(project.root) / PROJECT_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return Location(PROJECT_FILE, 1, 1)
    targets = indent = None
    for i, line in enumerate(lines, 1):
        stripped, depth = line.strip(), len(line) - len(line.lstrip())
        if not stripped or stripped.startswith("#"):
            continue
        if targets is None:
            targets = depth if stripped.startswith("targets:") and depth == 0 else None
        elif indent is None:
            if depth == 0:
                break
            if stripped.split(":", 1)[0] == project.target_name and stripped.startswith(f"{project.target_name}:"):
                indent = depth
        elif depth <= indent:
            break
        elif stripped.startswith("remote:"):
            return Location(PROJECT_FILE, i, depth + 1)
    return Location(PROJECT_FILE, 1, 1)
