// chainrule explorer: the page only collects values, shows what the server computed, and
// draws the error curve from the server's numbers. No backpropagation happens here.
"use strict";

const LIMIT = 1e6;                 // the server's VALUE_LIMIT: larger magnitudes are refused
const STAGES = ["setup", "forward", "error", "backward", "update"];
const STAGE_TITLES = {forward: "1 Forward pass", error: "2 Error", backward: "3 Backward pass", update: "4 Update"};
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const page = {
  state: null,       // the state the server last accepted
  initial: null,     // what Reset returns to
  step: null,        // the server's answer for the current state
  stage: "setup",
  stepNumber: 1,
  focus: null,
  curve: [],         // E_total before each update, then after the last
  busy: false,
  ticket: 0,         // the latest /api/step request
  rev: 0,            // counts finished requests and refusals: tests wait on body[data-rev]
};

function settled() { page.rev += 1; document.body.dataset.rev = String(page.rev); }

const $ = (id) => document.getElementById(id);
// An activation or loss in the state is a name, or {name, ...options} when an option is not its default.
const nameOf = (a) => (a !== null && typeof a === "object" ? a.name : a);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));

// ---- talking to the server -------------------------------------------------------------
async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data;
  try { data = await response.json(); } catch (e) { data = {error: `the server answered ${response.status}`}; }
  if (!response.ok) { const err = new Error(data.error || "request failed"); err.field = data.field; throw err; }
  return data;
}

function showServerError(err) {
  const field = err.field ? fieldMessageId(err.field) : null;
  if (field && $(field)) {
    setMessage(field, err.message);
    const input = document.querySelector(`[data-field="${CSS.escape(err.field)}"]`);
    if (input) input.classList.add("bad");
  }
  setStatus(err.message, true);
  settled();
}

function fieldMessageId(field) {
  return "msg-" + field.replace(/\.\d+$/, "");
}

function setMessage(id, text) { const el = $(id); if (el) el.textContent = text; }
function setStatus(text, isError) { const s = $("status"); s.textContent = text; s.className = isError ? "error" : ""; }

// ---- reading the fields ----------------------------------------------------------------
// Returns [number, null] or [null, message]: empty, text, NaN and huge values get a message.
function parseNumber(text, {positive = false} = {}) {
  const t = text.trim();
  if (t === "") return [null, "enter a number"];
  if (!NUMBER.test(t)) return [null, `not a number: "${t.slice(0, 20)}"`];
  const v = Number(t);
  if (!Number.isFinite(v) || Math.abs(v) > LIMIT) return [null, `too large: use a number between -${LIMIT} and ${LIMIT}`];
  if (positive && v <= 0) return [null, "must be greater than 0"];
  return [v, null];
}

function readNumberField(input, options) {
  const [v, msg] = parseNumber(input.value, options);
  input.classList.toggle("bad", msg !== null);
  setMessage("msg-" + input.dataset.field, msg || "");
  return msg === null ? v : null;
}

// The state in the fields, or null if any field is bad (each bad field shows why).
function readState() {
  if (!page.state) return null;
  const s = JSON.parse(JSON.stringify(page.state));
  let ok = true;
  const num = (input, options) => { const v = readNumberField(input, options); if (v === null) ok = false; return v; };
  s.input = [...document.querySelectorAll("#inputs input")].map((i) => num(i));
  s.target = [...document.querySelectorAll("#targets input")].map((i) => num(i));
  for (const input of document.querySelectorAll("#params input")) s.params[input.dataset.field] = num(input);
  s.learning_rate = num($("f-learning_rate"), {positive: true});
  s.train_bias = $("f-train_bias").checked;
  s.error = $("f-error").value;
  s.hidden_deltas = $("f-hidden_deltas").value;
  return ok ? s : null;
}

// ---- building the controls from a state ------------------------------------------------
function numberField(container, field, label, value) {
  const id = "f-" + field;
  container.insertAdjacentHTML("beforeend",
    `<label for="${esc(id)}">${esc(label)}</label><input id="${esc(id)}" data-field="${esc(field)}" ` +
    `value="${esc(value)}" autocomplete="off"><span class="msg" id="msg-${esc(field)}"></span>`);
}

