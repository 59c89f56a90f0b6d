"""Results folders: complete or absent, never half-written, never silently replaced.

Every experiment writes through this module, and only through it:

- `reserve(folder, force)` is taken *before* any simulation. It refuses a
  target that exists (unless `force`), a target escsim did not write (no
  manifest) even with `force`, and places that must never be replaced (`.`,
  a parent of the working folder, the project root, `/`, the home folder).
  It checks the location is writable and not full, takes a lock so a second
  run into the same folder fails at once rather than after computing, and
  removes leftovers of killed runs (staging folders, temporary files).
- `staged_folder(folder, force)` yields a hidden staging folder beside the
  target that is renamed into place only when the block succeeds: an
  interrupted run leaves nothing.
- `atomic_write(path, writer)` writes one file through a temporary name and a
  rename; `write_json`, `write_table`, `write_text` and the charts' savers use it.

Files and folders get the user's umask (0644 and 0755 under umask 022), not
the private 0600 a temporary file is first created with, which would hide
results from colleagues.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import UsageError
from sim.interrupts import interrupts_deferred
from sim.scenario.fingerprint import scenario_document, scenario_sha256
from sim.scenario.schema import Scenario

MANIFEST = "manifest.json"
"""Every escsim results folder holds one; `--force` replaces only such folders."""
SWEEP_RECORD = "sweep.json"
"""A sweep folder holds this from its start (its manifest comes at the end)."""
MIN_FREE_BYTES = 64 * 2**20
"""Refuse to start when the output location has less free space than this."""
_PREFIXES = (".partial-", ".replaced-")
_held: dict[Path, int] = {}
"""Locks this process holds, by resolved folder (so a writer inside a reservation
does not try to lock again)."""


def umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    current = os.umask(0)
    os.umask(current)
    return current


def _open_mode(mode: int) -> int:
    return mode & ~umask()


def is_escsim_folder(folder: Path) -> bool:
    """Whether escsim wrote `folder`: it holds a manifest naming escalation-sim,
    or is a sweep folder in progress."""
    if (folder / SWEEP_RECORD).is_file():
        return True
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file() or manifest_file.stat().st_size > 2**20:
        return False
    try:
        data = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "escalation-sim" in data.get("versions", {})


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _protected(folder: Path) -> str | None:
    """Why `folder` may never be replaced, or None."""
    target = folder.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or cwd.is_relative_to(target):
        return "it is the working folder or one of its parents"
    if target == Path(target.anchor):
        return "it is the root of the file system"
    if target == Path.home().resolve():
        return "it is the home folder"
    if target == _project_root() or (target / "pyproject.toml").exists():
        return "it is a project's root folder"
    return None


def check_target(folder: Path, force: bool) -> None:
    """Refuse, before any work is done, a target that must not be (re)written."""
    why = _protected(folder)
    if why:
        raise UsageError(f"refusing to write results into {folder}: {why}; choose another --out")
    if folder.is_symlink():
        raise UsageError(f"{folder} is a symbolic link; choose another --out")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder; choose another --out")
    if folder.exists() and not force:
        raise UsageError(
            f"results folder {folder} already exists; choose another --out, "
            "or pass --force to replace it"
        )
    if folder.exists() and not is_escsim_folder(folder):
        raise UsageError(
            f"{folder} exists and was not written by escsim (it has no {MANIFEST}); "
            "--force replaces only escsim results folders: choose another --out"
        )


def check_location(parent: Path) -> list[Path]:
    """The parent exists (or is created), is writable and has room; returns the
    folders created, outermost first, so a run that fails can remove them."""
    missing = [p for p in (parent, *parent.parents) if not p.exists()][::-1]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot create {parent}: a file of that name exists") from None
    except OSError as exc:
        raise UsageError(f"cannot create {parent}: {exc.strerror}") from None
    _check_writable(parent)
    return missing


def check_creatable(parent: Path) -> None:
    """What `check_location` checks, creating nothing: the nearest existing
    ancestor is a writable folder with room. For a file a command writes at
    its end (a calibrated or fitted scenario): a refusal after this check
    must leave no empty folders, so they are made only when the file is
    written (`make_parent`)."""
    existing = next(p for p in (parent, *parent.parents) if p.exists() or p.is_symlink())
    if not existing.is_dir():
        raise UsageError(f"cannot create {parent}: a file of that name exists")
    _check_writable(existing)


def _check_writable(folder: Path) -> None:
    """An existing folder escsim may write in, with room for its results."""
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {folder}: permission denied; choose another --out")
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise UsageError(
            f"{folder} has only {free / 2**20:.0f} MiB free (escsim needs at least "
            f"{MIN_FREE_BYTES / 2**20:.0f} MiB); free some space or choose another --out"
        )


def make_parent(path: Path) -> None:
    """Make `path`'s folder (checked by `check_creatable` before the work)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {path.parent}: {exc.strerror}") from None


