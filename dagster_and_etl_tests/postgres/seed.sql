-- The course's source database: a small shop with customers, products and orders.
-- One file seeds both set-ups: Docker Compose runs it on first start (as
-- POSTGRES_USER in POSTGRES_DB), and `course postgres start` runs it the same way.
-- It drops and recreates the `data` schema, so running it again resets the rows.

drop schema if exists data cascade;
create schema data;

create table data.customers (
    customer_id integer primary key,
    first_name  text not null,
    last_name   text not null,
    email       text not null unique,
    city        text not null,
    created_at  timestamp not null
);

create table data.products (
    product_id integer primary key,
    name       text not null,
    category   text not null,
    price      numeric(10, 2) not null
);

create table data.orders (
    order_id    integer primary key,
    customer_id integer not null references data.customers (customer_id),
    product_id  integer not null references data.products (product_id),
    quantity    integer not null check (quantity > 0),
    order_date  timestamp not null
);

insert into data.customers values
    (1,  'Ada',      'Lovelace',  'ada@example.com',      'London',     '2023-11-02 09:15'),
    (2,  'Grace',    'Hopper',    'grace@example.com',    'New York',   '2023-11-05 14:40'),
    (3,  'Alan',     'Turing',    'alan@example.com',     'Manchester', '2023-11-09 11:05'),
    (4,  'Katherine','Johnson',   'katherine@example.com','Hampton',    '2023-11-12 16:20'),
    (5,  'Edsger',   'Dijkstra',  'edsger@example.com',   'Eindhoven',  '2023-11-20 08:55'),
    (6,  'Barbara',  'Liskov',    'barbara@example.com',  'Boston',     '2023-12-01 10:30'),
    (7,  'Donald',   'Knuth',     'donald@example.com',   'Stanford',   '2023-12-03 13:45'),
    (8,  'Frances',  'Allen',     'frances@example.com',  'Peru',       '2023-12-07 15:10'),
    (9,  'Tim',      'Berners',   'tim@example.com',      'Geneva',     '2023-12-11 09:00'),
    (10, 'Margaret', 'Hamilton',  'margaret@example.com', 'Cambridge',  '2023-12-15 17:25'),
    (11, 'John',     'Backus',    'john@example.com',     'Philadelphia','2023-12-19 12:00'),
    (12, 'Radia',    'Perlman',   'radia@example.com',    'Portsmouth', '2023-12-22 10:05'),
    (13, 'Ken',      'Thompson',  'ken@example.com',      'New Orleans','2024-01-04 14:15'),
    (14, 'Shafi',    'Goldwasser','shafi@example.com',    'New York',   '2024-01-08 09:50'),
    (15, 'Leslie',   'Lamport',   'leslie@example.com',   'Brooklyn',   '2024-01-13 16:35'),
    (16, 'Adele',    'Goldberg',  'adele@example.com',    'Cleveland',  '2024-01-17 11:20'),
    (17, 'Niklaus',  'Wirth',     'niklaus@example.com',  'Winterthur', '2024-01-23 13:00'),
    (18, 'Sophie',   'Wilson',    'sophie@example.com',   'Leeds',      '2024-01-29 10:40');

insert into data.products values
    (1,  'Mechanical keyboard', 'Electronics', 89.00),
    (2,  'USB-C hub',           'Electronics', 34.50),
    (3,  'Noise-cancelling headphones', 'Electronics', 199.99),
    (4,  'The Art of Computer Programming', 'Books', 249.00),
    (5,  'Structure and Interpretation of Computer Programs', 'Books', 55.00),
    (6,  'Designing Data-Intensive Applications', 'Books', 42.75),
    (7,  'Standing desk',       'Home and Garden', 420.00),
    (8,  'Desk lamp',           'Home and Garden', 38.90),
    (9,  'Herb planter',        'Home and Garden', 24.99),
    (10, 'Hoodie',              'Clothing', 49.00),
    (11, 'Rain jacket',         'Clothing', 119.00),
    (12, 'Wool socks',          'Clothing', 14.50);

-- 60 orders between 2024-01-01 and 2024-03-27, spread across customers and
-- products by fixed arithmetic, so every run of this file gives the same rows.
insert into data.orders (order_id, customer_id, product_id, quantity, order_date)
select
    n,
    1 + (n * 7) % 18,
    1 + (n * 5) % 12,
    1 + (n * 3) % 4,
    timestamp '2024-01-01 08:00' + (n - 1) * interval '1 day 11 hours' + (n % 5) * interval '17 minutes'
from generate_series(1, 60) as n;
