-- A singular test: the rows it returns are failures. Every order is worth something.
select order_id, order_value
from {{ ref('fct_orders') }}
where order_value <= 0
