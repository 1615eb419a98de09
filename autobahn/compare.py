#!/usr/bin/env python3
"""Compares an Autobahn fuzzingclient report with autobahn/expected-results.json.

Usage: compare.py REPORT_DIR EXPECTED_JSON
Prints the summary table (per case group: OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED / FAILED)
and fails, naming the case, when any case is worse than expected or missing.
Ends with the line `N passed, N failed`."""
import json
import sys

RANK = {"OK": 0, "NON-STRICT": 1, "INFORMATIONAL": 2, "UNIMPLEMENTED": 3, "FAILED": 4, "MISSING": 5}
GROUPS = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved Bits", "4": "Opcodes", "5": "Fragmentation",
          "6": "UTF-8 Handling", "7": "Close Handling", "9": "Limits/Performance", "10": "Misc",
          "12": "Compression", "13": "Compression"}


def main():
    report = json.load(open(f"{sys.argv[1]}/index.json"))
    results = next(iter(report.values()))
    expected = json.load(open(sys.argv[2]))
    table = {}
    worse = []
    for case, exp in sorted(expected.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]):
        got = results.get(case, {"behavior": "MISSING", "behaviorClose": "MISSING"})
        group = case.split(".")[0]
        row = table.setdefault(group, {k: 0 for k in RANK})
        row[got["behavior"]] = row.get(got["behavior"], 0) + 1
        for key in ("behavior", "behaviorClose"):
            if RANK.get(got[key], 5) > RANK.get(exp[key], 5):
                worse.append(f"{case}: {key} {got[key]} (expected {exp[key]})")
    print(f"{'group':<22} {'OK':>5} {'NON-STRICT':>11} {'INFORMATIONAL':>14} {'UNIMPL':>7} {'FAILED':>7}")
    for g in sorted(table, key=int):
        r = table[g]
        print(f"{g + ' ' + GROUPS.get(g, ''):<22} {r['OK']:>5} {r['NON-STRICT']:>11} {r['INFORMATIONAL']:>14} "
              f"{r['UNIMPLEMENTED']:>7} {r['FAILED'] + r['MISSING']:>7}")
    for w in worse:
        print("WORSE THAN EXPECTED:", w)
    failed = len(worse)
    print(f"{len(expected) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
