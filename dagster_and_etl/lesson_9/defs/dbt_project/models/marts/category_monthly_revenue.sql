-- Revenue per product category and month, against the category's monthly target.
select
    p.category,
    cast(date_trunc('month', o.order_date) as date) as month,
    sum(o.order_value) as revenue,
    t.monthly_target,
    round(sum(o.order_value) / t.monthly_target, 3) as share_of_target
from {{ ref('fct_orders') }} as o
join {{ ref('stg_products') }} as p using (product_id)
join {{ ref('category_targets') }} as t using (category)
group by p.category, month, t.monthly_target
