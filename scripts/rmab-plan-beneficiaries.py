#!/usr/bin/env python3
"""Write a synthetic beneficiary file for `tandem rmab plan --arms` (docs/rmab-plan.md, "Speed").

Usage: scripts/rmab-plan-beneficiaries.py ROWS SEED OUT.csv

Columns: id, name (quoted text with commas, quotes and non-ASCII letters), state, the four transition
probabilities, ten feature columns and two extra columns (phone, village). About 1 in 10 beneficiaries has
a call that lowers engagement (p_active < p_passive), so their Whittle index under the engagement reward is
negative. Deterministic for a given seed. The numbers are synthetic: they time the command, nothing else.
"""
import csv
import random
import sys

FEATURES = ["age_10_20", "age_21_30", "age_31_40", "lang_hindi", "lang_marathi",
            "education_1", "education_5", "phone_owner_woman", "income_1", "income_5"]
NAMES = ["Asha", "Priya", "Sunita", "Meera", "Lakshmi", "Kavita", "Rekha", "Anjali"]
VILLAGES = ["Dharavi", "Kurla, East", "Thane \"old town\"", "Pune", "Nashik", "Wardha"]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rows, seed, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "state", "p01_passive", "p11_passive", "p01_active", "p11_active", *FEATURES, "phone", "village"])
        for i in range(rows):
            p01 = rng.uniform(0.05, 0.5)
            p11 = rng.uniform(max(p01, 0.3), 0.95)
            harm = rng.random() < 0.1
            lift = -rng.uniform(0.0, 0.05) if harm else rng.uniform(0.0, 0.3)
            a01 = min(max(p01 + lift, 0.0), 1.0)
            a11 = min(max(p11 + lift / 2, 0.0), 1.0)
            name = f"{rng.choice(NAMES)} {chr(0x905 + rng.randrange(10))}., w/o \"{rng.choice(NAMES)}\""
            feats = [rng.randrange(2) for _ in FEATURES]
            w.writerow([f"B{i:06d}", name, rng.randrange(2), f"{p01:.4f}", f"{p11:.4f}", f"{a01:.4f}", f"{a11:.4f}",
                        *feats, f"+91 98{rng.randrange(10**8):08d}", rng.choice(VILLAGES)])


if __name__ == "__main__":
    main()
