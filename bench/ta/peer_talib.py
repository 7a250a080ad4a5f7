#!/usr/bin/env python3
"""TA-Lib as a peer for bench_ta: the same seven indicators through the Python TA-Lib
(its C library inside the wheel) on 10,000,000 random-walk bars, best of 5, in ns/bar,
beside our figures (the TSV bench_ta writes with --tsv). Run by scripts/bench.sh in a venv
of the build tree; prints a table and never fails the run for timing.

usage: peer_talib.py [--bars N] [--ours FILE.tsv]
"""
import argparse
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=10_000_000)
    ap.add_argument("--ours", help="bench_ta --tsv output")
    a = ap.parse_args()
    try:
        import numpy as np
        import talib
    except ImportError as e:
        print(f"peer ta-lib: skipped ({e})")
        return 0

    n = a.bars
    rng = np.random.default_rng(20240601)
    close = 20000.0 * np.cumprod(1.0 + (rng.random(n) - 0.5) * 0.004)
    opn = np.concatenate(([20000.0], close[:-1]))
    high = np.maximum(opn, close) * (1.0 + rng.random(n) * 0.001)
    low = np.minimum(opn, close) * (1.0 - rng.random(n) * 0.001)

    cases = [
        ("sma", "SMA(20)", lambda: talib.SMA(close, 20)),
        ("ema", "EMA(20)", lambda: talib.EMA(close, 20)),
        ("rsi", "RSI(14)", lambda: talib.RSI(close, 14)),
        ("macd", "MACD(12,26,9)", lambda: talib.MACD(close, 12, 26, 9)),
        ("bbands", "BBANDS(20,2)", lambda: talib.BBANDS(close, 20, 2, 2, 0)),
        ("atr", "ATR(14)", lambda: talib.ATR(high, low, close, 14)),
        ("stoch", "STOCH(14,3,3)", lambda: talib.STOCH(high, low, close, 14, 3, 0, 3, 0)),
    ]

    ours = {}
    if a.ours:
        try:
            with open(a.ours) as f:
                next(f)
                for line in f:
                    name, best, _median, base, stream = line.rstrip("\n").split("\t")
                    ours[name] = (float(best), float(base))
        except (OSError, StopIteration, ValueError) as e:
            print(f"peer ta-lib: our figures unreadable ({e}); TA-Lib alone")

    print(f"peer ta-lib {talib.__version__} (numpy {np.__version__}): {n} bars, best of 5, ns/bar")
    print(f"{'indicator':<14} {'ta-lib':>9} {'cquant':>9} {'cquant/ta-lib':>14}")
    for key, label, fn in cases:
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        peer = best * 1e9 / n
        if key in ours:
            mine = ours[key][0]
            print(f"{label:<14} {peer:9.2f} {mine:9.2f} {mine / peer:14.2f}")
        else:
            print(f"{label:<14} {peer:9.2f} {'n/a':>9} {'':>14}")
    print("(ta-lib through its Python binding: each call also allocates its outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
