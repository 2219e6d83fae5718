{#- Dynamic partition overwrite: every partition that occurs in the staged rows is replaced by those rows; every
    other partition is left as it is. An empty batch changes nothing.

    Written as ONE MERGE so it is one atomic commit on Iceberg and on Delta and does not depend on the session's
    spark.sql.sources.partitionOverwriteMode (static by default; changing it with SET would leak into every other
    statement of the session if this one failed). The source is the staged rows (never matched: inserted) plus one
    marker row per staged partition, which matches — and deletes — every existing row of that partition.
    Partition values are compared with <=>, so a NULL partition is replaced like any other. -#}
MERGE INTO {{ relation }} AS t
USING (
  SELECT {{ columns | join(', ') }}, false AS __sqlingest_replace
  FROM {{ stage }}
  UNION ALL
  SELECT {% for c in columns %}{{ c if c in partitioned_by else 'NULL' }}{{ ', ' if not loop.last }}{% endfor %}, true
  FROM (SELECT DISTINCT {{ partitioned_by | join(', ') }} FROM {{ stage }})
) AS s
ON s.__sqlingest_replace AND {% for p in partitioned_by %}t.{{ p }} <=> s.{{ p }}{{ ' AND ' if not loop.last }}{% endfor %}
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND NOT s.__sqlingest_replace THEN INSERT ({{ columns | join(', ') }})
VALUES ({% for c in columns %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
