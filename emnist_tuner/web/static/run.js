// The run page: progress, the leaderboard and the interactive figures, redrawn within 2 s of a change
"use strict";
(() => {
  const { run, api } = ET.data();
  const CONFIG = { responsive: true, displaylogo: false };
  const BASE = { uirevision: "keep", margin: { t: 20, r: 20, b: 50, l: 60 }, hovermode: "closest" };
  let view = null;
  let sort = { key: "rank", desc: false };
  const hover = {};  // trial id -> its hover text (id, score and hyperparameters)

  function hoverText(t) {
    const hps = Object.entries(t.hyperparameters).map(([k, v]) => `${ET.esc(k)}: ${ET.esc(ET.value(v))}`);
    return [`trial ${t.trial_id}`, `val acc ${ET.pct(t.score)} · ${t.status}`, ...hps].join("<br>");
  }

  function progress() {
    const s = view.summary;
    const parts = [s.kind, s.state, s.dataset && `dataset ${s.dataset}`, s.trials && `trials ${s.trials}`,
      s.best_val_text && `best val ${s.best_val_text}`, s.test_text && `test accuracy ${s.test_text}`];
    document.getElementById("progress").textContent =
      parts.filter(Boolean).join(" · ") + " · updated " + ET.stamp();
  }

  // --- leaderboard: sortable (click a header), filterable (text in any cell), a row opens its trial
  const COLUMNS = [["rank", "#", true], ["trial_id", "trial", false], ["status", "status", false],
    ["score", "val acc", true], ["epochs", "epochs", true], ["seconds", "time", true], ["parameters", "params", true]];
  function cell(t, key) {
    if (key === "score") return ET.pct(t.score);
    if (key === "seconds") return t.time;
    if (key === "parameters") return t.parameters == null ? "" : t.parameters.toLocaleString("en");
    if (key.startsWith("hp:")) return ET.value(t.hyperparameters[key.slice(3)]);
    return ET.value(t[key]);
  }
  function raw(t, key) { return key.startsWith("hp:") ? t.hyperparameters[key.slice(3)] : t[key]; }
  function leaderboard() {
    const table = document.getElementById("leaderboard");
    const columns = COLUMNS.concat(view.hyperparameters.map((h) => ["hp:" + h, h, false]));
    table.tHead.innerHTML = "<tr>" + columns.map(([key, label, num]) => {
      const sorted = sort.key === key ? (sort.desc ? " sorted-desc" : " sorted-asc") : "";
      return `<th class="sortable${num ? " num" : ""}${sorted}" data-key="${ET.esc(key)}">${ET.esc(label)}</th>`;
    }).join("") + "</tr>";
    const words = document.getElementById("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = view.trials.filter((t) => {
      const text = columns.map(([key]) => cell(t, key)).join(" ").toLowerCase();
      return words.every((w) => text.includes(w));
    });
    rows.sort((a, b) => {
      const x = raw(a, sort.key), y = raw(b, sort.key);
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -order : order;
    });
    const final = view.final && view.final.trial_id;
    table.tBodies[0].innerHTML = rows.map((t) =>
      `<tr class="clickable${t.trial_id === final ? " final" : ""}" data-trial="${ET.esc(t.trial_id)}">` +
      columns.map(([key, , num]) => `<td${num ? ' class="num"' : ""}>${ET.esc(cell(t, key))}</td>`).join("") + "</tr>"
    ).join("");
    document.getElementById("shown").textContent = `${rows.length} of ${view.trials.length} trials shown`;
  }
  document.getElementById("leaderboard").addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (th) {
      const key = th.dataset.key;
      sort = { key, desc: sort.key === key ? !sort.desc : key === "score" };
      leaderboard();
      return;
    }
    const tr = event.target.closest("tr[data-trial]");
    if (tr) openTrial(tr.dataset.trial);
  });
  document.getElementById("filter").addEventListener("input", () => view && leaderboard());

  // --- figures
  const PARALLEL_AXES = 6;  // more axes than this are unreadable at a figure's width
  function byImportance() {  // the hyperparameters, the most important first (importance's order), then the rest
    const names = view.hyperparameters;
    const ranked = view.importance.shares.map((s) => s.name).filter((n) => names.includes(n));
    return [...ranked, ...names.filter((n) => !ranked.includes(n))];
  }
  const completed = () => view.trials.filter((t) => t.status === "completed" && t.score != null);
  const byId = () => Object.fromEntries(view.trials.map((t) => [t.trial_id, t]));
  function clickable(id) {
    const el = document.getElementById(id);
    if (!el.dataset.clicks) {
      el.dataset.clicks = "1";
      el.on("plotly_click", (event) => {
        const id = event.points[0] && event.points[0].customdata;
        if (id) openTrial(id);
      });
    }
  }
  function empty(id, why) {
    Plotly.purge(id);
    document.getElementById(id).innerHTML = `<p class="meta">${ET.esc(why)}</p>`;
  }
  function draw(id, traces, layout) {
    const el = document.getElementById(id);
    if (el.querySelector("p.meta")) el.innerHTML = "";
    Plotly.react(id, traces, Object.assign({}, BASE, layout), CONFIG);
    clickable(id);
  }

  function drawHistory() {
    const h = view.history;
    if (!h.scores.length && !h.others.length) return empty("fig-history", "the run has no trial yet");
    const floor = h.scores.length ? Math.min(...h.scores) : 0;
    const traces = [
      { type: "scatter", mode: "markers", name: "trial's val accuracy", x: h.order, y: h.scores,
        customdata: h.trial_ids, text: h.trial_ids.map((id) => hover[id]), hoverinfo: "text", marker: { size: 8 } },
      { type: "scatter", mode: "lines", name: "best so far", x: h.order, y: h.best_so_far, line: { shape: "hv" },
        hoverinfo: "skip" },
    ];
    const statuses = [...new Set(h.others.map((o) => o.status))];
    for (const status of statuses) {
      const others = h.others.filter((o) => o.status === status);
      traces.push({ type: "scatter", mode: "markers", name: status, x: others.map((o) => o.place),
        y: others.map(() => floor), customdata: others.map((o) => o.trial_id),
        text: others.map((o) => hover[o.trial_id]), hoverinfo: "text", marker: { symbol: "x", size: 9 } });
    }
    const step = Math.max(1, Math.ceil(h.labels.length / 12));
    const ticks = h.labels.map((_, i) => i).filter((i) => i % step === 0);
    draw("fig-history", traces, {
      xaxis: { title: { text: "trial (in the order they started)" }, tickvals: ticks, ticktext: ticks.map((i) => h.labels[i]) },
      yaxis: { title: { text: "validation accuracy" }, tickformat: ".1%" }, legend: { orientation: "h", y: -0.25 },
    });
  }

  function curves() {  // one trace per bracket (curves apart at nulls): a hundred traces would draw slowly
    if (!view.curves.length) return empty("fig-curves", "no trial has finished an epoch yet");
    const groups = new Map();
    for (const c of view.curves) {
      const key = c.bracket == null ? "no bracket" : `bracket ${c.bracket}`;
      if (!groups.has(key)) groups.set(key, { x: [], y: [], ids: [] });
      const g = groups.get(key);
      const x = c.parent_point ? [c.parent_point[0], ...c.epochs] : c.epochs;
      const y = c.parent_point ? [c.parent_point[1], ...c.val_accuracy] : c.val_accuracy;
      g.x.push(...x, null);
      g.y.push(...y, null);
      g.ids.push(...x.map(() => c.trial_id), null);
    }
    const traces = [...groups].sort().map(([name, g]) => ({ type: "scatter", mode: "lines+markers", name, x: g.x, y: g.y,
      customdata: g.ids, text: g.ids.map((id) => (id ? hover[id] : "")), hoverinfo: "text", connectgaps: false,
      marker: { size: 5 }, line: { width: 1.5 } }));
    draw("fig-curves", traces, { xaxis: { title: { text: "epoch" }, dtick: 1 },
      yaxis: { title: { text: "validation accuracy" }, tickformat: ".1%" }, legend: { orientation: "h", y: -0.25 } });
  }

  function axis(values) {  // numbers as they are; anything else (or an inactive value) as categories
    const numeric = values.every((v) => typeof v === "number");
    if (numeric) return { numeric, values };
    const labels = [...new Set(values.map((v) => (v == null ? "—" : ET.value(v))))].sort();
    return { numeric, labels, values: values.map((v) => labels.indexOf(v == null ? "—" : ET.value(v))) };
  }

  // Parallel coordinates drawn as SVG lines (plotly's parcoords is WebGL: slow without a GPU, and it
  // cannot say which trial a line is); each axis scaled to its range, categories spread evenly, a
  // learning rate or another numeric axis spanning two decades or more on a log scale.
  function scaled(values, format = ET.value) {
    const a = axis(values);
    if (!a.numeric) {
      const at = (i) => (a.labels.length > 1 ? i / (a.labels.length - 1) : 0.5);
      return { y: a.values.map(at), ticks: a.labels.map((label, i) => [at(i), label]) };
    }
    const positive = values.every((v) => v > 0);
    const log = positive && Math.max(...values) / Math.min(...values) >= 100;
    const f = (v) => (log ? Math.log10(v) : v);
    const lo = Math.min(...values.map(f)), hi = Math.max(...values.map(f));
    const at = (v) => (hi > lo ? (f(v) - lo) / (hi - lo) : 0.5);
    const ticks = [0, 0.5, 1].map((q) => {
      const v = log ? 10 ** (lo + q * (hi - lo)) : lo + q * (hi - lo);
      return [hi > lo ? q : 0.5, format(Number(v.toPrecision(3)))];
    });
    return { y: values.map(at), ticks: hi > lo ? ticks : [[0.5, format(values[0])]] };
  }
  function parallel() {
    const done = completed();
    if (done.length < 2) return empty("fig-parallel", "needs two completed trials");
    const shown = byImportance().slice(0, PARALLEL_AXES);
    const names = [...shown, "val acc"];
    const caption = document.querySelector("#section-parallel .caption");
    caption.textContent = "each completed trial's hyperparameters and its validation accuracy" +
      (view.hyperparameters.length > shown.length
        ? ` (the ${shown.length} most important of ${view.hyperparameters.length} hyperparameters)` : "");
    const last = names.length - 1;
    const columns = names.map((name, i) =>
      scaled(done.map((t) => (i === last ? t.score : t.hyperparameters[name] ?? null)), i === last ? ET.pct : ET.value));
    const scores = done.map((t) => t.score);
    const lo = Math.min(...scores), hi = Math.max(...scores);
    const colours = ["#440154", "#3b528b", "#21918c", "#5ec962", "#c9a800"];
    const band = (s) => (hi > lo ? Math.min(4, Math.floor(((s - lo) / (hi - lo)) * 5)) : 4);
    const traces = colours.map((colour, b) => {
      const x = [], y = [], ids = [];
      done.forEach((t, j) => {
        if (band(t.score) !== b) return;
        names.forEach((_, i) => { x.push(i); y.push(columns[i].y[j]); ids.push(t.trial_id); });
        x.push(null); y.push(null); ids.push(null);
      });
      const top = lo + ((b + 1) / 5) * (hi - lo), bottom = lo + (b / 5) * (hi - lo);
      return { type: "scatter", mode: "lines+markers", x, y, customdata: ids, connectgaps: false,
        text: ids.map((id) => (id ? hover[id] : "")), hoverinfo: "text", line: { color: colour, width: 1.2 },
        marker: { color: colour, size: 5 }, opacity: 0.8, name: `val acc ${ET.pct(bottom)}–${ET.pct(top)}` };
    }).filter((trace) => trace.x.length);
    const annotations = columns.flatMap((c, i) => c.ticks.map(([y, label]) => ({ x: i, y, text: ET.esc(label),
      showarrow: false, xanchor: "right", xshift: -4, font: { size: 10, color: "#555" } })));
    const shapes = names.map((_, i) => ({ type: "line", x0: i, x1: i, y0: 0, y1: 1, line: { color: "#999", width: 1 } }));
    draw("fig-parallel", traces, { annotations, shapes, showlegend: true, legend: { orientation: "h", y: -0.2 },
      xaxis: { tickvals: names.map((_, i) => i), ticktext: names, range: [-0.6, names.length - 0.8], showgrid: false,
        zeroline: false },
      yaxis: { visible: false, range: [-0.05, 1.05] }, margin: { t: 20, r: 20, b: 60, l: 20 } });
  }

  function pickers() {
    const names = byImportance();
    for (const [id, index] of [["contour-x", 0], ["contour-y", 1]]) {
      const select = document.getElementById(id);
      const keep = select.value;
      if (select.options.length !== names.length) {
        select.innerHTML = names.map((n) => `<option>${ET.esc(n)}</option>`).join("");
        select.value = names.includes(keep) ? keep : names[Math.min(index, names.length - 1)] || "";
      }
    }
  }
  function contour() {
    pickers();
    const done = completed();
    const xName = document.getElementById("contour-x").value, yName = document.getElementById("contour-y").value;
    if (done.length < 2 || !xName) return empty("fig-contour", "needs two completed trials with hyperparameters");
    const x = axis(done.map((t) => t.hyperparameters[xName] ?? null));
    const y = axis(done.map((t) => t.hyperparameters[yName] ?? null));
    const ids = done.map((t) => t.trial_id), z = done.map((t) => t.score);
    const ax = (a, name, domain) => Object.assign({ title: { text: name }, domain },
      a.numeric ? {} : { tickvals: a.labels.map((_, i) => i), ticktext: a.labels });
    draw("fig-contour", [
      { type: "contour", x: x.values, y: y.values, z, connectgaps: true, colorscale: "Viridis", opacity: 0.75,
        hoverinfo: "skip", colorbar: { tickformat: ".1%", x: 0.53, thickness: 14 }, contours: { coloring: "heatmap" } },
      { type: "scatter", mode: "markers", x: x.values, y: y.values, customdata: ids, text: ids.map((id) => hover[id]),
        hoverinfo: "text", marker: { color: "white", size: 7, line: { color: "black", width: 1 } }, showlegend: false },
      { type: "scatter", mode: "markers", x: x.values, y: z, xaxis: "x2", yaxis: "y2", customdata: ids,
        text: ids.map((id) => hover[id]), hoverinfo: "text", showlegend: false, marker: { size: 7 } },
    ], { xaxis: ax(x, xName, [0, 0.5]), yaxis: ax(y, yName), xaxis2: ax(x, xName + " (slice: val acc)", [0.7, 1]),
      yaxis2: { anchor: "x2", tickformat: ".1%" } });
  }
  document.getElementById("contour-x").addEventListener("change", () => view && contour());
  document.getElementById("contour-y").addEventListener("change", () => view && contour());

  function importance() {
    const imp = view.importance;
    if (!imp.shares.length) return empty("fig-importance", imp.reason || "nothing to show");
    const shares = [...imp.shares].reverse();
    draw("fig-importance", [{ type: "bar", orientation: "h", y: shares.map((s) => s.name), x: shares.map((s) => s.share),
      error_x: { type: "data", symmetric: false, array: shares.map((s) => s.high - s.share),
        arrayminus: shares.map((s) => s.share - s.low) },
      hovertemplate: "%{y}: %{x:.1%}<extra></extra>" }],
    { xaxis: { tickformat: ".0%", title: { text: `share of the explained variance (${imp.trials} trials)` } },
      margin: { t: 20, r: 20, b: 50, l: 140 } });
  }

  function pareto() {
    const traces = [];
    const panels = [["parameters", "parameters", "x", "y"], ["seconds", "training time (s, with the parent's)", "x2", "y2"]];
    for (const [key, , xa, ya] of panels) {
      const p = view.pareto[key];
      const front = p.front.map((id) => p.trial_ids.indexOf(id));
      traces.push({ type: "scatter", mode: "markers", x: p.costs, y: p.scores, xaxis: xa, yaxis: ya,
        customdata: p.trial_ids, text: p.trial_ids.map((id) => hover[id]), hoverinfo: "text", showlegend: false,
        marker: { size: 7, opacity: 0.7 } });
      traces.push({ type: "scatter", mode: "lines+markers", x: front.map((i) => p.costs[i]), y: front.map((i) => p.scores[i]),
        xaxis: xa, yaxis: ya, customdata: p.front, text: p.front.map((id) => hover[id]), hoverinfo: "text",
        name: "Pareto front", showlegend: key === "parameters", line: { shape: "hv", color: "crimson" } });
    }
    if (!view.pareto.parameters.costs.length && !view.pareto.seconds.costs.length)
      return empty("fig-pareto", "no completed trial with a parameter count or a training time yet");
    draw("fig-pareto", traces, {
      xaxis: { type: "log", title: { text: "parameters" }, domain: [0, 0.46] },
      xaxis2: { type: "log", title: { text: "training time (s)" }, domain: [0.54, 1] },
      yaxis: { title: { text: "validation accuracy" }, tickformat: ".1%" },
      yaxis2: { anchor: "x2", tickformat: ".1%", matches: "y" }, legend: { orientation: "h", y: -0.25 } });
  }

  // --- one trial: its facts, its model (hyperparameters, parameters), its curves, per-class errors if final
  async function openTrial(id) {
    const box = document.getElementById("trial");
    const t = await ET.get(`${api}/trial/${encodeURIComponent(id)}`);
    box.hidden = false;
    if (t.error) { box.innerHTML = `<p class="error">${ET.esc(t.error)}</p>`; return; }
    history.replaceState(null, "", "#trial-" + id);
    const facts = [["status", t.status], ["val acc", ET.pct(t.score)], ["rank", t.rank], ["epochs", t.epochs],
      ["time", t.time], ["parameters", t.parameters == null ? "" : t.parameters.toLocaleString("en")],
      ["bracket · round", `${ET.value(t.bracket)} · ${ET.value(t.round)}`], ["preset", t.preset],
      ["continues", t.curve && t.curve.parent], ["message", t.message]]
      .filter(([, v]) => v != null && v !== "");
    const hps = Object.entries(t.hyperparameters).map(([k, v]) => `<tr><td>${ET.esc(k)}</td><td>${ET.esc(ET.value(v))}</td></tr>`);
    const title = `Trial ${ET.esc(t.trial_id)}${t.is_final ? " · the final model" : ""}`;
    box.innerHTML = `<button class="close" type="button">close</button><h2 id="trial-title">${title}</h2>` +
      `<div class="columns"><div><h3>Model</h3><table class="data">` +
      facts.map(([k, v]) => `<tr><td>${ET.esc(k)}</td><td>${ET.esc(v)}</td></tr>`).join("") + hps.join("") +
      `</table></div><div><h3>Learning curves</h3><div class="plot" id="fig-trial"></div></div></div>` +
      (t.is_final ? `<h3>Per-class test accuracy (test accuracy ${ET.pct(t.final.test_accuracy)})</h3><div id="per-class"></div>` : "");
    box.querySelector("button.close").addEventListener("click", () => { box.hidden = true; });
    const log = t.epoch_log;
    const metrics = ["val_accuracy", "accuracy"].filter((m) => log.some((e) => e[m] != null));
    Plotly.newPlot("fig-trial", metrics.map((m) => ({ type: "scatter", mode: "lines+markers", name: m,
      x: log.map((e) => e.epoch + 1), y: log.map((e) => e[m]) })),
    Object.assign({}, BASE, { xaxis: { title: { text: "epoch" }, dtick: 1 }, yaxis: { tickformat: ".1%" }, height: 300 }), CONFIG);
    if (t.is_final) perClass(t.per_class);
    box.scrollIntoView({ block: "start" });
  }
  function perClass(p) {
    const el = document.getElementById("per-class");
    if (p.reason) { el.innerHTML = `<p class="meta">${ET.esc(p.reason)}</p>`; return; }
    const confused = p.confused.map((c) => `${ET.esc(c.true)} read as ${ET.esc(c.predicted)} (${c.count})`).join(", ");
    el.innerHTML = `<p class="meta">most confused: ${confused || "none"}</p><div class="plot" id="fig-per-class"></div>`;
    Plotly.newPlot("fig-per-class", [{ type: "scatter", mode: "markers", x: p.names, y: p.accuracy,
      error_y: { type: "data", symmetric: false, array: p.high.map((h, i) => h - p.accuracy[i]),
        arrayminus: p.low.map((l, i) => p.accuracy[i] - l) },
      text: p.images.map((n) => `${n} test images`), hovertemplate: "%{x}: %{y:.2%} (%{text})<extra></extra>" }],
    Object.assign({}, BASE, { xaxis: { type: "category", title: { text: "class" } },
      yaxis: { tickformat: ".1%", title: { text: "test accuracy (95 % interval)" } }, height: 320 }), CONFIG);
  }

  function render() {
    progress();
    if (view.error) {
      document.getElementById("progress").innerHTML = `<span class="error">this run cannot be read: ${ET.esc(view.error)}</span>`;
      return;
    }
    if (view.kind !== "search") {
      document.querySelector(".figures").innerHTML = `<p class="meta">a ${ET.esc(view.kind)} run has no trials; ` +
        `see <code>emnist-tuner report</code> for it.</p>`;
      return;
    }
    for (const t of view.trials) hover[t.trial_id] = hoverText(t);
    leaderboard();
    for (const [name, fn] of [["history", drawHistory], ["curves", curves], ["parallel", parallel],
      ["contour", contour], ["importance", importance], ["pareto", pareto]]) {
      performance.mark("start " + name);
      try { fn(); } catch (e) { console.error(name, e); }
      performance.measure("figure " + name, "start " + name);
    }
  }

  let opened = false;
  ET.poll(async () => {
    const next = await ET.get(api + (view && view.version ? "?since=" + view.version : ""));
    if (next.unchanged) {
      const p = document.getElementById("progress");
      p.textContent = p.textContent.replace(/updated .*$/, "updated " + ET.stamp());
      return;
    }
    view = next;
    if (view.error) {
      document.getElementById("progress").innerHTML = `<span class="error">this run cannot be read: ${ET.esc(view.error)}</span>`;
      return;
    }
    render();
    if (!opened && location.hash.startsWith("#trial-")) openTrial(location.hash.slice(7));
    opened = true;
  }, 2000);
})();
