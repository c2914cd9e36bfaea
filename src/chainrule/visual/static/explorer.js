// chainrule explorer: the page only collects values, shows what the server computed, and draws the
// error curve and the decision surface from the server's numbers. No backpropagation happens here.
"use strict";

// ---- language: every text the page shows goes through the "explorer" message catalogue ----------
// The page is written in English; GET /api/messages?lang=xx gives {English: translation} for another
// language, and tr() looks a text up and fills its {placeholders}. The texts of the HTML are translated
// in place (translateStatic); the texts the script writes are below, in TEXT. The server answers every
// request in the same language (the request's "lang"): the panels, diagrams, hints and messages.
const LANG_KEY = "chainrule.explorer.lang";
const i18n = {lang: "en", messages: {}, languages: [], statics: null};

function tr(message, params) {
  const text = i18n.messages[message] || message;
  if (params === undefined) return text;
  return text.replace(/\{\{|\}\}|\{(\w+)\}/g, (m, name) => (m === "{{" ? "{" : m === "}}" ? "}" : String(params[name])));
}

// Every text the page writes itself, in one place; each one is looked up when it is shown.
const TEXT = {
  stageTitles: {
    get forward() { return tr("1 Forward pass"); }, get error() { return tr("2 Error"); },
    get backward() { return tr("3 Backward pass"); }, get update() { return tr("4 Update"); },
  },
  status: {
    get setup() { return tr("the network and the sample: nothing is computed yet."); },
    get forward() { return tr("forward pass: net and out of every neuron, layer by layer."); },
  },
  // NOTE: {e} is the number E_total; the status line of the error, backward and update stages.
  statusError: (e) => tr("error: E_total = {e}", {e}),
  statusBackward: (e) => tr("backward pass: E_total = {e}", {e}),
  // NOTE: {focus} is a hidden neuron's name (h1).
  statusBackwardFocus: (e, focus) => tr("backward pass: E_total = {e}; the highlighted paths are summed into {focus} (click a hidden neuron to change it).", {e, focus}),
  statusUpdate: (e) => tr("update: w⁺ = w − η ∂E/∂w. E_total = {e}", {e}),
  step: (n) => tr("step {n}", {n}),
  statusStep: (n) => tr("Step {n}", {n}),
  get nextStage() { return tr("Next stage ▶"); },
  get applyUpdate() { return tr("Apply update ▶ next step"); },
  get fixFields() { return tr("Fix the marked fields; the page shows the last valid step."); },
  get fixBeforeTraining() { return tr("Fix the marked fields before training."); },
  get fixBeforeSaving() { return tr("fix the marked fields before saving"); },
  get enterNumber() { return tr("enter a number"); },
  notNumber: (text) => tr("not a number: \"{text}\"", {text}),
  tooLarge: (limit) => tr("too large: use a number between -{limit} and {limit}", {limit}),
  get positive() { return tr("must be greater than 0"); },
  get sizes() { return tr("layer sizes are whole numbers separated by spaces, e.g. 2 2 2"); },
  get seed() { return tr("a whole number >= 0"); },
  get updates() { return tr("a whole number from 1 to 100000"); },
  get enterUpdates() { return tr("enter a number of updates"); },
  wholeNumber: (low, high) => tr("a whole number from {low} to {high}", {low, high}),
  // NOTE: {e} is a number; {note} the server's sentence on what the updates were (under a published mistake).
  updatesDone: (done, n, note, e) => (note ? tr("{done} of {n} updates, {note}: E_total = {e}", {done, n, note, e})
    : tr("{done} of {n} updates: E_total = {e}", {done, n, e})),
  playing: (n) => tr("playing: {n} updates so far", {n}),
  paused: (n) => tr("paused after {n} updates", {n}),
  get play() { return tr("▶ Play"); }, get pause() { return tr("⏸ Pause"); },
  saved: (file) => tr("saved {file}", {file}), loaded: (file) => tr("loaded {file}", {file}),
  couldNotStart: (message) => tr("Could not start: {message}", {message}),
  serverAnswered: (status) => tr("the server answered {status}", {status}),
  get requestFailed() { return tr("request failed"); },
  outputActivation: () => tr("Output activation"),
  hiddenActivation: (layer) => tr("Hidden layer {layer} activation", {layer}),
  // NOTE: the labels of the sample's fields: {name} is an input (i1) or an output (o1).
  input: (name) => tr("input {name}", {name}),
  target: (name) => tr("target {name}", {name}),
  get noise() { return tr("a number from 0 to 1"); },
  get curveX() { return tr("updates"); },
  get curveYSample() { return tr("E_total (log scale)"); },
  get curveYData() { return tr("E over the data set (log scale)"); },
  get dataNeeds2() { return tr("the data view needs a network with 2 inputs (layer sizes starting with 2)"); },
  // NOTE: {name} is a data set's name (xor) or a CSV file's; {acc} a percentage; {e} a number.
  dataStatus: (name, n, acc, e) => tr("{name}: {n} points · accuracy {acc} % · E = {e}", {name, n, acc, e}),
  dataRange: (x0, x1, y0, y1) => tr("x1 from {x0} to {x1}, x2 from {y0} to {y1}; click a point to step through it", {x0, x1, y0, y1}),
  datasetName: (name) => ({xor: tr("xor"), moons: tr("moons"), circles: tr("circles"), spirals: tr("spirals")}[name] || name),
  csvTooLarge: (file, size) => tr("{file}: the file is larger than {size} KiB", {file, size}),
  get hide() { return tr("hide"); }, get show() { return tr("show"); },
  get check() { return tr("Check"); }, get hint() { return tr("Hint"); },
  get settingsShown() { return tr("◀ Settings"); }, get settingsHidden() { return tr("▶ Settings"); },
  get hideStage() { return tr("Hide this stage's values"); }, get showStage() { return tr("Show all values"); },
  get yourValue() { return tr("your value"); },
  // NOTE: {name} is the quantity the learner types a value for (net_h1).
  yourValueOf: (name) => tr("your value of {name}", {name}),
  get right() { return tr("✓ right"); },
  wrong: (tolerance) => tr("not yet: the answer must be within {tolerance} % of the value", {tolerance}),
};

