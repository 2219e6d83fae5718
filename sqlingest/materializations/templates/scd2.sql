{#- Slowly changing dimension, type 2: one row per version of a business key, valid from its ordering value
    (valid_from, inclusive) until the next version or the key's delete (valid_to, exclusive; NULL = still valid).

    The chains of the staged keys are computed by `chain_ctes` in _scd2.sql (shared with scd2_rewrite.sql).

    The new chain is applied with ONE MERGE on (key, valid_from) — one atomic commit on Iceberg and Delta:
    history rows that are no longer in the chain come along as removal markers and are deleted, changed versions
    (valid_to, is_current, values) are updated, new versions are inserted, identical versions are not touched.
    Rerunning the same rows therefore changes nothing, and late or out-of-order rows land where they belong.
    (WHEN NOT MATCHED BY SOURCE cannot be used: its condition cannot say "key in this batch" without a subquery,
    which neither Iceberg nor Delta accepts there.) -#}
{%- from '_scd2.sql' import chain_ctes, cols, key_match %}
{%- set tracked = tracked_columns | reject('in', [ordering, delete_flag]) | list %}
{%- set versioned = ['valid_from', 'valid_to', 'is_current'] %}
MERGE INTO {{ relation }} AS t
USING (
  WITH {{ chain_ctes(relation, stage, columns, unique_key, ordering, delete_flag, tracked, stored=true,
                    broadcast=broadcast_keys | default(false)) }}
  {#- the new chain's versions, and the table's versions that are no longer in it as removal markers #}
  SELECT {{ cols(columns) }}, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON {{ key_match(unique_key, 't', 's') }} AND t.valid_from <=> s.valid_from
WHEN MATCHED AND s.__sqlingest_remove THEN DELETE
WHEN MATCHED AND NOT (
  {%- for c in columns if c not in unique_key %}
  t.{{ c }} <=> s.{{ c }} AND
  {%- endfor %}
  t.valid_to <=> s.valid_to AND
  t.is_current <=> s.is_current
) THEN UPDATE SET
  {%- for c in columns if c not in unique_key %}
  {{ c }} = s.{{ c }},
  {%- endfor %}
  valid_to = s.valid_to,
  is_current = s.is_current
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT ({{ cols(columns) }}, {{ versioned | join(', ') }})
VALUES ({{ cols(columns, 's.') }}, s.valid_from, s.valid_to, s.is_current)
