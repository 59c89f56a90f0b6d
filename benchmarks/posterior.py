"""Posterior calibration of the flagship's two drone-stream parameters (issue 10).

Target: `escsim calibrate --posterior` on scenarios/fits/iraq_2024_drone_fit_window.yaml,
fitting the drone stream's baseline rate and own branching, finishes in under
10 minutes with 2 workers, with its effective sample size stated.

The command is run as a user runs it (a subprocess, the fast engine, the
default 16 walkers x 1500 steps and 200 replications per candidate), so the
wall time includes the point fit, the profile walk, the objective's noise
check and writing the results. The diagnostics are read back from the
summary.json it writes. The load average before and after is recorded, since
another process sharing the two cores slows the run.

Run: `PYTHONPATH=$PWD python benchmarks/posterior.py [--keep DIR]`. It
replaces the "Posterior calibration" section of benchmarks/RESULTS.md and
writes benchmarks/posterior.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "fits" / "iraq_2024_drone_fit_window.yaml"
PATHS = "streams.drone_attack_israel.rate,streams.drone_attack_israel.self_excitation.branching"
TARGET_SECONDS = 600
SECTION = "## Posterior calibration (benchmarks/posterior.py)"


def command(out: Path) -> list[str]:
    """The escsim command measured (paths absolute, so it runs from any folder)."""
    return [
        sys.executable,
        "-m",
        "sim",
        "calibrate",
        str(FLAGSHIP),
        "--fit",
        PATHS,
        "--posterior",
        "--engine",
        "fast",
        "--workers",
        "2",
        "--seed",
        "1",
        "--out",
        str(out),
    ]


def measure(folder: Path) -> dict[str, Any]:
    """Run the command in `folder`; its wall time, load and diagnostics."""
    out = folder / "flagship-posterior.yaml"
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command(out), cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    load_after = os.getloadavg()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"calibrate failed ({done.returncode}):\n{done.stderr}")
    summary = json.loads((folder / "results" / out.stem / "summary.json").read_text())
    post = summary["posterior"]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "command": "escsim calibrate scenarios/fits/iraq_2024_drone_fit_window.yaml --fit "
        f"{PATHS} --posterior --engine fast --workers 2 --seed 1",
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_before": load_before[0],
        "load_after_1min": load_after[0],
        "exit_code": done.returncode,
        "fit": summary["fit"],
        "loglik_gain": summary["loglik_gain"],
        "loglik_noise_sd": summary["loglik_noise_sd"],
        "point_fit_evaluations": summary["evaluations"],
        "posterior": post,
        "stdout": done.stdout,
        "stderr": done.stderr,
    }


def render(r: dict[str, Any]) -> str:
    """The RESULTS.md section."""
    post = r["posterior"]
    rows = [
        f"| {f['path']} | {f['estimate']:.3g} [{f['lower_95']:.3g}, {f['upper_95']:.3g}] | "
        f"{f['posterior_median']:.3g} [{f['lower_90']:.3g}, {f['upper_90']:.3g}] | "
        f"{f['tau']:.1f} | {f['ess']:.0f} |"
        for f in r["fit"]
    ]
    met = "yes" if r["seconds"] < TARGET_SECONDS else "no"
    warnings = "; ".join(post["warnings"]) or "none"
    return "\n".join(
        [
            SECTION,
            "",
            f"`{r['command']}` on {r['machine']}: **{r['seconds'] / 60:.1f} minutes** wall "
            f"time (target < 10, met: {met}), {post['walkers']} walkers x {post['steps']} "
            f"steps ({post['burn']} burn-in, thinned by {post['thin']}: {post['draws']} draws), "
            f"{post['evaluations']:,} posterior candidates plus {r['point_fit_evaluations']} "
            f"for the point fit and profiles, 200 replications each. Acceptance fraction "
            f"{post['acceptance_mean']:.2f} (walkers {post['acceptance_min']:.2f}-"
            f"{post['acceptance_max']:.2f}); warnings: {warnings}. Load average "
            f"{r['load_before']:.2f} before the run, {r['load_after_1min']:.2f} (1 min) at "
            f"its end (other processes shared the two cores); the command and its workers "
            f"used {r['cpu_seconds'] / 60:.1f} CPU minutes, so on two idle cores the wall "
            "time is at least half that.",
            "",
            "| parameter | point fit [95% profile] | posterior median [90% credible] | "
            "autocorrelation time (steps) | effective sample size |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"Log-likelihood gain of the point fit {r['loglik_gain']:.2f}; its Monte Carlo sd "
            f"at the fit {r['loglik_noise_sd']:.2f} (5 independent seeds).",
            "",
        ]
    )


def replace_section(text: str, section: str) -> str:
    """RESULTS.md with its posterior section replaced (or appended)."""
    head, found, rest = text.partition(SECTION)
    if not found:
        return text.rstrip("\n") + "\n\n" + section
    tail = rest.split("\n## ", 1)
    return head + section + ("\n## " + tail[1] if len(tail) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this (empty) folder and keep it")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = measure(args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure(Path(tmp))
    (ROOT / "benchmarks" / "posterior.json").write_text(json.dumps(result, indent=2) + "\n")
    results = ROOT / "benchmarks" / "RESULTS.md"
    results.write_text(replace_section(results.read_text(), render(result)))
    print(render(result))


if __name__ == "__main__":
    main()
