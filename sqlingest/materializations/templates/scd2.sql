{#- Slowly changing dimension, type 2: one row per version of a business key, valid from its ordering value
    (valid_from, inclusive) until the next version or the key's delete (valid_to, exclusive; NULL = still valid).

    For the keys present in the staged rows only, the version chain is recomputed — from the version in effect at
    the key's earliest staged row on (versions that ended before cannot change) — from
      (a) the table's history of those keys, read back as events: every version is an upsert at valid_from, and a
          version that was closed by a delete (valid_to set but no version starting there) is a delete at valid_to;
      (b) the staged rows: an upsert at CAST(ordering AS TIMESTAMP), or a delete when the delete flag is true.
    Events are deduplicated per (key, timestamp) (a delete wins, then a staged row over history, then the smallest
    hash of the values), ordered by timestamp, and reduced to changes: an upsert whose tracked columns equal the
    previous event's is no change (consecutive equal versions collapse), a delete is a change only after an upsert.
    Each remaining upsert is a version; valid_to is the timestamp of the next change.

    The new chain is applied with ONE MERGE on (key, valid_from) — one atomic commit on Iceberg and Delta:
    history rows that are no longer in the chain come along as removal markers and are deleted, changed versions
    (valid_to, is_current, values) are updated, new versions are inserted, identical versions are not touched.
    Rerunning the same rows therefore changes nothing, and late or out-of-order rows land where they belong.
    (WHEN NOT MATCHED BY SOURCE cannot be used: its condition cannot say "key in this batch" without a subquery,
    which neither Iceberg nor Delta accepts there.) -#}
{%- from '_scd2.sql' import event_time, is_change %}
{%- set tracked = tracked_columns | reject('in', [ordering, delete_flag]) | list %}
{%- set versioned = ['valid_from', 'valid_to', 'is_current'] %}
{%- macro key_match(left, right, extra='') -%}
{% for k in unique_key %}{{ left }}.{{ k }} <=> {{ right }}.{{ k }}{{ ' AND ' if not loop.last }}{% endfor %}{{ extra }}
{%- endmacro %}
{%- macro cols(alias='') -%}
{% for c in columns %}{{ alias }}{{ c }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}
MERGE INTO {{ relation }} AS t
USING (
  WITH batch AS (
    SELECT {{ cols() }},
      {{ event_time(ordering, relation) }} AS __sqlingest_ts,
      {{ ('coalesce(' ~ delete_flag ~ ', false)') if delete_flag else 'false' }} AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM {{ stage }}
  ),
  batch_keys AS (
    SELECT {{ unique_key | join(', ') }}, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY {{ unique_key | join(', ') }}
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY {% for k in unique_key %}h.{{ k }}{{ ', ' if not loop.last }}{% endfor %} ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM {{ relation }} AS h
    JOIN batch_keys AS k ON {{ key_match('h', 'k') }}
    {#- versions that ended before the key's earliest staged row cannot change: the chain is recomputed from the
        version in effect then (a version ending exactly then is kept: it may end in a delete that wins) #}
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT {{ cols() }}, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    {#- one pass over history for both kinds of event: its upsert, and its delete when nothing starts at valid_to #}
    SELECT {{ cols() }}, __sqlingest_e.ts, __sqlingest_e.del, 1
    FROM history
    LATERAL VIEW inline(array(
      named_struct('ts', valid_from, 'del', false),
      named_struct('ts', CASE WHEN valid_to IS NOT NULL AND (__sqlingest_next IS NULL OR __sqlingest_next <> valid_to)
                         THEN valid_to END, 'del', true)
    )) __sqlingest_e AS ts, del
    WHERE __sqlingest_e.ts IS NOT NULL
  ),
  deduped AS (
    {#- the first event of each (key, timestamp), and whether the table holds a version starting there (`stored`:
        it is updated or, when no new version starts there any more, deleted). Every window below is partitioned by
        the key alone and ordered by the timestamp first, so they share one shuffle and one sort. #}
    SELECT * FROM (
      SELECT *, bool_or(__sqlingest_src = 1 AND NOT __sqlingest_del) OVER (
        PARTITION BY {{ unique_key | join(', ') }} ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY {{ unique_key | join(', ') }}
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64({{ cols() }})
        ) <> __sqlingest_ts, true) AS __sqlingest_first
        FROM events
      )
    )
    WHERE __sqlingest_first
  ),
  changes AS (
    SELECT *,
      {{ is_change(tracked) }} AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY {{ unique_key | join(', ') }} ORDER BY __sqlingest_ts)
  ),
  chain AS (
    {#- a version is an upsert that changes something; it lasts until the next change (upsert or delete) #}
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY {{ unique_key | join(', ') }} ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  {#- the new chain's versions, and the table's versions that are no longer in it as removal markers #}
  SELECT {{ cols() }}, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON {{ key_match('t', 's', ' AND t.valid_from <=> s.valid_from') }}
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
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT ({{ cols() }}, {{ versioned | join(', ') }})
VALUES ({{ cols('s.') }}, s.valid_from, s.valid_to, s.is_current)
