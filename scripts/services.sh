#!/usr/bin/env bash
# Local services for development (`make services`), a thin wrapper around `python -m sqlingest.services`:
# a private PostgreSQL, a Hive Metastore 2.3 on it, a Nessie server with its JDBC2 version store on it, and a
# Kafka broker (KRaft). Endpoints go to .sqlingest/services.env:
#
#   scripts/services.sh start [names…]    # start (or reuse) them; prints and writes the endpoints
#   scripts/services.sh status [names…]   # name, state, pid, port, uptime
#   scripts/services.sh logs [names…]     # the tail of each log
#   scripts/services.sh stop [names…]     # stop them (their folders are kept; `rm -rf` them to start afresh)
#
# Folders: $SQLINGEST_SERVICES_DIR (default /tmp/sqlingest-services-$UID). Python: $PYTHON (default
# .venv/bin/python, else python3).
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}"

case "${1:-}" in
  start|stop|status|logs) exec "$PYTHON" -m sqlingest.services "$@" --project-dir "$(pwd)" ;;
  *) echo "usage: $0 start|stop|status|logs [names…]" >&2; exit 2 ;;
esac
