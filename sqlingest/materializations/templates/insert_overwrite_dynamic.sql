{#- Dynamic partition overwrite on a format whose INSERT OVERWRITE replaces only the partitions it writes when the
    table says so (Parquet: the table was created with OPTIONS ('partitionOverwriteMode' = 'dynamic'), read by
    Spark's file writer before the session's setting, so no session setting changes). Every partition that occurs
    in the staged rows is replaced by those rows; every other partition is left as it is; an empty batch changes
    nothing. Columns by position, in the table's order (table_order: partition columns last). -#}
INSERT OVERWRITE TABLE {{ relation }}
SELECT {{ table_order | join(', ') }}
FROM {{ stage }}
