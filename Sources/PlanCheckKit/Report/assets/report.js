// plan-check overlay report: info panel, zoom and pan of the map, sortable tables.
// Embedded into the HTML by OverlayReport (see Tools/embed-report-assets.sh); no network.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var L = data.labels;
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
  function show(i) {
    var p = data.patches[i];
    if (!p) return;
    info.textContent = "";
    var t = document.createElement("table");
    var rows = [
      [L.id, p.id], [L.rule, p.rule], [L.severity, p.severityLabel],
      [L.aClass, p.aLayer + " / " + p.aClass], [L.aCode, p.aCode || "-"],
      [L.bClass, p.bLayer + " / " + p.bClass], [L.bCode, p.bCode || "-"],
      [L.areaM2, fmt(p.areaM2, 1)], [L.areaHa, fmt(p.areaHa, 4)], [L.areaMu, fmt(p.areaMu, 2)],
      [L.areaEllipsoidalM2, fmt(p.areaEllipsoidalM2, 1)]
    ];
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.appendChild(text("th", r[0]));
      var td = text("td", r[1]);
      if (r[0] === L.id) td.id = "info-id";
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
    var patches = map.querySelectorAll(".patch");
    for (var k = 0; k < patches.length; k++) {
      patches[k].addEventListener("mouseenter", function (e) { show(Number(e.target.getAttribute("data-i"))); });
      patches[k].addEventListener("mouseleave", function () { if (selected) show(Number(selected.getAttribute("data-i"))); });
    }
    // Zoom (wheel) and pan (drag) by changing the viewBox of the map layer; the frame (legend,
    // scale bar, north arrow) stays put. The scale bar is redrawn for the zoom.
    var view = map.querySelector("#view");
    var vb = view.getAttribute("viewBox").split(" ").map(Number);
    var full = vb.slice();
    var W = Number(view.getAttribute("width")), H = Number(view.getAttribute("height"));
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
      if (e.target.classList.contains("patch")) select(e.target);
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

  // Sortable tables: click a header; numbers sort by their data-v.
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      var heads = table.querySelectorAll("th");
      for (var c = 0; c < heads.length; c++) {
        (function (col, th) {
          th.addEventListener("click", function () {
            var asc = !th.classList.contains("asc");
            for (var h = 0; h < heads.length; h++) heads[h].classList.remove("asc", "desc");
            th.classList.add(asc ? "asc" : "desc");
            var body = table.tBodies[0];
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
