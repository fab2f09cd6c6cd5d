// The applicants' page of `plan-check serve`: sends the site once (file, pasted GeoJSON or typed
// corner coordinates) to POST /v1/query?geometry=true and shows the one-form answer: the verdict,
// each item's outcome, reasons, conditions and areas, plan conformity, and an SVG map of the site
// over the regions, the outcome zones (GET /v1/regions, /v1/zones) and the conformity patches,
// all in the registry's CRS. No request leaves this server but the optional --basemap image.
"use strict";

const TEXT = {
  zh: {
    title: "区域评估一张表单", subtitle: "提交一次用地范围，得到规划符合性与各评估事项的结果",
    site: "项目用地范围", srcFile: "上传文件", srcPaste: "粘贴 GeoJSON", srcCoords: "输入界址点坐标",
    fileHint: "GeoJSON、Shapefile（.shp、.shx、.dbf、.prj 压缩为 .zip）、GeoPackage、KML、GML、FlatGeobuf",
    coordCRS: "坐标系", crsGK: "CGCS2000 高斯-克吕格投影（EPSG 代码）", crsLonLat: "CGCS2000 经纬度（EPSG:4490）",
    coordsHint: "每行一个界址点，按顺序：东坐标 北坐标（经度 纬度），空格或逗号分隔；首尾点可不重复。",
    projectType: "项目类型", unspecified: "（未指定）", date: "判定日期", submit: "查询",
    items: "评估事项", item: "事项", outcome: "结果", reasons: "原因",
    conditions: "条件", zonesTouched: "涉及分区（面积）", conformity: "规划符合性", rule: "规则", severity: "严重程度",
    against: "对照图层", patches: "图斑", area: "面积", map: "位置图", mapItem: "显示事项分区", print: "打印表单",
    footer: "plan-check · 数据来自本机的区域评估登记库，不访问互联网",
    mayProceed: "可以按区域评估结果办理", mayNotProceed: "不能直接沿用区域评估结果",
    siteArea: "用地面积", siteParts: "地块数", regionsTouched: "所在评估区域", outsideRegions: "区域外面积",
    atDay: "判定日期", projectTypeShown: "项目类型", none: "无", noRules: "无符合性规则",
    registry: "登记库", run: "评估批次", runAt: "批次时间", rules: "规则", rulesHash: "规则 SHA-256",
    siteHash: "用地文件 SHA-256", crs: "坐标系", printedAt: "出具时间", version: "程序版本",
    reuse: "免于评估", conditional: "告知承诺", individual: "单独评估", prohibited: "禁止建设",
    critical: "严重", major: "较重", minor: "一般",
    legendSite: "用地范围", legendRegion: "评估区域", legendPatch: "规划冲突图斑",
    noZones: "视图内无分区", sending: "正在查询…", chooseFile: "请选择文件", pasteEmpty: "请粘贴 GeoJSON",
    fewPoints: "至少需要 3 个不同的界址点", badLine: "无法读取第 {n} 行：{line}", badEPSG: "请填写 EPSG 代码",
    shpAlone: "Shapefile 请连同 .shx、.dbf、.prj 一起压缩为 .zip 上传", unknownExt: "不支持的文件类型：{ext}",
    httpError: "查询未完成（HTTP {status}，退出码 {exit}）：{message}", netError: "无法连接服务：{message}",
    basemapOff: "未绘制底图：登记库坐标系没有 EPSG 代码", mapFailed: "位置图未能绘制：{message}",
    reasonCode: { zone: "分区", outside_region: "区域外", expired: "已过期", not_yet_valid: "未生效", excluded_project_type: "负面清单", inputs_changed: "数据已变更" },
  },
  en: {
    title: "Regional assessment: one-form answer", subtitle: "Submit the site once: plan conformity and the outcome of every assessment item",
    site: "Site", srcFile: "Upload a file", srcPaste: "Paste GeoJSON", srcCoords: "Type corner coordinates",
    fileHint: "GeoJSON, Shapefile (.shp, .shx, .dbf, .prj zipped into one .zip), GeoPackage, KML, GML, FlatGeobuf",
    coordCRS: "Coordinates", crsGK: "CGCS2000 Gauss-Krüger (EPSG code)", crsLonLat: "CGCS2000 longitude/latitude (EPSG:4490)",
    coordsHint: "One corner per line, in order: easting northing (or longitude latitude), separated by a space or comma; the first corner need not be repeated.",
    projectType: "Project type", unspecified: "(not given)", date: "Judged on", submit: "Ask",
    items: "Assessment items", item: "Item", outcome: "Outcome", reasons: "Reasons",
    conditions: "Conditions", zonesTouched: "Zones touched (area)", conformity: "Plan conformity", rule: "Rule", severity: "Severity",
    against: "Against", patches: "Patches", area: "Area", map: "Map", mapItem: "Zones of item", print: "Print the form",
    footer: "plan-check · answers from this server's assessment registry; nothing is fetched from the internet",
    mayProceed: "May proceed on the regional assessment", mayNotProceed: "May not simply reuse the regional assessment",
    siteArea: "Site area", siteParts: "Parts", regionsTouched: "Regions", outsideRegions: "Outside every region",
    atDay: "Judged on", projectTypeShown: "Project type", none: "none", noRules: "no conformity rule",
    registry: "Registry", run: "Assessment run", runAt: "Run at", rules: "Rules", rulesHash: "Rules SHA-256",
    siteHash: "Site SHA-256", crs: "CRS", printedAt: "Answered at", version: "plan-check version",
    reuse: "reuse (免于评估)", conditional: "conditional (告知承诺)", individual: "individual (单独评估)", prohibited: "prohibited (禁止建设)",
    critical: "critical", major: "major", minor: "minor",
    legendSite: "site", legendRegion: "assessed region", legendPatch: "conformity patch",
    noZones: "no zone in view", sending: "Asking…", chooseFile: "Choose a file", pasteEmpty: "Paste the GeoJSON",
    fewPoints: "At least 3 distinct corners are needed", badLine: "Line {n} cannot be read: {line}", badEPSG: "Give the EPSG code",
    shpAlone: "Zip the Shapefile with its .shx, .dbf and .prj and upload the .zip", unknownExt: "Not a site file plan-check reads: {ext}",
    httpError: "No answer (HTTP {status}, exit status {exit}): {message}", netError: "The service cannot be reached: {message}",
    basemapOff: "No base map: the registry's CRS has no EPSG code", mapFailed: "The map could not be drawn: {message}",
    reasonCode: { zone: "zone", outside_region: "outside region", expired: "expired", not_yet_valid: "not yet valid", excluded_project_type: "exclusion list", inputs_changed: "inputs changed" },
  },
};

