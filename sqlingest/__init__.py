"""sqlingest: declarative, SQL-first ingestion for medallion lakehouses on Apache Spark.

The compiler pipeline is the package layout: ``project`` (load) → ``render`` (Jinja) → ``validate`` (sqlglot,
contracts) → ``plan`` (DAG, materializations) → ``execute`` (Spark) → ``checks`` (Soda) → ``runs`` (records).
Plug points — ``catalogs``, ``formats``, ``sources``, ``materializations``, ``secrets`` — share one mechanism
(:mod:`sqlingest.plugins`).
"""

__version__ = "0.1.0"