// The HTML's own texts: every text node and title, aria-label, placeholder and alt attribute, as
// written (English), translated in place (tools/i18n.py extracts exactly these: white space collapsed).
const ATTRIBUTES = ["title", "aria-label", "placeholder", "alt"];
const hasLetter = (text) => /\p{L}/u.test(text);

function collectStatic() {
  const texts = [], attributes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("script, style")) continue;
    const key = node.textContent.replace(/\s+/g, " ").trim();
    if (!hasLetter(key)) continue;
    const [, lead, , trail] = node.textContent.match(/^(\s*)([\s\S]*?)(\s*)$/);
    texts.push({node, key, lead, trail});
  }
  for (const el of document.body.querySelectorAll(ATTRIBUTES.map((a) => `[${a}]`).join(","))) {
    for (const name of ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (value !== null && hasLetter(value)) attributes.push({el, name, key: value.replace(/\s+/g, " ").trim()});
    }
  }
  return {texts, attributes, title: document.title.replace(/\s+/g, " ").trim()};
}

function translateStatic() {
  const statics = i18n.statics;
  for (const t of statics.texts) t.node.textContent = t.lead + tr(t.key) + t.trail;
  for (const a of statics.attributes) a.el.setAttribute(a.name, tr(a.key));
  document.title = tr(statics.title);
  document.documentElement.lang = i18n.lang;
}

function storedLanguage() {
  try { return window.localStorage.getItem(LANG_KEY); } catch (e) { return null; }  // storage may be off
}

// The language to start in: ?lang= in the address, else the reader's last choice, else the server's.
function firstLanguage(serverLang) {
  const asked = new URLSearchParams(window.location.search).get("lang") || storedLanguage();
  return i18n.languages.some((l) => l.code === asked) ? asked : serverLang;
}

async function loadLanguage(lang) {
  const answer = await api(`/api/messages?lang=${encodeURIComponent(lang)}`);
  i18n.lang = answer.lang;
  i18n.messages = answer.messages;
  i18n.languages = answer.languages;
  translateStatic();
  const select = $("f-lang");
  select.innerHTML = i18n.languages.map((l) => `<option value="${esc(l.code)}" lang="${esc(l.code)}"` +
    `${l.code === i18n.lang ? " selected" : ""}>${esc(l.name)}</option>`).join("");
  document.body.dataset.lang = i18n.lang;
}

// The switch: the page's texts at once, then the server's (the step, in the new language).
async function switchLanguage(lang) {
  try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* not remembered */ }
  try {
    await loadLanguage(lang);
  } catch (err) { setStatus(err.message, true); settled(); return; }
  const current = readState() || page.state;
  renderControls(current, page.activationNames, page.lossNames);
  $("settings-toggle").textContent = document.body.classList.contains("settings-hidden") ? TEXT.settingsHidden : TEXT.settingsShown;
  setPlaying(page.playing);
  drawCurve(); curveStatus();
  if (await refresh()) await dataChanged();
}

const LIMIT = 1e6;                 // the server's VALUE_LIMIT: larger magnitudes are refused
const STAGES = ["setup", "forward", "error", "backward", "update"];
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_CSV = 64 * 1024;
const GIVEN = new Set(["input", "target", "weight", "bias", "learning_rate"]);
const CLASS_COLOURS = ["#2f6db5", "#dd6b20", "#2a9d55", "#8e44ad", "#c0392b", "#7f8c8d"];

const page = {
  state: null,       // the state the server last accepted
  initial: null,     // what Reset returns to
  step: null,        // the server's answer for the current state
  stage: "setup",
  stepNumber: 1,
  focus: null,
  curve: [],         // E before each update, then after the last
  busy: false,
  playing: false,
  played: 0,
  ticket: 0,         // the latest /api/step request
  rev: 0,            // counts finished requests and refusals: tests wait on body[data-rev]
  hold: 0,           // > 0 while a chain of requests runs (see chained)
  hidden: new Set(), // practice: quantities shown without their value
  solved: new Set(),
  autoHidden: new Set(),
  data: null,        // {name, points, labels, classes} when training on a data set
  surface: null,
};

// One user action is settled once: steps that chain requests (a rebuild: the step, then the data
// view) hold the count until the last one is done.
function settled() { if (page.hold > 0) return; page.rev += 1; document.body.dataset.rev = String(page.rev); }
async function chained(work) {
  page.hold += 1;
  try { return await work(); } finally { page.hold -= 1; settled(); }
}

const $ = (id) => document.getElementById(id);
// An activation or loss in the state is a name, or {name, ...options} when an option is not its default.
const nameOf = (a) => (a !== null && typeof a === "object" ? a.name : a);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
const digits = () => Number($("f-digits").value);

// ---- numbers: Python's "%.{d}g", so that the page and the server print the same text -------------
// JavaScript rounds an exact tie (1.125 to 3 digits) up, Python to even ("1.12"): settle ties Python's way.
function halfEven(value, d) {
  const [mantissa, e] = Math.abs(value).toExponential(99).split("e");  // the exact binary value's digits
  const digitsOf = mantissa.replace(".", "");
  if (digitsOf[d] !== "5" || /[^0]/.test(digitsOf.slice(d + 1))) return value;
  if (Number(digitsOf[d - 1]) % 2 === 1) return value;  // odd: up, as JavaScript does
  const down = Number(`${digitsOf[0]}.${digitsOf.slice(1, d)}e${e}`);
  return value < 0 ? -down : down;
}

