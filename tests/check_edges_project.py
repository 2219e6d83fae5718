"""A project whose gold.a_orders (sorting before gold.z_customers) checks its customer ids against z_customers."""

from __future__ import annotations

FILES = {
    "contracts/k/orders.source.yml": "name: k.orders\nlayer: source\nsource: {format: csv, path: data/orders/*.csv}\n"
                                     "columns:\n  - {name: id, type: bigint}\n  - {name: customer_id, type: bigint}\n",
    "contracts/k/customers.source.yml": "name: k.customers\nlayer: source\n"
                                        "source: {format: csv, path: data/customers/*.csv}\n"
                                        "columns:\n  - {name: id, type: bigint}\n",
    "contracts/k/a_orders.gold.yml": "name: k.a_orders\nlayer: gold\ncolumns:\n  - {name: id, type: bigint}\n"
                                     "  - {name: customer_id, type: bigint}\nchecks:\n"
                                     "  - {type: relationships, column: customer_id, to: 'gold:k.z_customers', field: id}\n",
    "contracts/k/z_customers.gold.yml": "name: k.z_customers\nlayer: gold\ncolumns:\n  - {name: id, type: bigint}\n",
    "models/gold/a_orders.sql": "{{ config(materialized='table') }}\nSELECT id, customer_id FROM {{ source('k', 'orders') }}\n",
    "models/gold/z_customers.sql": "{{ config(materialized='table') }}\nSELECT id FROM {{ source('k', 'customers') }}\n",
    "data/orders/a.csv": "id,customer_id\n1,10\n2,20\n3,\n",
    "data/customers/a.csv": "id\n10\n20\n",
}
