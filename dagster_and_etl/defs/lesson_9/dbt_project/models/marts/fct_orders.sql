-- Orders with their value, built incrementally: a run reads only the orders at or
-- after the latest order_date already here, and replaces rows by order_id, so
-- running it again (or re-reading the latest timestamp) never duplicates an order.
{{
    config(
        materialized="incremental",
        unique_key="order_id",
        incremental_strategy="delete+insert",
        on_schema_change="fail",
    )
}}

select
    o.order_id,
    o.customer_id,
    o.product_id,
    o.quantity,
    o.order_date,
    o.quantity * p.price as order_value
from {{ ref('stg_orders') }} as o
join {{ ref('stg_products') }} as p using (product_id)
{% if is_incremental() %}
where o.order_date >= (select max(order_date) from {{ this }})
{% endif %}
