// Pay: the customer shows a payment code; the POS scans it and calls pay.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { currentScreen } from "../../lib/nav.js";
import { app } from "../../lib/shell.js";
import { onLeave, state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { renderRun } from "./model.js";

/** The payment code card: barcode, QR, digits and the countdown to a fresh code. */
/** The screen stays on while a payment code is shown (Screen Wake Lock, where the browser has it). */
const awake = { lock: null };

function keepScreenOn() {
  if (awake.lock || !navigator.wakeLock?.request) return;
  awake.lock = "asking";
  navigator.wakeLock
    .request("screen")
    .then((lock) => {
      awake.lock = lock;
      lock.addEventListener?.("release", () => {
        awake.lock = null;
      });
    })
    .catch(() => {
      awake.lock = null;
    });
}

// The run screen redraws itself often; the lock goes only once no payment code is on show.
onLeave(() => {
  setTimeout(() => {
    if (currentScreen() === "run" && state.run?.code) return;
    if (awake.lock && awake.lock !== "asking") awake.lock.release().catch(() => {});
    awake.lock = null;
  }, 0);
});

export function payCard() {
  const model = state.run;
  const code = model.code;
  if (code) keepScreenOn();
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
    h("p", { class: "hint center" }, icon("sun"), " ", t("pay.hint")),
    h("button", { type: "button", class: "button small secondary", id: "pay-refresh", text: t("pay.refresh"), onclick: () => fetchCode(true) }),
  );
}

function payArrived(events, digits) {
  return events.some((e) => e.kind === "acqp_call" && String(e.api).toLowerCase() === "pay" && (!digits || (e.request_body ?? "").includes(digits)));
}

let codeTimer = null;
/** Fetches a code when there is none, marks it used once a pay names it, runs the countdown. */
export function ensureCode() {
  const model = state.run;
  const retryAfter = (model.codeFailedAt ?? 0) + 5000;
  if (!model.code && !model.fetching && Date.now() > retryAfter) fetchCode(false);
  if (model.code && payArrived(model.events, model.code.digits)) model.codeUsed = true;
  if (codeTimer) return;
  codeTimer = setInterval(() => {
    const current = state.run;
    if (!current?.code || currentScreen() !== "run" || current.verdict) {
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
    model.code = await (fresh ? app.newPaymentCode(model.runId) : app.paymentCode(model.runId));
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
