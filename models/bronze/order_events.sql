{{ config(materialized='streaming', trigger='5 seconds', enabled=env_var('SQLINGEST_KAFKA_BOOTSTRAP', '') != '') }}
-- Order events streamed from Kafka: `sqlingest build` processes what the topic holds and stops (availableNow);
-- `sqlingest stream` keeps running, a micro-batch every 5 seconds. Each micro-batch is written exactly once.
SELECT * FROM {{ source('retail', 'order_events') }}
