// emnist-tuner serve: helpers every page script uses (loaded before it)
"use strict";
const ET = {
  data() { return JSON.parse(document.getElementById("page-data").textContent); },
  async get(url) {
    const response = await fetch(url, { cache: "no-store" });
    return response.json();
  },
  esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  },
  pct(value) { return value == null ? "" : (100 * value).toFixed(2) + " %"; },
  value(v) {
    if (v == null) return "";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number" && !Number.isInteger(v)) return Number(v.toPrecision(3)).toString();
    return String(v);
  },
  poll(fn, ms) {  // run fn now and every ms, one call at a time
    const tick = async () => {
      try { await fn(); } catch (e) { console.error(e); }
      setTimeout(tick, ms);
    };
    tick();
  },
  stamp() { return new Date().toLocaleTimeString(); },
};
