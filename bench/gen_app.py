#!/usr/bin/env python3
"""Writes a generated ARO app of about N lines (default 10,000) into DIR, for compile-throughput runs."""
import os, sys
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
lines = ["(Application-Start: Generated) {", '    Log "generated" to the <console>.', "    Return an <OK: status> for the <application>.", "}"]
i = 0
while len(lines) < n:
    lines.append(f"(Worker {i}: Gen{i} Handler) {{")
    for j in range(20):
        lines.append(f"    Create the <v{j}> with {{ id: {i}, name: \"item-{j}\", tags: [1, 2, 3] }}.")
        lines.append(f"    Compute the <w{j}> from {j} * 3 + {i} when <v{j}: id> > 0.")
    lines.append("    Return an <OK: status> for the <event>.")
    lines.append("}")
    i += 1
open(os.path.join(d, "main.aro"), "w").write("\n".join(lines) + "\n")
