// Cashier: a merchant's online checkout sent the customer to a payment page, which the wallet
// opened (scanned, pasted or tapped). The confirmation (merchant, amount, exchange rate), Pay Now
// or Leave without paying; after paying the outcome and Done; Done and leaving send the customer
// back to the merchant's site (the payment's paymentRedirectUrl), and the run records the return.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { icon } from "../../lib/icons.js";
import { app } from "../../lib/shell.js";
import { state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { paymentFacts } from "./confirm.js";
import { goBack, returnedView } from "./merchant.js";
import { mergeEvents, renderRun } from "./model.js";

/** True for a payment the wallet shows as a cashier page (productCode CASHIER_PAYMENT). */
export function isCashier(payment) {
  return payment?.productCode === "CASHIER_PAYMENT";
}

/** Opens a cashier payment on the run screen, waiting for the customer's decision. */
export function openCashier(payment) {
  state.run.cashier = { payment, phase: "confirm", left: false, returned: null };
}

/** The payment's last state among the run's events: `succeeded`, `failed`, ... or null. */
function paymentState(events, paymentId) {
  const states = events.filter((e) => e.kind === "payment_state" && (!e.payment_id || e.payment_id === paymentId));
  return states.length ? states[states.length - 1].state : null;
}

function outcome(model) {
  const { payment } = model.cashier;
  const merchant = payment.merchantName ?? "—";
  const paid = paymentState(model.events, payment.paymentId);
  if (paid === "succeeded") return { kind: "paid", title: t("cashier.paid"), text: t("cashier.paidText", { amount: payment.amountText, merchant }) };
  if (paid === "failed" || paid === "cancelled") return { kind: "failed", title: t("cashier.failed"), text: t("cashier.failedText", { merchant }) };
  return { kind: "waiting", title: t("cashier.waiting"), text: t("cashier.waitingText") };
}

/** The cashier card: the confirmation, then the outcome with Done, then the way back. */
export function cashierCard() {
  const model = state.run;
  const cashier = model.cashier;
  const { payment, phase } = cashier;
  const busy = phase === "working";
  const parts = [];
  if (phase === "confirm" || (busy && !cashier.decided)) {
    parts.push(
      h("h2", { text: t("confirm.title") }),
      paymentFacts(payment),
      h("p", { class: "hint", text: t("cashier.hint") }),
      h("div", { class: "stack" },
        h("button", { type: "button", class: "button primary wide", id: "pay-now", disabled: busy, text: t("confirm.payNow"), onclick: pay }),
        h("button", { type: "button", class: "button secondary wide", id: "back-out", disabled: busy, text: t("confirm.backOut"), onclick: leave })),
    );
  } else {
    const result = cashier.left ? { kind: "left", title: t("cashier.leftTitle"), text: t("cashier.left") } : outcome(model);
    parts.push(
      h("div", { class: `outcome ${result.kind}`, id: "cashier-outcome", "data-outcome": result.kind },
        h("span", { class: "outcome-mark", "aria-hidden": "true" }, icon(result.kind === "paid" ? "check" : result.kind === "waiting" ? "more" : "cross")),
        h("div", {}, h("h2", { text: result.title }), h("p", { text: result.text }))),
    );
    if (cashier.returned) parts.push(returnedView(cashier.returned, "cashier-returned"));
    else if (!payment.redirectUrl) parts.push(h("p", { class: "notice", text: t("cashier.noRedirect") }));
    else parts.push(h("button", { type: "button", class: "button primary wide", id: "cashier-done", disabled: busy, text: t("merchant.done"), onclick: done }));
  }
  return h("section", { class: "card confirm cashier", id: "cashier", "data-phase": phase }, parts);
}

async function pay() {
  const model = state.run;
  const cashier = model.cashier;
  cashier.phase = "working";
  renderRun();
  try {
    const run = await app.confirmPayment(model.runId);
    mergeEvents(run.events ?? []);
    cashier.decided = true;
    cashier.phase = "decided";
  } catch (error) {
    cashier.phase = "confirm";
    model.notice = errorText(error);
  }
  renderRun();
}

async function leave() {
  const model = state.run;
  const cashier = model.cashier;
  cashier.phase = "working";
  renderRun();
  try {
    const run = await app.backOut(model.runId);
    mergeEvents(run.events ?? []);
  } catch (error) {
    cashier.phase = "confirm";
    model.notice = errorText(error);
    return renderRun();
  }
  cashier.left = true;
  cashier.decided = true;
  await back(model, cashier);
}

async function done() {
  const model = state.run;
  const cashier = model.cashier;
  cashier.phase = "working";
  renderRun();
  await back(model, cashier);
}

/** Records the return in the run, then sends the customer to the paymentRedirectUrl. */
async function back(model, cashier) {
  const url = cashier.payment.redirectUrl;
  if (!url) {
    cashier.phase = "decided";
    return renderRun();
  }
  cashier.returned = await goBack(url, async () => {
    const run = await app.redirected(model.runId, url);
    mergeEvents(run.events ?? []);
  });
  cashier.phase = "returned";
  renderRun();
}