function fmtG(value, d = digits(), {minus = "\u2212"} = {}) {
  if (value === 0 || !Number.isFinite(value)) return String(value === 0 ? 0 : value);
  value = halfEven(value, d);
  const exp = Number(value.toExponential(d - 1).split("e")[1]);
  let text;
  if (exp < -4 || exp >= d) {
    let [mantissa, e] = value.toExponential(d - 1).split("e");
    if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    const n = Number(e);
    text = `${mantissa}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  } else {
    text = value.toFixed(Math.max(0, d - 1 - exp));
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  }
  return text.replace(/-/g, minus);
}
const fieldText = (v) => fmtG(v, digits(), {minus: "-"});

// ---- talking to the server -------------------------------------------------------------
async function api(path, body) {
  // Every POST says the page's language: the server answers in it (panels, hints, messages).
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify({...body, lang: i18n.lang}),
  });
  let data;
  try { data = await response.json(); } catch (e) { data = {error: TEXT.serverAnswered(response.status)}; }
  if (!response.ok) { const err = new Error(data.error || TEXT.requestFailed); err.field = data.field; throw err; }
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

function fieldMessageId(field) { return "msg-" + field.replace(/\.\d+$/, ""); }
function setMessage(id, text) { const el = $(id); if (el) el.textContent = text; }
function setStatus(text, isError) { const s = $("status"); s.textContent = text; s.className = isError ? "error" : ""; }

// ---- reading the fields ----------------------------------------------------------------
// Returns [number, null] or [null, message]: empty, text, NaN and huge values get a message.
function parseNumber(text, {positive = false} = {}) {
  const t = text.trim().replace(/\u2212/g, "-");
  if (t === "") return [null, TEXT.enterNumber];
  if (!NUMBER.test(t)) return [null, TEXT.notNumber(t.slice(0, 20))];
  const v = Number(t);
  if (!Number.isFinite(v) || Math.abs(v) > LIMIT) return [null, TEXT.tooLarge(LIMIT)];
  if (positive && v <= 0) return [null, TEXT.positive];
  return [v, null];
}

// A field the page filled shows its value to the chosen digits and keeps the full value: reading it
// back gives the full value unless the learner changed the text.
function fieldValue(input, options) {
  if (input.dataset.shown !== undefined && input.value === input.dataset.shown) return [Number(input.dataset.full), null];
  return parseNumber(input.value, options);
}

function readNumberField(input, options) {
  const [v, msg] = fieldValue(input, options);
  input.classList.toggle("bad", msg !== null);
  setMessage("msg-" + input.dataset.field, msg || "");
  return msg === null ? v : null;
}

function fill(input, value) {
  input.dataset.full = String(value);
  input.dataset.shown = fieldText(value);
  if (document.activeElement !== input) input.value = input.dataset.shown;
  input.classList.remove("bad");
  setMessage("msg-" + input.dataset.field, "");
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

// A fixed field loses its message as soon as its text is valid again (the request waits for "change").
function liveCheck(input, options) {
  input.addEventListener("input", () => {
    const [, msg] = fieldValue(input, options);
    if (msg === null) { input.classList.remove("bad"); setMessage("msg-" + input.dataset.field, ""); }
  });
}

// ---- building the controls from a state ------------------------------------------------
function numberField(container, field, label) {
  const id = "f-" + field;
  container.insertAdjacentHTML("beforeend",
    `<label for="${esc(id)}">${esc(label)}</label><input id="${esc(id)}" data-field="${esc(field)}" ` +
    `autocomplete="off"><span class="msg" id="msg-${esc(field)}"></span>`);
}

function renderControls(state, activationNames, lossNames) {
  $("f-sizes").value = state.sizes.join(" ");
  const acts = $("activations");
  acts.innerHTML = "";
  state.activations.forEach((a, k) => {
    const last = k === state.activations.length - 1;
    const options = activationNames.map((n) => `<option${n === nameOf(a) ? " selected" : ""}>${esc(n)}</option>`).join("");
    acts.insertAdjacentHTML("beforeend", `<label>${esc(last ? TEXT.outputActivation() : TEXT.hiddenActivation(k + 1))} ` +
      `<select data-field="activations.${k}" class="activation">${options}</select></label>`);
  });
  acts.insertAdjacentHTML("beforeend", `<span class="msg" id="msg-activations"></span>`);
  $("f-loss").innerHTML = lossNames.map((n) => `<option${n === nameOf(state.loss) ? " selected" : ""}>${esc(n)}</option>`).join("");
  $("f-bias").value = state.bias;
  $("f-train_bias").checked = state.train_bias;
  $("f-error").value = state.error;
  $("f-hidden_deltas").value = state.hidden_deltas;
  const inputs = $("inputs"), targets = $("targets"), params = $("params");
  inputs.innerHTML = targets.innerHTML = params.innerHTML = "";
  state.input.forEach((v, k) => numberField(inputs, `i${k + 1}`, TEXT.input(`i${k + 1}`)));
  state.target.forEach((v, k) => numberField(targets, `target_o${k + 1}`, TEXT.target(`o${k + 1}`)));
  for (const name of Object.keys(state.params)) numberField(params, name, name);
  fillValues(state);
  for (const input of document.querySelectorAll("#inputs input, #targets input, #params input")) {
    input.addEventListener("change", () => refresh());
    liveCheck(input);
  }
}

function fillValues(state) {
  // After an update or training: new values in the same fields, to the chosen digits.
  state.input.forEach((v, k) => { const i = $(`f-i${k + 1}`); if (i) fill(i, v); });
  state.target.forEach((v, k) => { const i = $(`f-target_o${k + 1}`); if (i) fill(i, v); });
  for (const [name, v] of Object.entries(state.params)) { const i = $("f-" + name); if (i) fill(i, v); }
  fill($("f-learning_rate"), state.learning_rate);
}

// ---- showing a step --------------------------------------------------------------------
function statusLine() {
  const step = page.step, stage = page.stage;
  const e = step.values.E_total === undefined ? "?" : fmtG(step.values.E_total);
  const said = stage === "error" ? TEXT.statusError(e)
    : stage === "backward" ? (focusOf() ? TEXT.statusBackwardFocus(e, focusOf()) : TEXT.statusBackward(e))
      : stage === "update" ? TEXT.statusUpdate(e) : TEXT.status[stage];
  return `${TEXT.statusStep(page.stepNumber)} · ${said}`;
}

function focusOf() {
  const hidden = page.step ? page.step.names.neurons.slice(1, -1).flat() : [];
  return page.focus || hidden[0] || null;
}

// Go to a stage: in practice, entering it hides its values first (the page asks the server again
// and shows nothing before); otherwise it only redraws.
async function goTo(stage) {
  if (page.step && $("f-practice").checked && autoHide(stage)) {
    page.stage = stage;
    await refresh();
    return;
  }
  showStage(stage);
  settled();
}

function showStage(stage) {
  page.stage = stage;
  for (const b of document.querySelectorAll("#stages button[data-stage]"))
    b.classList.toggle("current", b.dataset.stage === stage);
  const step = page.step;
  if (!step) return;
  const diagram = $("diagram");
  const scroll = [diagram.scrollLeft, diagram.scrollTop];
  diagram.className = "stage-" + stage;
  diagram.innerHTML = step.svg[stage];
  [diagram.scrollLeft, diagram.scrollTop] = scroll;
  const index = STAGES.indexOf(stage);
  // Earlier stages fold away (a click opens them); the current stage is the open, framed block.
  const blocks = STAGES.slice(1, index + 1).map((s) => s === stage
    ? `<div class="stage-block current" data-stage="${s}">${practiceBar(s)}${step.formulas[s]}</div>`
    : `<details class="stage-block done" data-stage="${s}"><summary>${TEXT.stageTitles[s]}</summary>` +
      `${step.formulas[s]}</details>`);
  $("formulas").innerHTML = blocks.join("") ||
    `<div class="stage-block current" data-stage="setup">${step.formulas.setup}</div>`;
  $("matrices").innerHTML = `<div class="stage-block current" data-stage="${stage}">${step.matrices[stage]}</div>`;
  decoratePractice();
  $("next").textContent = stage === "update" ? TEXT.applyUpdate : TEXT.nextStage;
  $("step-counter").textContent = TEXT.step(page.stepNumber);
  if (!$("status").classList.contains("error") || page.stage !== stage) setStatus(statusLine(), false);
  indexLinks();
}

// ---- linking: hovering any quantity lights it up on the diagram, in the equations and the matrices --
const LINKED = ["diagram", "formulas", "matrices"];
let linkIndex = new Map();

function indexLinks() {
  linkIndex = new Map();
  for (const id of LINKED) {
    for (const el of $(id).querySelectorAll("[data-q]")) {
      for (const name of el.dataset.q.split(" ")) {
        if (!linkIndex.has(name)) linkIndex.set(name, []);
        linkIndex.get(name).push(el);
      }
    }
  }
}

function namesOf(el) {
  // A formula lights up its own quantity and every quantity it uses; anything else just its own.
  const names = el.dataset.q.split(" ");
  if (el.classList.contains("formula")) names.push(...(el.dataset.uses || "").split(" ").filter(Boolean));
  return names;
}

let lit = [];
function light(el) {
  unlight();
  const names = namesOf(el);
  const seen = new Set();
  for (const name of names) for (const other of linkIndex.get(name) || []) seen.add(other);
  for (const other of seen) {
    other.classList.add(other.closest("#diagram") ? "cr-hl" : "hl");
    lit.push(other);
  }
  if (!el.closest("#diagram")) bringIntoView([...seen].filter((e) => e.closest("#diagram")));
}
function unlight() { for (const el of lit) el.classList.remove("cr-hl", "hl"); lit = []; }

function bringIntoView(elements) {
  // The diagram scrolls inside its panel: show what the hovered equation is about.
  const box = $("diagram"), frame = box.getBoundingClientRect();
  const targets = elements.filter((e) => e.tagName === "text" || e.tagName === "g");
  if (targets.length === 0) return;
  const visible = targets.some((e) => {
    const r = e.getBoundingClientRect();
    return r.left >= frame.left && r.right <= frame.right && r.top >= frame.top && r.bottom <= frame.bottom;
  });
  if (visible) return;
  const r = targets[0].getBoundingClientRect();
  box.scrollLeft += (r.left + r.right) / 2 - (frame.left + frame.right) / 2;
  box.scrollTop += (r.top + r.bottom) / 2 - (frame.top + frame.bottom) / 2;
}

function wireLinking() {
  for (const id of LINKED) {
    const root = $(id);
    root.addEventListener("mouseover", (e) => {
      const el = e.target.closest("[data-q]");
      if (el && root.contains(el)) light(el);
    });
    root.addEventListener("mouseleave", unlight);
  }
  $("diagram").addEventListener("click", (e) => {
    const g = e.target.closest("[data-neuron]");
    if (g && /^h/.test(g.dataset.neuron)) { page.focus = g.dataset.neuron; refresh(); }
  });
}

// ---- practice: hide a quantity, type its value, check it, ask for a hint -------------------------
function practiceBar(stage) {
  if (!$("f-practice").checked || stage === "setup") return "";
  return `<div class="practice-bar"><button type="button" class="hide-stage" data-stage="${stage}">${TEXT.hideStage}</button>` +
         `<button type="button" class="show-stage" data-stage="${stage}">${TEXT.showStage}</button></div>`;
}

function stageNames(stage) {
  return Object.entries(page.step.stage_of).filter(([, s]) => s === stage).map(([n]) => n);
}

function autoHide(stage) {
  // Entering a stage in practice hides its values once, so that each stage can be worked by hand first.
  // True when it hid something (the step must then be asked for again).
  const key = `${page.stepNumber}:${stage}`;
  if (page.autoHidden.has(key) || stage === "setup") return false;
  page.autoHidden.add(key);
  const fresh = stageNames(stage).filter((n) => !page.solved.has(n) && !page.hidden.has(n));
  fresh.forEach((n) => page.hidden.add(n));
  return fresh.length > 0;
}

function decoratePractice() {
  if (!$("f-practice").checked) return;
  for (const row of document.querySelectorAll("#formulas .stage-block.current .formula")) {
    const name = row.dataset.q;
    const hidden = page.hidden.has(name);
    if (page.solved.has(name)) row.classList.add("solved");
    row.querySelector(".eq").insertAdjacentHTML("beforeend",
      `<button type="button" class="hide-toggle" data-q-toggle="${esc(name)}">${hidden ? TEXT.show : TEXT.hide}</button>`);
    if (!hidden) continue;
    const hint = page.step.practice[name] ? page.step.practice[name].hint : "";
    row.insertAdjacentHTML("beforeend",
      `<div class="practice"><input class="answer" aria-label="${esc(TEXT.yourValueOf(name))}" ` +
      `placeholder="${esc(TEXT.yourValue)}" autocomplete="off"><button type="button" class="check">${TEXT.check}</button>` +
      `<button type="button" class="show-hint">${TEXT.hint}</button><span class="verdict"></span></div>` +
      `<div class="hint" hidden>${hint}</div>`);
  }
}

function wirePractice() {
  $("formulas").addEventListener("click", (e) => {
    const toggle = e.target.closest("[data-q-toggle]");
    if (toggle) {
      const name = toggle.dataset.qToggle;
      if (page.hidden.has(name)) page.hidden.delete(name); else { page.hidden.add(name); page.solved.delete(name); }
      refresh();
      return;
    }
    const stageButton = e.target.closest(".hide-stage, .show-stage");
    if (stageButton) {
      const names = stageNames(stageButton.dataset.stage);
      if (stageButton.classList.contains("hide-stage")) names.forEach((n) => { page.hidden.add(n); page.solved.delete(n); });
      else names.forEach((n) => page.hidden.delete(n));
      refresh();
      return;
    }
    const row = e.target.closest(".formula");
    if (!row) return;
    if (e.target.closest(".show-hint")) { const h = row.querySelector(".hint"); h.hidden = !h.hidden; settled(); }
    if (e.target.closest(".check")) checkAnswer(row);
  });
  $("formulas").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.classList.contains("answer")) checkAnswer(e.target.closest(".formula"));
  });
  $("f-practice").addEventListener("change", () => {
    if (!$("f-practice").checked) { page.hidden.clear(); page.autoHidden.clear(); refresh(); }
    else goTo(page.stage);
  });
}

async function checkAnswer(row) {
  const name = row.dataset.q;
  const input = row.querySelector(".answer"), verdict = row.querySelector(".verdict");
  const [value, msg] = parseNumber(input.value);
  if (msg) { verdict.textContent = msg; verdict.className = "verdict wrong"; settled(); return; }
  try {
    const result = await api("/api/check", {state: page.state, answers: {[name]: value}});
    if (result.results[name].correct) {
      page.hidden.delete(name); page.solved.add(name);
      await refresh();
    } else {
      verdict.textContent = TEXT.wrong(result.tolerance * 100);
      verdict.className = "verdict wrong";
      settled();
    }
  } catch (err) { verdict.textContent = err.message; verdict.className = "verdict wrong"; settled(); }
}

// ---- requests --------------------------------------------------------------------------
async function refresh() {
  // Quick edits overlap: only the latest call's answer is shown, and a refusal here
  // also outdates any answer still on its way.
  const ticket = ++page.ticket;
  const state = readState();
  if (state === null) {
    setStatus(TEXT.fixFields, true);
    settled();
    return false;
  }
  try {
    const step = await api("/api/step", {state, digits: digits(), focus: page.focus, hidden: [...page.hidden]});
    if (ticket !== page.ticket) return false;
    page.state = step.state;
    page.step = step;
    for (const el of document.querySelectorAll(".bad")) el.classList.remove("bad");
    for (const el of document.querySelectorAll("#controls .msg")) if (el.id !== "msg-data") el.textContent = "";
    fillValues(step.state);
    setStatus("", false);
    showStage(page.stage);
    settled();
    return true;
  } catch (err) {
    if (ticket === page.ticket) {
      // A practice name from an earlier network: forget the hidden names and ask again.
      if (err.field === "hidden" && page.hidden.size) { page.hidden.clear(); return refresh(); }
      showServerError(err);
    }
    return false;
  }
}

function newStep() {
  page.stepNumber += 1;
  page.stage = "setup";
  page.hidden.clear(); page.solved.clear();
}

async function nextStage() {
  const index = STAGES.indexOf(page.stage);
  if (index < STAGES.length - 1) { await goTo(STAGES[index + 1]); return; }
  // Past the update: the updated weights become the network of the next step.
  if (!page.step) return;
  if (!page.step.next) { setStatus(page.step.next_refused, true); settled(); return; }
  const before = page.step.values.E_total;
  page.state = page.step.next;
  fillValues(page.state);
  newStep();
  if (await refresh()) {
    if (!page.data) { if (page.curve.length === 0) page.curve.push(before); page.curve.push(page.step.values.E_total); drawCurve(); }
  }
}

// ---- architecture and conventions changes ----------------------------------------------
async function rebuild(keepValues) {
  const sizesText = $("f-sizes").value.trim().split(/[\s,]+/);
  const sizes = sizesText.map(Number);
  if (sizesText.some((t) => !/^\d+$/.test(t))) {
    setMessage("msg-sizes", TEXT.sizes);
    $("f-sizes").classList.add("bad");
    settled();
    return;
  }
  const [seed, seedMsg] = parseNumber($("f-seed").value);
  if (seedMsg || !Number.isInteger(seed) || seed < 0) {
    setMessage("msg-seed", seedMsg || TEXT.seed);
    $("f-seed").classList.add("bad");
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
    page.hidden.clear(); page.solved.clear();
    renderControls(built.state, page.activationNames, page.lossNames);
    resetCurve();
    await chained(async () => { if (await refresh()) await dataChanged(); });
  } catch (err) { showServerError(err); }
}

// ---- training: N updates, play, step -------------------------------------------------------
async function train() {
  const input = $("f-updates");
  const t = input.value.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 100000) {
    input.classList.add("bad");
    setMessage("msg-updates", t === "" ? TEXT.enterUpdates : TEXT.updates);
    settled();
    return;
  }
  input.classList.remove("bad"); setMessage("msg-updates", "");
  let state = readState();
  if (state === null) { setStatus(TEXT.fixBeforeTraining, true); settled(); return; }
  setBusy(true);
  try {
    // Ask in chunks so that the curve grows while the engine trains.
    const chunk = Math.max(1, Math.ceil(n / 40));
    let done = 0;
    while (done < n) {
      const k = Math.min(chunk, n - done);
      const result = await updates(state, k);
      state = result.state;
      done += k;
      // Under the "updated" convention the server says what these updates are (never with "=").
      page.trained = {done, n, note: result.note || "", e: result.E_after};
      curveStatus();
      $("curve-status").dataset.hiddenDeltas = result.hidden_deltas || "";
      $("curve-status").dataset.value = String(result.E_after);
    }
    page.stepNumber += n - 1;
    newStep();
    await refresh();
  } catch (err) { showServerError(err); }
  setBusy(false);
}

// k updates of the current network: on the sample, or on the whole data set in the data view.
async function updates(state, k) {
  const result = page.data
    ? await api("/api/fit", {state, data: page.data, updates: k, grid: 40})
    : await api("/api/train", {state, updates: k});
  if (page.curve.length > 0) page.curve.pop();   // the last point was "after", now "before"
  page.curve.push(...result.errors, result.E_after);
  page.state = result.state;
  fillValues(result.state);
  drawCurve();
  if (result.surface) { page.surface = result; drawSurface(); }
  return result;
}

async function play() {
  if (page.playing) { page.playing = false; return; }
  const state = readState();
  if (state === null) { setStatus(TEXT.fixBeforeTraining, true); settled(); return; }
  page.playing = true;
  page.played = 0;
  setPlaying(true);
  try {
    while (page.playing) {
      const k = Number($("f-speed").value);
      await updates(page.state, k);
      page.played += k;
      page.stepNumber += k;
      page.hidden.clear(); page.solved.clear();
      await refresh();
      setStatus(TEXT.playing(page.played), false);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    setStatus(TEXT.paused(page.played), false);
  } catch (err) { showServerError(err); }
  page.playing = false;
  setPlaying(false);
  settled();
}

async function stepOnce() {
  const state = readState();
  if (state === null) { setStatus(TEXT.fixBeforeTraining, true); settled(); return; }
  setBusy(true);
  try {
    await updates(state, 1);
    newStep();
    await refresh();
  } catch (err) { showServerError(err); }
  setBusy(false);
}

function setPlaying(on) {
  const b = $("play-toggle");
  b.textContent = on ? TEXT.pause : TEXT.play;
  b.setAttribute("aria-pressed", on ? "true" : "false");
  document.body.dataset.playing = on ? "1" : "0";
  for (const el of document.querySelectorAll("#controls button, #controls input, #controls select, #step-once, #next, #reset"))
    el.disabled = on;
}

function setBusy(busy) {
  page.busy = busy;
  for (const b of document.querySelectorAll("button")) b.disabled = busy;
  document.body.dataset.busy = busy ? "1" : "0";
}

function curveStatus() {
  const t = page.trained;
  $("curve-status").textContent = t ? TEXT.updatesDone(t.done, t.n, t.note, fmtG(t.e)) : "";
}

function resetCurve() { page.curve = []; page.stepNumber = 1; page.trained = null; drawCurve(); curveStatus(); }

function drawCurve() {
  const svg = $("curve");
  const W = 360, H = 170, L = 66, R = 10, T = 10, B = 30;
  const pts = page.curve;
  let html = `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/>` +
             `<line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>` +
             `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${TEXT.curveX}</text>` +
             `<text x="${L + 4}" y="${T + 10}">${page.data ? TEXT.curveYData : TEXT.curveYSample}</text>`;
  if (pts.length > 0) {
    // Log scale: the error falls by orders of magnitude.
    const logs = pts.map((e) => Math.log10(Math.max(e, 1e-300)));
    const lo = Math.min(...logs), hi = Math.max(...logs), span = hi - lo || 1;
    const x = (k) => L + (W - L - R) * (pts.length === 1 ? 0 : k / (pts.length - 1));
    const y = (v) => T + 14 + (H - T - B - 14) * (hi - v) / span;
    const step = Math.max(1, Math.floor(pts.length / 800));
    const path = logs.filter((_, k) => k % step === 0 || k === logs.length - 1)
      .map((v, k, arr) => `${x(k === arr.length - 1 ? pts.length - 1 : k * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    html += `<polyline class="line" points="${path}"/>` +
      `<text x="${L - 4}" y="${T + 18}" text-anchor="end">${fmtG(pts[logs.indexOf(hi)])}</text>` +
      `<text x="${L - 4}" y="${H - B}" text-anchor="end">${fmtG(pts[logs.indexOf(lo)])}</text>` +
      `<text x="${W - R}" y="${H - B + 14}" text-anchor="end">${pts.length - 1}</text>`;
  }
  svg.innerHTML = html;
  svg.dataset.points = String(pts.length);
}

// ---- the data view ---------------------------------------------------------------------------
function checkedInt(id, lo, hi) {
  const input = $(id);
  const t = input.value.trim(), v = Number(t);
  const ok = /^\d+$/.test(t) && v >= lo && v <= hi;
  input.classList.toggle("bad", !ok);
  setMessage("msg-" + input.dataset.field, ok ? "" : TEXT.wholeNumber(lo, hi));
  return ok ? v : null;
}

async function chooseData() {
  const choice = $("f-dataset").value;
  setMessage("msg-data", "");
  if (choice === "") { page.data = null; page.surface = null; $("surface-box").hidden = true; resetCurve(); settled(); return; }
  if (choice === "csv") { $("csv-file").click(); settled(); return; }
  const n = checkedInt("f-data_n", 4, 1000), seed = checkedInt("f-data_seed", 0, 4294967295);
  const [noise, msg] = parseNumber($("f-noise").value);
  const noiseOk = msg === null && noise >= 0 && noise <= 1;
  $("f-noise").classList.toggle("bad", !noiseOk);
  setMessage("msg-noise", noiseOk ? "" : (msg || TEXT.noise));
  if (n === null || seed === null || !noiseOk) { settled(); return; }
  try {
    useData(await api("/api/dataset", {name: choice, n, noise, seed}));
    await dataChanged();
  } catch (err) { setMessage("msg-data", err.message); settled(); }
}

async function loadCsv(file) {
  if (file.size > MAX_CSV) { setMessage("msg-data", TEXT.csvTooLarge(file.name, MAX_CSV / 1024)); settled(); return; }
  try {
    useData(await api("/api/dataset", {csv: await file.text(), filename: file.name}));
    await dataChanged();
  } catch (err) { setMessage("msg-data", err.message); settled(); }
}

function useData(data) { page.data = data; resetCurve(); }

async function dataChanged() {
  // Evaluate the current network on the data (no update) and draw the surface.
  if (!page.data) { settled(); return; }
  if (page.state.sizes[0] !== 2) { setMessage("msg-data", TEXT.dataNeeds2); $("surface-box").hidden = true; settled(); return; }
  try {
    page.surface = await api("/api/fit", {state: page.state, data: page.data, updates: 0, grid: 40});
    setMessage("msg-data", "");
    drawSurface();
  } catch (err) { setMessage("msg-data", err.message); $("surface-box").hidden = true; }
  settled();
}

function drawSurface() {
  const box = $("surface-box"), canvas = $("surface"), result = page.surface, data = page.data;
  if (!result || !data) { box.hidden = true; return; }
  box.hidden = false;
  const s = result.surface, ctx = canvas.getContext("2d"), size = canvas.width;
  // One pixel per grid cell (the class's colour, paler where the network is less sure), then scaled up smoothly.
  const grid = document.createElement("canvas");
  grid.width = grid.height = s.n;
  const image = grid.getContext("2d").createImageData(s.n, s.n);
  for (let k = 0; k < s.classes.length; k++) {
    const hex = CLASS_COLOURS[s.classes[k] % CLASS_COLOURS.length];
    const mix = 0.15 + 0.55 * s.strength[k];
    for (let c = 0; c < 3; c++) {
      const channel = parseInt(hex.slice(1 + 2 * c, 3 + 2 * c), 16);
      image.data[4 * k + c] = Math.round(255 + (channel - 255) * mix);
    }
    image.data[4 * k + 3] = 255;
  }
  grid.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, size, size);
  ctx.drawImage(grid, 0, 0, size, size);
  const [x0, x1] = s.x, [y0, y1] = s.y;
  data.points.forEach(([px, py], k) => {
    const cx = (px - x0) / (x1 - x0) * size, cy = (y1 - py) / (y1 - y0) * size;
    ctx.beginPath(); ctx.arc(cx, cy, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLOURS[data.labels[k] % CLASS_COLOURS.length]; ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke();
  });
  $("surface-status").textContent = TEXT.dataStatus(TEXT.datasetName(data.name), data.points.length,
    fmtG(100 * result.accuracy), fmtG(result.E_after)) + " · " + TEXT.dataRange(fmtG(x0), fmtG(x1), fmtG(y0), fmtG(y1));
  canvas.dataset.accuracy = String(result.accuracy);
}

async function pickPoint(event) {
  // A click on a point makes it the sample that the stages step through.
  const result = page.surface, data = page.data;
  if (!result || !data) return;
  const canvas = $("surface"), r = canvas.getBoundingClientRect(), s = result.surface;
  const mx = (event.clientX - r.left) / r.width * canvas.width, my = (event.clientY - r.top) / r.height * canvas.height;
  let best = -1, bestD = 64;
  data.points.forEach(([px, py], k) => {
    const cx = (px - s.x[0]) / (s.x[1] - s.x[0]) * canvas.width, cy = (s.y[1] - py) / (s.y[1] - s.y[0]) * canvas.height;
    const d = (cx - mx) ** 2 + (cy - my) ** 2;
    if (d < bestD) { bestD = d; best = k; }
  });
  if (best < 0) return;
  const outputs = page.state.sizes[page.state.sizes.length - 1], label = data.labels[best];
  const target = outputs === 1 ? [label] : Array.from({length: outputs}, (_, k) => (k === label ? 1 : 0));
  page.state = {...page.state, input: data.points[best].slice(), target};
  fillValues(page.state);
  page.stage = "setup";
  await refresh();
}

// ---- files -----------------------------------------------------------------------------
async function save() {
  const state = readState();
  if (state === null) { setMessage("msg-file", TEXT.fixBeforeSaving); settled(); return; }
  try {
    const saved = await api("/api/save", {state});
    const blob = new Blob([saved.text], {type: "application/json"});
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = saved.filename;
    document.body.appendChild(a); a.click(); a.remove();
    setMessage("msg-file", TEXT.saved(saved.filename));
  } catch (err) { setMessage("msg-file", err.message); }
  settled();
}

async function load(file) {
  try {
    const text = await file.text();
    const loaded = await api("/api/load", {text, filename: file.name});
    await start(loaded.state);
    page.initial = loaded.state;
    setMessage("msg-file", TEXT.loaded(file.name));
  } catch (err) { setMessage("msg-file", `${file.name}: ${err.message}`); settled(); }
}

async function start(state) {
  page.state = state;
  page.focus = null;
  page.stage = "setup";
  page.hidden.clear(); page.solved.clear(); page.autoHidden.clear();
  renderControls(state, page.activationNames, page.lossNames);
  resetCurve();
  await chained(async () => { if (await refresh()) await dataChanged(); });
}

// ---- wiring ----------------------------------------------------------------------------
function toolbarHeight() {
  document.documentElement.style.setProperty("--toolbar", `${$("toolbar").offsetHeight}px`);
}

async function main() {
  i18n.statics = collectStatic();
  const initial = await api("/api/initial");
  i18n.languages = initial.languages.map((code) => ({code, name: code}));
  await loadLanguage(firstLanguage(initial.lang));
  $("f-lang").addEventListener("change", () => switchLanguage($("f-lang").value));
  page.activationNames = initial.activations;
  page.lossNames = initial.losses;
  page.initial = initial.state;
  toolbarHeight();
  window.addEventListener("resize", toolbarHeight);
  wireLinking();
  wirePractice();
  await start(initial.state);
  for (const b of document.querySelectorAll("#stages button[data-stage]"))
    b.addEventListener("click", () => goTo(b.dataset.stage));
  $("next").addEventListener("click", nextStage);
  $("reset").addEventListener("click", () => start(page.initial));
  $("tutorial").addEventListener("click", async () => {
    const t = await api("/api/tutorial", {}); page.initial = t.state; await start(t.state);
  });
  $("train").addEventListener("click", train);
  $("play-toggle").addEventListener("click", play);
  $("step-once").addEventListener("click", stepOnce);
  $("rebuild").addEventListener("click", () => rebuild(false));
  $("f-sizes").addEventListener("change", () => rebuild(true));
  $("f-sizes").addEventListener("input", () => {
    if ($("f-sizes").value.trim().split(/[\s,]+/).every((t) => /^\d+$/.test(t))) {
      $("f-sizes").classList.remove("bad"); setMessage("msg-sizes", "");
    }
  });
  $("f-seed").addEventListener("input", () => {
    const [v, msg] = parseNumber($("f-seed").value);
    if (msg === null && Number.isInteger(v) && v >= 0) { $("f-seed").classList.remove("bad"); setMessage("msg-seed", ""); }
  });
  $("activations").addEventListener("change", () => rebuild(true));
  $("f-loss").addEventListener("change", () => rebuild(true));
  $("f-bias").addEventListener("change", () => rebuild(true));
  for (const id of ["f-train_bias", "f-error", "f-hidden_deltas", "f-digits"]) $(id).addEventListener("change", () => refresh());
  $("f-digits").addEventListener("change", () => { drawCurve(); drawSurface(); curveStatus(); });
  $("f-learning_rate").addEventListener("change", () => refresh());
  liveCheck($("f-learning_rate"), {positive: true});
  $("f-updates").addEventListener("input", () => {
    const t = $("f-updates").value.trim();
    if (/^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 100000) { $("f-updates").classList.remove("bad"); setMessage("msg-updates", ""); }
  });
  $("f-dataset").addEventListener("change", chooseData);
  for (const id of ["f-data_n", "f-noise", "f-data_seed"]) $(id).addEventListener("change", () => { if ($("f-dataset").value && $("f-dataset").value !== "csv") chooseData(); });
  $("csv-file").addEventListener("change", (e) => { if (e.target.files[0]) loadCsv(e.target.files[0]); e.target.value = ""; });
  $("surface").addEventListener("click", pickPoint);
  $("save").addEventListener("click", save);
  $("load-file").addEventListener("change", (e) => { if (e.target.files[0]) load(e.target.files[0]); e.target.value = ""; });
  $("settings-toggle").addEventListener("click", () => {
    const hidden = document.body.classList.toggle("settings-hidden");
    $("settings-toggle").setAttribute("aria-expanded", String(!hidden));
    $("settings-toggle").textContent = hidden ? TEXT.settingsHidden : TEXT.settingsShown;
    toolbarHeight();
  });
  $("tab-neurons").addEventListener("click", () => showTab("neurons"));
  $("tab-matrices").addEventListener("click", () => showTab("matrices"));
  $("f-names").addEventListener("change", () => $("matrices").classList.toggle("show-names", $("f-names").checked));
  document.body.dataset.ready = "1";
  document.body.dataset.playing = "0";
  settled();
}

function showTab(which) {
  const matrices = which === "matrices";
  $("tab-neurons").setAttribute("aria-selected", String(!matrices));
  $("tab-matrices").setAttribute("aria-selected", String(matrices));
  $("formulas").hidden = matrices;
  $("matrices").hidden = !matrices;
  $("names-toggle").hidden = !matrices;
  settled();
}

main().catch((err) => setStatus(TEXT.couldNotStart(err.message), true));
