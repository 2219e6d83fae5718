SELECT c.customer_id, c.name, COUNT(o.order_id) AS orders, SUM(o.amount) AS total
FROM {{ ref('silver.customers') }} AS c
LEFT JOIN {{ ref('silver.orders') }} AS o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name
