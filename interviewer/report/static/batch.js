(function () {
  'use strict';
  var table = document.getElementById('batch');
  if (!table) { return; }
  var body = table.tBodies[0];
  table.querySelectorAll('thead th').forEach(function (th, col) {
    var kind = th.getAttribute('data-sort');
    if (!kind) { return; }
    th.classList.add('sortable');
    var asc = false;
    th.addEventListener('click', function () {
      asc = !asc;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col] ? a.cells[col].textContent : '', y = b.cells[col] ? b.cells[col].textContent : '';
        if (kind === 'num') { x = parseFloat(x); y = parseFloat(y); x = isNaN(x) ? -1 : x; y = isNaN(y) ? -1 : y; }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  document.body.setAttribute('data-ready', 'batch');
})();
