"""Measure the fast path's targets (issue 12), as ratios taken in one run.

    PYTHONPATH=$PWD python benchmarks/fastpath.py [--base b473302] [--json out.json]

1. Fast engine vs SimPy engine on the flagship, replications per second per
   core, output table included (`run_table(..., workers=1)`), medians of
   interleaved repeats; target >= 50x. The JIT compile is reported apart:
   cold (a fresh numba cache directory) and warm (loading the disk cache).
2. The SimPy engine now vs the base commit (a temporary `git worktree` of
   `--base`, run in its own subprocess, interleaved); target >= 1.4x.
3. Peak memory of a worker in a 100,000-replication run on two workers,
   sampled every 0.2 s with psutil: private (USS, what the worker itself
   costs) and resident (RSS, which also counts pages shared with the parent
   after fork); target <= 150 MiB.

CPU time of the measuring process (`time.process_time`) is the rate's
denominator: it is what "per core" means, and it is far less disturbed than
wall time when other work shares the machine. Wall times are shown beside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "iraq_2024_israel_threat.yaml"
PYTHON = sys.executable

RATE = """
import json, sys, time
from sim.scenario import load_scenario
try:
    from sim.montecarlo.runner import run_table
except ImportError:  # a base commit from before sim/montecarlo became a package
    from sim.montecarlo import run_table
s = load_scenario(sys.argv[1])
engine, reps, offset = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
kwargs = {} if engine == "base" else {"engine": engine}
run_table(s, 1, range(offset, offset + 20), **kwargs)  # imports, caches, JIT load
cpu, wall = time.process_time(), time.perf_counter()
table = run_table(s, 1, range(offset, offset + reps), **kwargs)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"reps": len(table), "cpu": cpu, "wall": wall}))
"""

JIT = """
import json, time
wall = time.perf_counter()
from sim.montecarlo.fast import fast_engine_available
ok, reason = fast_engine_available()
print(json.dumps({"ok": ok, "reason": reason, "seconds": time.perf_counter() - wall}))
"""

MEMORY = """
import json, resource, sys, threading, time
import psutil
from sim.scenario import load_scenario
from sim.montecarlo.runner import run_table
s = load_scenario(sys.argv[1])
engine, reps = sys.argv[2], int(sys.argv[3])
peak = {"uss": 0.0, "rss": 0.0}
done = threading.Event()
def sample():  # the workers' private (USS) and resident (RSS) memory, every 0.2 s
    while not done.wait(0.2):
        for child in psutil.Process().children():
            try:
                info = child.memory_full_info()
            except psutil.Error:
                continue
            peak["uss"] = max(peak["uss"], info.uss / 2**20)
            peak["rss"] = max(peak["rss"], info.rss / 2**20)
sampler = threading.Thread(target=sample)
sampler.start()
wall = time.perf_counter()
table = run_table(s, 1, range(reps), workers=2, engine=engine)
wall = time.perf_counter() - wall
done.set()
sampler.join()
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"reps": len(table), "wall": wall, "worker_uss_mib": peak["uss"],
                  "worker_rss_mib": max(peak["rss"], maxrss)}))
"""


def run_script(code: str, args: list[str], tree: Path, env: dict[str, str] | None = None) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(tree), **(env or {})}
    done = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code), *args],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed in {tree}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rate(code: str, engine: str, reps: int, repeat: int, tree: Path) -> dict:
    """One timed run in a fresh process; replications differ between repeats."""
    result = run_script(code, [str(FLAGSHIP), engine, str(reps), str(repeat * reps)], tree)
    return {**result, "per_cpu_s": result["reps"] / result["cpu"]}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="b473302", help="commit to compare the SimPy engine with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--simpy-reps", type=int, default=600)
    parser.add_argument("--fast-reps", type=int, default=30_000)
    parser.add_argument("--memory-reps", type=int, default=100_000)
    parser.add_argument(
        "--simpy-memory-reps", type=int, help="SimPy's memory run (default: --memory-reps)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as cache:
        cold = run_script(JIT, [], ROOT, {"NUMBA_CACHE_DIR": cache})
        warm = run_script(JIT, [], ROOT, {"NUMBA_CACHE_DIR": cache})
    results["jit"] = {"cold_s": cold["seconds"], "warm_s": warm["seconds"], "ok": cold["ok"]}
    print(f"JIT: compile {cold['seconds']:.1f} s (cold cache), load {warm['seconds']:.2f} s (warm)")

    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), options.base],
            check=True,
            capture_output=True,
        )
        try:
            simpy_now, simpy_base, fast = [], [], []
            for repeat in range(options.repeats):  # interleaved: drift hits all alike
                simpy_now.append(rate(RATE, "simpy", options.simpy_reps, repeat, ROOT))
                simpy_base.append(rate(RATE, "base", options.simpy_reps, repeat, base))
                fast.append(rate(RATE, "fast", options.fast_reps, repeat, ROOT))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                check=False,
                capture_output=True,
            )
    now_rate, base_rate = median(simpy_now, "per_cpu_s"), median(simpy_base, "per_cpu_s")
    fast_rate = median(fast, "per_cpu_s")
    results["flagship_rates_per_cpu_s"] = {
        "fast": fast_rate,
        "simpy": now_rate,
        f"simpy_at_{options.base}": base_rate,
        "wall_fast": options.fast_reps / median(fast, "wall"),
        "wall_simpy": options.simpy_reps / median(simpy_now, "wall"),
        "wall_simpy_base": options.simpy_reps / median(simpy_base, "wall"),
    }
    results["fast_vs_simpy"] = fast_rate / now_rate
    results["simpy_vs_base"] = now_rate / base_rate

    memory = run_script(MEMORY, [str(FLAGSHIP), "fast", str(options.memory_reps)], ROOT)
    results["memory_fast"] = memory
    simpy_reps = str(options.simpy_memory_reps or options.memory_reps)
    memory_simpy = run_script(MEMORY, [str(FLAGSHIP), "simpy", simpy_reps], ROOT)
    results["memory_simpy"] = memory_simpy

    print()
    print("| measure | value | target |")
    print("| --- | --- | --- |")
    print(f"| fast engine, flagship, replications/s per core | {fast_rate:,.0f} | |")
    print(f"| SimPy engine now, same | {now_rate:,.0f} | |")
    print(f"| SimPy engine at {options.base}, same | {base_rate:,.0f} | |")
    print(f"| fast / SimPy now | {results['fast_vs_simpy']:.1f}x | >= 50x |")
    print(f"| SimPy now / SimPy at {options.base} | {results['simpy_vs_base']:.2f}x | >= 1.4x |")
    for name, m in (("fast", memory), ("SimPy", memory_simpy)):
        print(
            f"| {name}: largest worker, {m['reps']:,} replications on 2 workers "
            f"({m['wall']:.0f} s): private (USS) / resident (RSS, shared pages "
            f"included) | {m['worker_uss_mib']:.0f} / {m['worker_rss_mib']:.0f} MiB "
            "| <= 150 MiB |"
        )
    print(
        f"| JIT compile (cold cache) / load (warm) | {cold['seconds']:.1f} s / "
        f"{warm['seconds']:.2f} s | reported apart |"
    )
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
