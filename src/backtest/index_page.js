/* cquant backtest index: sort the runs table by a click on a column header (numbers by
 * their data-v value, text otherwise; a second click reverses). */
(function () {
  'use strict';
  var table = document.getElementById('runs');
  if (!table) return;
  var dir = {};
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute('data-v');
    if (v === null) return cell.textContent;
    if (v === '') return null;
    var x = Number(v);
    return isNaN(x) ? v : x;
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return a < b ? -1 : 1;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener('click', function () {
      dir[col] = -(dir[col] || -1);
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var ka = key(a, col), kb = key(b, col);
        if (ka === null || kb === null) return compare(ka, kb);
        return dir[col] * compare(ka, kb);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
