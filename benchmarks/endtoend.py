"""End-to-end `escsim` commands on the fast engine vs the SimPy engine (issue 12).

    PYTHONPATH=$PWD python benchmarks/endtoend.py [--repeats 2] [--json out.json]

Each command runs as a user would run it (a fresh `escsim` process, its
default workers), with `--engine fast` and `--engine simpy`, interleaved,
`--repeats` times; the figures are medians. Measured per run: wall time and
CPU time of the command and every process it started (the workers
included: `resource.getrusage(RUSAGE_CHILDREN)` around the run). Commands:

1. `escsim sweep sweeps/flagship_israel_threshold.yaml` (40 points x 200
   replications), and the same sweep at 2,000 replications per point (a
   copy of the file with only `replications:` changed), where the
   simulation's share of the work is larger;
2. the README's `escsim calibrate` (the flagship's drone stream fitted to
   its documented counts, 200 replications per candidate).

Every command also pays costs that do not depend on the engine: starting
Python and importing the package (measured alone: `import sim.cli` and the
sweep's and calibration's modules), validating a scenario per point or
candidate, and writing charts and reports. Those bound the end-to-end ratio
whatever the kernel's speed (Amdahl's law). The script measures the part no
fast command can skip (its "floor": a process that starts Python, imports
numpy, numba and the fast engine and loads the compiled kernel from the disk
cache, CPU time) and shows, per command, the CPU ratio a kernel taking no
time at all would give: SimPy's CPU over that floor. A target above that
ceiling cannot be met by any engine. A second, tighter floor per command:
a process that imports every module the fast command imported (recorded
from a run of it) and loads the kernel, and nothing else; SimPy's CPU over
that is the ratio left if simulating, validating and writing took no time.
The fast engine's JIT compile is not in these figures: the numba cache is
warmed first (a cold compile is `benchmarks/fastpath.py`'s "JIT" row).

The machine's load average (1 minute) is printed before and after: another
process sharing the two cores slows both engines, and the CPU-time ratio is
the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ESCSIM = "import sys; from sim.cli import main; sys.argv[0] = 'escsim'; main()"
RECORD_MODULES = (
    "import atexit, json, os, sys; atexit.register(lambda: open(os.environ['ESCSIM_MODULES'], "
    "'w').write(json.dumps(sorted(sys.modules)))); " + ESCSIM
)
IMPORT_MODULES = """
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:  # aliases and private modules that cannot be imported by name
        pass