def _clean_leftovers(folder: Path) -> None:
    """Staging folders and temporary files of killed runs into the same place."""
    for leftover in folder.parent.glob(f".{folder.name}.*"):
        if any(p in leftover.name for p in _PREFIXES):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def reserve(folder: Path, force: bool) -> Iterator[Path]:
    """Check and lock a results folder for the time of a computation and its writing.

    A second run into the same folder fails here, at once (not after it has
    computed everything). Leftovers of killed runs are removed under the lock.
    Re-entrant within a process.
    """
    key = folder.resolve()
    if key in _held:
        yield folder
        return
    check_target(folder, force)
    created = check_location(folder.parent)
    lock_path = folder.parent / f".{folder.name}.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, _open_mode(0o666))
    except OSError as exc:
        raise UsageError(f"cannot write in {folder.parent}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise UsageError(
                f"another escsim run is writing {folder}; wait for it or choose another --out"
            ) from None
        raise
    _held[key] = fd
    try:
        _clean_leftovers(folder)
        yield folder
    finally:
        del _held[key]
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)
        if not folder.exists():  # nothing was written: leave no empty folders either
            for made in reversed(created):
                with contextlib.suppress(OSError):
                    made.rmdir()


@contextlib.contextmanager
def staged_folder(folder: Path, force: bool) -> Iterator[Path]:
    """Yield a staging folder that becomes `folder` only if the block succeeds."""
    with reserve(folder, force):
        staging = _beside(folder, "partial")  # named first, made inside the try (atomic_write)
        try:
            os.mkdir(staging)
            yield staging
            check_target(folder, force)
            if folder.exists():
                _replace(folder, staging)
            else:
                os.rename(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # nothing left once it was renamed
            raise


def _replace(folder: Path, staging: Path) -> None:
    """Put `staging` in place of `folder`. A Ctrl-C is held from the first
    rename to the removal of the old copy: the old folder is never hidden
    without the new one in place (a failed second rename puts it back), and
    once the new one is in place stopping is no longer possible, so a Ctrl-C
    held until then is dropped and the command says what it wrote (raising it
    would report "nothing written" over a folder already replaced)."""
    retired = _beside(folder, "replaced")
    with interrupts_deferred() as held:
        os.rename(folder, retired)
        try:
            os.rename(staging, folder)
        except BaseException:
            os.rename(retired, folder)
            raise
        shutil.rmtree(retired, ignore_errors=True)
        held.clear()


FINISHED_JSON = "[!.]*.json"
"""The finished JSON files of a folder: `atomic_write`'s temporary file keeps the
suffix (savefig and parquet writers choose the format by it) but starts with a
dot, and a process killed mid-write leaves it behind, empty or half-written."""


def _beside(path: Path, kind: str, suffix: str = "") -> Path:
    """A fresh hidden name next to `path` (64 random bits: no other writer
    picks it, so it can be named before it exists and removed without checking)."""
    return path.with_name(f".{path.name}.{kind}-{uuid.uuid4().hex[:16]}{suffix}")


def atomic_write(path: Path, writer: Callable[[Path], object]) -> Path:
    """Write `path` by calling `writer(tmp)` on a temporary file beside it,
    then renaming: readers see the old file or the new one, never half of one.

    The temporary name is chosen before the file exists and the file is
    created inside the `try`, so a Ctrl-C at any instant leaves no temporary
    file behind (with `tempfile.mkstemp` one landing between its return and
    the `try` did: seen once in 60 interrupted backtests)."""
    tmp = _beside(path, "partial", path.suffix)  # savefig and parquet go by the suffix
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        writer(tmp)
        os.chmod(tmp, _open_mode(0o666))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write `text` as UTF-8, atomically (see `atomic_write`); returns `path`."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> Path:
    """Strict JSON: NaN and infinities (an outcome that never happened) become null."""
    text = json.dumps(_finite(data), indent=2, default=_json_default, allow_nan=False)
    return write_text(path, text + "\n")


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


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet for `.parquet`, CSV (6 significant digits) otherwise."""
    if path.suffix == ".parquet":
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def write_scenario(s: Scenario, path: Path) -> Path:
    """Write the resolved scenario (every default filled in, extends and
    overrides applied) as YAML, atomically: the exact model a result came from,
    loadable on its own."""
    text = yaml.safe_dump(scenario_document(s), sort_keys=False, allow_unicode=True)
    return write_text(path, text)


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
    """Python's version and those of escalation-sim and the libraries a result's
    numbers depend on ("not installed" where one is absent), for the manifest."""
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
        hashlib.sha256(origin.read_bytes()).hexdigest() if origin and origin.is_file() else None
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


def save_figure(fig: Any, path: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write a matplotlib figure as `path.<fmt>` for each format, atomically."""
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")

        def draw(tmp: Path, fmt: str = fmt) -> None:
            fig.savefig(tmp, format=fmt, dpi=150)

        atomic_write(target, draw)
        written.append(target)
    return written
