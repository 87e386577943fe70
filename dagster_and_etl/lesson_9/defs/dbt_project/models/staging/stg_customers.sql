select
    customer_id,
    first_name || ' ' || last_name as customer_name,
    lower(email) as email,
    city,
    created_at
from {{ source('shop', 'customers') }}
