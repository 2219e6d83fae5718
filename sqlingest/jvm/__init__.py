"""JVM dependencies: resolved from Maven Central through the checked-in manifest ``pom.xml`` beside this file.

``ensure_jars()`` runs ``mvn dependency:copy-dependencies`` once per manifest version into a git-ignored cache
(``$SQLINGEST_JARS_DIR`` or ``~/.cache/sqlingest/jars/<manifest hash>``). Nothing relies on jars left on a machine.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlingest.errors import SqlingestError

MANIFEST = Path(__file__).with_name("pom.xml")


def jars_dir() -> Path:
    explicit = os.environ.get("SQLINGEST_JARS_DIR")
    if explicit:
        return Path(explicit)
    digest = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()[:12]
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sqlingest" / "jars" / digest


def ensure_jars(*, quiet: bool = True) -> list[Path]:
    """The resolved jar files, resolving them first if needed.

    Raises:
        SqlingestError: Maven is missing or resolution failed (its output is included).
    """
    folder = jars_dir()
    marker = folder / ".complete"
    if not marker.exists():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise SqlingestError("Maven (mvn) is needed once to resolve sqlingest's JVM jars",
                                 hint="apt-get install -y maven, or set SQLINGEST_JARS_DIR to a folder of jars")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"sqlingest: resolving JVM jars from {MANIFEST.name} into {folder} …", file=sys.stderr)
        cmd = [mvn, "-B", "-f", str(MANIFEST), "dependency:copy-dependencies", f"-DoutputDirectory={folder}"]
        if quiet:
            cmd.insert(1, "-q")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SqlingestError("resolving JVM jars with Maven failed:\n" + (proc.stdout + proc.stderr)[-4000:])
        marker.write_text("ok\n")
    return sorted(folder.glob("*.jar"))

