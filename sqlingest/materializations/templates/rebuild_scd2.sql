{#- scd2 as a full rebuild, for table formats without MERGE (only where the target declares
    fallbacks: {scd2: rebuild}). The staged rows are the model's complete input; the version chains are computed
    exactly as scd2.sql computes them for keys without history, and replace the whole table:
      1. each row is an event at CAST(ordering AS TIMESTAMP) (a row without one fails the write): an upsert, or a
         delete when the delete flag is true;
      2. one event per key and instant: a delete wins, then the smallest hash of the values;
      3. changes: an upsert whose tracked columns equal the previous event's is dropped (LAG), a delete counts only
         right after an upsert;
      4. versions: each remaining upsert, valid from its instant until the next remaining event (LEAD);
         is_current = valid_to IS NULL.
    One INSERT OVERWRITE, so one commit where the format has commits. -#}
{%- from '_scd2.sql' import cols, event_time, is_change %}
{%- set tracked = tracked_columns | reject('in', [ordering, delete_flag]) | list %}
INSERT OVERWRITE TABLE {{ relation }}
SELECT {{ cols(columns) }}, valid_from, valid_to, is_current
FROM (
  WITH events AS (
    SELECT {{ cols(columns) }},
      {{ event_time(ordering, relation) }} AS __sqlingest_ts,
      {{ ('coalesce(' ~ delete_flag ~ ', false)') if delete_flag else 'false' }} AS __sqlingest_del
    FROM {{ stage }}
  ),
  deduped AS (
    SELECT * FROM (
      SELECT *, row_number() OVER (
        PARTITION BY {{ unique_key | join(', ') }}, __sqlingest_ts
        ORDER BY __sqlingest_del DESC, xxhash64({{ cols(columns) }})
      ) AS __sqlingest_rn
      FROM events
    )
    WHERE __sqlingest_rn = 1
  ),
  changes AS (
    SELECT * FROM (
      SELECT *,
        {{ is_change(tracked) }} AS __sqlingest_change
      FROM deduped
      WINDOW w AS (PARTITION BY {{ unique_key | join(', ') }} ORDER BY __sqlingest_ts)
    )
    WHERE __sqlingest_change
  )
  SELECT {{ cols(columns) }}, valid_from, valid_to, valid_to IS NULL AS is_current
  FROM (
    SELECT {{ cols(columns) }}, __sqlingest_del, __sqlingest_ts AS valid_from,
      lead(__sqlingest_ts) OVER (PARTITION BY {{ unique_key | join(', ') }} ORDER BY __sqlingest_ts) AS valid_to
    FROM changes
  )
  WHERE NOT __sqlingest_del
) AS versions
