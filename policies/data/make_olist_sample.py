"""Build olist_mqls.csv: the Olist marketing-qualified leads joined with the
closed deals, one row per MQL with a `won` outcome column.

    python policies/data/make_olist_sample.py /work/shared/data/real policies/data/olist_mqls.csv

Input: olist_marketing_qualified_leads_dataset.csv (mql_id,
first_contact_date as dd-mm-yyyy, landing_page_id, origin) and
olist_closed_deals_dataset.csv (one row per won MQL). Output columns:
mql_id, first_contact_date (rewritten as ISO yyyy-mm-dd, the form the
language reads), landing_page_id, origin (empty stays empty), won (1 when a
closed deal has this mql_id, else 0). Every MQL is kept, in the original
order. No deal column is copied: they are known only after the sale.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path


def iso(day_month_year: str) -> str:
    return dt.datetime.strptime(day_month_year, "%d-%m-%Y").date().isoformat()


def main(source: Path, target: Path) -> None:
    with (source / "olist_closed_deals_dataset.csv").open(newline="", encoding="utf-8") as file:
        won = {row["mql_id"] for row in csv.DictReader(file)}
    with (source / "olist_marketing_qualified_leads_dataset.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with target.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["mql_id", "first_contact_date", "landing_page_id", "origin", "won"])
        for row in rows:
            writer.writerow([row["mql_id"], iso(row["first_contact_date"]), row["landing_page_id"],
                             row["origin"], "1" if row["mql_id"] in won else "0"])
    print(f"{target}: {len(rows)} MQLs, {sum(r['mql_id'] in won for r in rows)} won", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
