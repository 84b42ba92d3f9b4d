#!/usr/bin/env python3
"""The benchmark's Python baseline: the same subset of work as normalize.jq (and flowrun's
normalizer) on the generated records, single-threaded, written plainly with the standard library.
usage: python3 normalize.py raw.jsonl > out.jsonl"""
import json
import math
import re
import sys

SUF = {"STREET": "St", "ST": "St", "AVENUE": "Ave", "AVE": "Ave", "ROAD": "Rd", "RD": "Rd", "DRIVE": "Dr",
       "DR": "Dr", "LANE": "Ln", "LN": "Ln", "BOULEVARD": "Blvd", "BLVD": "Blvd", "COURT": "Ct", "CT": "Ct",
       "PLACE": "Pl", "PL": "Pl", "CIRCLE": "Cir", "CIR": "Cir", "PARKWAY": "Pkwy", "PKWY": "Pkwy", "WAY": "Way"}
DIR = {"N": "N", "NORTH": "N", "S": "S", "SOUTH": "S", "E": "E", "EAST": "E", "W": "W", "WEST": "W",
       "NE": "NE", "NW": "NW", "SE": "SE", "SW": "SW"}
TYPE = {"RESIDENTIAL": "single_family", "COMMERCIAL": "commercial", "VACANT LAND RESIDENTIAL": "vacant_land",
        "VACANT LAND COMMERCIAL": "vacant_land", "WAREHOUSE": "commercial", "AGRICULTURAL": "other",
        "SINGLE FAMILY RESIDENTIAL": "single_family", "CONDO/CO-OP": "condo", "TOWNHOUSE": "townhouse",
        "MULTI-FAMILY (2-4 UNIT)": "multi_family", "MULTI-FAMILY (5+ UNIT)": "multi_family",
        "MOBILE/MANUFACTURED HOME": "manufactured", "VACANT LAND": "vacant_land"}
ORDINAL = re.compile(r"^[0-9]+(ST|ND|RD|TH)$")
HOUSE_UNIT = re.compile(r"^[0-9]+[A-Z]?$")
ZIP = re.compile(r"^([0-9]{5})-?([0-9]{4})?$")
NUM_JUNK = re.compile(r"[$, ]")


def num(v):
    """JSON numbers as they are; strings lose $ , and spaces; "", "na" -> None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if not isinstance(v, str):
        return None
    s = NUM_JUNK.sub("", v)
    if s == "" or s.lower() == "na":
        return None
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return None


def title(v):
    if v is None:
        return None
    s = " ".join(w[:1].upper() + w[1:] for w in v.lower().split(" ") if w)
    return s or None


def word(w):
    if ORDINAL.match(w):
        return w.lower()
    if any(c.isdigit() for c in w):
        return w
    return w[:1] + w[1:].lower()


def street(line):
    """Street line -> (street, unit), as normalize.jq does it."""
    w0 = [w[:-1] if w.endswith(".") else w for w in line.upper().split(" ") if w]
    if len(w0) >= 3 and w0[-2] in ("UNIT", "APT", "SUITE"):
        w, unit = w0[:-2], w0[-1]
    elif len(w0) >= 3 and w0[-1].startswith("#"):
        w, unit = w0[:-1], w0[-1][1:]
    elif len(w0) >= 4 and HOUSE_UNIT.match(w0[-1]) and w0[-2] in SUF:
        w, unit = w0[:-1], w0[-1]
    else:
        w, unit = w0, None
    post = suf = pre = None
    if len(w) >= 4 and w[-1] in DIR and w[-2] in SUF:
        w, post = w[:-1], DIR[w[-1]]
    if len(w) >= 3 and w[-1] in SUF:
        w, suf = w[:-1], SUF[w[-1]]
    if len(w) >= 3 and w[1] in DIR:
        w, pre = [w[0]] + w[2:], DIR[w[1]]
    parts = [w[0], pre] + [word(x) for x in w[1:]] + [suf, post]
    return " ".join(p for p in parts if p is not None), unit


def zip_code(v):
    if v is None:
        return None, None
    m = ZIP.match(v.replace(" ", ""))
    return (m.group(1), m.group(2)) if m else (None, None)


def state(v):
    s = (v or "").upper().strip()
    return "AZ" if s in ("ARIZONA", "ARIZ") else (s or None)


def ptype(v):
    return None if not v else TYPE.get(v.upper().strip(), "other")


def first(a, b):
    return a if a is not None else b


def assessor(r):
    st, unit = street(r["SitusAddress"])
    vals = (r.get("details") or {}).get("valuations")
    v = max(vals, key=lambda x: num(x.get("TaxYear"))) if isinstance(vals, list) and vals else {}
    res = (r.get("details") or {}).get("residential-details")
    res = res if isinstance(res, dict) else {}
    z, z4 = zip_code(r.get("SitusZip"))
    return {"id": "apn:" + r["APN"], "source_id": r["APN"], "raw_kind": "maricopa", "apn": r["APN"], "mls_id": None,
            "address": {"street": st, "unit": unit, "city": title(r.get("SitusCity")), "state": "AZ", "zip": z, "zip4": z4},
            "property_type": ptype(r.get("PropertyType")), "price": None,
            "assessed_value": first(num(v.get("AssessedLPV")), num(v.get("AssessedFCV"))),
            "full_cash_value": num(v.get("FullCashValue")), "tax_year": num(v.get("TaxYear")), "beds": None, "baths": None,
            "bath_fixtures": num(res.get("BathFixtures")), "sqft": num(res.get("LivableSpace")),
            "lot_sqft": num(res.get("LotSize")), "year_built": num(res.get("ConstructionYear")), "price_per_sqft": None}


def redfin(r):
    st, unit = street(r["ADDRESS"])
    z, z4 = zip_code(r.get("ZIP OR POSTAL CODE"))
    price, sqft = num(r.get("PRICE")), num(r.get("SQUARE FEET"))
    mls = r.get("MLS#")
    ppsf = math.floor(price / sqft * 100 + 0.5) / 100 if price is not None and sqft is not None and sqft > 0 else None
    return {"id": "mls:" + r["SOURCE"].lower() + ":" + mls if mls else None, "source_id": mls, "raw_kind": "redfin_csv",
            "apn": None, "mls_id": mls,
            "address": {"street": st, "unit": unit, "city": title(r.get("CITY")), "state": state(r.get("STATE OR PROVINCE")),
                        "zip": z, "zip4": z4},
            "property_type": ptype(r.get("PROPERTY TYPE")), "price": price, "assessed_value": None,
            "full_cash_value": None, "tax_year": None, "beds": num(r.get("BEDS")), "baths": num(r.get("BATHS")),
            "bath_fixtures": None, "sqft": sqft, "lot_sqft": num(r.get("LOT SIZE")),
            "year_built": num(r.get("YEAR BUILT")), "price_per_sqft": ppsf}


def main():
    out = sys.stdout
    with open(sys.argv[1]) as f:
        for line in f:
            r = json.loads(line)
            out.write(json.dumps(assessor(r) if "APN" in r else redfin(r), separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
