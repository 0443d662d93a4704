// The compare page: `compare`'s table and its accuracies figure for the runs in the URL
"use strict";
(() => {
  const { runs, api } = ET.data();
  const note = document.getElementById("compare-note");
  if (runs.length < 2) { note.textContent = "Tick two or more runs and press compare."; return; }
  const url = api + "?" + runs.map((n) => "run=" + encodeURIComponent(n)).join("&");
  ET.poll(async () => {
    const data = await ET.get(url);
    if (data.error) { note.innerHTML = `<span class="error">${ET.esc(data.error)}</span>`; return; }
    const head = "<thead><tr><th></th>" + data.runs.map((n) =>
      `<th class="num"><a href="/run/${encodeURIComponent(n)}">${ET.esc(n)}</a></th>`).join("") + "</tr></thead>";
    const rows = data.rows.map(([label, values]) =>
      `<tr><td>${ET.esc(label)}</td>${values.map((v) => `<td class="num">${ET.esc(v)}</td>`).join("")}</tr>`).join("");
    document.getElementById("compare").innerHTML = head + "<tbody>" + rows + "</tbody>";
    const names = data.points.map((p) => p.name);
    const test = data.points.map((p) => p.test_accuracy);
    const traces = [
      { type: "scatter", mode: "markers", name: "best validation accuracy", x: names,
        y: data.points.map((p) => p.best_val), marker: { size: 11, symbol: "diamond" } },
      { type: "scatter", mode: "markers", name: "held-out test accuracy (95 % interval)", x: names, y: test,
        marker: { size: 11 },
        error_y: { type: "data", symmetric: false,
          array: data.points.map((p, i) => p.interval ? p.interval[1] - test[i] : null),
          arrayminus: data.points.map((p, i) => p.interval ? test[i] - p.interval[0] : null) } },
    ];
    Plotly.react("fig-compare", traces, { title: { text: "Runs side by side" }, uirevision: "keep",
      yaxis: { tickformat: ".1%", title: { text: "accuracy" } }, legend: { orientation: "h" },
      margin: { t: 40, r: 20 } }, { responsive: true, displaylogo: false });
    note.textContent = "updated " + ET.stamp();
  }, 2000);
})();
