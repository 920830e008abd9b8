"""Time `specport convert` on a Spec-Bench checkout against the floor of any libcst + black tool.

The floor is what no such tool can avoid: importing libcst and black, parsing the runners with
libcst, and formatting the generated files with black. Each trial runs in a fresh interpreter, so
imports are timed cold, and measures CPU time of that process (time.process_time), which other
load on the machine disturbs less than wall time. The script prints the median of the trials.

    python bench/convert_benchmark.py --spec-bench Spec-Bench --trials 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

TRIAL = r"""
import json, sys, time
from pathlib import Path

root = Path(sys.argv[1])
clock = time.process_time

start = clock()
import libcst
import black
imported_floor = clock()

from porter.batch import collect_jobs, convert_jobs
imported_specport = clock()

jobs = collect_jobs([], root)
outcomes = convert_jobs(jobs, {})
converted = clock()
failed = [outcome.job.display_path for outcome in outcomes if outcome.conversion is None]
outputs = [outcome.conversion.code for outcome in outcomes if outcome.conversion is not None]

sources = [job.runner.read_text() for job in jobs]
parse_start = clock()
for source in sources:
    libcst.parse_module(source)
parsed = clock()
for output in outputs:
    black.format_str(output, mode=black.Mode())
formatted = clock()

print(json.dumps({
    "runners": len(jobs),
    "failed": failed,
    "import_libcst_black": imported_floor - start,
    "parse_inputs": parsed - parse_start,
    "black_outputs": formatted - parsed,
    "import_specport": imported_specport - imported_floor,
    "convert": converted - imported_specport,
}))
"""


def run_trial(root: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", TRIAL, str(root)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec-bench", type=Path, default=Path("Spec-Bench"), help="Spec-Bench checkout root.")
    parser.add_argument("--trials", type=int, default=7, help="Fresh interpreters to run (default 7).")
    arguments = parser.parse_args()

    trials = [run_trial(arguments.spec_bench) for _ in range(arguments.trials)]
    if trials[0]["failed"]:
        sys.exit(f"runners that did not convert: {trials[0]['failed']}")

    def median(key: str) -> float:
        return statistics.median(trial[key] for trial in trials)

    floor = median("import_libcst_black") + median("parse_inputs") + median("black_outputs")
    total = statistics.median(
        trial["import_libcst_black"] + trial["import_specport"] + trial["convert"] for trial in trials
    )
    print(f"runners converted:             {trials[0]['runners']}")
    print(f"trials:                        {len(trials)} (median CPU seconds of each)")
    print(f"floor: import libcst + black   {median('import_libcst_black'):.3f}")
    print(f"floor: libcst parse of inputs  {median('parse_inputs'):.3f}")
    print(f"floor: black of the outputs    {median('black_outputs'):.3f}")
    print(f"floor total                    {floor:.3f}")
    print(f"specport: import (beyond floor) {median('import_specport'):.3f}")
    print(f"specport: convert all runners  {median('convert'):.3f}")
    print(f"specport total                 {total:.3f}")
    print(f"ratio specport / floor         {total / floor:.2f} (target: at most 1.30)")


if __name__ == "__main__":
    main()