const UPLOAD_TYPES = {
  geojson: "application/geo+json", json: "application/geo+json", zip: "application/zip",
  gpkg: "application/geopackage+sqlite3", kml: "application/vnd.google-earth.kml+xml",
  gml: "application/gml+xml", fgb: "application/flatgeobuf",
};
const OUTCOME_COLOURS = { reuse: "#a6d96a", conditional: "#fee08b", individual: "#fdae61", prohibited: "#d7191c" };
const SVG = "http://www.w3.org/2000/svg";

const state = { lang: "zh", answer: null, health: null, view: null, zones: null, regions: null, mapError: null };
const $ = (id) => document.getElementById(id);

function t(key, values) {
  let text = TEXT[state.lang][key] ?? TEXT.zh[key] ?? key;
  for (const [k, v] of Object.entries(values || {})) text = text.replace(`{${k}}`, v);
  return text;
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
  return node;
}

// Areas as the command line's text answer prints them: hectares to 4 decimals, mu to 2.
function areaText(area) {
  return `${area.ha.toFixed(4)} ha / ${area.mu.toFixed(2)} 亩`;
}

function areaSpan(area) {
  return el("span", { class: "area", "data-ha": area.ha.toFixed(4), "data-mu": area.mu.toFixed(2) }, areaText(area));
}

