#!/usr/bin/env python3
"""Writes N raw records as JSON Lines for the normalize benchmark: half Maricopa assessor search
rows with details (PascalCase, padded numeric strings, "na", ints, nulls, [] bodies), half Redfin
CSV rows as header-keyed objects (units as #102 / Unit B, ZIP+4, "Arizona", empty vacant-land
columns). Deterministic for a given seed.

usage: generate.py N OUT.jsonl [--seed S]
"""
import json
import random
import sys

NAMES = ["INDIAN SCHOOL", "THOMAS", "MCDOWELL", "CAMELBACK", "BETHANY HOME", "GLENDALE",
         "55TH", "43RD", "67TH", "1ST", "32ND", "FERN", "OAK", "MARYVALE", "CENTRAL", "PALM"]
SUFFIXES = ["ST", "AVE", "RD", "DR", "LN", "BLVD", "CT", "PL", "CIR", "WAY", "STREET", "AVENUE",
            "ROAD", "DRIVE"]
DIRS = ["N", "S", "E", "W", "NORTH", "WEST"]
CITIES = ["PHOENIX", "Phoenix", "GLENDALE", "QUEEN CREEK", "TEMPE", "MESA", "TOLLESON"]
ZIPS = ["85031", "85033", "85035", "85019", "85037", "85301"]
A_TYPES = ["RESIDENTIAL", "RESIDENTIAL", "RESIDENTIAL", "COMMERCIAL", "VACANT LAND RESIDENTIAL",
           "VACANT LAND COMMERCIAL ", "WAREHOUSE", "AGRICULTURAL"]
R_TYPES = ["Single Family Residential", "Single Family Residential", "Condo/Co-op", "Townhouse",
           "Multi-Family (2-4 Unit)", "Mobile/Manufactured Home", "Vacant Land"]


def pad(v, width=12):
    return str(v).ljust(width)


def assessor(rng, i):
    name = rng.choice(NAMES)
    addr = f"{rng.randint(100, 9999)} {rng.choice(DIRS[:4])} {name} {rng.choice(SUFFIXES[:9])}"
    if rng.random() < 0.15:
        addr += f" {rng.randint(1, 240)}"  # the assessor's bare trailing unit
    fcv = rng.randint(90_000, 900_000)
    year = 2026
    vals = []
    for k in range(2):
        vals.append({
            "TaxYear": str(year - k),
            "FullCashValue": str(fcv - k * 10_000),
            "LimitedPropertyValue": pad(int(fcv * 0.7)),
            "AssessedLPV": pad(int(fcv * 0.07)),
            "AssessedFCV": "na" if rng.random() < 0.3 else str(int(fcv * 0.1)),
            "LegalClassificationCode": rng.choice(["1.12", "3.1 ", "M   "]),
            "PropertyUseCode": rng.choice(["0131", "0141", "0770"]),
            "TaxAreaCode": "031600",
        })
    space = rng.choice(["1257", 1850, "  2104  ", None, "na"])
    details = {
        "valuations": vals if rng.random() > 0.05 else [],
        "residential-details": {
            "LivableSpace": space,
            "BathFixtures": rng.choice(["5", 8, "11", None]),
            "ConstructionYear": rng.choice([1958, "1978", "2004", None]),
            "LotSize": rng.choice(["6098      ", 7405, "na", None]),
            "Pool": rng.random() < 0.3,
        } if rng.random() > 0.1 else [],
    }
    return {
        "MCR": str(rng.randint(1000, 9999)),
        "SubdivisonName": "MARYVALE TERRACE  3 AMD",
        "SectionTownshipRange": "292N2E",
        "APN": f"{rng.randint(10_000_000, 99_999_999)}{rng.choice(['', '', '', 'F'])}",
        "Ownership": "<OWNER>",
        "SitusAddress": addr,
        "SitusCity": rng.choice(CITIES),
        "SitusZip": rng.choice(ZIPS),
        "PropertyType": rng.choice(A_TYPES),
        "RentalID": None,
        "details": details,
    }


def redfin(rng, i):
    name = rng.choice(NAMES).title()
    addr = f"{rng.randint(100, 9999)} {rng.choice(DIRS).title()} {name} {rng.choice(SUFFIXES).title()}"
    r = rng.random()
    if r < 0.1:
        addr += f" #{rng.randint(100, 399)}"
    elif r < 0.15:
        addr += f" Unit {rng.choice('ABCD')}"
    ptype = rng.choice(R_TYPES)
    land = ptype == "Vacant Land"
    zip_ = rng.choice(ZIPS) + (f"-{rng.randint(1000, 9999)}" if rng.random() < 0.2 else "")
    return {
        "SALE TYPE": "MLS Listing",
        "SOLD DATE": "",
        "PROPERTY TYPE": ptype,
        "ADDRESS": addr,
        "CITY": rng.choice(CITIES),
        "STATE OR PROVINCE": rng.choice(["AZ", "AZ", "Arizona"]),
        "ZIP OR POSTAL CODE": zip_,
        "PRICE": str(rng.randint(150, 900) * 1000 + rng.choice([0, 900, 500])),
        "BEDS": "" if land else str(rng.randint(1, 6)),
        "BATHS": "" if land else rng.choice(["1", "1.75", "2", "2.5", "3"]),
        "LOCATION": name,
        "SQUARE FEET": "" if land else rng.choice([str(rng.randint(700, 4000)), f"{rng.randint(1, 3)},{rng.randint(100, 999)}"]),
        "LOT SIZE": str(rng.randint(3000, 20000)) if rng.random() > 0.1 else "",
        "YEAR BUILT": "" if land else str(rng.randint(1950, 2024)),
        "DAYS ON MARKET": str(rng.randint(1, 200)),
        "$/SQUARE FEET": "",
        "HOA/MONTH": rng.choice(["", "85", "285"]),
        "STATUS": "Active",
        "URL (SEE https://www.redfin.com/buy-a-home/comparative-market-analysis FOR INFO ON PRICING)":
            f"https://www.redfin.com/AZ/Phoenix/home/{i}",
        "SOURCE": "ARMLS",
        "MLS#": str(6_000_000 + i),
        "FAVORITE": "N",
        "INTERESTED": "Y",
        "LATITUDE": f"{33.4 + rng.random() / 5:.6f}",
        "LONGITUDE": f"{-112.2 + rng.random() / 5:.6f}",
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 42
    rng = random.Random(seed)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(sys.argv[2], "w") as out:
        for i in range(n):
            out.write(dumps(assessor(rng, i) if i % 2 == 0 else redfin(rng, i)))
            out.write("\n")


if __name__ == "__main__":
    main()
