#!/usr/bin/env bash
# Local services for development (`make services`): a private PostgreSQL, a Hive Metastore 2.3 on it,
# a Nessie server with its JDBC2 version store on it, and a Kafka broker (KRaft). Endpoints go to .sqlingest/services.env:
#
#   scripts/services.sh start     # start (or reuse) all four; prints and writes the endpoints
#   scripts/services.sh status    # what is running
#   scripts/services.sh stop      # stop all four (their folders are kept; `rm -rf` them to start afresh)
#
# Folders: $SQLINGEST_SERVICES_DIR (default /tmp/sqlingest-services-$UID: PostgreSQL, run as a non-root user when
# started as root, must be able to reach its folder). Python: $PYTHON (default .venv/bin/python, else python3).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DIR="${SQLINGEST_SERVICES_DIR:-/tmp/sqlingest-services-$(id -u)}"
ENV_FILE="${SQLINGEST_SERVICES_ENV:-$ROOT/.sqlingest/services.env}"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

start() {
  mkdir -p "$DIR" "$(dirname "$ENV_FILE")"
  chmod 755 "$DIR"
  "$PYTHON" - "$DIR" "$ENV_FILE" <<'EOF'
import sys
from pathlib import Path

from sqlingest.services.hive_metastore import start_hive_metastore
from sqlingest.services.kafka import start_kafka
from sqlingest.services.nessie import start_nessie
from sqlingest.services.postgres import create_database, start_postgres

folder, env_file = Path(sys.argv[1]), Path(sys.argv[2])
pg = start_postgres(folder / "postgres")
hms = start_hive_metastore(folder / "hive-metastore", jdbc_url=create_database(pg, "metastore"), user=pg.user,
                           password=pg.password, warehouse=str(folder / "hive-warehouse"))
nessie = start_nessie(folder / "nessie", jdbc_url=create_database(pg, "nessie"), user=pg.user,
                      password=pg.password)
kafka = start_kafka(folder / "kafka")
lines = {
    "SQLINGEST_PG_DSN": pg.dsn,
    "SQLINGEST_PG_JDBC_URL": pg.jdbc_url,
    "SQLINGEST_PG_USER": pg.user,
    "SQLINGEST_PG_PASSWORD": pg.password,
    "SQLINGEST_HMS_URI": hms.uri,
    "SQLINGEST_HMS_WAREHOUSE": hms.warehouse,
    "SQLINGEST_NESSIE_URI": nessie.api_v2,
    "SQLINGEST_KAFKA_BOOTSTRAP": kafka.bootstrap,
}
env_file.write_text("".join(f"{k}={v}\n" for k, v in lines.items()), encoding="utf-8")
print("".join(f"{k}={v}\n" for k, v in lines.items()), end="")
print(f"# written to {env_file}")
EOF
}

stop() {
  "$PYTHON" -m sqlingest.services.kafka stop --dir "$DIR/kafka" || true
  "$PYTHON" -m sqlingest.services.nessie stop --dir "$DIR/nessie" || true
  "$PYTHON" -m sqlingest.services.hive_metastore stop --dir "$DIR/hive-metastore" || true
  "$PYTHON" -m sqlingest.services.postgres stop --dir "$DIR/postgres" || true
  rm -f "$ENV_FILE"
}

status() {
  "$PYTHON" - "$DIR" <<'EOF'
import json
import sys
from pathlib import Path

from sqlingest.services import _process as proc

folder = Path(sys.argv[1])
pg = folder / "postgres" / "service.json"
if pg.exists():
    state = json.loads(pg.read_text())
    up = proc.port_open(state["host"], state["port"])
    print(f"postgres        {'up' if up else 'down':5} {state['host']}:{state['port']}")
else:
    print("postgres        never started")
for name, key in (("hive-metastore", "port"), ("nessie", "port"), ("kafka", "port")):
    state = proc.read_state(folder / name)
    if not state:
        print(f"{name:15} never started")
        continue
    up = proc.alive(state.get("pid")) and proc.port_open(state["host"], state[key])
    print(f"{name:15} {'up' if up else 'down':5} {state['host']}:{state[key]}")
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
