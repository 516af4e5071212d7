// The wallet's screens. Talks to the Rust side only through Tauri commands (and the
// `run-update` / `payment-url` events); every string comes from i18n.js.
import { applyTranslations, currentLanguage, has, setLanguage, t } from "./i18n.js";

const tauri = globalThis.__TAURI__;
const invoke = tauri?.core?.invoke ?? (() => Promise.reject({ code: "NO_APP", message: "not in the app" }));
const listen = tauri?.event?.listen;

const root = document.getElementById("app");
const tabs = document.getElementById("tabs");
const welcomeHtml = root.innerHTML;

const state = {
  info: null,
  session: null,
  demo: null,
  cases: null,
  filter: "all",
  run: null, // the run screen's model
  timers: [],
};

// ---------- small helpers ----------

/** Makes an element: attributes (`on*` are listeners, `text` is text), then children. */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "html") element.innerHTML = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const $ = (selector) => document.querySelector(selector);

/** Replaces an element's children, skipping the null/false placeholders of optional parts. */
function fill(element, ...nodes) {
  element.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

function errorText(error) {
  const code = error?.code;
  const message = error?.message ?? String(error);
  if (code && has(`error.${code}`)) return t(`error.${code}`, { message });
  return t("error.generic", { message });
}

function outcomeOf(status) {
  if (!status) return "notRun";
  const s = String(status).toLowerCase();
  return ["passed", "failed", "broken", "skipped"].includes(s) ? s : "open";
}

function badge(status) {
  const outcome = outcomeOf(status);
  return h("span", { class: `badge ${outcome}`, "data-outcome": outcome, text: t(`outcome.${outcome}`) });
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

async function fileBase64(file) {
  return toBase64(await file.arrayBuffer());
}

function clearTimers() {
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  stopCamera();
}

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

function when(at) {
  try {
    return new Date(at).toLocaleString(currentLanguage());
  } catch {
    return String(at);
  }
}

// ---------- screens ----------

const TAB_SCREENS = ["cases", "run", "history", "generate", "settings"];

function show(name, ...children) {
  clearTimers();
  root.className = `screen ${name}`;
  root.dataset.screen = name;
  const nodes = [state.demo && TAB_SCREENS.includes(name) ? demoBanner() : null, ...children]
    .flat(Infinity)
    .filter((node) => node !== null && node !== undefined && node !== false);
  fill(root, ...nodes);
  tabs.hidden = !TAB_SCREENS.includes(name);
  for (const button of tabs.querySelectorAll("button")) {
    const active = button.dataset.tab === name || (name === "run" && button.dataset.tab === "cases");
    button.classList.toggle("active", active);
  }
  document.body.classList.toggle("with-tabs", !tabs.hidden);
  window.scrollTo(0, 0);
}

function demoBanner() {
  return h(
    "div",
    { class: "demo-banner", id: "demo-banner" },
    h("span", { text: t("demo.banner") }),
    h("button", {
      class: "link",
      type: "button",
      id: "open-pos",
      text: t("demo.openPos"),
      onclick: () => invoke("open_pos").catch((e) => alert(errorText(e))),
    }),
  );
}

function message(id, kind = "notice") {
  return h("p", { id, class: kind, role: "status", "aria-live": "polite", hidden: true });
}

function say(id, text, kind) {
  const element = document.getElementById(id);
  if (!element) return;
  element.textContent = text;
  element.hidden = !text;
  if (kind) element.className = kind;
}

// Welcome

function showWelcome(initial = false) {
  clearTimers();
  root.className = "screen welcome";
  root.dataset.screen = "welcome";
  // At start the page's own markup is the welcome screen: keep its elements.
  if (!initial) root.innerHTML = welcomeHtml;
  tabs.hidden = true;
  document.body.classList.remove("with-tabs");
  applyTranslations(root);
  if (state.info) {
    $("#version").textContent = t("welcome.version", {
      version: state.info.version,
      wallet: state.info.defaultWallet,
    });
  }
  $("#sign-in").addEventListener("click", showSignIn);
  $("#try-demo").addEventListener("click", startDemo);
}

async function startDemo() {
  const notice = $("#notice");
  if (notice) {
    notice.className = "notice";
    notice.textContent = t("demo.starting");
    notice.hidden = false;
  }
  for (const button of root.querySelectorAll("button")) button.disabled = true;
  try {
    state.demo = await invoke("start_demo");
    state.session = await invoke("session");
    await showCases();
  } catch (error) {
    if (notice) {
      notice.className = "notice error";
      notice.textContent = t("demo.failed", { message: error?.message ?? String(error) });
    }
    for (const button of root.querySelectorAll("button")) button.disabled = false;
  }
}

// Sign in

function invitationFrom(text) {
  const trimmed = String(text ?? "").trim();
  const link = trimmed.match(/^(https?:\/\/.+?)\/invite\/([^/?#\s]+)/i);
  if (link) return { code: decodeURIComponent(link[2]), hub: link[1] };
  const param = trimmed.match(/[?&]code=([^&#\s]+)/i);
  if (param) return { code: decodeURIComponent(param[1]) };
  return { code: trimmed };
}

async function showSignIn(mode = "invitation") {
  const settings = await invoke("settings").catch(() => null);
  const useInvitation = async (text) => {
    const found = invitationFrom(text);
    $("#invitation-code").value = found.code;
    if (found.hub) {
      $("#hub-url").value = found.hub;
      await saveHub(true);
    }
  };
  const invitationForm = h(
    "form",
    { id: "invitation-form", class: "card form", hidden: mode !== "invitation", onsubmit: signInWithInvitation },
    h("label", { for: "invitation-code", text: t("signIn.invitationCode") }),
    h("input", { id: "invitation-code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", placeholder: "K7QH-3MXP-9TRW" }),
    h("p", { class: "hint", text: t("signIn.invitationHint") }),
    h(
      "div",
      { class: "row" },
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "scan-invitation",
        text: t("signIn.scanInvitation"),
        onclick: () => $("#invitation-image").click(),
      }),
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "paste-invitation",
        text: t("signIn.pasteInvitation"),
        onclick: async () => {
          try {
            await useInvitation(await navigator.clipboard.readText());
          } catch (error) {
            say("sign-in-error", t("scan.clipboardEmpty"), "notice error");
          }
        },
      }),
      h("button", {
        type: "button",
        class: "button small secondary",
        id: "screen-invitation",
        text: t("scan.screen"),
        onclick: async () => {
          try {
            const codes = await invoke("codes_on_screen");
            const invite = codes.find((c) => /\/invite\//.test(c)) ?? codes[0];
            await useInvitation(invite);
          } catch (error) {
            say("sign-in-error", errorText(error), "notice error");
          }
        },
      }),
    ),
    h("input", {
      type: "file",
      id: "invitation-image",
      accept: "image/*",
      hidden: true,
      onchange: async (event) => {
        const file = event.target.files?.[0];
        if (!file) return;
        try {
          const codes = await invoke("read_codes", { image: await fileBase64(file) });
          await useInvitation(codes[0]);
        } catch (error) {
          say("sign-in-error", errorText(error), "notice error");
        }
      },
    }),
    h("label", { for: "new-password", text: t("signIn.newPassword") }),
    h("input", { id: "new-password", type: "password", autocomplete: "new-password" }),
    h("button", { id: "submit-invitation", class: "button primary", type: "submit", text: t("signIn.submitInvitation") }),
  );
  const passwordForm = h(
    "form",
    { id: "password-form", class: "card form", hidden: mode !== "password", onsubmit: signInWithPassword },
    h("label", { for: "login", text: t("signIn.login") }),
    h("input", { id: "login", autocomplete: "username", spellcheck: "false" }),
    h("label", { for: "password", text: t("signIn.password") }),
    h("input", { id: "password", type: "password", autocomplete: "current-password" }),
    h("button", { id: "submit-password", class: "button primary", type: "submit", text: t("signIn.submitPassword") }),
  );
  const switcher = h(
    "div",
    { class: "segmented", role: "tablist" },
    h("button", { type: "button", id: "mode-invitation", class: mode === "invitation" ? "active" : "", text: t("signIn.invitationTab"), onclick: () => showSignIn("invitation") }),
    h("button", { type: "button", id: "mode-password", class: mode === "password" ? "active" : "", text: t("signIn.passwordTab"), onclick: () => showSignIn("password") }),
  );
  const advanced = h(
    "details",
    { class: "card advanced", id: "advanced" },
    h("summary", { text: t("signIn.advanced") }),
    h("label", { for: "hub-url", text: t("signIn.hubUrl") }),
    h("input", { id: "hub-url", value: settings?.hubUrl ?? "", spellcheck: "false", inputmode: "url" }),
    h("button", { type: "button", id: "save-hub", class: "button small secondary", text: t("signIn.saveHub"), onclick: () => saveHub(false) }),
  );
  show(
    "sign-in",
    h("header", { class: "bar" },
      h("button", { type: "button", class: "link", id: "sign-in-back", text: `‹ ${t("signIn.back")}`, onclick: showWelcome }),
      h("h1", { text: t("signIn.title") })),
    switcher,
    invitationForm,
    passwordForm,
    message("sign-in-error", "notice error"),
    advanced,
  );
}

async function saveHub(quiet) {
  try {
    await invoke("update_settings", { update: { hubUrl: $("#hub-url").value.trim() } });
    if (!quiet) say("sign-in-error", t("signIn.hubSaved"), "notice");
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

async function signInWithInvitation(event) {
  event.preventDefault();
  const code = $("#invitation-code").value.trim();
  const password = $("#new-password").value;
  if (!code) return say("sign-in-error", t("signIn.needCode"), "notice error");
  if (password.length < 8) return say("sign-in-error", t("signIn.shortPassword"), "notice error");
  say("sign-in-error", t("signIn.working"), "notice");
  try {
    state.session = await invoke("sign_in_with_invitation", { code, password });
    await showCases();
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

async function signInWithPassword(event) {
  event.preventDefault();
  say("sign-in-error", t("signIn.working"), "notice");
  try {
    state.session = await invoke("sign_in", { login: $("#login").value.trim(), password: $("#password").value });
    await showCases();
  } catch (error) {
    say("sign-in-error", errorText(error), "notice error");
  }
}

// Cases

function matchesFilter(entry) {
  const outcome = outcomeOf(entry.last?.status);
  switch (state.filter) {
    case "notRun":
      return outcome === "notRun";
    case "failed":
      return outcome === "failed" || outcome === "broken";
    case "passed":
      return outcome === "passed";
    default:
      return true;
  }
}

async function showCases() {
  show("cases", h("h1", { class: "title", text: t("cases.title") }), h("p", { class: "muted", text: t("cases.loading") }));
  try {
    state.cases = await invoke("cases");
  } catch (error) {
    if (error?.code === "NOT_SIGNED_IN" || error?.code === "SESSION_EXPIRED") return showSignIn("password");
    show("cases", h("h1", { class: "title", text: t("cases.title") }), h("p", { class: "notice error", text: errorText(error) }));
    return;
  }
  renderCases();
}

function renderCases() {
  const list = state.cases;
  const filters = [
    ["all", "cases.filterAll"],
    ["notRun", "cases.filterNotRun"],
    ["failed", "cases.filterFailed"],
    ["passed", "cases.filterPassed"],
  ];
  const chips = h(
    "div",
    { class: "chips", role: "tablist" },
    filters.map(([name, key]) =>
      h("button", {
        type: "button",
        id: `filter-${name}`,
        class: state.filter === name ? "chip active" : "chip",
        text: t(key),
        onclick: () => {
          state.filter = name;
          renderCases();
        },
      }),
    ),
  );
  const groups = list.groups.map((group) => {
    const total = group.cases.length;
    const entries = group.cases.filter(matchesFilter);
    const percent = total ? Math.round((group.passed * 100) / total) : 0;
    return h(
      "section",
      { class: "group", "data-product": group.product },
      h("div", { class: "group-head" },
        h("h2", { text: group.product }),
        h("span", { class: "muted small", text: t("cases.progress", { passed: group.passed, failed: group.failed, total }) })),
      h("div", { class: "progress", role: "progressbar", "aria-valuenow": percent }, h("span", { style: `width:${percent}%` })),
      entries.map((entry) =>
        h(
          "button",
          { type: "button", class: "case-row", id: `case-${entry.id}`, "data-case": entry.id, onclick: () => showRun(entry.id) },
          h("span", { class: "case-id", text: entry.id }),
          h("span", { class: "case-title", text: entry.title }),
          entry.runnable ? badge(entry.last?.status) : h("span", { class: "badge skipped", text: t("cases.notImplemented") }),
        ),
      ),
    );
  });
  const visible = list.groups.some((g) => g.cases.some(matchesFilter));
  show(
    "cases",
    h("h1", { class: "title", text: t("cases.title") }),
    list.fromCache ? h("p", { class: "notice", text: t("cases.offline", { reason: list.offlineReason ?? "" }) }) : null,
    chips,
    visible ? groups : h("p", { class: "muted", text: t("cases.none") }),
  );
}

// Run a case

const FINAL_PAYMENT = ["succeeded", "failed", "cancelled", "refunded", "partially_refunded"];

function defaultTool(caseId) {
  return /^(MOC|MPC|MEC)-/.test(caseId) ? "scan" : "pay";
}

async function showRun(caseId, runId = null) {
  let entry;
  try {
    entry = await invoke("case", { caseId });
  } catch (error) {
    return show("run", h("p", { class: "notice error", text: errorText(error) }));
  }
  state.run = {
    entry,
    runId,
    run: null,
    events: [],
    verdict: null,
    report: null,
    tool: defaultTool(caseId),
    code: null,
    codeUsed: false,
    scan: null,
    answers: {},
    photos: {},
    unsent: [],
    notice: null,
  };
  show(
    "run",
    h("header", { class: "bar" },
      h("button", { type: "button", class: "link", id: "run-back", text: `‹ ${t("run.back")}`, onclick: showCases }),
      h("h1", {}, h("span", { class: "case-id", text: entry.id }), " ", entry.title)),
    h("div", { id: "run", "data-run-id": runId ?? "", "data-case": entry.id }),
  );
  if (runId) {
    await refreshRun();
    invoke("follow_run", { runId }).catch(() => {});
  }
  renderRun();
  every(2500, refreshRun);
}

async function startRun() {
  const model = state.run;
  try {
    const run = await invoke("start_run", { caseId: model.entry.id });
    Object.assign(model, { runId: run.id, run, events: run.events ?? [], verdict: null, report: null, code: null, codeUsed: false, scan: null, answers: {}, photos: {} });
    $("#run").dataset.runId = run.id;
    renderRun();
  } catch (error) {
    model.notice = errorText(error);
    renderRun();
  }
}

async function refreshRun() {
  const model = state.run;
  if (!model?.runId || root.dataset.screen !== "run") return;
  try {
    const detail = await invoke("run", { runId: model.runId });
    if (state.run !== model) return;
    model.run = detail.run;
    model.offline = detail.fromCache;
    model.unsent = detail.unsentWrites ?? [];
    mergeEvents(detail.run.events ?? []);
    if (detail.run.verdict && !model.report) await loadVerdict();
    else if (!detail.run.verdict) invoke("follow_run", { runId: model.runId }).catch(() => {});
  } catch (error) {
    model.offline = true;
  }
  // Re-render only when something the screen shows changed (inputs keep their focus).
  const shown = JSON.stringify([model.events.length, Boolean(model.report), model.offline, model.unsent.map((w) => `${w.writeId}:${w.state}`)]);
  if (shown !== model.shown) {
    model.shown = shown;
    renderRun();
  }
}

function mergeEvents(events) {
  const model = state.run;
  const seen = new Set(model.events.map((e) => e.seq));
  for (const event of events) if (!seen.has(event.seq)) model.events.push(event);
  model.events.sort((a, b) => a.seq - b.seq);
}

async function loadVerdict() {
  const model = state.run;
  try {
    model.report = await invoke("verdict", { runId: model.runId });
    model.verdict = model.report.verdict;
  } catch {
    // shown again at the next refresh
  }
}

function onRunUpdate(payload) {
  const model = state.run;
  if (!model || payload.runId !== model.runId) return;
  const update = payload.update;
  if (update?.type === "event") mergeEvents([update.event]);
  if (update?.type === "verdict") {
    model.verdict = update.verdict;
    loadVerdict().then(renderRun);
  }
  model.reconnecting = update?.type === "reconnecting" ? update.attempt : null;
  renderRun();
}

function milestoneCount(events) {
  const kinds = new Set();
  for (const e of events) {
    if (e.kind === "wallet_action") kinds.add("wallet");
    if (e.kind === "acqp_call") kinds.add("acqp");
    if ((e.kind === "payment_state" && FINAL_PAYMENT.includes(e.state)) || e.kind === "hub_callback") kinds.add("settled");
  }
  return kinds.size;
}

function renderRun() {
  const container = document.getElementById("run");
  const model = state.run;
  if (!container || !model) return;
  const { entry } = model;
  const open = model.runId && !model.verdict;
  const steps = entry.steps ?? [];
  const ticked = model.verdict ? steps.length : Math.min(steps.length, Math.round((milestoneCount(model.events) * steps.length) / 3));
  const parts = [];
  // While a run is open, the tool comes first (the code must be on screen at once); the case's
  // description and steps follow.
  const stepsCard = () =>
    h("section", { class: "card" },
      h("h2", { text: t("run.steps") }),
      h("ol", { class: "steps", id: "steps" },
        steps.map((step, i) =>
          h("li", { class: i < ticked ? "done" : "", "data-done": i < ticked ? "true" : "false" },
            h("span", { class: "tick", "aria-hidden": "true", text: i < ticked ? "✓" : String(i + 1) }),
            h("div", {}, h("p", { text: step.instruction }), h("p", { class: "muted small", text: t("run.expected", { text: step.expected }) })),
          ),
        ),
      ),
    );
  if (!open) parts.push(h("p", { class: "summary", text: entry.summary }), stepsCard());
  if (model.notice) parts.push(h("p", { class: "notice error", id: "run-notice", text: model.notice }));
  if (!model.runId) {
    parts.push(
      entry.runnable
        ? h("button", { type: "button", class: "button primary wide", id: "start-run", text: t("run.start"), onclick: startRun })
        : h("p", { class: "notice", text: t("run.notRunnable") }),
    );
    fill(container, ...parts);
    return;
  }
  parts.push(h("p", { class: "muted small", id: "run-id", text: t("run.runId", { id: model.runId }) }));
  if (model.reconnecting) parts.push(h("p", { class: "notice", text: t("run.reconnecting", { attempt: model.reconnecting }) }));
  if (model.offline && open) parts.push(h("p", { class: "notice", id: "offline-notice", text: t("run.offline") }));
  if (model.verdict) parts.push(verdictCard());
  if (open) {
    parts.push(
      h("div", { class: "segmented", role: "tablist" },
        h("button", { type: "button", id: "tool-pay", class: model.tool === "pay" ? "active" : "", text: t("run.toolPay"), onclick: () => { model.tool = "pay"; renderRun(); } }),
        h("button", { type: "button", id: "tool-scan", class: model.tool === "scan" ? "active" : "", text: t("run.toolScan"), onclick: () => { model.tool = "scan"; renderRun(); } }),
      ),
    );
    const confirm = confirmCard();
    if (confirm) parts.push(confirm);
    parts.push(model.tool === "pay" ? payCard() : scanCard());
  }
  if ((entry.manual ?? []).length) parts.push(checksCard());
  if (open) parts.push(stepsCard());
  parts.push(liveCard());
  if (model.verdict) parts.push(h("button", { type: "button", class: "button secondary wide", id: "run-again", text: t("run.startAgain"), onclick: startRun }));
  // Keep the camera's video element alive across re-renders.
  const video = document.getElementById("camera");
  fill(container, ...parts);
  const slot = document.getElementById("camera-slot");
  if (video && slot) slot.replaceChildren(video);
  if (open && model.tool === "pay") ensureCode();
}

// Pay

function payCard() {
  const model = state.run;
  const code = model.code;
  return h(
    "section",
    { class: "card pay", id: "pay" },
    h("h2", { text: t("pay.title") }),
    code
      ? [
          h("div", { class: "code-box barcode", id: "pay-barcode", html: code.barcode?.svg ?? "" }),
          h("div", { class: "code-box qr", id: "pay-qr", html: code.qr?.svg ?? "" }),
          h("p", { class: "digits", id: "pay-digits", "data-digits": code.digits, text: code.digitsGrouped ?? code.digits }),
          model.codeUsed
            ? h("p", { class: "muted center", id: "pay-used", text: t("pay.used") })
            : h("p", { class: "muted center", id: "pay-countdown", text: t("pay.refreshIn", { seconds: Math.max(0, model.secondsLeft ?? 0) }) }),
        ]
      : h("p", { class: "muted", text: "…" }),
    h("p", { class: "hint center", text: `☀ ${t("pay.hint")}` }),
    h("button", { type: "button", class: "button small secondary", id: "pay-refresh", text: t("pay.refresh"), onclick: () => fetchCode(true) }),
  );
}

function payArrived(events, digits) {
  return events.some((e) => e.kind === "acqp_call" && String(e.api).toLowerCase() === "pay" && (!digits || (e.request_body ?? "").includes(digits)));
}

let codeTimer = null;
function ensureCode() {
  const model = state.run;
  const retryAfter = (model.codeFailedAt ?? 0) + 5000;
  if (!model.code && !model.fetching && Date.now() > retryAfter) fetchCode(false);
  if (model.code && payArrived(model.events, model.code.digits)) model.codeUsed = true;
  if (codeTimer) return;
  codeTimer = setInterval(() => {
    const current = state.run;
    if (!current?.code || root.dataset.screen !== "run" || current.verdict) {
      clearInterval(codeTimer);
      codeTimer = null;
      return;
    }
    if (current.codeUsed) return;
    current.secondsLeft = Math.max(0, (current.secondsLeft ?? 0) - 1);
    const countdown = document.getElementById("pay-countdown");
    if (countdown) countdown.textContent = t("pay.refreshIn", { seconds: current.secondsLeft });
    if (current.secondsLeft <= 0 && !current.fetching) fetchCode(false);
  }, 1000);
}

async function fetchCode(fresh) {
  const model = state.run;
  model.fetching = true;
  try {
    model.code = await invoke(fresh ? "new_payment_code" : "payment_code", { runId: model.runId });
    model.secondsLeft = model.code.secondsLeft;
    model.codeUsed = false;
    model.codeFailedAt = null;
    model.notice = null;
  } catch (error) {
    model.codeFailedAt = Date.now();
    model.notice = errorText(error);
  } finally {
    model.fetching = false;
  }
  if (state.run === model) renderRun();
}

// Scan

function scanCard() {
  const model = state.run;
  const scan = model.scan ?? {};
  return h(
    "section",
    { class: "card scan", id: "scan", ondragover: (e) => e.preventDefault(), ondrop: onDrop },
    h("h2", { text: t("scan.title") }),
    h("div", { class: "tool-grid" },
      h("button", { type: "button", class: "tool", id: "scan-camera", onclick: toggleCamera }, h("span", { class: "tool-icon", text: "◉" }), camera.stream ? t("scan.stopCamera") : t("scan.camera")),
      h("button", { type: "button", class: "tool", id: "scan-screen", onclick: scanScreen }, h("span", { class: "tool-icon", text: "▭" }), t("scan.screen")),
      h("button", { type: "button", class: "tool", id: "scan-file", onclick: () => $("#scan-file-input").click() }, h("span", { class: "tool-icon", text: "▣" }), t("scan.file")),
      h("button", { type: "button", class: "tool", id: "scan-paste", onclick: scanClipboard }, h("span", { class: "tool-icon", text: "▤" }), t("scan.paste")),
    ),
    h("input", { type: "file", id: "scan-file-input", accept: "image/*", class: "file-input", onchange: onFile }),
    h("div", { id: "camera-slot" }),
    h("p", { class: "hint", text: t("scan.drop") }),
    h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); scanText($("#scan-text").value); } },
      h("input", { id: "scan-text", placeholder: t("scan.typed"), spellcheck: "false", autocomplete: "off", value: scan.typed ?? "" }),
      h("button", { type: "submit", class: "button small primary", id: "scan-go", text: t("scan.go") }),
    ),
    scan.choices
      ? h("div", { class: "choices", id: "scan-choices" },
          h("p", { text: t("scan.pick") }),
          scan.choices.map((text) => h("button", { type: "button", class: "choice", text, onclick: () => scanText(text) })))
      : null,
    scan.status ? h("p", { class: scan.error ? "notice error" : "notice", id: "scan-status", text: scan.status }) : null,
  );
}

function setScan(patch) {
  state.run.scan = { ...(state.run.scan ?? {}), ...patch };
  renderRun();
}

async function onFile(event) {
  const file = event.target.files?.[0];
  if (file) await scanImage(file);
}

async function onDrop(event) {
  event.preventDefault();
  const file = [...(event.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (file) await scanImage(file);
  else {
    const text = event.dataTransfer?.getData("text/plain");
    if (text) await scanText(text);
  }
}

async function scanImage(blob) {
  setScan({ status: t("scan.reading"), error: false, choices: null });
  try {
    handleScan(await invoke("scan_image", { image: await fileBase64(blob) }));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanText(text) {
  if (!text?.trim()) return;
  setScan({ status: t("scan.reading"), error: false, choices: null, typed: text });
  // A path to a picture (typed, or dropped from a file manager) is read as the picture.
  const path = text.trim().replace(/^file:\/\//, "");
  const isImagePath = path.startsWith("/") && /\.(png|jpe?g)$/i.test(path);
  try {
    handleScan(await invoke(isImagePath ? "scan_file" : "scan_text", isImagePath ? { path: decodeURI(path) } : { text }));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanScreen() {
  setScan({ status: t("scan.reading"), error: false, choices: null });
  try {
    // The wallet's own payment code (all digits) is never what the wallet scans.
    const codes = (await invoke("codes_on_screen")).filter((c) => !/^\d{10,}$/.test(c));
    if (codes.length === 0) return setScan({ status: t("error.NO_CODE_FOUND"), error: true });
    if (codes.length === 1) return scanText(codes[0]);
    setScan({ status: null, choices: codes });
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
}

async function scanClipboard() {
  try {
    if (navigator.clipboard?.read) {
      for (const item of await navigator.clipboard.read()) {
        const type = item.types.find((t) => t.startsWith("image/"));
        if (type) return scanImage(await item.getType(type));
      }
    }
    const text = await navigator.clipboard.readText();
    if (text?.trim()) return scanText(text);
    throw new Error("empty");
  } catch {
    setScan({ status: t("scan.clipboardEmpty"), error: true });
  }
}

document.addEventListener("paste", (event) => {
  if (root.dataset.screen !== "run" || state.run?.tool !== "scan") return;
  if (event.target instanceof HTMLInputElement) return;
  for (const item of event.clipboardData?.items ?? []) {
    if (item.type.startsWith("image/")) {
      event.preventDefault();
      return scanImage(item.getAsFile());
    }
  }
  const text = event.clipboardData?.getData("text/plain");
  if (text) scanText(text);
});

const camera = { stream: null, timer: null };

function stopCamera() {
  if (camera.timer) clearInterval(camera.timer);
  camera.timer = null;
  camera.stream?.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  document.getElementById("camera")?.remove();
}

/** On phones: the system camera through Tauri's barcode-scanner plugin, when it is there. */
async function scanWithPlugin() {
  const scanner = window.__TAURI__?.barcodeScanner;
  if (!scanner?.scan) return false;
  try {
    const result = await scanner.scan({ windowed: false, formats: [scanner.Format.QRCode, scanner.Format.Code128] });
    if (result?.content) handleScan(await invoke("scan_text", { text: result.content }));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
  return true;
}

async function toggleCamera() {
  if (camera.stream) {
    stopCamera();
    return renderRun();
  }
  if (await scanWithPlugin()) return;
  if (!navigator.mediaDevices?.getUserMedia) return setScan({ status: t("scan.noCamera"), error: true });
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    return setScan({ status: t("scan.noCamera"), error: true });
  }
  const video = h("video", { id: "camera", autoplay: true, playsinline: true, muted: true });
  video.srcObject = camera.stream;
  setScan({ status: t("scan.cameraOn"), error: false });
  document.getElementById("camera-slot")?.replaceChildren(video);
  const canvas = document.createElement("canvas");
  let busy = false;
  camera.timer = setInterval(async () => {
    if (busy || !video.videoWidth) return;
    busy = true;
    const scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    try {
      const outcome = await invoke("scan_frame", { width: frame.width, height: frame.height, rgba: toBase64(frame.data.buffer) });
      stopCamera();
      handleScan(outcome);
    } catch (error) {
      if (error?.code !== "NO_CODE_FOUND") {
        stopCamera();
        setScan({ status: errorText(error), error: true });
      }
    } finally {
      busy = false;
    }
  }, 600);
}

function handleScan(outcome) {
  const model = state.run;
  const next = outcome.next?.action;
  const read = t("scan.read", { text: outcome.read });
  if (next === "confirm") {
    model.confirm = outcome.payment;
    setScan({ status: read, error: false, choices: null });
  } else if (next === "expired") {
    setScan({ status: `${read} · ${t("scan.expired")}`, error: true, choices: null });
  } else if (next === "openPage") {
    setScan({ status: `${read} · ${t("scan.openPage")}`, error: false, choices: null });
    invoke("open_page", { url: outcome.next.url, userAgent: outcome.next.userAgent }).catch((error) =>
      setScan({ status: errorText(error), error: true }),
    );
  } else {
    setScan({ status: `${read} · ${outcome.message}`, error: next === "unknownCode", choices: null });
  }
}

// Confirm

function lastPaymentState(events) {
  const states = events.filter((e) => e.kind === "payment_state");
  return states.length ? states[states.length - 1].state : null;
}

function walletDecided(events) {
  return events.some((e) => e.kind === "wallet_action" && ["confirm_payment", "decline_payment", "back_out"].includes(e.action?.action));
}

function confirmCard() {
  const model = state.run;
  const decided = walletDecided(model.events);
  const payment = model.confirm;
  const charged = !payment && model.tool === "pay" && lastPaymentState(model.events) === "in_process";
  if (decided || (!payment && !charged)) return null;
  const rate = payment?.exchangeRate;
  return h(
    "section",
    { class: "card confirm", id: "confirm" },
    h("h2", { text: t("confirm.title") }),
    charged ? h("p", { text: t("confirm.charged") }) : null,
    payment
      ? h("dl", { class: "facts" },
          h("dt", { text: t("confirm.merchant") }), h("dd", { id: "confirm-merchant", text: payment.merchantName ?? "—" }),
          payment.orderDescription ? [h("dt", { text: t("confirm.order") }), h("dd", { text: payment.orderDescription })] : null,
          h("dt", { text: t("confirm.amount") }), h("dd", { class: "amount", id: "confirm-amount", text: payment.amountText }),
          rate ? [h("dt", { text: t("confirm.rate") }), h("dd", { id: "confirm-rate", text: `1 ${rate.from} = ${rate.rate} ${rate.to}` })] : null,
          rate?.converted ? [h("dt", { text: t("confirm.youPay") }), h("dd", { text: rate.converted })] : null)
      : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "button secondary", id: "cancel-payment", text: t("confirm.cancel"), onclick: () => decide("decline_payment", t("confirm.cancel")) }),
      h("button", { type: "button", class: "button primary", id: "pay-now", text: t("confirm.payNow"), onclick: () => decide("confirm_payment", t("confirm.payNow")) })),
    payment ? h("button", { type: "button", class: "link", id: "back-out", text: t("confirm.backOut"), onclick: () => decide("back_out", t("confirm.backOut")) }) : null,
  );
}

async function decide(command, label) {
  const model = state.run;
  try {
    const run = await invoke(command, { runId: model.runId });
    mergeEvents(run.events ?? []);
    model.confirm = null;
    setScan({ status: t("confirm.done", { what: label }), error: false });
  } catch (error) {
    model.notice = errorText(error);
    renderRun();
  }
}

// Manual checks

function answerState(questionId) {
  const model = state.run;
  const local = model.answers[questionId];
  const recorded = [...model.events].reverse().find((e) => e.kind === "manual_answer" && e.question_id === questionId);
  // On the hub: synced, whatever the device still believes.
  if (recorded) return { answer: recorded.answer, state: "synced" };
  if (!local) return null;
  const unsent = model.unsent.find((w) => w.writeId === local.writeId);
  if (local.state === "failed" || unsent?.state === "failed") return { answer: local.answer, state: "failed", error: local.error ?? unsent?.lastError };
  if (unsent || local.state === "pending") return { answer: local.answer, state: "pending" };
  return { answer: local.answer, state: "synced" };
}

function checksCard() {
  const model = state.run;
  const open = model.runId && !model.verdict;
  return h(
    "section",
    { class: "card checks", id: "checks" },
    h("h2", { text: t("check.title") }),
    model.entry.manual.map((question) => {
      const answered = answerState(question.id);
      return h(
        "div",
        { class: "question", "data-question": question.id },
        h("p", { class: "question-text", text: question.question }),
        answered
          ? h("p", { class: `answer-state ${answered.state}`, id: `answer-state-${question.id}`, "data-question": question.id, "data-state": answered.state },
              t("check.yourAnswer", { answer: answered.answer ? t("check.yes") : t("check.no") }), " · ",
              answered.state === "synced" ? t("check.synced") : answered.state === "failed" ? t("check.failed", { error: answered.error ?? "" }) : t("check.pending"))
          : null,
        open && !answered
          ? h("div", { class: "row" },
              h("button", { type: "button", class: "button secondary", id: `answer-no-${question.id}`, text: t("check.no"), onclick: () => answer(question.id, false) }),
              h("button", { type: "button", class: "button primary", id: `answer-yes-${question.id}`, text: t("check.yes"), onclick: () => answer(question.id, true) }))
          : null,
        open && !answered
          ? h("label", { class: "link photo" },
              model.photos[question.id] ? `✓ ${t("check.photoAdded")}` : `＋ ${t("check.photo")}`,
              h("input", { type: "file", accept: "image/*", capture: "environment", class: "file-input", id: `photo-${question.id}`, onchange: (e) => addPhoto(question.id, e.target.files?.[0]) }))
          : null,
      );
    }),
  );
}

async function addPhoto(questionId, file) {
  if (!file) return;
  const model = state.run;
  try {
    const receipt = await invoke("attach_photo", { runId: model.runId, image: await fileBase64(file) });
    model.photos[questionId] = receipt.writeId;
  } catch (error) {
    model.notice = errorText(error);
  }
  renderRun();
}

async function answer(questionId, yes) {
  const model = state.run;
  const input = { questionId, answer: yes };
  if (model.photos[questionId]) input.attachment = model.photos[questionId];
  try {
    const receipt = await invoke("answer_manual", { runId: model.runId, answer: input });
    model.answers[questionId] = { answer: yes, writeId: receipt.writeId, state: receipt.state, error: receipt.error };
    if (receipt.state === "pending") model.unsent = [...model.unsent, { writeId: receipt.writeId, state: "pending" }];
    if (receipt.run) mergeEvents(receipt.run.events ?? []);
  } catch (error) {
    model.notice = errorText(error);
  }
  renderRun();
}

// Live events and verdict

function describeEvent(e) {
  switch (e.kind) {
    case "acqp_call":
      return t("event.pay", { api: e.api, status: `${e.result_status ?? ""} ${e.result_code ?? ""}`.trim() + (e.signature?.verdict === "valid" ? ` · ${t("event.signatureValid")}` : e.signature ? ` · ${e.signature.verdict}` : "") });
    case "hub_callback":
      return t("event.callback", { callback: e.callback, attempt: e.attempt, status: e.http_status ?? e.error ?? "—" });
    case "wallet_action":
      return t("event.wallet", { action: (e.action?.action ?? "").replace(/_/g, " ") });
    case "manual_answer":
      return t("event.manual", { question: e.question_id, answer: e.answer ? t("check.yes") : t("check.no") });
    case "payment_state":
      return t("event.payment", { state: `${e.state}${e.reason ? ` (${e.reason})` : ""}` });
    default:
      return e.kind;
  }
}

function liveCard() {
  const events = state.run.events;
  return h(
    "section",
    { class: "card live", id: "live" },
    h("h2", { text: t("run.live") }),
    events.length
      ? h("ol", { class: "events" }, events.map((e) => h("li", { "data-kind": e.kind }, h("span", { class: "muted small", text: `#${e.seq}` }), " ", describeEvent(e))))
      : h("p", { class: "muted", text: state.run.runId ? t("run.waiting") : "" }),
  );
}

function pre(text) {
  let body = text ?? "";
  try {
    body = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // not JSON: as it came
  }
  return h("pre", { text: body });
}

function evidenceItem(e) {
  const details = [];
  if (e.kind === "acqp_call") {
    details.push(h("p", { class: `signature ${e.signature?.verdict}`, text: t("verdict.signature", { verdict: e.signature?.verdict + (e.signature?.reason ? `: ${e.signature.reason}` : "") }) }));
    if (e.validation) details.push(h("p", { class: "notice error", text: e.validation }));
    details.push(h("h4", { text: t("verdict.headers") }), pre(Object.entries(e.request_headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n")));
    details.push(h("h4", { text: t("verdict.request") }), pre(e.request_body));
    details.push(h("h4", { text: t("verdict.response") }), pre(e.response_body));
  } else if (e.kind === "hub_callback") {
    details.push(h("p", { class: `signature ${e.reply_signature?.verdict}`, text: t("verdict.signature", { verdict: e.reply_signature?.verdict + (e.reply_signature?.reason ? `: ${e.reply_signature.reason}` : "") }) }));
    details.push(h("h4", { text: t("verdict.request") }), pre(e.request_body));
    details.push(h("h4", { text: t("verdict.reply") }), pre(e.reply_body ?? e.error ?? ""));
  } else {
    details.push(pre(JSON.stringify(e)));
  }
  return h("details", { class: "evidence", "data-seq": e.seq }, h("summary", { text: t("verdict.event", { seq: e.seq, what: describeEvent(e) }) }), details);
}

function verdictCard() {
  const model = state.run;
  const verdict = model.verdict;
  const outcome = outcomeOf(verdict.outcome);
  const evidence = model.report?.evidence ?? model.events;
  const checks = [...(verdict.checks ?? [])].sort((a, b) => (a.outcome === "failed" ? 0 : 1) - (b.outcome === "failed" ? 0 : 1));
  return h(
    "section",
    { class: `card verdict ${outcome}`, id: "verdict", "data-outcome": outcome },
    h("div", { class: "verdict-head" }, h("h2", { text: t("verdict.title") }), badge(outcome)),
    h("p", { class: "verdict-summary", id: "verdict-summary", text: verdict.summary }),
    h("h3", { text: t("verdict.checks") }),
    checks.map((check) =>
      h("details", { class: `check ${check.outcome}`, "data-check": check.check, "data-outcome": check.outcome, open: check.outcome === "failed" },
        h("summary", {}, h("span", { class: "check-mark", text: check.outcome === "passed" ? "✓" : check.outcome === "failed" ? "✗" : "…" }), " ", h("b", { text: check.check }), h("span", { class: "check-reason", text: ` ${check.reason ?? check.waiting_for ?? ""}` })),
        h("div", { class: "evidence-list" },
          (check.evidence ?? []).length
            ? check.evidence.map((seq) => evidence.find((e) => e.seq === seq)).filter(Boolean).map(evidenceItem)
            : h("p", { class: "muted small", text: t("verdict.noEvidence") })),
      ),
    ),
  );
}

// History

async function showHistory() {
  let runs = [];
  let outbox = [];
  try {
    [runs, outbox] = await Promise.all([invoke("history"), invoke("outbox")]);
  } catch (error) {
    return show("history", h("h1", { class: "title", text: t("history.title") }), h("p", { class: "notice error", text: errorText(error) }));
  }
  const search = h("input", { id: "history-search", type: "search", placeholder: t("history.search"), oninput: () => render() });
  const list = h("div", { id: "history-list" });
  const render = () => {
    const query = search.value.trim().toLowerCase();
    const rows = runs.filter((run) => !query || `${run.caseId} ${run.id} ${run.status}`.toLowerCase().includes(query));
    fill(list, 
      ...(rows.length
        ? rows.map((run) => {
            const waiting = outbox.filter((w) => w.runId === run.id && w.state !== "sent").length;
            return h("button", { type: "button", class: "history-row", "data-run": run.id, onclick: () => showRun(run.caseId, run.id) },
              h("span", { class: "case-id", text: run.caseId }),
              h("span", { class: "history-when muted small", text: when(run.startedAt) }),
              badge(run.status),
              h("span", { class: `sync ${waiting ? "pending" : "synced"}`, "data-sync": waiting ? "pending" : "synced", text: waiting ? t("history.pending", { count: waiting }) : t("history.synced") }));
          })
        : [h("p", { class: "muted", text: t("history.none") })]),
    );
  };
  show("history", h("h1", { class: "title", text: t("history.title") }), search, list);
  render();
}

// Generate

function showGenerate(prefill = "") {
  let current = null;
  const output = h("div", { id: "generate-output", class: "center" });
  const make = async () => {
    const text = $("#generate-text").value;
    if (!text.trim()) return;
    try {
      current = await invoke("generate_qr", { text });
      fill(output, 
        h("img", { id: "generate-image", class: "generated", src: `data:image/png;base64,${current.png}`, alt: text }),
        h("div", { class: "row" },
          h("button", { type: "button", class: "button secondary", id: "generate-save", text: t("generate.save"), onclick: save }),
          h("button", { type: "button", class: "button secondary", id: "generate-copy", text: t("generate.copy"), onclick: copy })),
        message("generate-status"),
      );
    } catch (error) {
      fill(output, h("p", { class: "notice error", text: errorText(error) }));
    }
  };
  const save = async () => {
    try {
      say("generate-status", t("generate.saved", { path: await invoke("save_qr", { text: current.text }) }), "notice");
    } catch (error) {
      say("generate-status", errorText(error), "notice error");
    }
  };
  const copy = async () => {
    try {
      const blob = await (await fetch(`data:image/png;base64,${current.png}`)).blob();
      await navigator.clipboard.write([new ClipboardItem({ "image/png": blob })]);
      say("generate-status", t("generate.copied"), "notice");
    } catch {
      say("generate-status", t("generate.copyFailed"), "notice error");
    }
  };
  show(
    "generate",
    h("h1", { class: "title", text: t("generate.title") }),
    h("p", { class: "muted", text: t("generate.hint") }),
    h("label", { for: "generate-text", text: t("generate.text") }),
    h("textarea", { id: "generate-text", rows: 3, spellcheck: "false" }, prefill),
    h("button", { type: "button", class: "button primary wide", id: "generate-go", text: t("generate.go"), onclick: make }),
    output,
  );
}

// Settings

async function showSettings() {
  const [settings, wallets, status, info] = await Promise.all([
    invoke("settings").catch(() => null),
    invoke("wallets").catch(() => []),
    invoke("sync_status").catch(() => null),
    invoke("app_info").catch(() => state.info),
  ]);
  const session = await invoke("session").catch(() => state.session);
  const update = async (patch) => {
    try {
      await invoke("update_settings", { update: patch });
      say("settings-status", t("settings.saved"), "notice");
    } catch (error) {
      say("settings-status", errorText(error), "notice error");
    }
  };
  const syncBox = h("div", { id: "sync-status", class: "sync-box" });
  const renderSync = (s) => {
    if (!s) return;
    syncBox.dataset.pending = String(s.pending);
    fill(syncBox, 
      h("p", { text: s.pending || s.failed ? t("settings.syncPending", { pending: s.pending, failed: s.failed }) : t("settings.syncIdle") }),
      s.lastSuccessAt ? h("p", { class: "muted small", text: t("settings.syncLast", { time: when(s.lastSuccessAt) }) }) : null,
      s.lastError ? h("p", { class: "muted small", text: t("settings.syncError", { error: s.lastError }) }) : null,
    );
  };
  renderSync(status);
  const refreshChoices = [10, 15, 20, 30, 45, 60];
  show(
    "settings",
    h("h1", { class: "title", text: t("settings.title") }),
    h("section", { class: "card form" },
      h("label", { for: "setting-wallet", text: t("settings.wallet") }),
      h("select", { id: "setting-wallet", onchange: (e) => update({ wallet: e.target.value }) },
        wallets.map((w) => h("option", { value: w.name, selected: settings?.wallet?.name === w.name, text: `${w.name}${w.currency ? ` (${w.currency})` : ""}` }))),
      h("label", { for: "setting-refresh", text: t("settings.refresh") }),
      h("select", { id: "setting-refresh", onchange: (e) => update({ codeRefreshSecs: Number(e.target.value) }) },
        refreshChoices.map((s) => h("option", { value: s, selected: settings?.codeRefreshSecs === s, text: t("settings.seconds", { seconds: s }) }))),
      h("span", { class: "label", text: t("settings.language") }),
      h("div", { class: "segmented" },
        h("button", { type: "button", id: "lang-en", class: currentLanguage() === "en" ? "active" : "", text: "English", onclick: () => changeLanguage("en") }),
        h("button", { type: "button", id: "lang-zh-CN", class: currentLanguage() === "zh-CN" ? "active" : "", text: "简体中文", onclick: () => changeLanguage("zh-CN") })),
      message("settings-status"),
    ),
    h("section", { class: "card" },
      h("h2", { text: t("settings.sync") }),
      syncBox,
      h("button", { type: "button", class: "button secondary", id: "sync-now", text: t("settings.syncNow"), onclick: async () => {
        try {
          await invoke("sync_now");
        } catch (error) {
          say("settings-status", errorText(error), "notice error");
        }
        renderSync(await invoke("sync_status").catch(() => null));
      } }),
    ),
    h("section", { class: "card about" },
      h("h2", { text: t("settings.about") }),
      session ? h("p", { text: t("settings.account", { name: session.merchant.name, mid: session.merchant.mid }) }) : null,
      h("p", { id: "about-version", text: t("settings.version", { version: info?.version ?? "?", schema: info?.schemaVersion ?? "?" }) }),
      h("p", { id: "about-hub", class: "breakable", text: t("settings.hub", { url: settings?.hubUrl ?? "" }) }),
      info?.dataDir ? h("p", { class: "muted small breakable", text: t("settings.data", { dir: info.dataDir }) }) : null,
    ),
    h("button", { type: "button", class: "button danger wide", id: "sign-out", text: t("settings.signOut"), onclick: async () => {
      await invoke("sign_out").catch(() => {});
      state.session = null;
      showWelcome();
    } }),
  );
}

async function changeLanguage(code) {
  setLanguage(code);
  await invoke("update_settings", { update: { language: code } }).catch(() => {});
  showSettings();
}

// ---------- start ----------

async function syncInBackground() {
  try {
    const status = await invoke("sync_status");
    if (status.pending > 0) await invoke("sync_now");
  } catch {
    // offline or signed out: the next tick tries again
  }
}

async function start() {
  applyTranslations(document);
  for (const button of tabs.querySelectorAll("button")) {
    button.addEventListener("click", () => {
      const tab = button.dataset.tab;
      if (tab === "cases") showCases();
      if (tab === "history") showHistory();
      if (tab === "generate") showGenerate();
      if (tab === "settings") showSettings();
    });
  }
  listen?.("run-update", (event) => onRunUpdate(event.payload));
  listen?.("payment-url", async (event) => {
    if (!state.run?.runId) return;
    try {
      handleScan(await invoke("open_payment_url", { runId: state.run.runId, url: event.payload }));
    } catch (error) {
      setScan({ status: errorText(error), error: true });
    }
  });
  setInterval(syncInBackground, 3000);
  try {
    state.info = await invoke("app_info");
  } catch (error) {
    console.error("app_info failed", error);
  }
  const settings = await invoke("settings").catch(() => null);
  if (settings?.language && settings.language !== currentLanguage() && !globalThis.localStorage?.getItem("linker.language")) {
    setLanguage(settings.language);
  }
  showWelcome(true);
  state.demo = await invoke("demo_info").catch(() => null);
  if (state.info?.demoRequested) return startDemo();
  state.session = await invoke("session").catch(() => null);
  if (state.session?.active) showCases();
}

start();
