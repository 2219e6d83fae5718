"""The service base (state file, spawn, readiness, status, logs, stale detection, stop) on a tiny HTTP server,
the ``python -m sqlingest.services`` command line, and the one Maven fetch helper's offline paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sqlingest.services import cli
from sqlingest.services.base import HOST, Service, ServiceInfo, alive, http_ok, port_open
from tests.conftest import REPO


class HttpServer(Service):
    """``python -m http.server`` on a free loopback port."""

    name = "http-dummy"
    start_timeout = 30.0
    stop_grace = 5.0

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-u", "-m", "http.server", str(port), "--bind", HOST]

    def ready(self, info: ServiceInfo) -> bool:
        return http_ok(f"http://{HOST}:{info.port}/")

    def exports(self, info: ServiceInfo) -> dict[str, str]:
        return {"DUMMY_URL": f"http://{HOST}:{info.port}"}


class Broken(Service):
    name = "broken"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; print('cannot bind: boom', flush=True); sys.exit(3)"]


@pytest.fixture
def dummy(tmp_path: Path):
    service = HttpServer(tmp_path / "state", tmp_path / "data")
    yield service
    service.stop()


def test_start_ready_status_logs_stop(dummy: HttpServer):
    assert dummy.status() == "stopped" and dummy.info() is None and dummy.env() == {}
    info = dummy.start()
    assert dummy.status() == "running"
    assert http_ok(f"http://{HOST}:{info.port}/")
    state = json.loads(dummy.state_file.read_text())
    assert dummy.state_file == dummy.state_dir / "http-dummy.json"
    assert state["pid"] == info.pid and state["port"] == info.port and state["data_dir"] == str(dummy.data_dir)
    assert state["log"] == str(dummy.data_dir / "http-dummy.log") and state["started_at"] <= time.time()
    assert dummy.env() == {"DUMMY_URL": f"http://{HOST}:{info.port}"}
    assert dummy.start() == info                                  # running: reused, not started twice
    assert '"GET / HTTP/1.1" 200' in dummy.logs(10)               # the readiness probe, in its log
    assert os.getpgid(info.pid) == info.pid                       # its own process group

    assert dummy.stop() is True
    assert dummy.status() == "stopped" and not dummy.state_file.exists()
    assert not alive(info.pid) and not port_open(HOST, info.port)
    assert dummy.data_dir.is_dir()                                # data kept
    assert dummy.stop() is False


def test_killed_process_is_stale_and_the_next_start_cleans_up(dummy: HttpServer):
    first = dummy.start()
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(first.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dummy.status() == "stale"
    assert dummy.env() == {}                                      # a stale service exports nothing
    second = dummy.start()
    assert second.pid != first.pid and dummy.status() == "running"
    assert json.loads(dummy.state_file.read_text())["pid"] == second.pid


def test_stale_state_file_is_removed_by_stop(dummy: HttpServer):
    dummy.state_dir.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dummy.state_file.write_text(json.dumps(ServiceInfo("http-dummy", gone.pid, 1, 0.0, "x.log", "d").to_json()))
    assert dummy.status() == "stale"
    assert dummy.stop() is False and dummy.status() == "stopped"


def test_a_service_exiting_during_start_up_fails_with_its_log(tmp_path: Path):
    from sqlingest.errors import ExecutionError

    service = Broken(tmp_path / "state", tmp_path / "data")
    with pytest.raises(ExecutionError, match="broken exited during start-up:\ncannot bind: boom"):
        service.start(wait=20)
    assert service.status() == "stopped"


def test_cli_status_with_nothing_running(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "SQLINGEST_SERVICES_DIR": str(tmp_path / "svc")}
    proc = subprocess.run([sys.executable, "-m", "sqlingest.services", "status", "--project-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "NAME            STATE    PID  PORT  UPTIME",
        "postgres        stopped  -    -     -",
        "hive-metastore  stopped  -    -     -",
        "nessie          stopped  -    -     -",
        "kafka           stopped  -    -     -",
        "spark-cluster   stopped  -    -     -",
        "spark-connect   stopped  -    -     -",
    ]


def test_cli_refuses_unknown_names_and_stops_nothing_cleanly(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["status", "--project-dir", str(tmp_path), "postgress"])
    assert exc.value.code == 2
    assert "unknown service(s) postgress; choose from postgres, hive-metastore, nessie, kafka, spark-cluster, " \
        "spark-connect" in \
        capsys.readouterr().err
    assert cli.main(["stop", "--project-dir", str(tmp_path), "--root", str(tmp_path / "svc")]) == 0
    assert capsys.readouterr().out.splitlines() == ["spark-connect: was stopped", "spark-cluster: was stopped",
                                                    "kafka: was stopped", "nessie: was stopped",
                                                    "hive-metastore: was stopped", "postgres: was stopped"]
    assert not (tmp_path / ".sqlingest" / "services.env").exists()


def test_cli_start_writes_the_env_file_and_status_shows_the_service(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setitem(cli.SERVICES, "http-dummy", f"{__name__}:HttpServer")
    monkeypatch.delenv("SQLINGEST_SERVICES_ENV", raising=False)
    base = ["--project-dir", str(tmp_path), "--root", str(tmp_path / "svc")]
    try:
        assert cli.main(["start", *base, "http-dummy"]) == 0
        out = capsys.readouterr().out
        env = (tmp_path / ".sqlingest" / "services.env").read_text()
        assert env.startswith("DUMMY_URL=http://127.0.0.1:") and env in out
        assert cli.main(["status", *base, "http-dummy"]) == 0
        row = capsys.readouterr().out.splitlines()[1].split()
        assert row[:2] == ["http-dummy", "running"] and row[4].endswith("s")
    finally:
        assert cli.main(["stop", *base, "http-dummy"]) == 0
    assert capsys.readouterr().out == "http-dummy: stopped\n"
    assert not (tmp_path / ".sqlingest" / "services.env").exists()


def test_cli_start_failure_exits_1_with_the_log_tail(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setitem(cli.SERVICES, "broken", f"{__name__}:Broken")
    assert cli.main(["start", "--project-dir", str(tmp_path), "--root", str(tmp_path / "svc"), "--wait", "20",
                     "broken"]) == 1
    err = capsys.readouterr().err
    assert "broken: failed to start: broken exited during start-up:\ncannot bind: boom" in err


def test_fetch_lists_a_complete_folder_without_maven(tmp_path: Path, monkeypatch):
    from sqlingest import jvm

    (tmp_path / "b.jar").write_bytes(b"")
    (tmp_path / "a.jar").write_bytes(b"")
    (tmp_path / ".complete").write_text("ok\n")
    monkeypatch.setenv("PATH", "")
    assert jvm.fetch(tmp_path, ["g:a:1"]) == [tmp_path / "a.jar", tmp_path / "b.jar"]


def test_fetch_without_maven_is_a_missing_dependency(tmp_path: Path, monkeypatch):
    from sqlingest import jvm
    from sqlingest.errors import MissingDependency

    monkeypatch.setenv("PATH", "")
    with pytest.raises(MissingDependency, match="Maven \\(mvn\\) is needed once to fetch the Kafka broker"):
        jvm.fetch(tmp_path / "k", ["org.apache.kafka:kafka_2.13:3.9.1"], what="the Kafka broker")


def test_fetch_pom_and_copy_coordinates():
    from sqlingest import jvm

    pom = jvm._pom(["org.apache.kafka:kafka_2.13:3.9.1", "org.projectnessie.nessie:nessie-quarkus:0.99.0:runner"])
    assert ("<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>"
            "<version>3.9.1</version></dependency>") in pom
    assert "<version>0.99.0</version><classifier>runner</classifier></dependency>" in pom
    assert jvm._copy_coordinate("org.projectnessie.nessie:nessie-quarkus:0.99.0:runner") == \
        "org.projectnessie.nessie:nessie-quarkus:0.99.0:jar:runner"
    with pytest.raises(ValueError, match="'g:a' is not groupId:artifactId:version"):
        jvm._copy_coordinate("g:a")


@pytest.mark.slow
def test_cli_starts_and_stops_postgres(tmp_path: Path):
    """The real PostgreSQL through the command line (`make test` installs it: a missing one fails, never skips)."""
    import shutil
    import tempfile

    import psycopg2

    root = Path(tempfile.mkdtemp(prefix="sqlingest-svc-test-", dir="/tmp"))  # the server user must reach it
    root.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SQLINGEST_SERVICES_DIR": str(root)}
    env.pop("SQLINGEST_SERVICES_ENV", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sqlingest.services", *args, "--project-dir", str(tmp_path)],
                              capture_output=True, text=True, env=env, timeout=240, check=False)

    try:
        started = run("start", "postgres")
        assert started.returncode == 0, started.stderr
        values = dict(line.split("=", 1) for line in
                      (tmp_path / ".sqlingest" / "services.env").read_text().splitlines())
        assert set(values) == {"SQLINGEST_PG_DSN", "SQLINGEST_PG_JDBC_URL", "SQLINGEST_PG_USER",
                               "SQLINGEST_PG_PASSWORD"}
        assert f"# written to {tmp_path / '.sqlingest' / 'services.env'}" in started.stdout
        with psycopg2.connect(values["SQLINGEST_PG_DSN"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == ("sqlingest",)
        conn.close()
        row = run("status", "postgres").stdout.splitlines()[1].split()
        state = json.loads((tmp_path / ".sqlingest" / "services" / "postgres.json").read_text())
        assert row[:4] == ["postgres", "running", str(state["pid"]), str(state["port"])]
        assert "database system is ready to accept connections" in run("logs", "postgres").stdout
        again = run("start", "postgres")
        assert "postgres: already running" in again.stderr
    finally:
        stopped = run("stop", "postgres")
        shutil.rmtree(root, ignore_errors=True)
    assert stopped.returncode == 0 and stopped.stdout == "postgres: stopped\n"
    assert not (tmp_path / ".sqlingest" / "services.env").exists()
    assert run("status", "postgres").stdout.splitlines()[1].split()[:2] == ["postgres", "stopped"]
    assert not alive(state["pid"])
