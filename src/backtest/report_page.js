/* cquant backtest report: draws the run embedded in the cq-run block (docs/reports.md has
 * its schema) with lightweight-charts, embedded in the same file. Everything from the data
 * goes in as text (textContent), never as markup. */
(function () {
  'use strict';
  var run = JSON.parse(document.getElementById('cq-run').textContent);
  var LC = window.LightweightCharts;
  var cfg = run.config || {};
  var UP = '#1a7f37', DOWN = '#cf222e', BLUE = '#0969da', GREY = '#8c959f';

  /* ---- formatting ---- */
  function num(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) return '\u2013';
    return Number(x).toLocaleString('en-US', {
      minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function pct(x) { return x === null || x === undefined ? '\u2013' : num(x * 100, 2) + '%'; }
  function plain(x) { return x === null || x === undefined ? '\u2013' : String(x); }
  function duration(ns) {
    if (ns === null || ns === undefined || !isFinite(ns) || ns <= 0) return '\u2013';
    var s = ns / 1e9, d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    return m > 0 ? m + 'm' : Math.round(s) + 's';
  }
  function seconds(iso) { return Date.parse(iso) / 1000; }
  function day(iso) { return iso ? iso.replace('T', ' ').replace('Z', '') : ''; }
  function signClass(x) { return x > 0 ? 'pos' : x < 0 ? 'neg' : ''; }

  /* ---- DOM ---- */
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function table(headers, rows, numeric) {
    var t = el('table', null, 'grid'), head = t.createTHead().insertRow();
    headers.forEach(function (h, i) { head.appendChild(el('th', h, numeric[i] ? 'num' : '')); });
    var body = t.createTBody();
    rows.forEach(function (r) {
      var tr = body.insertRow();
      r.forEach(function (c, i) {
        var td = el('td', c.text !== undefined ? c.text : c, numeric[i] ? 'num' : '');
        if (c.cls) td.className += ' ' + c.cls;
        tr.appendChild(td);
      });
    });
    return t;
  }

  /* ---- header ---- */
  var quote = cfg.quote || '';
  var eqAll = (run.equity && run.equity.time) || [];
  var eqFirst = eqAll.length ? eqAll[0] : null, eqLast = eqAll.length ? eqAll[eqAll.length - 1] : null;
  document.getElementById('subtitle').textContent = [
    (cfg.venue || '') + ' \u00b7 ' + cfg.engine + ' engine',
    /* the bars the run covered (the asked range may be open-ended) */
    day(eqFirst || cfg.from) + ' \u2192 ' + day(eqLast || cfg.to),
    (run.run ? run.run.bars : 0) + ' bars'
  ].join(' \u00b7 ');
  var footer = 'cquant backtest report \u00b7 charts: TradingView Lightweight Charts';
  if (run.run && run.run.max_points > 0 && run.run.bars > run.run.max_points)
    footer += ' \u00b7 charts show at most ' + run.run.max_points +
      ' points per series (bars grouped; metrics, trades and monthly returns use every bar)';
  document.getElementById('footer').textContent = footer;

  /* ---- metrics ---- */
  var m = run.metrics || {};
  var cards = [
    ['Total return', pct(m.total_return), m.total_return],
    ['CAGR', pct(m.cagr), m.cagr],
    ['Buy & hold', pct(m.buy_hold_return), m.buy_hold_return],
    ['Max drawdown', pct(m.max_drawdown)],
    ['Longest drawdown', duration(m.max_drawdown_ns)],
    ['Sharpe', num(m.sharpe, 2)], ['Sortino', num(m.sortino, 2)], ['Calmar', num(m.calmar, 2)],
    ['Volatility', pct(m.volatility)],
    ['Trades', plain(m.n_trades)], ['Win rate', pct(m.win_rate)],
    ['Profit factor', num(m.profit_factor, 2)], ['Expectancy', num(m.expectancy, 2)],
    ['Avg trade', pct(m.avg_trade), m.avg_trade], ['Best trade', pct(m.best_trade), 1],
    ['Worst trade', pct(m.worst_trade), -1], ['Avg holding', duration(m.avg_holding_ns)],
    ['Exposure', pct(m.exposure)], ['SQN', num(m.sqn, 2)], ['Turnover', num(m.turnover, 2)],
    ['Fees', num(m.fees, 2) + ' ' + quote], ['Alpha', pct(m.alpha)], ['Beta', num(m.beta, 2)],
    ['Start equity', num(m.start_equity, 2) + ' ' + quote],
    ['End equity', num(m.end_equity, 2) + ' ' + quote, m.end_equity - m.start_equity]
  ];
  if (run.run) cards.push(['Orders (rejected)', run.run.orders + ' (' + run.run.rejected + ')']);
  var box = document.getElementById('metrics');
  cards.forEach(function (c) {
    var card = el('div', null, 'card');
    card.appendChild(el('div', c[0], 'k'));
    card.appendChild(el('div', c[1], 'v ' + (c.length > 2 ? signClass(c[2]) : '')));
    box.appendChild(card);
  });

  /* ---- charts ---- */
  function chart(id) {
    var node = document.getElementById(id);
    return LC.createChart(node, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#1f2328' },
      grid: { vertLines: { color: '#f0f2f4' }, horzLines: { color: '#f0f2f4' } },
      /* thousands of points fit the width: bars may be thinner than a pixel */
      timeScale: { timeVisible: true, secondsVisible: false, minBarSpacing: 0.001 },
      /* one scale width for every chart, so the equity and drawdown time axes line up */
      rightPriceScale: { borderVisible: false, minimumWidth: 90 }
    });
  }
  /* points with a value; a missing one (null) leaves a gap */
  function series(times, values, scale) {
    var out = [];
    for (var i = 0; i < times.length; i++) {
      var v = values ? values[i] : null;
      out.push(v === null || v === undefined ? { time: times[i] }
        : { time: times[i], value: scale ? v * scale : v });
    }
    return out;
  }
  function legend(id, items) {
    var node = document.getElementById(id);
    items.forEach(function (it) {
      var s = el('span');
      var swatch = el('i');
      swatch.style.background = it[1];
      s.appendChild(swatch);
      s.appendChild(document.createTextNode(it[0]));
      node.appendChild(s);
    });
  }

  var eq = run.equity || { time: [] };
  var eqTimes = eq.time.map(seconds);
  if (LC && eqTimes.length > 0) {
    var ec = chart('equity-chart');
    ec.addLineSeries({ color: GREY, lineWidth: 1, priceLineVisible: false })
      .setData(series(eqTimes, eq.benchmark));
    ec.addLineSeries({ color: BLUE, lineWidth: 2, priceLineVisible: false })
      .setData(series(eqTimes, eq.equity));
    legend('equity-legend', [['equity (' + quote + ')', BLUE], ['buy and hold', GREY]]);
    ec.timeScale().fitContent();
    var dc = chart('drawdown-chart');
    dc.addAreaSeries({ lineColor: DOWN, topColor: 'rgba(207,34,46,0.05)',
      bottomColor: 'rgba(207,34,46,0.35)', lineWidth: 1, priceLineVisible: false,
      invertFilledArea: true, priceFormat: { type: 'percent' },
      /* the scale always reaches 0 %: the peak the drawdown is measured from */
      autoscaleInfoProvider: function (original) {
        var r = original();
        if (r && r.priceRange) r.priceRange.maxValue = 0;
        return r;
      } })
      .setData(series(eqTimes, eq.drawdown, -100));
    dc.timeScale().fitContent();
    /* the two charts scroll and zoom together */
    var syncing = false;
    [[ec, dc], [dc, ec]].forEach(function (pair) {
      pair[0].timeScale().subscribeVisibleLogicalRangeChange(function (r) {
        if (syncing || !r) return;
        syncing = true;
        pair[1].timeScale().setVisibleLogicalRange(r);
        syncing = false;
      });
    });
  }

  /* price chart of one symbol with its fills as markers */
  var candles = run.candles || [];
  var priceChart = null;
  /* the time of the candle holding t (candles may be grouped in the report) */
  function snap(times, t) {
    var lo = 0, hi = times.length - 1;
    if (hi < 0 || t < times[0]) return null;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (times[mid] <= t) lo = mid; else hi = mid - 1;
    }
    return times[lo];
  }
  function drawSymbol(k) {
    var node = document.getElementById('price-chart');
    if (priceChart) { priceChart.remove(); priceChart = null; }
    var c = candles[k], times = c.time.map(seconds), bars = [], vols = [];
    for (var i = 0; i < times.length; i++) {
      if (c.o[i] === null || c.c[i] === null) { bars.push({ time: times[i] }); continue; }
      bars.push({ time: times[i], open: c.o[i], high: c.h[i], low: c.l[i], close: c.c[i] });
      vols.push({ time: times[i], value: c.v[i] || 0,
        color: c.c[i] >= c.o[i] ? 'rgba(26,127,55,0.3)' : 'rgba(207,34,46,0.3)' });
    }
    priceChart = chart(node.id);
    var cs = priceChart.addCandlestickSeries({ upColor: UP, downColor: DOWN, wickUpColor: UP,
      wickDownColor: DOWN, borderVisible: false });
    cs.setData(bars);
    var vs = priceChart.addHistogramSeries({ priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      priceLineVisible: false, lastValueVisible: false });
    priceChart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    vs.setData(vols);
    /* with many fills, arrows only: the prices are in the tables */
    var fills = (run.fills || []).filter(function (f) { return f.symbol === c.symbol; });
    var labels = fills.length <= 40, markers = [];
    fills.forEach(function (f) {
      var t = snap(times, seconds(f.time));
      if (t === null) return;
      var buy = f.side === 'buy';
      markers.push({ time: t, position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown', color: buy ? UP : DOWN,
        text: labels ? (buy ? 'buy ' : 'sell ') + f.price : '' });
    });
    markers.sort(function (a, b) { return a.time - b.time; });
    cs.setMarkers(markers);
    priceChart.timeScale().fitContent();
  }
  if (LC && candles.length > 0) {
    if (candles.length > 1) {
      var pick = el('select');
      candles.forEach(function (c, k) {
        var o = el('option', c.symbol);
        o.value = String(k);
        pick.appendChild(o);
      });
      pick.addEventListener('change', function () { drawSymbol(Number(pick.value)); });
      document.getElementById('symbol-pick').appendChild(pick);
    }
    drawSymbol(0);
  } else {
    document.getElementById('price-chart').replaceWith(
      el('p', 'No candles in this run document.', 'note'));
  }

  /* ---- monthly returns heatmap: years down, months across, the year compounded ---- */
  var monthly = run.monthly || [];
  var years = {}, maxAbs = 0;
  monthly.forEach(function (r) {
    (years[r.year] = years[r.year] || {})[r.month] = r['return'];
    if (r['return'] !== null) maxAbs = Math.max(maxAbs, Math.abs(r['return']));
  });
  function heat(x) {
    if (x === null || x === undefined) return '';
    var a = maxAbs > 0 ? Math.min(1, Math.abs(x) / maxAbs) : 0;
    return x >= 0 ? 'rgba(26,127,55,' + (0.08 + 0.6 * a) + ')'
      : 'rgba(207,34,46,' + (0.08 + 0.6 * a) + ')';
  }
  var mh = el('table', null, 'grid heat'), hr = mh.createTHead().insertRow();
  ['Year', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec',
    'Year'].forEach(function (h, i) { hr.appendChild(el('th', h, i ? 'num' : '')); });
  var mb = mh.createTBody();
  Object.keys(years).sort().forEach(function (y) {
    var tr = mb.insertRow(), total = 1, any = false;
    tr.appendChild(el('td', y));
    for (var mo = 1; mo <= 12; mo++) {
      var x = years[y][mo];
      var td = el('td', x === undefined ? '' : pct(x), x === undefined ? 'empty' : '');
      td.style.background = heat(x);
      tr.appendChild(td);
      if (x !== undefined && x !== null) { total *= 1 + x; any = true; }
    }
    tr.appendChild(el('td', any ? pct(total - 1) : '', any ? signClass(total - 1) : ''));
  });
  document.getElementById('monthly').appendChild(monthly.length ? mh
    : el('p', 'No bars.', 'note'));

  /* ---- trades: the first 500, then all on request ---- */
  var trades = run.trades || [];
  function tradeRows(list) {
    return list.map(function (t, i) {
      return [String(i + 1), t.symbol, day(t.entry_time), t.open ? 'open' : day(t.exit_time),
        plain(t.qty), plain(t.entry_price), plain(t.exit_price), num(t.fees, 2),
        { text: num(t.pnl, 2), cls: signClass(t.pnl) }, { text: pct(t['return']),
          cls: signClass(t['return']) }];
    });
  }
  var tradeBox = document.getElementById('trades');
  function drawTrades(limit) {
    tradeBox.textContent = '';
    var shown = trades.slice(0, limit), wrap = el('div', null, 'scroll');
    wrap.appendChild(table(['#', 'Symbol', 'Entry', 'Exit', 'Qty', 'Entry price', 'Exit price',
      'Fees', 'PnL (' + quote + ')', 'Return'], tradeRows(shown),
    [1, 0, 0, 0, 1, 1, 1, 1, 1, 1]));
    tradeBox.appendChild(wrap);
    if (shown.length < trades.length) {
      var more = el('button', 'Show all ' + trades.length + ' trades');
      more.addEventListener('click', function () { drawTrades(trades.length); });
      tradeBox.appendChild(more);
    }
  }
  if (trades.length) drawTrades(500); else tradeBox.appendChild(el('p', 'No trades.', 'note'));

  /* ---- configuration, key by key ---- */
  function text(v) {
    if (v === null) return 'null';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  var cfgRows = Object.keys(cfg).map(function (k) { return [k, text(cfg[k])]; });
  document.getElementById('config').appendChild(table(['Setting', 'Value'], cfgRows, [0, 0]));
})();
