// The Try page: a drawing canvas (Pointer Events: mouse, pen, touch) and a file drop zone; each finished
// stroke (debounced) or chosen file is sent as image bytes to /api/predict/RUN, and the answer shown.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("try-config").textContent);
  const main = document.getElementById("try");
  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const statusLine = document.getElementById("status");
  const top = document.getElementById("top");
  const seen = document.getElementById("seen");
  const seenCaption = document.getElementById("seen-caption");
  const note = document.getElementById("note");
  const DEBOUNCE_MS = 250;
  const SCALE = 6; // the model's image, enlarged
  let active = null; // the pointer drawing now
  let last = null;
  let timer = null;
  let asked = 0; // requests sent; only the latest one's answer is shown
  let results = 0; // answers shown (data-results, for tests)

  if (config.problem) {
    main.hidden = true;
    return;
  }

  function clearPad() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, pad.width, pad.height);
    ctx.strokeStyle = "#000";
    ctx.fillStyle = "#000";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(2, Math.round(pad.width / 12)); // a pen's stroke on a character as tall as the pad
  }

  function at(event) {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p[0], p[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  function line(from, to) {
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }

  pad.addEventListener("pointerdown", (event) => {
    if (active !== null || event.button > 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    active = event.pointerId;
    asked++; // the drawing changes: an answer on its way is out of date
    main.dataset.state = "drawing";
    last = at(event);
    dot(last);
    clearTimeout(timer);
  });

  pad.addEventListener("pointermove", (event) => {
    if (event.pointerId !== active) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) {
      const p = at(e);
      line(last, p);
      last = p;
    }
  });

  function strokeEnd(event) {
    if (event.pointerId !== active) return;
    active = null;
    main.dataset.state = "waiting";
    clearTimeout(timer);
    timer = setTimeout(() => pad.toBlob((blob) => send(blob, "drawing.png"), "image/png"), DEBOUNCE_MS);
  }
  pad.addEventListener("pointerup", strokeEnd);
  pad.addEventListener("pointercancel", strokeEnd);

  function say(text, error) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(error));
  }

  function show(answer) {
    top.replaceChildren();
    for (const row of answer.top) {
      const item = document.createElement("li");
      item.dataset.class = row.class;
      const name = document.createElement("span");
      name.className = "class";
      name.textContent = row.class;
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = (100 * row.probability).toFixed(1) + "%";
      bar.append(fill);
      const p = document.createElement("span");
      p.className = "p";
      p.textContent = (100 * row.probability).toFixed(1) + " %";
      item.append(name, bar, p);
      top.append(item);
    }
    seen.src = answer.seen.png;
    seen.width = answer.seen.width * SCALE;
    seen.height = answer.seen.height * SCALE;
    seen.hidden = false;
    seenCaption.textContent = `the ${answer.seen.height}x${answer.seen.width} image ${answer.model} saw`;
    note.textContent = answer.note || "";
    say(`reads ${answer.top[0].class}`);
  }

  async function send(blob, name) {
    const mine = ++asked;
    if (blob.size > config.maxBytes) {
      say(`${name} is larger than ${config.maxBytes / 1048576} MB; choose a smaller file`, true);
      main.dataset.state = "error";
      return;
    }
    say("reading…");
    main.dataset.state = "reading";
    let answer;
    let ok = false;
    try {
      const response = await fetch(`${config.predictUrl}?name=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { "Content-Type": blob.type || "application/octet-stream" },
        body: blob,
      });
      ok = response.ok;
      answer = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    } catch (error) {
      answer = { error: `the server did not answer (${error.message})` };
    }
    if (mine !== asked) return; // a newer drawing was sent meanwhile
    if (ok) show(answer);
    else say(answer.error, true);
    main.dataset.state = ok ? "done" : "error";
    main.dataset.results = String(++results);
  }

  document.getElementById("clear").addEventListener("click", () => {
    clearTimeout(timer);
    asked++;
    clearPad();
    top.replaceChildren();
    seen.hidden = true;
    seenCaption.textContent = "";
    note.textContent = "";
    say("Draw a character.");
    main.dataset.state = "empty";
  });

  document.getElementById("file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) send(file, file.name);
    event.target.value = "";
  });
  main.addEventListener("dragover", (event) => {
    event.preventDefault();
    main.classList.add("dragging");
  });
  main.addEventListener("dragleave", () => main.classList.remove("dragging"));
  main.addEventListener("drop", (event) => {
    event.preventDefault();
    main.classList.remove("dragging");
    const file = event.dataTransfer.files[0];
    if (file) send(file, file.name);
  });

  clearPad();
  main.dataset.results = "0";
  main.dataset.state = "empty"; // drawing, waiting (the debounce), reading, done, error: data-state, for tests
})();
