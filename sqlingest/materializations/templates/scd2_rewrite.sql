{#- scd2 written by rewriting the table (the `rewrite` strategy; scd2.sql is the `merge` one): the same version
    chains (`chain_ctes` in _scd2.sql), written with ONE INSERT OVERWRITE of
      - the table's rows that cannot change, as they are: rows of keys without staged rows, and versions that
        ended before their key's earliest staged row (an anti join with the staged keys: no shuffle of these rows);
      - the recomputed versions of the staged keys.
    The table's rows that are no longer in a chain are simply not written again. One atomic commit on Iceberg and
    Delta; rerunning the same rows writes the same rows.

    Chosen (config(scd2_strategy='auto'), the default) when the staged keys lie in data files holding most of the
    table's bytes: a copy-on-write MERGE would then rewrite most of the table anyway, and it evaluates its source
    twice (once only to find the files to rewrite), where this evaluates the chains once. -#}
{%- from '_scd2.sql' import chain_ctes, cols, key_match %}
{%- set tracked = tracked_columns | reject('in', [ordering, delete_flag]) | list %}
INSERT OVERWRITE TABLE {{ relation }}
SELECT {{ cols(columns) }}, valid_from, valid_to, is_current
FROM (
  WITH {{ chain_ctes(relation, stage, columns, unique_key, ordering, delete_flag, tracked,
                    broadcast=broadcast_keys | default(false)) }}
  SELECT {{ '/*+ BROADCAST(k) */ ' if broadcast_keys | default(false) }}{{ cols(columns, 'h.') }},
    h.valid_from, h.valid_to, h.is_current
  FROM {{ relation }} AS h
  LEFT ANTI JOIN batch_keys AS k
    ON {{ key_match(unique_key, 'h', 'k') }} AND (h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since)
  UNION ALL
  SELECT {{ cols(columns) }}, __sqlingest_ts, __sqlingest_next, __sqlingest_next IS NULL
  FROM chain
  WHERE __sqlingest_version
) AS versions