function renderControls(state, activationNames, lossNames) {
  $("f-sizes").value = state.sizes.join(" ");
  const acts = $("activations");
  acts.innerHTML = "";
  state.activations.forEach((a, k) => {
    const last = k === state.activations.length - 1;
    const options = activationNames.map((n) => `<option${n === nameOf(a) ? " selected" : ""}>${esc(n)}</option>`).join("");
    acts.insertAdjacentHTML("beforeend", `<label>${last ? "Output" : "Hidden layer " + (k + 1)} activation ` +
      `<select data-field="activations.${k}" class="activation">${options}</select></label>`);
  });
  acts.insertAdjacentHTML("beforeend", `<span class="msg" id="msg-activations"></span>`);
  $("f-loss").innerHTML = lossNames.map((n) => `<option${n === nameOf(state.loss) ? " selected" : ""}>${esc(n)}</option>`).join("");
  $("f-bias").value = state.bias;
  $("f-train_bias").checked = state.train_bias;
  $("f-error").value = state.error;
  $("f-hidden_deltas").value = state.hidden_deltas;
  $("f-learning_rate").value = state.learning_rate;
  const inputs = $("inputs"), targets = $("targets"), params = $("params");
  inputs.innerHTML = targets.innerHTML = params.innerHTML = "";
  state.input.forEach((v, k) => numberField(inputs, `i${k + 1}`, `input i${k + 1}`, v));
  state.target.forEach((v, k) => numberField(targets, `target_o${k + 1}`, `target o${k + 1}`, v));
  for (const [name, v] of Object.entries(state.params)) numberField(params, name, name, v);
  for (const input of document.querySelectorAll("#inputs input, #targets input, #params input, #f-learning_rate"))
    input.addEventListener("change", () => refresh());
}

function fillValues(state) {
  // After an update or training: new weights in the same fields.
  for (const [name, v] of Object.entries(state.params)) {
    const input = $("f-" + name);
    if (input) { input.value = v; input.classList.remove("bad"); setMessage("msg-" + name, ""); }
  }
}

// ---- showing a step --------------------------------------------------------------------
function showStage(stage) {
  page.stage = stage;
  for (const b of document.querySelectorAll("#stages button[data-stage]"))
    b.classList.toggle("current", b.dataset.stage === stage);
  const step = page.step;
  if (!step) return;
  const diagram = $("diagram");
  diagram.className = "stage-" + stage;
  diagram.innerHTML = step.svg[stage];
  const index = STAGES.indexOf(stage);
  // Earlier stages fold away (a click opens them); the current stage is the open, framed block.
  const blocks = STAGES.slice(1, index + 1).map((s) => s === stage
    ? `<div class="stage-block current" data-stage="${s}">${step.formulas[s]}</div>`
    : `<details class="stage-block done" data-stage="${s}"><summary>${STAGE_TITLES[s]}</summary>` +
      `${step.formulas[s]}</details>`);
  $("formulas").innerHTML = blocks.join("") ||
    `<div class="stage-block current" data-stage="setup">${step.formulas.setup}</div>`;
  $("next").textContent = stage === "update" ? "Apply update ▶ next step" : "Next stage ▶";
  $("step-counter").textContent = `step ${page.stepNumber}`;
  linkHighlights();
}

function linkHighlights() {
  // Hovering a formula lights up its quantities on the diagram, and the other way round.
  const svgItems = (names) => [...document.querySelectorAll("#diagram [data-q]")]
    .filter((el) => el.dataset.q.split(" ").some((n) => names.includes(n)));
  for (const row of document.querySelectorAll("#formulas [data-q]")) {
    // A formula lights up its own quantity and every quantity it uses.
    const names = [row.dataset.q, ...(row.dataset.uses || "").split(" ").filter(Boolean)];
    row.addEventListener("mouseenter", () => svgItems(names).forEach((el) => el.classList.add("cr-hl")));
    row.addEventListener("mouseleave", () => svgItems(names).forEach((el) => el.classList.remove("cr-hl")));
  }
  for (const el of document.querySelectorAll("#diagram [data-q]")) {
    const names = el.dataset.q.split(" ");
    const rows = () => [...document.querySelectorAll("#formulas [data-q]")]
      .filter((r) => names.includes(r.dataset.q));
    el.addEventListener("mouseenter", () => rows().forEach((r) => r.classList.add("hl")));
    el.addEventListener("mouseleave", () => rows().forEach((r) => r.classList.remove("hl")));
  }
  for (const g of document.querySelectorAll("#diagram [data-neuron]")) {
    const name = g.dataset.neuron;
    if (/^h/.test(name)) g.addEventListener("click", () => { page.focus = name; refresh(); });
  }
}

