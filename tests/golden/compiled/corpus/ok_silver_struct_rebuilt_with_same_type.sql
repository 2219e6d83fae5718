-- ==> compiled/silver/orders.sql
-- model: silver.orders  materialized: merge  format: iceberg
-- relation: lake.silver.orders
SELECT order_id, customer_id, status, CAST(COALESCE(amount, 0) AS DECIMAL(10, 2)) AS amount, discount, ordered_at, order_date,
       is_gift, priority, channel, weight, score, quantity,
       filter(tags, t -> t IS NOT NULL) AS tags,
       transform(items, i -> named_struct('sku', upper(i.sku), 'qty', i.qty)) AS items,
       map_filter(attrs, (k, v) -> v IS NOT NULL) AS attrs,
       named_struct('street', trim(ship_to.street), 'zip', ship_to.zip) AS ship_to,
       payload
FROM lake.bronze.orders
WHERE order_id IS NOT NULL AND ordered_at IS NOT NULL
