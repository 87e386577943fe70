-- Revenue per customer and month: what each customer ordered, by calendar month.
select
    c.customer_id,
    c.customer_name,
    cast(date_trunc('month', o.order_date) as date) as month,
    count(*) as orders,
    sum(o.order_value) as revenue
from {{ ref('fct_orders') }} as o
join {{ ref('stg_customers') }} as c using (customer_id)
group by c.customer_id, c.customer_name, month
