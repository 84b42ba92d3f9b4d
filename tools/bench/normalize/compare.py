#!/usr/bin/env python3
"""Checks that the three outputs agree on the fields all of them compute (by record id), so the
benchmark compares the same work. Prints the agreement per field over the first 50,000 ids; exits
1 when any field differs anywhere (or no id is common), so the tiny ctest notices a drift."""
import json
import sys

FIELDS = [("address", "street"), ("address", "unit"), ("address", "city"), ("address", "state"),
          ("address", "zip"), ("address", "zip4"), ("property_type",), ("price",), ("sqft",),
          ("lot_sqft",), ("full_cash_value",), ("assessed_value",), ("year_built",), ("beds",),
          ("baths",), ("price_per_sqft",)]
LIMIT = 50_000


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            out.setdefault(r["id"], r)
            if len(out) >= LIMIT:
                break
    return out


def get(r, path):
    for p in path:
        r = r.get(p) if isinstance(r, dict) else None
    return None if r == "" else r  # Miller writes null as ""


def main():
    flow, others = load(sys.argv[1]), {p: load(p) for p in sys.argv[2:]}
    ok = True
    for path, recs in others.items():
        ids = [i for i in recs if i in flow]
        print(f"{path}: {len(ids)} common ids")
        ok = ok and len(ids) > 0
        for f in FIELDS:
            same = sum(1 for i in ids if get(flow[i], f) == get(recs[i], f) or
                       (isinstance(get(flow[i], f), (int, float)) and isinstance(get(recs[i], f), (int, float))
                        and abs(get(flow[i], f) - get(recs[i], f)) < 0.01))
            print(f"  {'.'.join(f):22s} {100.0 * same / max(1, len(ids)):6.2f}% equal")
            ok = ok and same == len(ids)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
