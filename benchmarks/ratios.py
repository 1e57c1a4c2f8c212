"""Print speed ratios per benchmark group from the newest pytest-benchmark JSON.

Usage: python benchmarks/ratios.py [path/to/run.json] [--baseline NAME]
Each row: group, benchmark, mean time, and the ratio baseline_time / time
(> 1 means faster than the baseline, which defaults to embedding_bag-mean).
"""

from __future__ import annotations

import argparse
import json
import pathlib
from collections import defaultdict


def newest_run() -> pathlib.Path:
    runs = sorted(pathlib.Path(".benchmarks").glob("*/*.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise SystemExit("no saved run: use --benchmark-autosave or --benchmark-json")
    return runs[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=pathlib.Path)
    parser.add_argument("--baseline", default="embedding_bag-mean")
    args = parser.parse_args()
    data = json.loads((args.path or newest_run()).read_text())
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        groups[bench["group"]][bench["name"]] = bench["stats"]["mean"]
    print(f"CPU: {data['machine_info'].get('cpu', {}).get('brand_raw', '?')}")
    for group, times in sorted(groups.items()):
        base = times.get(args.baseline)
        for name, mean in sorted(times.items(), key=lambda kv: kv[1]):
            ratio = f"{base / mean:6.2f}x" if base else "   n/a"
            print(f"{group:28s} {name:24s} {mean * 1e3:9.3f} ms  {ratio}")


if __name__ == "__main__":
    main()
