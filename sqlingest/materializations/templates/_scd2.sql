{#- Pieces shared by scd2.sql, scd2_rewrite.sql and rebuild_scd2.sql (import them in an override the same way). -#}

{#- A staged row's instant: its ordering value as a timestamp; a row without one fails the write. #}
{%- macro event_time(ordering, relation) -%}
CASE WHEN CAST({{ ordering }} AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 {{ relation | replace("'", "") }}: a row has no {{ ordering | replace("'", "") }} (the ordering column) and cannot be placed in history')
        ELSE CAST({{ ordering }} AS TIMESTAMP)
      END
{%- endmacro %}

{#- Whether an event changes the chain, over a window `w` (the key's events in time order): a delete right after an
    upsert; an upsert first, after a delete, or with tracked values unlike the previous event's (null-safe). #}
{%- macro is_change(tracked) -%}
CASE
          WHEN __sqlingest_del THEN coalesce(NOT lag(__sqlingest_del) OVER w, false)
          ELSE coalesce(lag(__sqlingest_del) OVER w, true)
          {%- if tracked %}
            OR NOT (
            {%- for c in tracked %}
              lag({{ c }}) OVER w <=> {{ c }}{{ ' AND' if not loop.last }}
            {%- endfor %})
          {%- endif %}
        END
{%- endmacro %}

{#- The columns, comma-separated, each prefixed with `alias`. #}
{%- macro cols(columns, alias='') -%}
{% for c in columns %}{{ alias }}{{ c }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{#- `left.k <=> right.k AND …` over the business key. #}
{%- macro key_match(unique_key, left, right) -%}
{% for k in unique_key %}{{ left }}.{{ k }} <=> {{ right }}.{{ k }}{{ ' AND ' if not loop.last }}{% endfor %}
{%- endmacro %}

{#- The version chains of the staged keys, as CTE definitions (after a WITH), shared by scd2.sql (MERGE) and
    scd2_rewrite.sql (INSERT OVERWRITE) so both strategies compute the same versions. For the keys present in the
    staged rows only, the chain is recomputed — from the version in effect at the key's earliest staged row on
    (versions that ended before cannot change) — from
      (a) the table's history of those keys, read back as events: every version is an upsert at valid_from, and a
          version that was closed by a delete (valid_to set but no version starting there) is a delete at valid_to;
      (b) the staged rows: an upsert at CAST(ordering AS TIMESTAMP), or a delete when the delete flag is true.
    Events are deduplicated per (key, timestamp) (a delete wins, then a staged row over history, then the smallest
    hash of the values), ordered by timestamp, and reduced to changes: an upsert whose tracked columns equal the
    previous event's is no change (consecutive equal versions collapse), a delete is a change only after an upsert.
    Each remaining upsert is a version (`chain.__sqlingest_version`), from __sqlingest_ts until the next change
    (`chain.__sqlingest_next`, NULL: current).
    `batch_keys` holds each staged key and its earliest instant (`__sqlingest_since`). With `stored`, each event
    also tells whether the table holds a version starting at its instant (`__sqlingest_stored`). With `broadcast`,
    the history join broadcasts the staged keys (the runner knows they are few enough) instead of shuffling the
    table. -#}
{%- macro chain_ctes(relation, stage, columns, unique_key, ordering, delete_flag, tracked, stored=false,
                     broadcast=false) -%}
{%- set key = unique_key | join(', ') -%}
batch AS (
    SELECT {{ cols(columns) }},
      {{ event_time(ordering, relation) }} AS __sqlingest_ts,
      {{ ('coalesce(' ~ delete_flag ~ ', false)') if delete_flag else 'false' }} AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM {{ stage }}
  ),
  batch_keys AS (
    SELECT {{ key }}, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY {{ key }}
  ),
  history AS (
    SELECT {{ '/*+ BROADCAST(k) */ ' if broadcast }}h.*, lead(h.valid_from) OVER (
      PARTITION BY {{ cols(unique_key, 'h.') }} ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM {{ relation }} AS h
    JOIN batch_keys AS k ON {{ key_match(unique_key, 'h', 'k') }}
    {#- versions that ended before the key's earliest staged row cannot change: the chain is recomputed from the
        version in effect then (a version ending exactly then is kept: it may end in a delete that wins) #}
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT {{ cols(columns) }}, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    {#- one pass over history for both kinds of event: its upsert, and its delete when nothing starts at valid_to #}
    SELECT {{ cols(columns) }}, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
    FROM history
    LATERAL VIEW inline(array(
      named_struct('ts', valid_from, 'del', false),
      named_struct('ts', CASE WHEN valid_to IS NOT NULL AND (__sqlingest_next IS NULL OR __sqlingest_next <> valid_to)
                         THEN valid_to END, 'del', true)
    )) __sqlingest_e AS __sqlingest_ets, __sqlingest_edel
    WHERE __sqlingest_e.__sqlingest_ets IS NOT NULL
  ),
  deduped AS (
    {#- the first event of each (key, timestamp), and with `stored` whether the table holds a version starting there
        (it is updated or, when no new version starts there any more, deleted). Every window below is partitioned
        by the key alone and ordered by the timestamp first, so they share one shuffle and one sort. #}
    SELECT * FROM (
      {%- if stored %}
      SELECT *, bool_or(__sqlingest_src = 1 AND NOT __sqlingest_del) OVER (
        PARTITION BY {{ key }} ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
      {%- endif %}
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY {{ key }}
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64({{ cols(columns) }})
        ) <> __sqlingest_ts, true) AS __sqlingest_first
        FROM events
      {%- if stored %}
      )
      {%- endif %}
    )
    WHERE __sqlingest_first
  ),
  changes AS (
    SELECT *,
      {{ is_change(tracked) }} AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY {{ key }} ORDER BY __sqlingest_ts)
  ),
  chain AS (
    {#- a version is an upsert that changes something; it lasts until the next change (upsert or delete) #}
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY {{ key }} ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
{%- endmacro %}
