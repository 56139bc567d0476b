#!/usr/bin/env python3
"""Re-run a public rental housing lottery draw and check it against the published order.

An independent re-implementation (Python 3 standard library only) of the algorithm documented in
crates/places/src/housing/lottery.rs. Usage:

    python3 verify.py DRAW.json [--seed HEX]

DRAW.json is the published draw (the engine's `Draw` as JSON): `seed_sha256`, `homes_total`, and
`groups`, each with `code`, `share_percent`, `homes`, `applicants`, `applicants_digest` and
`order`; the seed is the draw's `seed` field unless --seed gives it. Exits 0 when everything
reproduces exactly, 1 with a message saying what differs otherwise.
"""

import argparse
import hashlib
import json
import sys

SEPARATOR = b"|"
HEX = set("0123456789abcdef")


class Mismatch(Exception):
    """The draw does not reproduce."""


def parse_id(value, where):
    """An applicant id: a positive integer, given as a JSON string of digits or a number."""
    text = str(value)
    if not text.isdigit() or text != str(int(text)) or int(text) <= 0:
        raise Mismatch(f"{where}: {value!r} is not a positive whole number")
    return int(text)


def parse_seed(seed):
    if not isinstance(seed, str) or len(seed) != 64 or not set(seed) <= HEX:
        raise Mismatch("the seed must be 64 lower-case hexadecimal characters (32 bytes)")
    return bytes.fromhex(seed)


def applicants_digest(ids):
    return hashlib.sha256(b"".join(str(i).encode("ascii") + b"\n" for i in ids)).hexdigest()


def homes_per_group(total, shares, counts):
    base = [total * s // 100 for s in shares]
    if base:
        base[-1] = total - sum(base[:-1])
    out, carry = [], 0
    for b, n in zip(base, counts):
        want = b + carry
        keep = min(want, n)
        carry = want - keep
        out.append(keep)
    return out


def order(seed, code, ids):
    prefix = seed + SEPARATOR + code.encode("ascii") + SEPARATOR
    keyed = [(hashlib.sha256(prefix + str(i).encode("ascii")).digest(), i) for i in ids]
    keyed.sort()
    return [i for _, i in keyed]


def verify(draw, seed_hex):
    seed = parse_seed(seed_hex)
    commitment = hashlib.sha256(seed).hexdigest()
    if commitment != draw.get("seed_sha256"):
        raise Mismatch(f"the seed does not match the commitment: sha256(seed) = {commitment}, published {draw.get('seed_sha256')}")
    groups = draw.get("groups")
    if not isinstance(groups, list) or not groups:
        raise Mismatch("the draw has no groups")
    everyone = set()
    lists = []
    for g in groups:
        code = g.get("code", "")
        ids = [parse_id(a, f"group {code} applicant") for a in g.get("applicants", [])]
        if ids != sorted(set(ids)):
            raise Mismatch(f"group {code}: the applicant list is not in ascending order without repeats")
        if everyone & set(ids):
            raise Mismatch(f"group {code}: an applicant is also in an earlier group")
        everyone |= set(ids)
        if applicants_digest(ids) != g.get("applicants_digest"):
            raise Mismatch(f"group {code}: the applicant list does not match its published digest")
        lists.append(ids)
    shares = [int(g.get("share_percent", -1)) for g in groups]
    if sum(shares) != 100:
        raise Mismatch(f"the groups' shares add up to {sum(shares)}, not 100")
    homes = homes_per_group(int(draw.get("homes_total", -1)), shares, [len(l) for l in lists])
    for g, h in zip(groups, homes):
        if int(g.get("homes", -1)) != h:
            raise Mismatch(f"group {g.get('code')}: {g.get('homes')} homes published, the shares give {h}")
    for g, ids in zip(groups, lists):
        code = g.get("code", "")
        want = order(seed, code, ids)
        got = [parse_id(a, f"group {code} order") for a in g.get("order", [])]
        if want != got:
            pos = next((k for k, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
            raise Mismatch(
                f"group {code}: the published order differs at position {pos + 1}: "
                f"expected {want[pos] if pos < len(want) else 'the end'}, published {got[pos] if pos < len(got) else 'the end'}"
            )
    return sum(len(l) for l in lists), len(groups)


def main():
    ap = argparse.ArgumentParser(description="Re-run a public rental housing lottery draw.")
    ap.add_argument("draw", help="the published draw as JSON")
    ap.add_argument("--seed", help="the revealed seed (64 hex characters); default: the draw's `seed`")
    args = ap.parse_args()
    try:
        with open(args.draw, encoding="utf-8") as f:
            draw = json.load(f)
        seed = args.seed if args.seed is not None else draw.get("seed")
        if seed is None:
            raise Mismatch("no seed: the draw has not been drawn and --seed was not given")
        applicants, groups = verify(draw, seed)
    except (OSError, ValueError) as e:
        print(f"FAIL: cannot read {args.draw}: {e}")
        return 1
    except Mismatch as e:
        print(f"FAIL: {e}")
        return 1
    print(f"OK: {applicants} applicants in {groups} groups reproduce the published order exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
