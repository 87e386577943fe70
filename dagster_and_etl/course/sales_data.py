"""The capstone's sales data, and the generator that writes it.

`data/sales/products.csv`, `sales_reps.csv` and `sales_data.csv` cover January
to June 2024 and four product categories. A few sales deliberately name a rep
or a product that does not exist, so `missing_dimension_check` has something
to find. `sample_request/request.json` is an ad-hoc request to copy into
`requests/`. Everything is written from fixed seeds: `course data sales`
writes the same bytes every time (a test checks the committed files).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

CATEGORIES = ("Electronics", "Books", "Home and Garden", "Clothing")
DEPARTMENTS = ("Enterprise", "Retail", "Online")
MONTHS = tuple(f"2024-{month:02d}" for month in range(1, 7))

PRODUCTS = [
    (1, "Mechanical keyboard", "Electronics", 89.00),
    (2, "USB-C hub", "Electronics", 34.50),
    (3, "Noise-cancelling headphones", "Electronics", 199.99),
    (4, "Webcam", "Electronics", 64.00),
    (5, "Data pipelines handbook", "Books", 42.75),
    (6, "SQL puzzles", "Books", 24.00),
    (7, "Statistics primer", "Books", 38.50),
    (8, "Field guide to birds", "Books", 29.90),
    (9, "Standing desk", "Home and Garden", 420.00),
    (10, "Desk lamp", "Home and Garden", 38.90),
    (11, "Herb planter", "Home and Garden", 24.99),
    (12, "Garden hose", "Home and Garden", 31.00),
    (13, "Hoodie", "Clothing", 49.00),
    (14, "Rain jacket", "Clothing", 119.00),
    (15, "Wool socks", "Clothing", 14.50),
    (16, "Running shoes", "Clothing", 95.00),
]

SALES_REPS = [
    (1, "Priya Natarajan", "Enterprise", "2019-03-11"),
    (2, "Tomás Herrera", "Enterprise", "2021-07-01"),
    (3, "Mei Lin", "Retail", "2018-10-22"),
    (4, "Jonas Berg", "Retail", "2022-02-14"),
    (5, "Amara Okafor", "Online", "2020-05-04"),
    (6, "Lukas Novak", "Online", "2023-01-09"),
    (7, "Sofia Marino", "Retail", "2017-09-18"),
    (8, "Daniel O'Brien", "Enterprise", "2016-04-25"),
]

CUSTOMERS = (
    "Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Supplies", "Wayne Retail",
    "Hooli", "Vandelay Imports", "Soylent Foods", "Tyrell Systems", "Cyberdyne", "Wonka Treats",
)  # fmt: skip

ORPHAN_REP_ID = 99  # no such rep
ORPHAN_PRODUCT_ID = 999  # no such product

SAMPLE_REQUEST = {
    "department": "Enterprise",
    "product": "Mechanical keyboard",
    "start_date": "2024-02-01",
    "end_date": "2024-05-01",
}


def sales_rows() -> list[tuple]:
    """Every sale from 2024-01-01 to 2024-06-30, plus five orphans, in order_id order."""
    rng = random.Random(20240101)
    prices = {product_id: price for product_id, _, _, price in PRODUCTS}
    rows = []
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2024, 6, 30):
        for _ in range(rng.randint(0, 5)):
            product_id = rng.randint(1, len(PRODUCTS))
            quantity = rng.randint(1, 6)
            rows.append(
                [
                    day.isoformat(),
                    rng.choice(CUSTOMERS),
                    rng.randint(1, len(SALES_REPS)),
                    product_id,
                    quantity,
                    round(quantity * prices[product_id], 2),
                ]
            )
        day += dt.timedelta(days=1)
    # Orphans: sales whose rep or product is missing from the dimension tables.
    for index, position in enumerate((40, 130, 260)):
        rows[position][2] = ORPHAN_REP_ID
        if index == 2:
            rows[position + 1][3] = ORPHAN_PRODUCT_ID
    rows[333][3] = ORPHAN_PRODUCT_ID
    return [(order_id, *row) for order_id, row in enumerate(rows, start=1)]


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(folder: Path) -> list[Path]:
    """Write the capstone's files into `folder` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sample_request").mkdir(exist_ok=True)
    (folder / "requests").mkdir(exist_ok=True)
    paths = [folder / name for name in ("products.csv", "sales_reps.csv", "sales_data.csv")]
    _write_csv(paths[0], ["product_id", "product_name", "category", "price"], PRODUCTS)
    _write_csv(paths[1], ["rep_id", "rep_name", "department", "hire_date"], SALES_REPS)
    _write_csv(
        paths[2],
        ["order_id", "date", "customer_name", "rep_id", "product_id", "quantity", "dollar_amount"],
        sales_rows(),
    )
    request = folder / "sample_request" / "request.json"
    request.write_text(json.dumps(SAMPLE_REQUEST, indent=2) + "\n", encoding="utf-8")
    keep = folder / "requests" / ".gitkeep"
    keep.touch()
    return [*paths, request]
