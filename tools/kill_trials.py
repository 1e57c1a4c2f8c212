"""`kill -9` trials for `fastpool encode`: an interrupted run, resumed, loses nothing.

    python tools/kill_trials.py --trials 100            # the full run (a few minutes)
    python tools/kill_trials.py --trials 3 --small      # the smoke version (tests, CI)
    python tools/kill_trials.py --full-disk             # also: a nearly full tmpfs (root)

Each trial starts `python -m fastpool encode` on one input, SIGKILLs it after a
random delay (1-3 times), and after every kill checks that each file under a
final part name is byte-identical to the same part of an uninterrupted
reference run (so no partial part ever has its final name) and that the
manifest lists only parts that exist. Then it reruns the same command to the
end and checks that every file in OUT, manifest included, equals the
reference byte for byte.

A separate run wraps os.fsync and os.replace (in the CLI's own process) and
checks that each part and the manifest were fsynced under their temporary
name before the rename, and the directory fsynced after it.

With --full-disk (needs root for `mount -t tmpfs`): OUT lies on a tmpfs too
small for the output; the run must fail with a one-line error (exit 2, no
traceback) and leave only complete parts; after the tmpfs is grown
(`mount -o remount,size=`), the same command completes and equals the
reference.

Exit status 0 when every check passed. Prints one summary line per check.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _input(path: Path, n_lines: int) -> None:
    from model_factory import CORPUS

    rng = random.Random(0)
    words = " ".join(CORPUS).split()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n_lines):
            f.write(" ".join(rng.choice(words) for _ in range(rng.randint(0, 24))) + f" {i}\n")


def _command(model: Path, data: Path, out: Path, part_size: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "fastpool",
        "encode",
        str(data),
        "-o",
        str(out),
        "--model",
        str(model),
        "--part-size",
        str(part_size),
        "-q",
    ]


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _check_after_kill(out: Path, reference: dict[str, bytes]) -> list[str]:
    """Complete parts only under final names; the manifest lists existing parts."""
    problems = []
    if not out.exists():
        return problems
    for p in out.iterdir():
        if p.name.startswith("part-") and p.read_bytes() != reference.get(p.name):
            problems.append(f"{p}: a part under its final name differs from the reference")
    manifest = out / "_manifest.json"
    if manifest.exists():
        try:
            listed = json.loads(manifest.read_text()).get("parts", [])
        except ValueError:
            return problems + [f"{manifest}: not valid JSON"]
        for part in listed:
            name = part["file"] if isinstance(part, dict) else str(part)
            if not (out / name).exists():
                problems.append(f"{manifest} lists {name}, which does not exist")
    return problems


def kill_trials(
    work: Path, model: Path, data: Path, part_size: int, trials: int, seed: int
) -> tuple[int, int, list[str]]:
    ref_out = work / "reference"
    start = time.perf_counter()
    subprocess.run(_command(model, data, ref_out, part_size), check=True)
    duration = time.perf_counter() - start
    reference = _files(ref_out)
    rng = random.Random(seed)
    problems: list[str] = []
    kills = 0
    for trial in range(trials):
        out = work / f"trial-{trial}"
        cmd = _command(model, data, out, part_size)
        for _ in range(rng.randint(1, 3)):
            proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, duration * 1.1))
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.wait()
            problems += _check_after_kill(out, reference)
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            problems.append(f"trial {trial}: resume failed: {done.stderr[-500:]}")
        elif _files(out) != reference:
            problems.append(f"trial {trial}: resumed output differs from the reference")
        shutil.rmtree(out, ignore_errors=True)
    return trials, kills, problems


_FSYNC_PROBE = """
import json, os, sys
log = []
real_fsync, real_replace = os.fsync, os.replace
def fsync(fd):
    try:
        path = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        path = None
    log.append(["fsync", path])
    return real_fsync(fd)
def replace(src, dst, *a, **k):
    log.append(["replace", os.path.abspath(src), os.path.abspath(dst)])
    return real_replace(src, dst, *a, **k)
os.fsync, os.replace = fsync, replace
from fastpool.cli import main
rc = main(sys.argv[1:])
print(json.dumps(log))
sys.exit(rc)
"""


def fsync_order(work: Path, model: Path, data: Path, part_size: int) -> tuple[int, list[str]]:
    out = work / "fsync-probe"
    cmd = _command(model, data, out, part_size)
    proc = subprocess.run(
        [sys.executable, "-c", _FSYNC_PROBE, *cmd[3:]], capture_output=True, text=True, check=True
    )
    log = json.loads(proc.stdout.strip().splitlines()[-1])
    problems = []
    renames = 0
    for i, entry in enumerate(log):
        if entry[0] != "replace":
            continue
        _, src, dst = entry
        renames += 1
        if ["fsync", src] not in log[:i]:
            problems.append(f"{dst}: renamed from {src} without an fsync of it first")
        if ["fsync", str(Path(dst).parent)] not in log[i + 1 :]:
            problems.append(f"{dst}: the directory was not fsynced after the rename")
    return renames, problems


def full_disk(work: Path, model: Path, data: Path, part_size: int) -> list[str]:
    reference = _files(work / "reference")
    total = sum(len(b) for b in reference.values())
    mount = work / "tmpfs"
    mount.mkdir()
    size_kb = max(64, total // 2 // 1024)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)], check=True
    )
    problems = []
    try:
        out = mount / "out"
        cmd = _command(model, data, out, part_size)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 2 or "Traceback" in proc.stderr:
            problems.append(f"full disk: exit {proc.returncode}, stderr {proc.stderr[-400:]!r}")
        print(
            f"  full disk ({size_kb} KiB for {total // 1024} KiB of output): exit "
            f"{proc.returncode}: {proc.stderr.strip()[-200:]}"
        )
        problems += _check_after_kill(out, reference)
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
        if leftovers:
            problems.append(f"full disk: temporaries left behind: {leftovers}")
        subprocess.run(
            ["mount", "-o", f"remount,size={total // 1024 * 2 + 1024}k", str(mount)], check=True
        )
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or _files(out) != reference:
            problems.append(f"full disk: the resumed run differs (exit {proc.returncode})")
    finally:
        subprocess.run(["umount", str(mount)], check=False)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--small", action="store_true", help="a small input (smoke runs)")
    parser.add_argument("--full-disk", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from model_factory import make_model_folder

    work = Path(tempfile.mkdtemp(prefix="fastpool-kill-"))
    try:
        model = make_model_folder(work, name="model")
        data = work / "input.txt"
        n_lines, part_size = (3_000, 500) if args.small else (60_000, 4_000)
        _input(data, n_lines)
        trials, kills, problems = kill_trials(work, model, data, part_size, args.trials, args.seed)
        print(f"kill trials: {trials} trials, {kills} SIGKILLs, {len(problems)} problems")
        renames, fsync_problems = fsync_order(work, model, data, part_size)
        print(f"fsync before rename: {renames} renames checked, {len(fsync_problems)} problems")
        problems += fsync_problems
        if args.full_disk:
            disk_problems = full_disk(work, model, data, part_size)
            print(f"nearly full filesystem: {len(disk_problems)} problems")
            problems += disk_problems
        for p in problems[:20]:
            print("  " + p)
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