// MARK: Language

function setLanguage(lang) {
  state.lang = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = `${t("title")} · plan-check`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  try { localStorage.setItem("plan-check-lang", lang); } catch (e) { /* private mode: the switch still works */ }
  if (state.answer) renderAnswer();
}

// MARK: The site

function selectedSource() {
  return document.querySelector("input[name=source]:checked").value;
}

function showSource() {
  for (const name of ["file", "paste", "coords"]) $(`src-${name}`).hidden = selectedSource() !== name;
  $("epsg-label").hidden = $("coord-crs").value !== "gk";
}

// The body and its Content-Type for the chosen source; throws a message for the applicant.
async function siteBody() {
  const source = selectedSource();
  if (source === "file") {
    const file = $("file").files[0];
    if (!file) throw new Error(t("chooseFile"));
    const ext = (file.name.split(".").pop() || "").toLowerCase();
    if (ext === "shp" || ext === "dbf" || ext === "shx") throw new Error(t("shpAlone"));
    const type = UPLOAD_TYPES[ext];
    if (!type) throw new Error(t("unknownExt", { ext: file.name }));
    return { body: await file.arrayBuffer(), type };
  }
  if (source === "paste") {
    const text = $("paste").value.trim();
    if (!text) throw new Error(t("pasteEmpty"));
    return { body: text, type: "application/geo+json" };
  }
  return { body: JSON.stringify(cornersToGeoJSON()), type: "application/geo+json" };
}

// Typed corners to a GeoJSON polygon with the CRS named (easting/longitude first).
function cornersToGeoJSON() {
  const points = [];
  $("coords").value.split(/\r?\n/).forEach((line, n) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const parts = trimmed.split(/[\s,，;；]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new Error(t("badLine", { n: n + 1, line: trimmed }));
    points.push(parts);
  });
  const distinct = new Set(points.map((p) => p.join(" ")));
  if (distinct.size < 3) throw new Error(t("fewPoints"));
  const first = points[0], last = points[points.length - 1];
  if (first[0] !== last[0] || first[1] !== last[1]) points.push(first.slice());
  let code = "4490";
  if ($("coord-crs").value === "gk") {
    code = $("epsg").value.trim();
    if (!/^[0-9]{4,5}$/.test(code)) throw new Error(t("badEPSG"));
  }
  return {
    type: "FeatureCollection",
    crs: { type: "name", properties: { name: `urn:ogc:def:crs:EPSG::${code}` } },
    features: [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [points] } }],
  };
}

// MARK: Asking

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error ? body.error.message : `HTTP ${response.status}`), { status: response.status, body });
  return body;
}

async function ask(event) {
  event.preventDefault();
  const error = $("error");
  error.hidden = true;
  let site;
  try {
    site = await siteBody();
  } catch (e) {
    return showError(e.message);
  }
  const params = new URLSearchParams({ geometry: "true" });
  if ($("at").value) params.set("at", $("at").value);
  if ($("project-type").value) params.set("project_type", $("project-type").value);
  $("submit").disabled = true;
  $("submit").textContent = t("sending");
  $("answer").dataset.state = "asking";
  try {
    const response = await fetch(`/v1/query?${params}`, { method: "POST", headers: { "Content-Type": site.type }, body: site.body });
    const body = await response.json();
    if (!response.ok) {
      $("answer").dataset.state = "error";
      return showError(t("httpError", { status: response.status, exit: body.error?.exit_status ?? "?", message: body.error?.message ?? "" }));
    }
    state.answer = body;
    $("map-item").value = "";  // a new answer shows its worst item's zones first
    state.health = await getJSON("/v1/health").catch(() => state.health);
    await loadMap(body);
    renderAnswer();
    $("answer").dataset.state = "done";
  } catch (e) {
    $("answer").dataset.state = "error";
    showError(t("netError", { message: e.message }));
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = t("submit");
  }
}

