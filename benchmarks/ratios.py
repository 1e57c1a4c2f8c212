"""Print speed ratios per benchmark group from a pytest-benchmark JSON file.

Usage: python benchmarks/ratios.py [run.json] [--baseline NAME]
Per group: each benchmark's mean time and baseline_time / time (> 1: faster
than the baseline, by default embedding_bag-mean), plus, where recorded, the
effective bytes/s as a fraction of the group's roofline-read row. Then, where
a run measured several thread counts, the scaling of each row: its 1-thread time
over its N-thread time on the same data.
Without a path, the newest run saved by --benchmark-autosave is used.
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
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        groups[bench["group"]][bench["name"]] = bench
    print(f"CPU: {data['machine_info'].get('cpu', {}).get('brand_raw', '?')}")
    for group, benches in sorted(groups.items()):
        base = benches.get(args.baseline)
        # The roofline is measured once per data set, in the 1-thread group.
        roof = benches.get("roofline-read") or groups.get(group.rsplit("-", 1)[0] + "-1t", {}).get(
            "roofline-read"
        )
        for name, bench in sorted(benches.items(), key=lambda kv: kv[1]["stats"]["mean"]):
            mean = bench["stats"]["mean"]
            ratio = f"{base['stats']['mean'] / mean:6.2f}x" if base else "   n/a"
            line = f"{group:28s} {name:22s} {mean * 1e3:9.3f} ms  {ratio}"
            bps = bench["extra_info"].get("bytes_per_s")
            if bps and roof and name != "roofline-read":
                fraction = bps / roof["extra_info"]["bytes_per_s"]
                line += f"  {bps / 1e9:6.1f} GB/s = {fraction:.2f} roofline"
            print(line)
    print_scaling(groups)


def print_scaling(groups: dict[str, dict[str, dict]]) -> None:
    """1-thread time / N-thread time for every benchmark measured at several thread counts."""
    by_data: dict[str, dict[int, dict[str, dict]]] = defaultdict(dict)
    for group, benches in groups.items():
        data, threads = group.rsplit("-", 1)
        by_data[data][int(threads.rstrip("t"))] = benches
    for data, runs in sorted(by_data.items()):
        if 1 not in runs or len(runs) < 2:
            continue
        for name, one in sorted(runs[1].items()):
            if name == "roofline-read":
                continue
            steps = [
                f"{n}t {one['stats']['mean'] / runs[n][name]['stats']['mean']:5.2f}x"
                for n in sorted(runs)
                if n > 1 and name in runs[n]
            ]
            if steps:
                print(f"scaling {data:22s} {name:22s} " + "  ".join(steps))


if __name__ == "__main__":
    main()
