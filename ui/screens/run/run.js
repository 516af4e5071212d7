// The run screen: a case, its run started or followed, and the parts of the screen in this
// folder (pay, scan, confirm, checks, live, verdict) laid out by the run's state.
import { t } from "../../i18n.js";
import { $, fill, h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { currentScreen, go, show } from "../../lib/nav.js";
import { app, listen } from "../../lib/shell.js";
import { every, state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { authorizationCard } from "./authorize.js";
import { cashierCard } from "./cashier.js";
import { checksCard } from "./checks.js";
import { confirmCard } from "./confirm.js";
import { liveCard } from "./live.js";
import { mergeEvents, renderRun, setRenderer, setScan } from "./model.js";
import { ensureCode, payCard } from "./pay.js";
import { handleScan, scanCard, scanText } from "./scan.js";
import { verdictCard } from "./verdict.js";

/** Shows a case, and its run `runId` when given (from the history). With `open` (a link the
 * customer opened, see open-link.js), the page opens in that run, or in a new one started first. */
export async function showRun(caseId, runId = null, open = null) {
  let entry;
  try {
    entry = await app.case(caseId);
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
    tool: entry.mode === "merchant-presented" ? "scan" : "pay",
    code: null,
    codeUsed: false,
    scan: null,
    cashier: null,
    authorization: null,
    answers: {},
    photos: {},
    unsent: [],
    // The wallet's judgement of each step against the run's events (`run` answers it).
    steps: null,
    notice: null,
  };
  show(
    "run",
    h("header", { class: "bar" },
      h("button", { type: "button", class: "link", id: "run-back", text: `‹ ${t("run.back")}`, onclick: () => go("cases") }),
      h("h1", {}, h("span", { class: "case-id", text: entry.id }), " ", entry.title)),
    h("div", { id: "run", "data-run-id": runId ?? "", "data-case": entry.id }),
  );
  if (runId) {
    await refreshRun();
    app.followRun(runId).catch(() => {});
  }
  renderRun();
  every(2500, refreshRun);
  if (open) {
    if (!runId) await startRun();
    if (state.run?.runId) await scanText(open);
  }
}

async function startRun() {
  const model = state.run;
  try {
    const run = await app.startRun(model.entry.id);
    Object.assign(model, { runId: run.id, run, events: run.events ?? [], verdict: null, report: null, code: null, codeUsed: false, scan: null, confirm: null, cashier: null, authorization: null, answers: {}, photos: {}, steps: null, notice: null });
    $("#run").dataset.runId = run.id;
    renderRun();
  } catch (error) {
    model.notice = errorText(error);
    renderRun();
  }
}

async function refreshRun() {
  const model = state.run;
  if (!model?.runId || currentScreen() !== "run") return;
  try {
    const detail = await app.run(model.runId);
    if (state.run !== model) return;
    model.run = detail.run;
    model.offline = detail.fromCache;
    model.unsent = detail.unsentWrites ?? [];
    model.steps = detail.steps ?? null;
    mergeEvents(detail.run.events ?? []);
    if (detail.run.verdict && !model.report) await loadVerdict();
    else if (!detail.run.verdict) app.followRun(model.runId).catch(() => {});
  } catch (error) {
    model.offline = true;
  }
  // Re-render only when something the screen shows changed (inputs keep their focus).
  const shown = JSON.stringify([model.events.length, Boolean(model.report), model.offline, model.unsent.map((w) => `${w.writeId}:${w.state}`), (model.steps ?? []).map((s) => s.done)]);
  if (shown !== model.shown) {
    model.shown = shown;
    renderRun();
  }
}

async function loadVerdict() {
  const model = state.run;
  try {
    model.report = await app.verdict(model.runId);
    model.verdict = model.report.verdict;
  } catch {
    // shown again at the next refresh
  }
}

/** Follows the app's run events: `run-update` from the live stream, `payment-url` from an entry-code page. */
export function listenForRunEvents() {
  listen("run-update", onRunUpdate);
  listen("payment-url", async (url) => {
    if (!state.run?.runId) return;
    try {
      handleScan(await app.openPaymentUrl(state.run.runId, url));
    } catch (error) {
      setScan({ status: errorText(error), error: true });
    }
  });
}

function onRunUpdate(payload) {
  const model = state.run;
  if (!model || payload.runId !== model.runId) return;
  const update = payload.update;
  if (update?.type === "event") {
    mergeEvents([update.event]);
    // The steps' ticks are the wallet's to judge: ask again now rather than at the next poll.
    refreshRun();
  }
  if (update?.type === "verdict") {
    model.verdict = update.verdict;
    loadVerdict().then(renderRun);
  }
  model.reconnecting = update?.type === "reconnecting" ? update.attempt : null;
  renderRun();
}

/** True when the run did step `i`: the wallet found the step's own event (`doneWhen`) among the run's events. */
function stepDone(model, i) {
  return Boolean(model.runId && model.steps?.[i]?.done);
}

function render() {
  const container = document.getElementById("run");
  const model = state.run;
  if (!container || !model) return;
  const { entry } = model;
  const open = model.runId && !model.verdict;
  const steps = entry.steps ?? [];
  const parts = [];
  // While a run is open, the tool comes first (the code must be on screen at once); the case's
  // description and steps follow.
  const stepsCard = () =>
    h("section", { class: "card" },
      h("h2", { text: t("run.steps") }),
      h("ol", { class: "steps", id: "steps" },
        steps.map((step, i) =>
          h("li", { class: stepDone(model, i) ? "done" : "", "data-done": stepDone(model, i) ? "true" : "false" },
            h("span", { class: "tick", "aria-hidden": "true" }, stepDone(model, i) ? icon("check") : String(i + 1)),
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
  // What the last scan said stays in view when it decided the run (MPC-02 ends with the scan).
  if (!open && model.scan?.status) parts.push(h("p", { class: "notice", id: "scan-status", text: model.scan.status }));
  if (model.verdict) parts.push(verdictCard());
  if (open) {
    parts.push(
      h("div", { class: "segmented", role: "tablist" },
        h("button", { type: "button", id: "tool-pay", class: model.tool === "pay" ? "active" : "", text: t("run.toolPay"), onclick: () => { model.tool = "pay"; renderRun(); } }),
        h("button", { type: "button", id: "tool-scan", class: model.tool === "scan" ? "active" : "", text: t("run.toolScan"), onclick: () => { model.tool = "scan"; renderRun(); } }),
      ),
    );
    const confirm = model.authorization ? authorizationCard() : model.cashier ? cashierCard() : confirmCard();
    if (confirm) parts.push(confirm);
    parts.push(model.tool === "pay" ? payCard() : scanCard());
  }
  // Auto Debit: the wallet's authorizations are one tap away (ADB-02 unbinds there).
  if (model.runId && entry.product === "AUTO_DEBIT") {
    parts.push(h("button", { type: "button", class: "button secondary wide", id: "open-authorizations", text: t("authorizations.title"), onclick: () => go("authorizations", { caseId: entry.id, runId: model.runId }) }));
  }
  if ((entry.manual ?? []).length) parts.push(checksCard());
  if (open) parts.push(stepsCard());
  parts.push(liveCard());
  if (model.verdict) parts.push(h("button", { type: "button", class: "button secondary wide", id: "run-again", text: t("run.startAgain"), onclick: startRun }));
  // Keep the camera's video element alive across re-renders, and the focus (and caret) of a
  // field being typed in.
  const video = document.getElementById("camera");
  const focused = document.activeElement;
  const caret = focused?.id && focused.tagName === "INPUT" ? [focused.id, focused.selectionStart, focused.selectionEnd] : null;
  fill(container, ...parts);
  const slot = document.getElementById("camera-slot");
  if (video && slot) slot.replaceChildren(video);
  const field = caret && document.getElementById(caret[0]);
  if (field && field !== focused) {
    field.focus();
    field.setSelectionRange?.(caret[1], caret[2]);
  }
  if (open && model.tool === "pay") ensureCode();
}

setRenderer(render);
