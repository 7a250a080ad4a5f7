/* The page of a study, walk-forward or evaluation document (cq-doc), by its kind: summary
 * cards, the overfitting statistics, the optimization heatmap of two parameters, the Pareto
 * front, the trials; for a walk-forward the windows and the stitched out-of-sample equity;
 * for an evaluation the ranked scorecard, its score parts, the cells by Sharpe and the notes.
 * Everything is drawn from the document; nothing is fetched. */
(function () {
  'use strict';
  var doc = JSON.parse(document.getElementById('cq-doc').textContent);
  var LC = window.LightweightCharts;
  var app = document.getElementById('app');

  function num(x, d) {
    if (x === null || x === undefined || !isFinite(x)) return '\u2013';
    return Number(x).toFixed(d === undefined ? 3 : d);
  }
  function pct(x) { return x === null || x === undefined ? '\u2013' : num(x * 100, 2) + '%'; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function section(title) {
    var s = el('section');
    s.appendChild(el('h2', title));
    app.appendChild(s);
    return s;
  }
  function table(headers, rows, numeric) {
    var t = el('table', null, 'grid'), head = el('tr');
    headers.forEach(function (h, i) { head.appendChild(el('th', h, numeric[i] ? 'num' : '')); });
    var th = el('thead');
    th.appendChild(head);
    t.appendChild(th);
    var tb = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (c, i) { tr.appendChild(el('td', c, numeric[i] ? 'num' : '')); });
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    return t;
  }
  function cards(parent, items) {
    var box = el('div', null, 'cards');
    items.forEach(function (it) {
      var c = el('div', null, 'card');
      c.appendChild(el('div', it[0], 'k'));
      c.appendChild(el('div', it[1], 'v'));
      box.appendChild(c);
    });
    parent.appendChild(box);
  }
  /* a statistic: its value, or "not enough data" with the reason, never a bare NaN */
  function stat(s, fmt) {
    if (!s) return '\u2013';
    return s.ok ? (fmt || num)(s.value) : 'not enough data: ' + (s.why || '');
  }
  function paramText(p, dims) {
    return dims.map(function (d) { return d.name + '=' + p[d.name]; }).join(' ');
  }

  if (doc.kind === 'evaluate') {
    evaluation();
    return;
  }

  /* ---- evaluation: the scorecard, the cells by Sharpe, the parameters, the notes ---- */
  function evaluation() {
    var cfg = doc.config, rows = doc.scorecard, missing = [];
    document.getElementById('subtitle').textContent =
      'evaluation of ' + doc.strategies.map(function (s) { return s.name; }).join(', ') + ' on ' +
      cfg.venue + ' ' + doc.symbols.join(', ') + ' ' + cfg.tf + ' \u00b7 ' + doc.periods.length +
      ' period' + (doc.periods.length === 1 ? '' : 's') + ', ' + doc.cells.length + ' backtests';
    document.getElementById('footer').textContent = 'cquant evaluation document, format ' + doc.format;
    /* a statistic's cell: its value, or "not enough data" with the reason kept for the list */
    function statCell(tr, who, what, s, f) {
      var td;
      if (s && s.ok) {
        td = el('td', f(s.value), 'num');
      } else {
        td = el('td', 'not enough data', 'num');
        td.title = s ? s.why || '' : '';
        missing.push([who, what, s ? s.why || '' : '']);
      }
      tr.appendChild(td);
      return td;
    }
    function f2(x) { return num(x, 2); }
    function f1(x) { return num(x, 1); }
    function pct0(x) { return num(x * 100, 0) + '%'; }
    function headRow(t, heads) {
      var tr = el('tr');
      heads.forEach(function (h, i) { tr.appendChild(el('th', h, i > 1 ? 'num' : '')); });
      var th = el('thead');
      th.appendChild(tr);
      t.appendChild(th);
    }

    var best = rows.length ? rows[0] : null;
    var s = section('Summary');
    cards(s, [
      ['Best strategy', best ? best.strategy + (best.score.ok ? ' (score ' + num(best.score.value, 1) + ')' : '') : '\u2013'],
      ['Backtests', String(doc.cells.length) + ' = ' + doc.strategies.length + ' x ' + doc.symbols.length + ' x ' + doc.periods.length],
      ['Range', doc.periods[0].from.slice(0, 10) + ' .. ' + doc.periods[doc.periods.length - 1].to.slice(0, 10)],
      ['Engine', doc.engine],
      ['Trials (deflated Sharpe)', String(doc.trials) + ' (' + doc.strategies.length + ' strategies x ' + doc.tried + ' tried)'],
      ['Fees, slippage', cfg.fees ? 'maker ' + cfg.fees.maker + ', taker ' + cfg.fees.taker + ', ' + cfg.slippage : '\u2013']
    ]);

    var sc = section('Scorecard (best first)');
    var t = el('table', null, 'grid'), tb = el('tbody');
    headRow(t, ['#', 'Strategy', 'Score', 'Median CAGR', 'Median return', 'Median max DD', 'Worst max DD',
      'Median volatility', 'Profitable cells', 'Median Sharpe', 'Worst Sharpe', 'Pooled Sharpe [95 %]',
      'Deflated Sharpe', 'Sharpe sd (symbols)', 'Sharpe sd (periods)', 'Beats B&H (symbols)', 'Beats B&H (periods)']);
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', String(r.rank)));
      tr.appendChild(el('td', r.strategy));
      statCell(tr, r.strategy, 'score', r.score, f1).style.fontWeight = 'bold';
      statCell(tr, r.strategy, 'median CAGR', r['return'].median_cagr, pct);
      statCell(tr, r.strategy, 'median total return', r['return'].median_total_return, pct);
      statCell(tr, r.strategy, 'median max drawdown', r.risk.median_max_drawdown, pct);
      statCell(tr, r.strategy, 'worst max drawdown', r.risk.worst_max_drawdown, pct);
      statCell(tr, r.strategy, 'median volatility', r.risk.median_volatility, pct);
      statCell(tr, r.strategy, 'profitable cells', r.robustness.profitable_cells, pct0);
      statCell(tr, r.strategy, 'median Sharpe', r.robustness.median_sharpe, f2);
      statCell(tr, r.strategy, 'worst Sharpe', r.robustness.worst_sharpe, f2);
      var iv = r.robustness.pooled_sharpe;
      var td = statCell(tr, r.strategy, 'pooled Sharpe', iv.point, f2);
      if (iv.point.ok) td.textContent = f2(iv.point.value) + ' [' + f2(iv.lo) + ', ' + f2(iv.hi) + ']';
      statCell(tr, r.strategy, 'deflated Sharpe', r.overfitting.deflated_sharpe, f2);
      statCell(tr, r.strategy, 'Sharpe spread across symbols', r.consistency.sharpe_sd_symbols, f2);
      statCell(tr, r.strategy, 'Sharpe spread across periods', r.consistency.sharpe_sd_periods, f2);
      statCell(tr, r.strategy, 'beats buy and hold (symbols)', r.consistency.beats_buy_hold_symbols, pct0);
      statCell(tr, r.strategy, 'beats buy and hold (periods)', r.consistency.beats_buy_hold_periods, pct0);
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    var box = el('div', null, 'scroll');
    box.appendChild(t);
    sc.appendChild(box);
    sc.appendChild(el('p', 'Medians and shares over the ' + doc.symbols.length * doc.periods.length +
      ' cells of each strategy; Sharpe ratios annualized; the deflated Sharpe is the probability that the pooled Sharpe beats the best of ' +
      doc.trials + ' trials drawn by luck.', 'note'));

    var parts = section('Score parts (0 to 1)');
    var pt = el('table', null, 'grid'), pb = el('tbody');
    headRow(pt, ['#', 'Strategy', 'Return', 'Risk', 'Robustness', 'Overfitting', 'Consistency', 'Score']);
    rows.forEach(function (r) {
      var tr = el('tr'), p = r.score.parts;
      tr.appendChild(el('td', String(r.rank)));
      tr.appendChild(el('td', r.strategy));
      ['return', 'risk', 'robustness', 'overfitting', 'consistency'].forEach(function (k) {
        statCell(tr, r.strategy, 'score part ' + k, p[k], f2);
      });
      statCell(tr, r.strategy, 'score', r.score, f1);
      pb.appendChild(tr);
    });
    pt.appendChild(pb);
    parts.appendChild(pt);
    parts.appendChild(el('p', doc.score_formula + '.', 'note'));

    matrix();

    var ps = section('Strategies and parameters');
    ps.appendChild(table(['Strategy', 'Parameters', 'Summary'], doc.strategies.map(function (x) {
      return [x.name, Object.keys(x.params).map(function (k) { return k + '=' + x.params[k]; }).join(' '), x.summary];
    }), [false, false, false]));

    var ns = section('Notes');
    if (missing.length) {
      var seen = {}, ul = el('ul');
      missing.forEach(function (m) {
        var k = m.join('|');
        if (seen[k]) return;
        seen[k] = 1;
        ul.appendChild(el('li', m[0] + ', ' + m[1] + ': not enough data (' + m[2] + ')'));
      });
      ns.appendChild(el('p', 'Not enough data for:', 'note'));
      ns.appendChild(ul);
    }
    var nl = el('ul');
    doc.notes.forEach(function (n) { nl.appendChild(el('li', n)); });
    ns.appendChild(nl);
  }

  /* strategies x (symbol, period), each cell its Sharpe, red (-2 and below) to green (+2 and up) */
  function matrix() {
    var s = section('Cells: Sharpe by strategy, symbol and period');
    var byKey = {};
    doc.cells.forEach(function (c) { byKey[c.strategy + '|' + c.symbol + '|' + c.period] = c; });
    var t = el('table', null, 'grid heat'), h1 = el('tr'), h2 = el('tr');
    h1.appendChild(el('th', 'Strategy'));
    h2.appendChild(el('th', ''));
    doc.symbols.forEach(function (sym) {
      var th = el('th', sym);
      th.colSpan = doc.periods.length;
      h1.appendChild(th);
      doc.periods.forEach(function (p, i) {
        var x = el('th', String(i + 1), 'num');
        x.title = p.from + ' .. ' + p.to;
        h2.appendChild(x);
      });
    });
    var th = el('thead');
    th.appendChild(h1);
    th.appendChild(h2);
    t.appendChild(th);
    var tb = el('tbody');
    doc.scorecard.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', r.strategy));
      doc.symbols.forEach(function (sym) {
        doc.periods.forEach(function (p, i) {
          var c = byKey[r.strategy + '|' + sym + '|' + i], m = c ? c.metrics : null, td;
          if (!m || m.sharpe === null) {
            td = el('td', m && m.n_trades === 0 ? 'flat' : '\u2013', 'empty');
          } else {
            var f = Math.max(0, Math.min(1, (m.sharpe + 2) / 4));
            td = el('td', num(m.sharpe, 2), 'num');
            td.style.background = 'hsl(' + Math.round(f * 120) + ',70%,' + (80 - f * 25) + '%)';
          }
          if (m) {
            td.title = r.strategy + ' on ' + sym + ', period ' + (i + 1) + ' (' + p.from.slice(0, 10) + ' .. ' +
              p.to.slice(0, 10) + '): return ' + pct(m.total_return) + ', buy and hold ' + pct(m.buy_hold_return) +
              ', max drawdown ' + pct(m.max_drawdown) + ', ' + m.n_trades + ' trades (' + c.engine + ' engine)';
          }
          tr.appendChild(td);
        });
      });
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    var box = el('div', null, 'scroll');
    box.appendChild(t);
    s.appendChild(box);
    s.appendChild(el('p', 'Each cell is one backtest; its colour runs from red (Sharpe -2 or below) to green (+2 or above). ' +
      'Periods: ' + doc.periods.map(function (p, i) { return (i + 1) + ' = ' + p.from.slice(0, 10) + ' .. ' + p.to.slice(0, 10); }).join('; ') +
      '. Hover a cell for its return, drawdown and trades.', 'note'));
  }

  var st = doc.study, dims = doc.space.dims, obj = st.objective;
  document.getElementById('subtitle').textContent =
    (doc.kind === 'walkforward' ? 'walk-forward' : 'optimization') + ' of ' + st.strategy + ' on ' +
    doc.config.venue + ' ' + doc.config.symbols.join(', ') + ' ' + doc.config.tf + ' \u00b7 ' +
    st.sampler + ' sampler, objective ' + obj;
  document.getElementById('footer').textContent = 'cquant study document, format ' + doc.format;

  /* ---- optimization ---- */
  function optimization() {
    var byNumber = {};
    doc.trials.forEach(function (t) { byNumber[t.number] = t; });
    var best = doc.best === null ? null : byNumber[doc.best];
    var s = section('Summary');
    cards(s, [
      ['Trials', String(st.trials) + (st.stopped_early ? ' (stopped early)' : '')],
      ['Best ' + obj, best ? num(best.value) : 'none feasible'],
      ['Best parameters', best ? paramText(best.params, dims) : '\u2013'],
      ['Best return', best ? pct(best.metrics.total_return) : '\u2013'],
      ['Best max drawdown', best ? pct(best.metrics.max_drawdown) : '\u2013'],
      ['Best trades', best ? String(best.metrics.n_trades) : '\u2013'],
      ['Space', doc.space.dims.map(function (d) {
        return d.choices ? d.name + '\u2208{' + d.choices.join(',') + '}' : d.name + ' ' + d.lo + '..' + d.hi + (d.step ? ' by ' + d.step : '');
      }).join('; ') + (doc.space.constraints.length ? '; ' + doc.space.constraints.join('; ') : '')]
    ]);
    if (doc.stats) {
      var o = section('Overfitting statistics');
      var b = doc.stats.bootstrap;
      var rows = [
        ['Deflated Sharpe ratio (probability the best beats luck)', stat(doc.stats.dsr.probability)],
        ['Expected best Sharpe under no skill (per bar)', num(doc.stats.dsr.sr0, 5)],
        ['Probability of backtest overfitting (CSCV, ' + doc.stats.pbo.splits + ' splits)', stat(doc.stats.pbo.probability)],
        ['Probability of an out-of-sample loss', num(doc.stats.pbo.prob_loss)],
        ['Degradation slope (OOS on IS Sharpe)', stat(doc.stats.pbo.slope)],
        ['Stability around the best (neighbours / best)', stat(doc.stats.stability.ratio) + ' (' + doc.stats.stability.neighbours + ' neighbours)']
      ];
      if (b) {
        [['sharpe', 'Sharpe', num], ['total_return', 'Total return', pct], ['max_drawdown', 'Max drawdown', pct],
         ['win_rate', 'Win rate', pct], ['profit_factor', 'Profit factor', num], ['avg_trade', 'Average trade', pct]]
          .forEach(function (k) {
            var iv = b[k[0]];
            rows.push([k[1] + ', 95% bootstrap interval', iv.point.ok ? k[2](iv.point.value) + '  [' + k[2](iv.lo) + ', ' + k[2](iv.hi) + ']' : stat(iv.point)]);
          });
      }
      o.appendChild(table(['Statistic', 'Value'], rows, [false, true]));
    }
    if (dims.length >= 2) heatmap(byNumber);
    if (doc.pareto) pareto(byNumber);
    trials();
    if (doc.best_run) equity('Best trial: equity', doc.best_run);
  }

  /* the best objective at each (x, y) of the first two dimensions */
  function heatmap() {
    var s = section('Heatmap: ' + obj + ' by ' + dims[0].name + ' and ' + dims[1].name);
    var xs = {}, ys = {}, cell = {}, lo = Infinity, hi = -Infinity, sign = st.higher_better ? 1 : -1;
    doc.trials.forEach(function (t) {
      var x = t.params[dims[0].name], y = t.params[dims[1].name], v = t.value;
      xs[x] = 1; ys[y] = 1;
      if (v === null) return;
      var k = x + '|' + y;
      if (!(k in cell) || sign * v > sign * cell[k]) cell[k] = v;
      lo = Math.min(lo, v); hi = Math.max(hi, v);
    });
    var xv = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var yv = Object.keys(ys).map(Number).sort(function (a, b) { return a - b; });
    if (xv.length * yv.length > 40000) {
      s.appendChild(el('p', 'Too many distinct values to draw (' + xv.length + ' x ' + yv.length + ').', 'note'));
      return;
    }
    var t = el('table', null, 'grid heat'), head = el('tr');
    head.appendChild(el('th', dims[1].name + ' \\ ' + dims[0].name));
    xv.forEach(function (x) { head.appendChild(el('th', String(x), 'num')); });
    t.appendChild(head);
    yv.forEach(function (y) {
      var tr = el('tr');
      tr.appendChild(el('th', String(y), 'num'));
      xv.forEach(function (x) {
        var k = x + '|' + y, td;
        if (k in cell) {
          var v = cell[k], f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
          if (!st.higher_better) f = 1 - f;
          td = el('td', num(v, 2));
          td.style.background = 'hsl(' + Math.round(f * 120) + ',70%,' + (80 - f * 25) + '%)';
          td.title = dims[0].name + '=' + x + ' ' + dims[1].name + '=' + y;
        } else {
          td = el('td', '', 'empty');
        }
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    var box = el('div', null, 'scroll');
    box.appendChild(t);
    s.appendChild(box);
    s.appendChild(el('p', 'Best ' + obj + ' over the other parameters at each cell; empty: not run or infeasible.', 'note'));
  }

  function pareto(byNumber) {
    var s = section('Pareto front: ' + obj + ' and ' + st.objective2);
    var w = 640, h = 360, pad = 44, cv = el('canvas');
    cv.width = w; cv.height = h;
    s.appendChild(cv);
    var pts = doc.trials.filter(function (t) { return t.value !== null && t.value2 !== null; });
    if (!pts.length) { s.appendChild(el('p', 'No complete trial.', 'note')); return; }
    var x0 = Math.min.apply(null, pts.map(function (t) { return t.value; })), x1 = Math.max.apply(null, pts.map(function (t) { return t.value; }));
    var y0 = Math.min.apply(null, pts.map(function (t) { return t.value2; })), y1 = Math.max.apply(null, pts.map(function (t) { return t.value2; }));
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    var g = cv.getContext('2d');
    function px(v) { return pad + (v - x0) / (x1 - x0) * (w - 2 * pad); }
    function py(v) { return h - pad - (v - y0) / (y1 - y0) * (h - 2 * pad); }
    g.strokeStyle = '#999';
    g.strokeRect(pad, pad, w - 2 * pad, h - 2 * pad);
    g.fillStyle = '#666';
    g.fillText(obj + ' ' + num(x0) + ' .. ' + num(x1), pad, h - 12);
    g.fillText(st.objective2 + ' ' + num(y0) + ' .. ' + num(y1), 4, 14);
    g.fillStyle = 'rgba(120,120,120,0.5)';
    pts.forEach(function (t) { g.fillRect(px(t.value) - 2, py(t.value2) - 2, 4, 4); });
    var front = doc.pareto.map(function (n) { return byNumber[n]; });
    g.fillStyle = '#d62728';
    front.forEach(function (t) { g.beginPath(); g.arc(px(t.value), py(t.value2), 4, 0, 7); g.fill(); });
    s.appendChild(table(['Trial', 'Parameters', obj, st.objective2], front.map(function (t) {
      return [String(t.number), paramText(t.params, dims), num(t.value), num(t.value2)];
    }), [true, false, true, true]));
  }

  function trials() {
    var s = section('Trials (best first)');
    var sign = st.higher_better ? -1 : 1;
    var rows = doc.trials.slice().sort(function (a, b) {
      if (a.value === null) return b.value === null ? a.number - b.number : 1;
      if (b.value === null) return -1;
      return sign * (a.value - b.value) || a.number - b.number;
    }).slice(0, 500).map(function (t) {
      return [String(t.number), t.state, paramText(t.params, dims), num(t.value),
        pct(t.metrics.total_return), pct(t.metrics.max_drawdown), String(t.metrics.n_trades)];
    });
    var box = el('div', null, 'scroll');
    box.appendChild(table(['#', 'State', 'Parameters', obj, 'Return', 'Max DD', 'Trades'], rows,
      [true, false, false, true, true, true, true]));
    s.appendChild(box);
    if (doc.trials.length > 500) s.appendChild(el('p', 'The 500 best of ' + doc.trials.length + ' trials.', 'note'));
  }

  function equity(title, run) {
    var s = section(title);
    if (!LC || !run.equity) return;
    var box = el('div', null, 'chart');
    s.appendChild(box);
    var c = LC.createChart(box, { autoSize: true, timeScale: { timeVisible: true } });
    var line = c.addLineSeries({ color: '#1f77b4', lineWidth: 2 });
    var bh = c.addLineSeries({ color: '#aaa', lineWidth: 1 });
    var t = run.equity.time, pts = [], bpts = [];
    for (var i = 0; i < t.length; i++) {
      var x = Date.parse(t[i]) / 1000;
      if (pts.length && x <= pts[pts.length - 1].time) continue;
      pts.push({ time: x, value: run.equity.equity[i] });
      bpts.push({ time: x, value: run.equity.benchmark[i] });
    }
    line.setData(pts);
    bh.setData(bpts);
    c.timeScale().fitContent();
    s.appendChild(el('p', 'Blue: the strategy; grey: buy and hold. Return ' + pct(run.metrics.total_return) +
      ', Sharpe ' + num(run.metrics.sharpe, 2) + ', max drawdown ' + pct(run.metrics.max_drawdown) + '.', 'note'));
  }

  /* ---- walk-forward ---- */
  function walkforward() {
    var wf = doc.walkforward, m = doc.oos_run.metrics;
    var s = section('Summary');
    var drift = Object.keys(wf.drift).map(function (k) { return k + ' ' + num(wf.drift[k], 2); }).join(', ');
    cards(s, [
      ['Windows', String(doc.windows.length) + (wf.anchored ? ' (anchored)' : ' (rolling)')],
      ['OOS return', pct(m.total_return)],
      ['OOS CAGR', pct(m.cagr)],
      ['OOS Sharpe', num(m.sharpe, 2)],
      ['OOS max drawdown', pct(m.max_drawdown)],
      ['Walk-forward efficiency', stat(wf.efficiency)],
      ['Parameter drift (std / range)', drift || '\u2013']
    ]);
    var w = section('Windows');
    w.appendChild(table(['#', 'In sample', 'Out of sample', 'Parameters', 'IS ' + obj, 'IS return', 'OOS return', 'OOS Sharpe', 'OOS trades'],
      doc.windows.map(function (x, i) {
        return [String(i + 1), x.is_from.slice(0, 10) + ' .. ' + x.is_to.slice(0, 10),
          x.oos_from.slice(0, 10) + ' .. ' + x.oos_to.slice(0, 10),
          x.ok ? paramText(x.params, dims) : 'nothing feasible (flat)', num(x.is_value),
          pct(x.is.metrics.total_return), pct(x.oos.metrics.total_return), num(x.oos.metrics.sharpe, 2),
          String(x.oos.metrics.n_trades)];
      }), [true, false, false, false, true, true, true, true, true]));
    equity('Stitched out-of-sample equity', doc.oos_run);
  }

  if (doc.kind === 'walkforward') walkforward(); else optimization();
})();