function showError(message) {
  const error = $("error");
  error.textContent = message;
  error.hidden = false;
}

// MARK: The answer

function outcomeBadge(outcome) {
  return el("span", { class: `outcome ${outcome}`, "data-outcome": outcome }, t(outcome));
}

function renderAnswer() {
  const a = state.answer;
  $("answer").hidden = false;
  const verdict = $("verdict");
  verdict.className = a.may_proceed ? "ok" : "stop";
  verdict.dataset.mayProceed = String(a.may_proceed);
  verdict.replaceChildren(el("strong", {}, a.may_proceed ? t("mayProceed") : t("mayNotProceed")),
    el("span", { class: "verdict-items" }, a.items.map((item) => el("span", {}, `${item.title || item.item_id}: `, outcomeBadge(item.outcome)))));

  const regions = a.site.regions.map((r) => `${r.region_id}${r.name ? " " + r.name : ""} (${areaText(r.area)})`).join("; ") || t("none");
  fillKV($("summary"), [
    [t("siteArea"), areaSpan(a.site.area)], [t("siteParts"), a.site.parts], [t("regionsTouched"), regions],
    [t("outsideRegions"), areaSpan(a.site.outside_regions)], [t("atDay"), a.query.at],
    [t("projectTypeShown"), a.query.project_type || t("unspecified")],
  ]);

  $("items").tBodies[0].replaceChildren(...a.items.map((item) => el("tr", { "data-item": item.item_id, "data-outcome": item.outcome },
    el("td", {}, el("strong", {}, item.title || item.item_id), el("br"), el("code", {}, item.item_id)),
    el("td", {}, outcomeBadge(item.outcome)),
    el("td", {}, el("ul", {}, item.reasons.map((r) => el("li", { "data-code": r.code }, el("em", {}, t("reasonCode")[r.code] || r.code), " ", r.message)))),
    el("td", {}, el("ul", {}, item.conditions.map((c) => el("li", {}, c)))),
    el("td", {}, el("ul", {}, item.zones.map((z) => el("li", { class: "zone-touch", "data-region": z.region_id, "data-source": z.source, "data-outcome": z.outcome },
      `${z.region_id} ${z.source} `, outcomeBadge(z.outcome), " ", areaSpan(z.area))))))));

  const rules = a.conformity.rules;
  $("conformity").tBodies[0].replaceChildren(...(rules.length ? rules.map((rule) => el("tr", { "data-rule": rule.rule },
    el("td", {}, el("strong", {}, rule.title || rule.rule), el("br"), el("code", {}, rule.rule)),
    el("td", {}, el("span", { class: `severity ${rule.severity}` }, t(rule.severity))),
    el("td", {}, rule.against),
    el("td", {}, el("ul", {}, rule.patches.map((p) => el("li", { class: "patch-row", "data-id": p.id }, `${p.id}${p.b_code ? " (" + p.b_code + ")" : ""} `, areaSpan(p.area))))),
    el("td", {}, areaSpan(rule.area)))) : [el("tr", {}, el("td", { colspan: "5" }, t("noRules")))]));
  $("notes").replaceChildren(...a.notes.map((n) => el("span", { class: "note" }, n)));

  renderMap();
  const h = state.health || {};
  fillKV($("provenance"), [
    [t("registry"), a.registry.path], [t("run"), `${a.registry.latest_run_id} (${a.registry.latest_run_at})`],
    [t("rules"), a.query.rules], [t("rulesHash"), el("code", {}, h.rules_sha256 || "?")],
    [t("siteHash"), el("code", {}, a.query.site_sha256)], [t("crs"), a.registry.crs],
    [t("printedAt"), new Date().toISOString()], [t("version"), a.plan_check_version],
  ]);
}

