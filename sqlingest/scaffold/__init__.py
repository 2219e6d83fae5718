"""``sqlingest init DIR``: a new project that builds as it is (one source → bronze → silver → gold)."""

from __future__ import annotations

from pathlib import Path

from sqlingest.errors import UserError

FILES: dict[str, str] = {
    "sqlingest.yml": """\
name: {name}
default_target: dev
targets:
  dev:                      # embedded: local Spark, Iceberg on SQLite, warehouse under .sqlingest/
    spark:
      master: local[*]
      conf:
        spark.sql.shuffle.partitions: "4"
        spark.ui.enabled: "false"
    catalog: {type: iceberg_jdbc, name: lake}
    format: iceberg
""",
    ".gitignore": ".sqlingest/\ntarget/\n",
    "data/events/events_001.csv": """\
event_id,user_id,kind,amount,happened_at
1,10,purchase,19.99,2024-01-01T10:00:00
2,11,refund,-5.00,2024-01-01T11:00:00
3,10,purchase,7.50,2024-01-02T09:30:00
4,12,purchase,not-a-number,2024-01-02T12:00:00
""",
    "contracts/shop/events.source.yml": """\
name: shop.events
layer: source
description: Raw shop events exported as CSV.
source: {format: csv, path: data/events/*.csv}
columns:
  - {name: event_id, type: bigint, nullable: false}
  - {name: user_id, type: bigint}
  - {name: kind, type: string}
  - {name: amount, type: "decimal(10,2)"}
  - {name: happened_at, type: timestamp}
""",
    "contracts/shop/events.bronze.yml": """\
name: shop.events
layer: bronze
description: Events as delivered; values that do not fit their type are kept in _rescued_data.
columns:
  - {name: event_id, type: bigint}
  - {name: user_id, type: bigint}
  - {name: kind, type: string}
  - {name: amount, type: "decimal(10,2)"}
  - {name: happened_at, type: timestamp}
""",
    "contracts/shop/events.silver.yml": """\
name: shop.events
layer: silver
description: Clean events, one row per event.
keys: {business: [event_id], ordering: happened_at}
columns:
  - {name: event_id, type: bigint, nullable: false, checks: [not_null, unique]}
  - {name: user_id, type: bigint}
  - name: kind
    type: string
    checks: [{accepted_values: [purchase, refund]}]
  - {name: amount, type: "decimal(10,2)"}
  - {name: happened_at, type: timestamp}
""",
    "contracts/shop/daily_sales.gold.yml": """\
name: shop.daily_sales
layer: gold
description: Net sales per day.
columns:
  - {name: day, type: date, nullable: false}
  - {name: events, type: bigint, nullable: false}
  - {name: net_amount, type: "decimal(20,2)"}
checks:
  - {type: row_count, min: 1}
""",
    "models/bronze/events.sql": """\
{{ config(materialized='append') }}
SELECT * FROM {{ source('shop', 'events') }}
""",
    "models/silver/events.sql": """\
{{ config(materialized='merge') }}
SELECT event_id, user_id, LOWER(kind) AS kind, amount, happened_at
FROM {{ ref('bronze.events') }}
WHERE event_id IS NOT NULL
""",
    "models/gold/daily_sales.sql": """\
{{ config(materialized='table') }}
SELECT CAST(happened_at AS DATE) AS day, COUNT(*) AS events, CAST(SUM(amount) AS DECIMAL(20, 2)) AS net_amount
FROM {{ ref('silver.events') }}
GROUP BY CAST(happened_at AS DATE)
""",
    "macros/README.md": "Jinja macros in *.sql files here are callable from every model.\n",
}


def create_project(directory: Path) -> Path:
    """Write a starter project into ``directory`` (which must be empty or absent).

    Raises:
        UserError: the folder already holds files.
    """
    directory = directory.resolve()
    if directory.exists() and any(directory.iterdir()):
        raise UserError(f"{directory} is not empty", hint="choose a new folder")
    name = "".join(ch if ch.isalnum() else "_" for ch in directory.name).strip("_") or "project"
    for rel, text in FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{name}", name) if rel == "sqlingest.yml" else text, encoding="utf-8")
    return directory
