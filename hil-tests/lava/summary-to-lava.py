#!/usr/bin/env python3
"""Reports a HIL run's summary.json to LAVA: one lava-test-case per scenario.

  summary-to-lava.py out/hil/<run>/summary.json

Each scenario becomes test case "<group>.<name>" with result pass / fail / skip; a scenario with
measured faults also reports its worst detection latency as a measurement in ms. Skip reasons and
failure messages are printed so they land in the LAVA log next to the case. Outside LAVA (no
lava-test-case on PATH) the commands are printed instead of run, so the script can be tried by hand.
Exit status: 0 when every scenario was reported, 2 when the summary is missing or malformed.
"""
import json
import shutil
import subprocess
import sys

RESULTS = {"passed": "pass", "failed": "fail", "skipped": "skip"}


def case_name(scenario):
    # LAVA test case names: letters, digits, '_', '-', '.'.
    raw = f'{scenario["group"]}.{scenario["name"]}'
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in raw)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            summary = json.load(f)
        scenarios = summary["scenarios"]
    except (OSError, ValueError, KeyError) as e:
        print(f"summary-to-lava: {argv[1]}: cannot read a HIL summary: {e}", file=sys.stderr)
        # Tell LAVA the suite itself broke instead of reporting nothing.
        report(["stratos-island-hil-run", "--result", "fail"])
        return 2
    for scenario in scenarios:
        result = RESULTS.get(scenario.get("result"), "unknown")
        name = case_name(scenario)
        if scenario.get("message"):
            print(f"{name}: {scenario['message']}")
        args = [name, "--result", result]
        latencies = [f["detection_latency_ms"] for f in scenario.get("faults", []) if f.get("detection_latency_ms") is not None]
        if latencies:
            args += ["--measurement", f"{max(latencies):.1f}", "--units", "ms"]
        report(args)
    totals = summary.get("totals", {})
    print(f'HIL: {totals.get("passed", 0)} passed, {totals.get("failed", 0)} failed, {totals.get("skipped", 0)} skipped')
    return 0


def report(args):
    tool = shutil.which("lava-test-case")
    if tool is None:
        print("lava-test-case " + " ".join(args))
    else:
        subprocess.run([tool] + args, check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
