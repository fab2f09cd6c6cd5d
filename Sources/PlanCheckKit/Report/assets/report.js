// plan-check HTML reports (overlay and assess): info panel, zoom and pan of the map, legend
// toggles, the paged sortable feature list, sortable tables.
// Embedded into the HTML by ReportPage (see Tools/embed-assets.sh); no network.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var L = data.labels;
  var table = data.table;
  var info = document.getElementById("info");
  var map = document.getElementById("map");
  var selected = null;

  function text(tag, value) {
    var e = document.createElement(tag);
    e.textContent = value;
    return e;
  }
  function fmt(v, d) {
    return Number(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  // A cell's value: a choice column's cells are indices into its values.
  function value(c, v) { return c.values && v !== null && v !== undefined ? c.values[v] : v; }
  function cellText(c, v) {
    v = value(c, v);
    if (v === null || v === undefined) return "-";
    return c.decimals === undefined ? String(v) : fmt(v, c.decimals);
  }

  // The info panel: every column of row i of the feature table.
  function show(i) {
    var row = table.rows[i];
    if (!row) return;
    info.textContent = "";
    var t = document.createElement("table");
    table.columns.forEach(function (c, k) {
      var tr = document.createElement("tr");
      tr.appendChild(text("th", c.label));
      var td = text("td", cellText(c, row[k]));
      if (k === 0) td.id = "info-id";
      tr.appendChild(td);
      t.appendChild(tr);
    });
    info.appendChild(t);
  }
  function select(el) {
    if (selected) selected.classList.remove("sel");
    selected = el;
    el.classList.add("sel");
    show(Number(el.getAttribute("data-i")));
  }

  if (map) {
    var view = map.querySelector("#view");
    // One listener for all shapes (a report can have 100 000 of them).
    view.addEventListener("mouseover", function (e) {
      if (e.target.classList.contains("shape")) show(Number(e.target.getAttribute("data-i")));
    });
    view.addEventListener("mouseout", function (e) {
      if (e.target.classList.contains("shape") && selected) show(Number(selected.getAttribute("data-i")));
    });
    // Zoom (wheel) and pan (drag) by changing the viewBox of the map layer; the frame (north
    // arrow, scale bar, CRS) stays put. The scale bar is redrawn for the zoom.
    var vb = view.getAttribute("viewBox").split(" ").map(Number);
    var full = vb.slice();
    var W = Number(view.getAttribute("width"));
    function apply() { view.setAttribute("viewBox", vb.join(" ")); updateScale(); }
    view.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = view.getBoundingClientRect();
      var fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
      var f = e.deltaY < 0 ? 0.8 : 1.25;
      var nw = Math.min(full[2], vb[2] * f), nh = Math.min(full[3], vb[3] * f);
      vb[0] += (vb[2] - nw) * fx; vb[1] += (vb[3] - nh) * fy; vb[2] = nw; vb[3] = nh;
      apply();
    }, { passive: false });
    var drag = null, moved = false;
    view.addEventListener("mousedown", function (e) { drag = [e.clientX, e.clientY, vb[0], vb[1]]; moved = false; });
    window.addEventListener("mousemove", function (e) {
      if (!drag) return;
      var r = view.getBoundingClientRect();
      var dx = e.clientX - drag[0], dy = e.clientY - drag[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
      vb[0] = drag[2] - dx * vb[2] / r.width; vb[1] = drag[3] - dy * vb[3] / r.height;
      apply();
    });
    window.addEventListener("mouseup", function () { drag = null; });
    view.addEventListener("click", function (e) {
      if (moved) { moved = false; return; }
      if (e.target.classList.contains("shape")) select(e.target);
    });
    map.querySelector("#reset").addEventListener("click", function () { vb = full.slice(); apply(); });
    function updateScale() {
      var m = data.map;
      var metresPerPx = m.metresPerUnit * (vb[2] / W) / m.scale;
      var target = 150 * metresPerPx, p = Math.pow(10, Math.floor(Math.log10(target))), len = p;
      [1, 2, 5, 10].forEach(function (s) { if (s * p <= target) len = s * p; });
      var px = len / metresPerPx;
      map.querySelector("#scale-bar").setAttribute("width", px);
      map.querySelector("#scale-label").textContent = len >= 1000 ? (len / 1000) + " km" : len + " m";
    }
    updateScale();
  }

  // Legend: a box per outline layer shows or hides it; the group choice shows one group of shapes.
  var toggles = document.querySelectorAll("#legend input[data-toggle]");
  for (var g = 0; g < toggles.length; g++) {
    toggles[g].addEventListener("change", function (e) {
      var layer = document.getElementById(e.target.getAttribute("data-toggle"));
      if (layer) layer.style.display = e.target.checked ? "" : "none";
    });
  }
  var groupSelect = document.getElementById("group-select");
  if (groupSelect) {
    groupSelect.addEventListener("change", function () {
      var groups = document.querySelectorAll("#shapes g.group");
      for (var k = 0; k < groups.length; k++) {
        groups[k].style.display = groups[k].getAttribute("data-group") === groupSelect.value ? "" : "none";
      }
    });
  }

  // The feature list: a page of rows at a time from the embedded table, sorted by a click on a
  // heading (numbers by value, text in Chinese collation order).
  var list = document.getElementById(table.id);
  if (list) {
    var order = table.rows.map(function (_, i) { return i; });
    var page = 0, size = table.pageSize;
    var pager = document.querySelector(".pager[data-for='" + table.id + "']");
    var collator = new Intl.Collator("zh");
    function render() {
      var pages = Math.max(1, Math.ceil(order.length / size));
      page = Math.min(Math.max(page, 0), pages - 1);
      var body = list.tBodies[0];
      body.textContent = "";
      var end = Math.min(order.length, (page + 1) * size);
      for (var r = page * size; r < end; r++) {
        var i = order[r], row = table.rows[i], tr = document.createElement("tr");
        tr.setAttribute("data-i", i);
        table.columns.forEach(function (c, k) {
          var td = text("td", cellText(c, row[k]));
          if (c.decimals !== undefined) { td.className = "n"; td.setAttribute("data-k", c.key); td.setAttribute("data-v", row[k]); }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      if (pager) pager.querySelector(".page").textContent =
        (page + 1) + " / " + pages + " " + L.page + " (" + order.length + " " + L.rows + ")";
    }
    if (pager) {
      var buttons = pager.querySelectorAll("button");
      for (var b = 0; b < buttons.length; b++) {
        buttons[b].addEventListener("click", function (e) { page += Number(e.target.getAttribute("data-step")); render(); });
      }
    }
    var heads = list.tHead.rows[0].cells;
    for (var c = 0; c < heads.length; c++) {
      (function (col, th) {
        th.addEventListener("click", function () {
          var asc = !th.classList.contains("asc");
          for (var h = 0; h < heads.length; h++) heads[h].classList.remove("asc", "desc");
          th.classList.add(asc ? "asc" : "desc");
          var column = table.columns[col], numeric = column.decimals !== undefined;
          order.sort(function (x, y) {
            var a = value(column, table.rows[x][col]), b = value(column, table.rows[y][col]);
            var r = numeric ? a - b : collator.compare(a === null ? "" : a, b === null ? "" : b);
            return (asc ? r : -r) || x - y;
          });
          page = 0;
          render();
        });
      })(c, heads[c]);
    }
    render();
  }

  // A click on a row of a list shows its feature: selected on the map, its group shown.
  document.addEventListener("click", function (e) {
    var tr = e.target.closest ? e.target.closest("tr[data-i]") : null;
    if (!tr || !map) return;
    var el = map.querySelector(".shape[data-i='" + tr.getAttribute("data-i") + "']");
    if (!el) return;
    var group = el.parentNode.getAttribute("data-group");
    if (groupSelect && group !== null && groupSelect.value !== group) {
      groupSelect.value = group;
      groupSelect.dispatchEvent(new Event("change"));
    }
    select(el);
  });

  // Static sortable tables: click a header; numbers sort by their data-v.
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) {
    (function (tbl) {
      var heads = tbl.querySelectorAll("th");
      for (var c = 0; c < heads.length; c++) {
        (function (col, th) {
          th.addEventListener("click", function () {
            var asc = !th.classList.contains("asc");
            for (var h = 0; h < heads.length; h++) heads[h].classList.remove("asc", "desc");
            th.classList.add(asc ? "asc" : "desc");
            var body = tbl.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = a.cells[col], y = b.cells[col];
              var xv = x.getAttribute("data-v"), yv = y.getAttribute("data-v");
              var r = (xv !== null && yv !== null) ? Number(xv) - Number(yv) : x.textContent.localeCompare(y.textContent, "zh");
              return asc ? r : -r;
            });
            rows.forEach(function (r) { body.appendChild(r); });
          });
        })(c, heads[c]);
      }
    })(tables[t]);
  }
})();