async function refresh() {
  // Quick edits overlap: only the latest call's answer is shown, and a refusal here
  // also outdates any answer still on its way.
  const ticket = ++page.ticket;
  const state = readState();
  if (state === null) {
    setStatus("Fix the marked fields; the page shows the last valid step.", true);
    settled();
    return false;
  }
  try {
    const step = await api("/api/step", {state, digits: Number($("f-digits").value), focus: page.focus});
    if (ticket !== page.ticket) return false;
    page.state = step.state;
    page.step = step;
    for (const el of document.querySelectorAll(".bad")) el.classList.remove("bad");
    for (const el of document.querySelectorAll("#controls .msg")) el.textContent = "";
    setStatus(`E_total = ${step.values.E_total}`, false);
    showStage(page.stage);
    settled();
    return true;
  } catch (err) {
    if (ticket === page.ticket) showServerError(err);
    return false;
  }
}

async function nextStage() {
  const index = STAGES.indexOf(page.stage);
  if (index < STAGES.length - 1) { showStage(STAGES[index + 1]); return; }
  // Past the update: the updated weights become the network of the next step.
  if (!page.step) return;
  if (!page.step.next) { setStatus(page.step.next_refused, true); settled(); return; }
  if (page.curve.length === 0) page.curve.push(page.step.values.E_total);
  page.state = page.step.next;
  fillValues(page.state);
  page.stepNumber += 1;
  page.stage = "setup";
  if (await refresh()) { page.curve.push(page.step.values.E_total); drawCurve(); }
}

// ---- architecture and conventions changes ----------------------------------------------
async function rebuild(keepValues) {
  const sizesText = $("f-sizes").value.trim().split(/[\s,]+/);
  const sizes = sizesText.map(Number);
  if (sizesText.some((t) => !/^\d+$/.test(t))) {
    setMessage("msg-sizes", "layer sizes are whole numbers separated by spaces, e.g. 2 2 2");
    $("f-sizes").classList.add("bad");
    settled();
    return;
  }
  const [seed, seedMsg] = parseNumber($("f-seed").value);
  if (seedMsg || !Number.isInteger(seed) || seed < 0) {
    setMessage("msg-seed", seedMsg || "a whole number >= 0");
    settled();
    return;
  }
  const previous = readState() || page.state;
  // A choice left as it was keeps its options (e.g. leaky_relu's alpha); a new choice takes the defaults.
  const kept = (choice, before) => (before !== undefined && nameOf(before) === choice ? before : choice);
  const activations = [...document.querySelectorAll("#activations select")]
    .map((s, k) => kept(s.value, previous.activations[k]));
  while (activations.length < sizes.length - 1) activations.splice(activations.length - 1, 0, activations[0] || "sigmoid");
  activations.length = Math.max(0, sizes.length - 1);
  const draft = {...previous, sizes, activations, loss: kept($("f-loss").value, previous.loss), bias: $("f-bias").value,
                 train_bias: $("f-train_bias").checked, error: $("f-error").value,
                 hidden_deltas: $("f-hidden_deltas").value};
  try {
    const built = await api("/api/build", {state: draft, seed, previous: keepValues ? previous : null});
    page.state = built.state;
    page.focus = null;
    renderControls(built.state, page.activationNames, page.lossNames);
    resetCurve();
    await refresh();
  } catch (err) { showServerError(err); }
}

// ---- training --------------------------------------------------------------------------
async function train() {
  const input = $("f-updates");
  const t = input.value.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 100000) {
    input.classList.add("bad");
    setMessage("msg-updates", t === "" ? "enter a number of updates" : "a whole number from 1 to 100000");
    settled();
    return;
  }
  input.classList.remove("bad"); setMessage("msg-updates", "");
  let state = readState();
  if (state === null) { setStatus("Fix the marked fields before training.", true); return; }
  setBusy(true);
  try {
    // Ask in chunks so that the curve grows while the engine trains.
    const chunk = Math.max(1, Math.ceil(n / 40));
    let done = 0;
    while (done < n) {
      const k = Math.min(chunk, n - done);
      const result = await api("/api/train", {state, updates: k});
      if (page.curve.length > 0) page.curve.pop();   // the last point was "after", now "before"
      page.curve.push(...result.errors, result.E_after);
      state = result.state;
      done += k;
      page.state = state;
      fillValues(state);
      drawCurve();
      // Under the "updated" convention the server says what these updates are (never with "=").
      const note = result.note ? `, ${result.note}` : "";
      $("curve-status").textContent = `${done} of ${n} updates${note}: E_total = ${result.E_after}`;
      $("curve-status").dataset.hiddenDeltas = result.hidden_deltas;
    }
    page.stepNumber += n;
    page.stage = "setup";
    await refresh();
  } catch (err) { showServerError(err); }
  setBusy(false);
}

