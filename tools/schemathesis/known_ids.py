#!/usr/bin/env python3
"""Writes the schemathesis configuration of one run of tools/schemathesis/run.sh: the settings of
schemathesis.toml, and dictionaries of ids and codes that exist in the demo district (applications,
cases, records, riders, rectifications, consents, offers, ID numbers, credit codes, bundles and
items). Each path id, code and query or body field named below takes one of them half of the time
and a generated value the other half, so that the fuzzer reaches the answers of real resources
(and their schemas), not only 404s and 422s.

    known_ids.py DATABASE RESIDENT_LOGIN BASE_TOML OUT_TOML
"""

import json
import sqlite3
import sys


def main() -> None:
    db, resident, base, out = sys.argv[1:5]
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def col(sql: str, *args: object) -> list[str]:
        return [str(r[0]) for r in c.execute(sql, args) if r[0] is not None]

    apps = col("SELECT id FROM application WHERE applicant_key = ? LIMIT 5", resident)
    apps += col("SELECT DISTINCT application_id FROM item_case WHERE department = 'ga' LIMIT 5")
    apps += col("SELECT id FROM application ORDER BY id LIMIT 5")
    ids = apps
    ids += col("SELECT id FROM shared_record WHERE subject_key = ? LIMIT 10", resident)
    ids += col("SELECT id FROM shared_record WHERE department = 'ga' LIMIT 5")
    ids += col("SELECT id FROM rider WHERE person_key = ? LIMIT 5", resident)
    ids += col("SELECT id FROM rider LIMIT 5")
    ids += col("SELECT id FROM rectification LIMIT 5")
    ids += col("SELECT id FROM record_consent LIMIT 5")
    ids += col("SELECT id FROM recognition_offer LIMIT 5")
    cases = col(f"SELECT id FROM item_case WHERE application_id IN ({','.join('?' * len(apps))}) LIMIT 40", *apps) if apps else []
    id_numbers = [resident] + col("SELECT id_number FROM person WHERE id_number <> ? LIMIT 4", resident)
    credit_codes = col("SELECT credit_code FROM enterprise LIMIT 3")
    bundles = col("SELECT DISTINCT target_code FROM application WHERE target_kind = 'bundle'") or ["birth"]
    items = col("SELECT DISTINCT item FROM item_case LIMIT 20")

    dictionaries = {
        "ids": ids,
        "cases": cases,
        "id_numbers": id_numbers,
        "codes": bundles + items + credit_codes,
        "subjects": id_numbers + credit_codes,
        "bundles": bundles,
        "items": items,
    }
    parameters = {
        "path.id": "ids",
        "path.case": "cases",
        "path.id_number": "id_numbers",
        "path.code": "codes",
        "query.subject": "subjects",
        "query.bundle": "bundles",
        "query.item": "items",
        "query.ref": "ids",
        "body.bundle": "bundles",
        "body.item": "items",
        "body.subject": "subjects",
        "body.id_number": "id_numbers",
    }
    lines = [open(base, encoding="utf-8").read().rstrip(), ""]
    for name, values in dictionaries.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(sorted(set(values)), ensure_ascii=False)}", ""]
    lines.append("[parameters]")
    for key, name in parameters.items():
        if dictionaries[name]:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