from sim.montecarlo.fast import fast_engine_available
fast_engine_available()
"""
SWEEP = ROOT / "sweeps" / "flagship_israel_threshold.yaml"
FLAGSHIP = ROOT / "scenarios" / "iraq_2024_israel_threat.yaml"
FIT_WINDOW = ROOT / "scenarios" / "fits" / "iraq_2024_drone_fit_window.yaml"
FIT = "streams.drone_attack_israel.rate,streams.drone_attack_israel.self_excitation.branching"
IMPORTS = (
    "import sim.cli, sim.writers.sweep, sim.writers.calibrate, sim.experiments.calibrate, "
    "sim.montecarlo.runner"
)


def timed(args: list[str], scratch: Path, extra: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU seconds (the process and all its children) of one command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **(extra or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(args, cwd=scratch, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def escsim(*args: str) -> list[str]:
    return [PYTHON, "-c", ESCSIM, *args]


def commands(scratch: Path) -> dict[str, list[str]]:
    """Each benchmarked command, with `{engine}` and `{out}` to fill in."""
    big = scratch / "sweep_2000.yaml"
    text = SWEEP.read_text().replace("replications: 200", "replications: 2000")
    big.write_text(text.replace("base: ../scenarios/", f"base: {ROOT}/scenarios/"))
    return {
        "sweep (40 points x 200 replications)": escsim(
            "sweep", str(SWEEP), "--engine", "{engine}", "--no-progress", "--out", "{out}"
        ),
        "sweep (40 points x 2,000 replications)": escsim(
            "sweep", str(big), "--engine", "{engine}", "--no-progress", "--out", "{out}"
        ),
        "calibrate (README: drone rate and branching)": escsim(
            "calibrate",
            str(FIT_WINDOW),
            "--fit",
            FIT,
            "--engine",
            "{engine}",
            "--out",
            "{out}.yaml",
        ),
    }


def fill(args: list[str], engine: str, out: Path) -> list[str]:
    return [a.replace("{engine}", engine).replace("{out}", str(out)) for a in args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", help="run only the commands whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    results: dict[str, object] = {"load_before": load_before}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        warm = [PYTHON, "-c", "from sim.montecarlo.fast import fast_engine_available as f; f()"]
        timed(warm, scratch)  # the numba cache: compiled once, outside every timing
        imports = [timed([PYTHON, "-c", IMPORTS], scratch) for _ in range(options.repeats)]
        results["imports_s"] = statistics.median(r["wall"] for r in imports)
        # The least any fast command costs: Python, numpy, numba, the fast
        # engine's modules and the kernel loaded from the disk cache.
        floor = [timed(warm, scratch) for _ in range(options.repeats)]
        results["fast_floor_cpu_s"] = fast_floor = statistics.median(r["cpu"] for r in floor)
        table: list[dict[str, object]] = []
        for name, args in commands(scratch).items():
            if options.only and options.only not in name:
                continue
            # The modules the fast command imports, then a process importing just those.
            listing = scratch / "modules.json"
            record = scratch / "record"
            recorded = [a if a != ESCSIM else RECORD_MODULES for a in fill(args, "fast", record)]
            timed(recorded, scratch, {"ESCSIM_MODULES": str(listing)})
            shutil.rmtree(record, ignore_errors=True)
            shutil.rmtree(scratch / "results", ignore_errors=True)
            importing = [PYTHON, "-c", IMPORT_MODULES, str(listing)]
            command_floor = statistics.median(
                timed(importing, scratch)["cpu"] for _ in range(options.repeats)
            )
            runs: dict[str, list[dict[str, float]]] = {"fast": [], "simpy": []}
            for repeat in range(options.repeats):  # interleaved: drift hits both alike
                for engine in ("fast", "simpy"):
                    out = scratch / f"out-{engine}-{repeat}"
                    runs[engine].append(timed(fill(args, engine, out), scratch))
                    shutil.rmtree(out, ignore_errors=True)
                    shutil.rmtree(scratch / "results", ignore_errors=True)
            figures = {
                f"{key}_{engine}": statistics.median(r[key] for r in runs[engine])
                for engine in runs
                for key in ("wall", "cpu")
            }
            figures["wall_ratio"] = figures["wall_simpy"] / figures["wall_fast"]
            figures["cpu_ratio"] = figures["cpu_simpy"] / figures["cpu_fast"]
            # Amdahl: even a kernel taking no time leaves the floor.
            figures["cpu_ratio_ceiling"] = figures["cpu_simpy"] / fast_floor
            # ... and its own imports: what no change to the engine, the
            # validation or the writers removes.
            figures["command_floor_cpu"] = command_floor
            figures["cpu_ratio_imports_ceiling"] = figures["cpu_simpy"] / command_floor
            row: dict[str, object] = {"command": name, **figures}
            table.append(row)
            print(json.dumps(row), flush=True)
    results["commands"] = table
    results["load_after"] = os.getloadavg()[0]
    print()
    print(f"load average (1 min): {load_before:.1f} before, {results['load_after']:.1f} after")
    print(f"python start + imports alone: {results['imports_s']:.2f} s")
    print(
        f"fast engine's floor (start, numpy, numba, kernel loaded; CPU): "
        f"{results['fast_floor_cpu_s']:.2f} s"
    )
    print(
        "| command | fast: wall / CPU | SimPy: wall / CPU | ratio: wall / CPU "
        "| CPU ratio with a kernel taking no time | its imports and kernel load (CPU) "
        "| CPU ratio if only those remained | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(
            f"| {r['command']} | {r['wall_fast']:.1f} s / {r['cpu_fast']:.1f} s | "
            f"{r['wall_simpy']:.1f} s / {r['cpu_simpy']:.1f} s | "
            f"{r['wall_ratio']:.1f}x / {r['cpu_ratio']:.1f}x | "
            f"< {r['cpu_ratio_ceiling']:.1f}x | {r['command_floor_cpu']:.2f} s | "
            f"< {r['cpu_ratio_imports_ceiling']:.1f}x | >= 20x |"
        )
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
