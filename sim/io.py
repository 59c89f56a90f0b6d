"""Results folders: complete or absent, never half-written or silently replaced.

Everything is written into a hidden staging folder beside the target and
renamed into place at the end, so an interrupted run leaves no partial
results and an existing folder is replaced only with `force`, in one rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import UsageError
from sim.scenario.schema import Scenario


def check_target(folder: Path, force: bool) -> None:
    """Refuse before any work is done if the results folder exists."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder; choose another --out")
    if folder.exists() and not force:
        raise UsageError(
            f"results folder {folder} already exists; choose another --out, "
            "or pass --force to replace it"
        )


@contextlib.contextmanager
def staged_folder(folder: Path, force: bool) -> Iterator[Path]:
    """Yield a staging folder that becomes `folder` only if the block succeeds."""
    check_target(folder, force)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.partial-"))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    check_target(folder, force)
    if folder.exists():
        retired = folder.with_name(f".{folder.name}.replaced-{uuid.uuid4().hex[:8]}")
        os.rename(folder, retired)
        os.rename(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, folder)


def write_json(path: Path, data: Any) -> None:
    """Strict JSON: NaN and infinities (an outcome that never happened) become null."""
    text = json.dumps(_finite(data), indent=2, default=_json_default, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def scenario_document(s: Scenario) -> dict[str, Any]:
    """The resolved scenario (after extends and overrides) with every default."""
    return s.model_dump(mode="json", by_alias=True)


def scenario_sha256(s: Scenario) -> str:
    canonical = json.dumps(scenario_document(s), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def git_commit(folder: Path) -> dict[str, Any] | None:
    """The project's git commit and whether the tree had changes, if it is a checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        head, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "uncommitted_changes": bool(dirty)}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("escalation-sim", "numpy", "simpy", "scipy", "pandas", "pydantic", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(s: Scenario, **run_facts: Any) -> dict[str, Any]:
    """What is needed to reproduce a result and to know what produced it."""
    origin = s.origin
    file_sha = (
        hashlib.sha256(origin.read_bytes()).hexdigest() if origin and origin.exists() else None
    )
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "scenario": {
            "name": s.name,
            "file": str(origin) if origin else None,
            "file_sha256": file_sha,
            "resolved_sha256": scenario_sha256(s),
        },
        **run_facts,
        "versions": versions(),
        "git": git_commit(Path(__file__).resolve().parent),
        "platform": platform.platform(),
    }


def write_table(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, float_format="%.6g")


def write_scenario(s: Scenario, path: Path) -> None:
    path.write_text(
        yaml.safe_dump(scenario_document(s), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
