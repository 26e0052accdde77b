#!/usr/bin/env python3
# gen-customers.py: a deterministic CSV of N customers for the import benchmark
#
# About ten columns of mixed types (numbers, booleans, ISO and Unix times,
# text), some quoted fields holding commas, doubled quotes and line breaks,
# and some non-ASCII text. The same N always gives the same bytes.
#
# Copyright 2026 The Cohort developers
# SPDX-License-Identifier: GPL-3.0-or-later
import random
import sys

FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Fatima", "Günter", "Hiro", "Inès", "José",
         "Kai", "Lena", "Miguel", "Nora", "Oskar", "Priya", "Quinn", "Rémi", "Søren", "Zoë"]
LAST = ["Smith", "García", "Müller", "Nguyen", "O'Brien", "Kowalski", "Østergaard", "Rossi",
        "Dubois", "Tanaka", "Ivanova", "Brown", "Łukasz", "Silva", "Yılmaz", "Lee"]
CITIES = ["Paris", "Berlin", "São Paulo", "Zürich", "Tokyo", "New York", "Kraków", "Montréal"]
PLANS = ["free", "pro", "team", "enterprise"]
NOTES = ["", "", "", "", "likes email", "called, left a message", 'said "call me later"',
         "first line\nsecond line", "VIP, handle with care", "prefers SMS"]


def quote(text):
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rnd = random.Random(20260101)
    out = sys.stdout
    out.write("id,email,first_name,last_name,city,plan,lifetime_value,orders,vip,created_at,last_seen_at,note\n")
    lines = []
    for i in range(1, n + 1):
        first = rnd.choice(FIRST)
        last = rnd.choice(LAST)
        t = 1577836800 + rnd.randrange(157680000)
        created = "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
            2020 + (t - 1577836800) // 31622400 % 5, 1 + rnd.randrange(12), 1 + rnd.randrange(28),
            rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))
        row = [
            "c%07d" % i,
            "user%d@example.com" % i,
            quote(first),
            quote(last),
            quote(rnd.choice(CITIES)),
            rnd.choice(PLANS),
            "%d.%02d" % (rnd.randrange(5000), rnd.randrange(100)),
            str(rnd.randrange(200)),
            rnd.choice(("true", "false")),
            created,
            str(t),
            quote(rnd.choice(NOTES)),
        ]
        lines.append(",".join(row))
        if len(lines) == 10000:
            out.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