function setBusy(busy) {
  page.busy = busy;
  for (const b of document.querySelectorAll("button")) b.disabled = busy;
  document.body.dataset.busy = busy ? "1" : "0";
}

function resetCurve() { page.curve = []; page.stepNumber = 1; drawCurve(); $("curve-status").textContent = ""; }

function drawCurve() {
  const svg = $("curve");
  const W = 420, H = 220, L = 58, R = 10, T = 10, B = 30;
  const pts = page.curve;
  let html = `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/>` +
             `<line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>` +
             `<text x="${W / 2}" y="${H - 6}" text-anchor="middle">updates</text>`;
  if (pts.length > 0) {
    // Log scale: the error falls by orders of magnitude.
    const logs = pts.map((e) => Math.log10(Math.max(e, 1e-300)));
    const lo = Math.min(...logs), hi = Math.max(...logs), span = hi - lo || 1;
    const x = (k) => L + (W - L - R) * (pts.length === 1 ? 0 : k / (pts.length - 1));
    const y = (v) => T + (H - T - B) * (hi - v) / span;
    const step = Math.max(1, Math.floor(pts.length / 800));
    const path = logs.filter((_, k) => k % step === 0 || k === logs.length - 1)
      .map((v, k, arr) => `${x(k === arr.length - 1 ? pts.length - 1 : k * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    html += `<polyline class="line" points="${path}"/>` +
      `<text x="${L - 4}" y="${T + 8}" text-anchor="end">${pts[logs.indexOf(hi)].toExponential(2)}</text>` +
      `<text x="${L - 4}" y="${H - B}" text-anchor="end">${pts[logs.indexOf(lo)].toExponential(2)}</text>` +
      `<text x="${W - R}" y="${H - B + 14}" text-anchor="end">${pts.length - 1}</text>`;
  }
  svg.innerHTML = html;
  svg.dataset.points = String(pts.length);
}

// ---- files -----------------------------------------------------------------------------
async function save() {
  const state = readState();
  if (state === null) { setMessage("msg-file", "fix the marked fields before saving"); return; }
  try {
    const saved = await api("/api/save", {state});
    const blob = new Blob([saved.text], {type: "application/json"});
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = saved.filename;
    document.body.appendChild(a); a.click(); a.remove();
    setMessage("msg-file", `saved ${saved.filename}`);
  } catch (err) { setMessage("msg-file", err.message); }
}

async function load(file) {
  try {
    const text = await file.text();
    const loaded = await api("/api/load", {text, filename: file.name});
    await start(loaded.state);
    page.initial = loaded.state;
    setMessage("msg-file", `loaded ${file.name}`);
  } catch (err) { setMessage("msg-file", `${file.name}: ${err.message}`); settled(); }
}

async function start(state) {
  page.state = state;
  page.focus = null;
  page.stage = "setup";
  renderControls(state, page.activationNames, page.lossNames);
  resetCurve();
  await refresh();
}

// ---- wiring ----------------------------------------------------------------------------
async function main() {
  const initial = await api("/api/initial");
  page.activationNames = initial.activations;
  page.lossNames = initial.losses;
  page.initial = initial.state;
  await start(initial.state);
  for (const b of document.querySelectorAll("#stages button[data-stage]"))
    b.addEventListener("click", () => showStage(b.dataset.stage));
  $("next").addEventListener("click", nextStage);
  $("reset").addEventListener("click", () => start(page.initial));
  $("tutorial").addEventListener("click", async () => {
    const t = await api("/api/tutorial", {}); page.initial = t.state; await start(t.state);
  });
  $("train").addEventListener("click", train);
  $("rebuild").addEventListener("click", () => rebuild(false));
  $("f-sizes").addEventListener("change", () => rebuild(true));
  $("activations").addEventListener("change", () => rebuild(true));
  $("f-loss").addEventListener("change", () => rebuild(true));
  $("f-bias").addEventListener("change", () => rebuild(true));
  for (const id of ["f-train_bias", "f-error", "f-hidden_deltas", "f-digits"]) $(id).addEventListener("change", () => refresh());
  $("save").addEventListener("click", save);
  $("load-file").addEventListener("change", (e) => { if (e.target.files[0]) load(e.target.files[0]); e.target.value = ""; });
  document.body.dataset.ready = "1";
  settled();
}

main().catch((err) => setStatus(`Could not start: ${err.message}`, true));
