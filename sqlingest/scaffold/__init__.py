"""``sqlingest init DIR``: a new project that builds as it is (one source → bronze → silver → gold)."""

from __future__ import annotations

from pathlib import Path

from sqlingest.errors import Location, UserError

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
    "tests/events.yml": """\
unit_tests:
  - name: latest_event_wins
    model: silver.events
    given:
      - input: ref('bronze.events')
        rows:
          - {event_id: 1, kind: PURCHASE, amount: 10, happened_at: "2024-01-01 10:00:00"}
          - {event_id: 1, kind: Refund, amount: -10, happened_at: "2024-01-01 11:00:00"}
          - {event_id: 2, kind: purchase, amount: 5.5, happened_at: "2024-01-02 09:00:00"}
    this:
      rows:
        - {event_id: 3, kind: purchase, amount: 1, happened_at: "2023-12-31 00:00:00"}
    expect:
      rows:
        - {event_id: 1, kind: refund, amount: -10}
        - {event_id: 2, kind: purchase, amount: 5.50}
        - {event_id: 3, kind: purchase, amount: 1}
""",
}


def create_project(directory: Path) -> Path:
    """Write a starter project into ``directory`` (which must be empty or absent).

    Raises:
        UserError: the folder already holds files.
    """
    shown = str(directory)
    directory = directory.resolve()
    if directory.exists() or directory.is_symlink():
        if not directory.is_dir():
            raise UserError("a file already exists here (init needs a new or empty folder)", location=Location(shown),
                            hint="choose a new folder; sqlingest init never overwrites anything")
        if (directory / "sqlingest.yml").exists():
            raise UserError("already holds a project (sqlingest.yml)", location=Location(shown),
                            hint="nothing was changed; run `sqlingest compile` there, or init a new folder")
        try:
            empty = not any(directory.iterdir())
        except OSError as exc:
            raise UserError(f"cannot list the folder: {exc.strerror or exc}", location=Location(shown)) from None
        if not empty:
            raise UserError("the folder is not empty", location=Location(shown),
                            hint="choose a new or empty folder; sqlingest init never overwrites anything")
    for parent in directory.parents:
        if parent.exists() and not parent.is_dir():
            raise UserError(f"{parent} is a file, not a folder", location=Location(shown),
                            hint="choose a folder outside it")
    name = "".join(ch if ch.isalnum() else "_" for ch in directory.name).strip("_") or "project"
    try:
        for rel, text in FILES.items():
            path = directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never replace a file
                handle.write(text.replace("{name}", name) if rel == "sqlingest.yml" else text)
    except OSError as exc:
        raise UserError(f"cannot create the project: {exc.strerror or exc} ({exc.filename or shown})",
                        location=Location(shown)) from None
    return directory
