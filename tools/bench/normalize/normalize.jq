# The benchmark's jq baseline: the same subset of work flowrun's normalizer does on the
# generated records (docs/benchmarks/normalize.md lists exactly what is and is not done here).
# usage: jq -c -f normalize.jq raw.jsonl > out.jsonl
{"STREET":"St","ST":"St","AVENUE":"Ave","AVE":"Ave","ROAD":"Rd","RD":"Rd","DRIVE":"Dr","DR":"Dr",
 "LANE":"Ln","LN":"Ln","BOULEVARD":"Blvd","BLVD":"Blvd","COURT":"Ct","CT":"Ct","PLACE":"Pl","PL":"Pl",
 "CIRCLE":"Cir","CIR":"Cir","PARKWAY":"Pkwy","PKWY":"Pkwy","WAY":"Way"} as $SUF
| {"N":"N","NORTH":"N","S":"S","SOUTH":"S","E":"E","EAST":"E","W":"W","WEST":"W",
   "NE":"NE","NW":"NW","SE":"SE","SW":"SW"} as $DIR
| {"RESIDENTIAL":"single_family","COMMERCIAL":"commercial","VACANT LAND RESIDENTIAL":"vacant_land",
   "VACANT LAND COMMERCIAL":"vacant_land","WAREHOUSE":"commercial","AGRICULTURAL":"other",
   "SINGLE FAMILY RESIDENTIAL":"single_family","CONDO/CO-OP":"condo","TOWNHOUSE":"townhouse",
   "MULTI-FAMILY (2-4 UNIT)":"multi_family","MULTI-FAMILY (5+ UNIT)":"multi_family",
   "MOBILE/MANUFACTURED HOME":"manufactured","VACANT LAND":"vacant_land"} as $TYPE
|
# Numbers: JSON numbers as they are; strings lose $ , and spaces; "", "na" -> null.
def num: if type == "number" then .
         elif type == "string" then (gsub("[$, ]"; "") | if . == "" or ascii_downcase == "na" then null else (tonumber? // null) end)
         else null end;
def trim: gsub("^\\s+|\\s+$"; "");
def title: if . == null then null
           else [ascii_downcase | splits(" +") | select(length > 0) | (.[0:1] | ascii_upcase) + .[1:]] | join(" ")
                | if . == "" then null else . end end;
def word: if test("^[0-9]+(ST|ND|RD|TH)$") then ascii_downcase
          elif test("[0-9]") then .
          else .[0:1] + (.[1:] | ascii_downcase) end;
# Street line -> {street, unit}: unit as "#x", "Unit x"/"Apt x"/"Suite x" or the assessor's bare
# trailing number after a suffix; suffix and directionals abbreviated; words title-cased;
# ordinals lower-case.
def street:
  [ascii_upcase | splits(" +") | select(length > 0) | rtrimstr(".")] as $w0
  | (if ($w0 | length) >= 3 and ($w0[-2] == "UNIT" or $w0[-2] == "APT" or $w0[-2] == "SUITE") then [$w0[:-2], $w0[-1]]
     elif ($w0 | length) >= 3 and ($w0[-1] | startswith("#")) then [$w0[:-1], $w0[-1][1:]]
     elif ($w0 | length) >= 4 and ($w0[-1] | test("^[0-9]+[A-Z]?$")) and $SUF[$w0[-2]] != null then [$w0[:-1], $w0[-1]]
     else [$w0, null] end) as [$w, $unit]
  | (if ($w | length) >= 4 and $DIR[$w[-1]] != null and $SUF[$w[-2]] != null then [$w[:-1], $DIR[$w[-1]]] else [$w, null] end) as [$w1, $post]
  | (if ($w1 | length) >= 3 and $SUF[$w1[-1]] != null then [$w1[:-1], $SUF[$w1[-1]]] else [$w1, null] end) as [$w2, $suf]
  | (if ($w2 | length) >= 3 and $DIR[$w2[1]] != null then [[$w2[0]] + $w2[2:], $DIR[$w2[1]]] else [$w2, null] end) as [$w3, $pre]
  | {street: ([$w3[0], $pre] + ($w3[1:] | map(word)) + [$suf, $post] | map(select(. != null)) | join(" ")),
     unit: $unit};
def zip: if . == null then {zip: null, zip4: null}
         else (gsub(" "; "") | capture("^(?<zip>[0-9]{5})-?(?<zip4>[0-9]{4})?$") // {zip: null, zip4: null}) end;
def state: (. // "" | ascii_upcase | trim) as $s
           | if $s == "ARIZONA" or $s == "ARIZ" then "AZ" elif $s == "" then null else $s end;
def ptype: if . == null or . == "" then null else ($TYPE[ascii_upcase | trim] // "other") end;

if has("APN") then
  (.SitusAddress | street) as $a
  | (.details.valuations | if type == "array" and length > 0 then max_by(.TaxYear | tonumber) else null end) as $v
  | (.details["residential-details"] | if type == "object" then . else {} end) as $r
  | (.SitusZip | zip) as $z
  | {id: ("apn:" + .APN), source_id: .APN, raw_kind: "maricopa", apn: .APN, mls_id: null,
     address: {street: $a.street, unit: $a.unit, city: (.SitusCity | title), state: "AZ", zip: $z.zip, zip4: $z.zip4},
     property_type: (.PropertyType | ptype), price: null,
     assessed_value: (($v.AssessedLPV | num) // ($v.AssessedFCV | num)), full_cash_value: ($v.FullCashValue | num),
     tax_year: ($v.TaxYear | num), beds: null, baths: null, bath_fixtures: ($r.BathFixtures | num),
     sqft: ($r.LivableSpace | num), lot_sqft: ($r.LotSize | num), year_built: ($r.ConstructionYear | num),
     price_per_sqft: null}
else
  (.ADDRESS | street) as $a
  | (."ZIP OR POSTAL CODE" | zip) as $z
  | (.PRICE | num) as $price
  | (."SQUARE FEET" | num) as $sqft
  | {id: (if (."MLS#" // "") != "" then "mls:" + (.SOURCE | ascii_downcase) + ":" + ."MLS#" else null end),
     source_id: ."MLS#", raw_kind: "redfin_csv", apn: null, mls_id: ."MLS#",
     address: {street: $a.street, unit: $a.unit, city: (.CITY | title), state: (."STATE OR PROVINCE" | state),
               zip: $z.zip, zip4: $z.zip4},
     property_type: (."PROPERTY TYPE" | ptype), price: $price, assessed_value: null, full_cash_value: null,
     tax_year: null, beds: (.BEDS | num), baths: (.BATHS | num), bath_fixtures: null, sqft: $sqft,
     lot_sqft: (."LOT SIZE" | num), year_built: (."YEAR BUILT" | num),
     price_per_sqft: (if $price != null and $sqft != null and $sqft > 0 then ($price / $sqft * 100 | round / 100) else null end)}
end
