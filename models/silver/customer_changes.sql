{{ config(materialized='scd2', streaming=true, delete_flag='deleted', trigger='5 seconds',
          enabled=env_var('SQLINGEST_KAFKA_BOOTSTRAP', '') != '') }}
-- Debezium changes of the customers table streamed into history: `sqlingest build` applies what the topic holds
-- (availableNow), `sqlingest stream` keeps running. Each micro-batch is one MERGE (templates/scd2.sql), exactly once.
SELECT customer_id, name, country, deleted, lsn FROM {{ source('retail', 'customer_changes') }}
