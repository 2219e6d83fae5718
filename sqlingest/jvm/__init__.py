"""JVM dependencies from Maven Central, fetched once into a git-ignored cache under ``~/.cache/sqlingest/``.

One helper, :func:`fetch`, runs Maven for every JVM piece sqlingest needs:

- the Spark session's jars: the checked-in manifest ``pom.xml`` beside this file, resolved with
  ``mvn dependency:copy-dependencies`` into ``$SQLINGEST_JARS_DIR`` or ``~/.cache/sqlingest/jars/<manifest hash>``
  (:func:`ensure_jars`);
- the Kafka broker's classpath (``org.apache.kafka:kafka_2.13`` and its runtime dependencies, transitive) and the
  Nessie server's runner jar (one artifact, not transitive): see :mod:`sqlingest.services.kafka` and
  :mod:`sqlingest.services.nessie`.

A folder is complete once it holds a ``.complete`` marker; later calls only list it. Nothing relies on jars left
on a machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from sqlingest.errors import ExecutionError, MissingDependency

__all__ = ["MANIFEST", "cache_dir", "ensure_jars", "fetch", "jars_dir"]

MANIFEST = Path(__file__).with_name("pom.xml")
MARKER = ".complete"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sqlingest`` (default ``~/.cache/sqlingest``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sqlingest"


def jars_dir() -> Path:
    explicit = os.environ.get("SQLINGEST_JARS_DIR")
    if explicit:
        return Path(explicit)
    digest = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()[:12]
    return cache_dir() / "jars" / digest


def ensure_jars(*, quiet: bool = True) -> list[Path]:
    """The Spark session's jar files (the manifest's dependencies), resolving them first if needed.

    Raises:
        MissingDependency: Maven is missing.
        ExecutionError: Resolution failed (its output is included).
    """
    return fetch(jars_dir(), manifest=MANIFEST, what="sqlingest's JVM jars", quiet=quiet,
                 hint="apt-get install -y maven, or set SQLINGEST_JARS_DIR to a folder of jars")


def fetch(dest: Path, artifacts: Sequence[str] = (), *, manifest: Path | None = None, transitive: bool = True,
          what: str = "JVM jars", quiet: bool = True, hint: str = "apt-get install -y maven") -> list[Path]:
    """The jars in ``dest``, fetched from Maven Central first unless ``dest`` is complete.

    Args:
        dest: The folder the jars are copied into (flat).
        artifacts: Coordinates ``groupId:artifactId:version[:classifier]``.
        manifest: A ``pom.xml`` whose dependencies are fetched (instead of ``artifacts``).
        transitive: Also fetch the artifacts' runtime dependencies (``dependency:copy-dependencies``); false
            copies exactly the artifacts (``dependency:copy``).
        what: What is fetched, for messages.
        quiet: Run Maven with ``-q``.
        hint: The hint of the error raised when Maven is missing.

    Returns:
        The ``*.jar`` files in ``dest``, sorted.

    Raises:
        MissingDependency: Maven is missing.
        ExecutionError: Maven failed (its output's tail is included).
    """
    dest = Path(dest)
    if (dest / MARKER).exists():
        return sorted(dest.glob("*.jar"))
    if manifest is None and not artifacts:
        raise ValueError("fetch() needs artifacts or a manifest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Two processes (parallel test workers, two builds) fetching into one folder: the second waits for the first
    # and then finds the folder complete, instead of reading jars the first is still copying.
    with open(dest.parent / f".{dest.name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dest / MARKER).exists():
            return sorted(dest.glob("*.jar"))
        return _fetch(dest, artifacts, manifest=manifest, transitive=transitive, what=what, quiet=quiet, hint=hint)


def _fetch(dest: Path, artifacts: Sequence[str], *, manifest: Path | None, transitive: bool, what: str, quiet: bool,
           hint: str) -> list[Path]:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingDependency(f"Maven (mvn) is needed once to fetch {what}", hint=hint)
    dest.mkdir(parents=True, exist_ok=True)
    print(f"sqlingest: fetching {what} into {dest} …", file=sys.stderr)
    base = [mvn, "-B", *(["-q"] if quiet else [])]
    with tempfile.TemporaryDirectory(prefix="sqlingest-mvn-") as work:
        if manifest is not None:
            runs = [[*base, "-f", str(manifest), "dependency:copy-dependencies", f"-DoutputDirectory={dest}"]]
        elif transitive:
            pom = Path(work) / "pom.xml"
            pom.write_text(_pom(artifacts), encoding="utf-8")
            runs = [[*base, "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={dest}",
                     "-DincludeScope=runtime"]]
        else:
            runs = [[*base, "dependency:copy", f"-Dartifact={_copy_coordinate(a)}", f"-DoutputDirectory={dest}"]
                    for a in artifacts]
        for cmd in runs:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise ExecutionError(f"fetching {what} with Maven failed:\n" + (proc.stdout + proc.stderr)[-4000:])
    (dest / MARKER).write_text("ok\n", encoding="utf-8")
    return sorted(dest.glob("*.jar"))


def _split(coordinate: str) -> tuple[str, str, str, str | None]:
    parts = coordinate.split(":")
    if len(parts) not in (3, 4) or not all(parts):
        raise ValueError(f"Maven coordinate '{coordinate}' is not groupId:artifactId:version[:classifier]")
    return parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else None


def _copy_coordinate(coordinate: str) -> str:
    """``dependency:copy``'s ``groupId:artifactId:version[:packaging[:classifier]]``."""
    group, artifact, version, classifier = _split(coordinate)
    return f"{group}:{artifact}:{version}" + (f":jar:{classifier}" if classifier else "")


def _pom(artifacts: Sequence[str]) -> str:
    deps = []
    for coordinate in artifacts:
        group, artifact, version, classifier = _split(coordinate)
        extra = f"<classifier>{escape(classifier)}</classifier>" if classifier else ""
        deps.append(f"    <dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}</artifactId>"
                    f"<version>{escape(version)}</version>{extra}</dependency>\n")
    return ('<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n'
            "  <groupId>io.sqlingest</groupId><artifactId>sqlingest-fetch</artifactId><version>1</version>"
            "<packaging>pom</packaging>\n  <dependencies>\n" + "".join(deps) + "  </dependencies>\n</project>\n")
