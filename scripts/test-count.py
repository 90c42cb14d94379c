#!/usr/bin/env python3
"""Checks a `cargo test` log against scripts/test-minimums.txt.

Usage: scripts/test-count.py <crate> <log>. Every suite the log ran (unit tests, each
integration test file, doc tests, wasm-bindgen tests) must be listed for that crate, and
must have passed at least its recorded number of tests: a suite that silently ran nothing
(a filter, a cfg, a harness that found no tests) fails the run. Raise a minimum when you
add tests; lower it only with the commit that removes them.
"""
import os
import re
import sys

crate, log_path = sys.argv[1], sys.argv[2]
minimums_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-minimums.txt")
minimums = {}
for line in open(minimums_path, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, minimum = line.rsplit(None, 1)
        minimums[name] = int(minimum)

suite = None
counts = {}
for line in open(log_path, encoding="utf-8", errors="replace"):
    running = re.match(r"\s*Running ((?:unittests )?\S+) \(", line)
    doc = re.match(r"\s*Doc-tests (\S+)", line)
    if running:
        suite = f"{crate} {running.group(1)}"
    elif doc:
        suite = f"{crate} doc"
    result = re.search(r"test result: \w+\. (\d+) passed", line)
    if result and suite:
        counts[suite] = counts.get(suite, 0) + int(result.group(1))
        suite = None

problems = []
if not counts:
    problems.append(f"{crate}: no test suite ran at all")
for name, passed in sorted(counts.items()):
    if name not in minimums:
        problems.append(f"{name}: ran {passed} tests but has no minimum in test-minimums.txt")
    elif passed == 0 or passed < minimums[name]:
        problems.append(f"{name}: ran {passed} tests, fewer than its minimum {minimums[name]}")
for name in minimums:
    if name.startswith(crate + " ") and name not in counts:
        problems.append(f"{name}: did not run")
for name, passed in sorted(counts.items()):
    print(f"  {passed:4} {name}")
if problems:
    sys.exit("test-count:\n  " + "\n  ".join(problems))