function fillKV(table, rows) {
  table.tBodies[0].replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

// MARK: The map

function ringsBox(coordinates, box) {
  for (const polygon of coordinates) for (const ring of polygon) for (const [x, y] of ring) {
    box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
  }
  return box;
}

// The view: the site and its patches with a margin of half their size (at least 100 units).
function viewBox(answer) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  if (answer.site.geometry) ringsBox(answer.site.geometry.coordinates, box);
  const width = box[2] - box[0], height = box[3] - box[1];
  const margin = Math.max(width, height, 200) / 2;
  return [box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin];
}

async function loadMap(answer) {
  state.view = viewBox(answer);
  state.mapError = null;
  const bbox = state.view.join(",");
  try {
    const [regions, zones] = await Promise.all([getJSON(`/v1/regions?bbox=${bbox}`), getJSON(`/v1/zones?bbox=${bbox}&limit=5000`)]);
    state.regions = regions;
    state.zones = zones;
  } catch (e) {
    state.regions = state.zones = null;
    state.mapError = e.message;
  }
}

// SVG path data for a MultiPolygon, relative to the view's corner (SVG numbers are single
// precision: Gauss-Krüger eastings of 41 million would lose metres), y flipped.
function pathData(coordinates) {
  const [minX, , , maxY] = state.view;
  return coordinates.map((polygon) => polygon.map((ring) =>
    "M" + ring.map(([x, y]) => `${(x - minX).toFixed(2)} ${(maxY - y).toFixed(2)}`).join("L") + "Z").join("")).join("");
}

function renderMap() {
  const a = state.answer, map = $("map"), note = $("map-note");
  map.replaceChildren();
  note.textContent = "";
  if (state.mapError) { note.textContent = t("mapFailed", { message: state.mapError }); return; }
  const [minX, minY, maxX, maxY] = state.view;
  const width = maxX - minX, height = maxY - minY;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, id: "map-svg", "data-bbox": state.view.join(","),
    preserveAspectRatio: "xMidYMid meet", role: "img", "aria-label": t("map") });
  addBasemap(root, width, height, note);

  const regions = svg("g", { class: "regions" });
  for (const f of state.regions.features) {
    regions.append(svg("path", { d: pathData(f.geometry.coordinates), class: "region", "data-fid": f.id, "data-region": f.properties.region_id }));
  }
  const items = [...new Set(state.zones.features.map((f) => f.properties.item_id))];
  const zoneGroups = svg("g", { class: "zones" });
  for (const item of items) {
    const group = svg("g", { class: "zone-group", "data-item": item });
    for (const f of state.zones.features.filter((z) => z.properties.item_id === item)) {
      const path = svg("path", { d: pathData(f.geometry.coordinates), class: `zone ${f.properties.outcome}`, "data-fid": f.id,
        "data-item": item, "data-outcome": f.properties.outcome, fill: OUTCOME_COLOURS[f.properties.outcome] || "#ccc" });
      const title = svg("title");
      title.textContent = `${f.properties.region_id} ${item} ${f.properties.source}: ${t(f.properties.outcome)} (${areaText(f.properties.area)})`;
      path.append(title);
      group.append(path);
    }
    zoneGroups.append(group);
  }
  const patches = svg("g", { class: "patches" });
  for (const rule of a.conformity.rules) for (const p of rule.patches) if (p.geometry) {
    patches.append(svg("path", { d: pathData(p.geometry.coordinates), class: "patch", "data-id": p.id }));
  }
  const site = svg("path", { d: pathData(a.site.geometry.coordinates), class: "site" });
  root.append(zoneGroups, regions, patches, site);
  for (const f of state.regions.features) {
    const box = ringsBox(f.geometry.coordinates, [Infinity, Infinity, -Infinity, -Infinity]);
    const x = Math.max(box[0], minX) - minX + width * 0.01, y = maxY - Math.min(box[3], maxY) + height * 0.04;
    const label = svg("text", { x: x.toFixed(1), y: y.toFixed(1), class: "region-label", "font-size": (height * 0.03).toFixed(1) });
    label.textContent = f.properties.region_id + (f.properties.name ? " " + f.properties.name : "");
    root.append(label);
  }
  map.append(root);
  renderItemChoice(items);
  renderLegend();
  if (!state.zones.features.length) note.textContent = t("noZones");
}

