// The runs page: every run under the served folder, refreshed every 2 s
"use strict";
(() => {
  const { api } = ET.data();
  const body = document.querySelector("#runs tbody");
  const button = document.getElementById("compare-selected");
  const picked = new Set();
  const row = (r) => {
    const name = ET.esc(r.name);
    const damaged = r.damaged ? ` title="${ET.esc(r.damaged)}"` : "";
    return `<tr class="${r.damaged ? "damaged" : ""}" data-run="${name}"${damaged}>` +
      `<td><input type="checkbox" value="${name}"${picked.has(r.name) ? " checked" : ""}${r.damaged ? " disabled" : ""}></td>` +
      `<td><a href="/run/${encodeURIComponent(r.name)}">${name}</a></td><td>${ET.esc(r.kind)}</td>` +
      `<td>${ET.esc(r.dataset)}</td><td>${ET.esc(r.state)}${r.damaged ? ": " + ET.esc(r.damaged) : ""}</td>` +
      `<td class="num">${ET.esc(r.trials)}</td><td class="num">${ET.esc(r.best_val_text)}</td>` +
      `<td class="num">${ET.esc(r.test_text)}</td></tr>`;
  };
  body.addEventListener("change", (event) => {
    const box = event.target;
    if (box.checked) picked.add(box.value); else picked.delete(box.value);
    button.disabled = picked.size < 2;
  });
  button.addEventListener("click", () => {
    location.href = "/compare?" + [...picked].map((n) => "run=" + encodeURIComponent(n)).join("&");
  });
  ET.poll(async () => {
    const data = await ET.get(api);
    body.innerHTML = data.runs.map(row).join("");
    document.getElementById("runs-note").textContent =
      (data.runs.length ? "" : "no run folders here (a run folder holds a config.json); ") + "updated " + ET.stamp();
  }, 2000);
})();
