"""Peers of bench_backtest: vectorbt and backtesting.py on exactly our bars (the file
`bench_backtest --dump` writes): SMA(10)/SMA(30) crossover, long only, all in, 0.1 % fee,
orders filled at the next bar's open. Prints each peer's bars/s beside ours (the TSV of
`bench_backtest --tsv`) and the orders each made, as a check that all ran the same rules.
Run by scripts/bench.sh in a venv; a peer that cannot be imported is skipped with the reason.

usage: peer_backtest.py --bars BARS.bin [--ours OURS.tsv] [--reps N]
"""
import argparse
import os
import struct
import sys
import time
import warnings

import numpy as np

# the peers warn on every refused order and on pandas deprecations: the figures are what counts
warnings.filterwarnings("ignore")
# backtesting.py draws a progress bar on stderr; the figures are what counts
os.environ.setdefault("TQDM_DISABLE", "1")


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        cols = np.fromfile(f, dtype="<f8", count=5 * n).reshape(5, n)
    return n, cols


def best_of(reps, fn):
    best, out = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_vectorbt(n, cols, reps):
    import pandas as pd
    import vectorbt as vbt

    idx = pd.date_range("2024-01-01", periods=n, freq="1min")
    open_ = pd.Series(cols[0], index=idx)
    close = pd.Series(cols[3], index=idx)

    def once():
        fast = vbt.MA.run(close, 10)
        slow = vbt.MA.run(close, 30)
        # decided at a bar's close, filled at the next bar's open
        entries = fast.ma_crossed_above(slow).vbt.fshift(1).fillna(False).astype(bool)
        exits = fast.ma_crossed_below(slow).vbt.fshift(1).fillna(False).astype(bool)
        pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, fees=0.001,
                                        size=np.inf, init_cash=10000.0, freq="1min")
        return int(pf.orders.count())

    once()  # numba compiles on the first call; not counted
    return vbt.__version__, best_of(reps, once)


def run_backtesting(n, cols, reps):
    import backtesting
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    idx = pd.date_range("2024-01-01", periods=n, freq="1min")
    df = pd.DataFrame({"Open": cols[0], "High": cols[1], "Low": cols[2], "Close": cols[3],
                       "Volume": cols[4]}, index=idx)

    def sma(x, k):
        return pd.Series(x).rolling(k).mean().to_numpy()

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self):
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy()
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    def once():
        # whole units only in backtesting.py: cash large enough to buy at these prices
        bt = Backtest(df, SmaCross, cash=1e9, commission=0.001, trade_on_close=False)
        stats = bt.run()
        return int(stats["# Trades"]) * 2

    return getattr(backtesting, "__version__", "?"), best_of(reps, once)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", required=True)
    ap.add_argument("--ours")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    n, cols = load(a.bars)
    ours = None
    if a.ours:
        try:
            with open(a.ours) as f:
                for line in f:
                    name, secs, fills, bars = line.split("\t")
                    if name == "vector":
                        ours = (float(secs), int(fills))
        except (OSError, ValueError):
            ours = None
    print(f"peers on the same {n} bars (SMA(10)/SMA(30) cross, long only, all in, 0.1 % fee,"
          " next-open fills)")
    if ours:
        print(f"  cquant vector engine: {n / ours[0] / 1e6:8.2f} M bars/s, {ours[1]} fills")
    for name, fn, reps in (("vectorbt", run_vectorbt, a.reps),
                           ("backtesting.py", run_backtesting, 1)):
        try:
            version, (secs, orders) = fn(n, cols, reps)
        except Exception as e:  # a peer missing or failing never fails the bench
            print(f"  {name}: skipped ({type(e).__name__}: {e})")
            continue
        line = f"  {name} {version}: {n / secs / 1e6:8.2f} M bars/s ({secs:.3f} s), {orders} orders"
        if ours:
            line += f"; cquant takes {ours[0] / secs:.3f}x its time"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
