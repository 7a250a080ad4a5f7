// Runs a report page script (argv[2]) over documents (argv[3..]) with a minimal DOM: the
// script must draw without throwing and put nodes in #app. No browser needed.
'use strict';
const fs = require('fs');
function element(tag) {
  return {
    tag, children: [], style: {}, _t: '',
    set textContent(v) { this._t = v; }, get textContent() { return this._t; },
    appendChild(c) { this.children.push(c); return c; },
    addEventListener() {},
    getContext() {
      return new Proxy({}, { get: () => () => {}, set: () => true });
    },
  };
}
function count(e) { return 1 + (e.children || []).reduce((a, c) => a + count(c), 0); }
const page = fs.readFileSync(process.argv[2], 'utf8');
for (const file of process.argv.slice(3)) {
  const els = { 'cq-doc': { textContent: fs.readFileSync(file, 'utf8') }, app: element('main'),
    subtitle: element('p'), footer: element('p') };
  const series = { setData(d) { if (!d.length) throw new Error('an empty chart series'); } };
  global.window = { LightweightCharts: { createChart: () => ({ addLineSeries: () => series,
    timeScale: () => ({ fitContent() {} }) }) } };
  global.document = { getElementById: (id) => els[id], createElement: element };
  new Function(page)();
  const n = count(els.app);
  if (n < 20) throw new Error(file + ': the page drew almost nothing (' + n + ' nodes)');
  console.log(file + ': ' + n + ' nodes');
}
