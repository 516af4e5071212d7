// Confirm: the customer pays, cancels or backs out of a payment the wallet was asked to decide.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { app } from "../../lib/shell.js";
import { state } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { mergeEvents, renderRun, setScan } from "./model.js";

function lastPaymentState(events) {
  const states = events.filter((e) => e.kind === "payment_state");
  return states.length ? states[states.length - 1].state : null;
}

function walletDecided(events) {
  return events.some((e) => e.kind === "wallet_action" && ["confirm_payment", "decline_payment", "back_out"].includes(e.action?.action));
}

/** What the customer is asked to pay: merchant, order, amount, and the exchange rate and the
 * amount in the wallet's currency when the currencies differ. */
export function paymentFacts(payment) {
  const rate = payment.exchangeRate;
  return h("dl", { class: "facts" },
    h("dt", { text: t("confirm.merchant") }), h("dd", { id: "confirm-merchant", text: payment.merchantName ?? "—" }),
    payment.orderDescription ? [h("dt", { text: t("confirm.order") }), h("dd", { id: "confirm-order", text: payment.orderDescription })] : null,
    h("dt", { text: t("confirm.amount") }), h("dd", { class: "amount", id: "confirm-amount", text: payment.amountText }),
    rate ? [h("dt", { text: t("confirm.rate") }), h("dd", { id: "confirm-rate", text: `1 ${rate.from} = ${rate.rate} ${rate.to}` })] : null,
    rate?.converted ? [h("dt", { text: t("confirm.youPay") }), h("dd", { id: "confirm-converted", text: rate.converted })] : null);
}

/** The confirm card, while the wallet has a payment to decide on (a scanned order, or a charge in process). */
export function confirmCard() {
  const model = state.run;
  const decided = walletDecided(model.events);
  const payment = model.confirm;
  const charged = !payment && model.tool === "pay" && lastPaymentState(model.events) === "in_process";
  if (decided || (!payment && !charged)) return null;
  return h(
    "section",
    { class: "card confirm", id: "confirm" },
    h("h2", { text: t("confirm.title") }),
    charged ? h("p", { text: t("confirm.charged") }) : null,
    payment ? paymentFacts(payment) : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "button secondary", id: "cancel-payment", text: t("confirm.cancel"), onclick: () => decide(app.declinePayment, t("confirm.cancel")) }),
      h("button", { type: "button", class: "button primary", id: "pay-now", text: t("confirm.payNow"), onclick: () => decide(app.confirmPayment, t("confirm.payNow")) })),
    payment ? h("button", { type: "button", class: "link", id: "back-out", text: t("confirm.backOut"), onclick: () => decide(app.backOut, t("confirm.backOut")) }) : null,
  );
}

async function decide(command, label) {
  const model = state.run;
  try {
    const run = await command(model.runId);
    mergeEvents(run.events ?? []);
    model.confirm = null;
    setScan({ status: t("confirm.done", { what: label }), error: false });
  } catch (error) {
    model.notice = errorText(error);
    renderRun();
  }
}
