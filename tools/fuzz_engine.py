"""Probe the engine with the seeded fuzz of tests/_fuzz.py: many seeds, a table of outcome kinds.

    python tools/fuzz_engine.py --seeds 0:1000 --jobs 2
    python tools/fuzz_engine.py --seeds 0:400 --python /path/to/other/venv/bin/python --json out.json

Every seed is one case (random events, entry point, configs, strategies); its outcome
is one of ok, clean (an mmsim error naming the event or the strategy), error (any
other exception), wrong (a finished run whose numbers fail an exact check), memory,
crash, hang. Cases other than ok and clean are listed with what they were, so they can
be replayed with ``python tests/_fuzz.py SEED``. Exit status 1 when any case is neither
ok nor clean.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import _fuzz  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="0:200", help="A:B, the seeds A..B-1 (default 0:200)")
    ap.add_argument("--jobs", type=int, default=1, help="child processes at once")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds a case may take before it is a hang")
    ap.add_argument("--python", help="interpreter to run the cases with (default: this one)")
    ap.add_argument("--json", type=Path, help="write {seed: [kind, detail]} here")
    args = ap.parse_args()
    a, b = (int(x) for x in args.seeds.split(":"))
    t0 = time.perf_counter()
    done = [0]

    def tick(seed: int, kind: str, detail: str) -> None:
        done[0] += 1
        if kind not in ("ok", "clean"):
            print(f"  seed {seed}: {kind}: {detail[:160]}", file=sys.stderr, flush=True)

    res = _fuzz.probe(list(range(a, b)), timeout=args.timeout, python=args.python, jobs=args.jobs, on_result=tick)
    counts = collections.Counter(k for k, _ in res.values())
    n_events = sum(len(_fuzz.make_case(s)["events"]) for s in res)
    print(f"{len(res)} cases ({n_events:,} events), seeds {a}..{b - 1}, {time.perf_counter() - t0:.0f} s")
    for kind in _fuzz.KINDS:
        print(f"  {kind:<6} {counts.get(kind, 0):>6}")
    if args.json:
        args.json.write_text(json.dumps({str(k): list(v) for k, v in sorted(res.items())}, indent=1))
    return 0 if set(counts) <= {"ok", "clean"} else 1


if __name__ == "__main__":
    sys.exit(main())