// The --basemap image (a WMS GetMap in the registry's CRS) under everything, when the server has one.
function addBasemap(root, width, height, note) {
  const template = document.documentElement.dataset.basemap;
  if (!template) return;
  const crs = document.documentElement.dataset.crs;
  if (!crs) { note.textContent = t("basemapOff"); return; }
  const pixels = 1200, w = pixels, h = Math.max(1, Math.round(pixels * height / width));
  const url = template.replaceAll("{bbox}", state.view.map((v) => v.toFixed(3)).join(",")).replaceAll("{width}", w)
    .replaceAll("{height}", h).replaceAll("{crs}", encodeURIComponent(crs));
  root.append(svg("image", { href: url, x: 0, y: 0, width, height, preserveAspectRatio: "none", class: "basemap" }));
}

function renderItemChoice(items) {
  const select = $("map-item");
  const previous = select.value;
  const worst = [...state.answer.items].sort((x, y) => rank(y.outcome) - rank(x.outcome))[0];
  select.replaceChildren(...items.map((id) => {
    const item = state.answer.items.find((i) => i.item_id === id);
    return el("option", { value: id }, item && item.title ? `${item.title} (${id})` : id);
  }));
  select.value = items.includes(previous) ? previous : (worst && items.includes(worst.item_id) ? worst.item_id : items[0] || "");
  showItemZones();
}

function rank(outcome) {
  return ["reuse", "conditional", "individual", "prohibited"].indexOf(outcome);
}

function showItemZones() {
  const chosen = $("map-item").value;
  for (const group of document.querySelectorAll("#map .zone-group")) group.classList.toggle("off", group.dataset.item !== chosen);
  $("map-figure").dataset.item = chosen;
}

function renderLegend() {
  const entries = ["reuse", "conditional", "individual", "prohibited"].map((o) =>
    el("span", { class: "key" }, el("i", { class: `swatch ${o}` }), t(o)));
  entries.push(el("span", { class: "key" }, el("i", { class: "swatch site" }), t("legendSite")),
    el("span", { class: "key" }, el("i", { class: "swatch region" }), t("legendRegion")),
    el("span", { class: "key" }, el("i", { class: "swatch patch" }), t("legendPatch")));
  const item = $("map-item").selectedOptions[0];
  $("legend").replaceChildren(item ? el("strong", {}, item.textContent + ": ") : "", ...entries);
}

// MARK: Start

async function start() {
  const asked = new URLSearchParams(location.search).get("lang");
  let stored = null;
  try { stored = localStorage.getItem("plan-check-lang"); } catch (e) { /* private mode */ }
  setLanguage(asked === "en" || asked === "zh" ? asked : stored === "en" ? "en" : "zh");
  $("lang").addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", showSource);
  $("coord-crs").addEventListener("change", showSource);
  $("map-item").addEventListener("change", () => { showItemZones(); renderLegend(); });
  $("print").addEventListener("click", () => window.print());
  $("ask").addEventListener("submit", ask);
  $("at").value = new Date().toISOString().slice(0, 10);
  $("version").textContent = document.documentElement.dataset.version;
  const crs = document.documentElement.dataset.crs;
  if (crs.startsWith("EPSG:")) $("epsg").value = crs.slice(5);
  showSource();
  try {
    const [types, health] = await Promise.all([getJSON("/v1/project-types"), getJSON("/v1/health")]);
    state.health = health;
    const select = $("project-type");
    for (const type of types.project_types) select.append(el("option", { value: type.id }, type.title ? `${type.title} (${type.id})` : type.id));
    document.body.dataset.ready = "true";
  } catch (e) {
    showError(t("netError", { message: e.message }));
  }
}

document.addEventListener("DOMContentLoaded", start);
