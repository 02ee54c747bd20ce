#!/usr/bin/env python3
"""Prints "N passed, N failed, N skipped" summed over the TRX files under the folder given.

Counts the results themselves, by outcome: a test skipped at run time (Xunit.SkippableFact's Skip.If) is a
result with outcome NotExecuted while the file's Counters say notExecuted="0".
"""
import sys, glob, xml.etree.ElementTree as ET

SKIPPED = ("NotExecuted", "Inconclusive", "NotRunnable")
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    root = ET.parse(path).getroot()
    file_failed = 0
    for result in root.findall("./{*}Results/{*}UnitTestResult"):
        outcome = result.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome in SKIPPED:
            skipped += 1
        else:
            file_failed += 1
    # A test host that crashed leaves an error in the Counters and no result for the test it was running.
    counters = root.find("./{*}ResultSummary/{*}Counters")
    if counters is not None:
        counted = sum(int(counters.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
        file_failed = max(file_failed, counted)
    failed += file_failed
print(f"{passed} passed, {failed} failed, {skipped} skipped")
