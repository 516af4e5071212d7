// A hub page opened as a link in the web wallet (`/app/#open=<URL>`: a cashier checkout's
// paymentUrl, an Auto Debit authUrl, tapped or scanned with the phone's own camera app). It
// opens in the merchant's open run; with none open, the wallet asks which case to start (those
// of the page's product), and opens it there. Signed out, it waits for the sign-in.
import { t } from "../i18n.js";
import { h } from "../lib/dom.js";
import { go, show } from "../lib/nav.js";
import { app } from "../lib/shell.js";
import { state } from "../lib/state.js";
import { errorText, productName } from "../lib/words.js";

const PENDING = "linker.open";

/** The product whose case a hub page belongs to: CASHIER (`/checkout/`), AUTO_DEBIT (`/authorize/`). */
function productOf(url) {
  let path = "";
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  if (path.startsWith("/checkout/")) return "CASHIER";
  if (path.startsWith("/authorize/")) return "AUTO_DEBIT";
  return null;
}

/** Keeps `url` until the merchant has signed in (the cases screen then opens it). */
export function keepForAfterSignIn(url) {
  globalThis.sessionStorage?.setItem(PENDING, url);
}

/** The link kept for after the sign-in, once (null when there is none). */
export function takePending() {
  const url = globalThis.sessionStorage?.getItem(PENDING) ?? null;
  if (url) globalThis.sessionStorage?.removeItem(PENDING);
  return url;
}

/** Opens `url` in the open run, or asks which case to start for it. */
export async function openLink(url) {
  const product = productOf(url);
  let current = null;
  try {
    current = await app.currentRun();
  } catch (error) {
    if (error?.code === "NOT_SIGNED_IN" || error?.code === "SESSION_EXPIRED") {
      keepForAfterSignIn(url);
      await go("signIn", "password");
      return;
    }
  }
  const run = current?.run;
  if (run?.status === "open" && (!product || (await caseProduct(run.caseId)) === product)) {
    return go("run", run.caseId, run.id, url);
  }
  let cases = [];
  try {
    cases = (await app.cases()).groups.filter((group) => group.product === product).flatMap((group) => group.cases).filter((entry) => entry.runnable);
  } catch (error) {
    return show("openLink", h("h1", { class: "title", text: t("openLink.title") }), h("p", { class: "notice error", text: errorText(error) }));
  }
  show(
    "openLink",
    h("h1", { class: "title", text: t("openLink.title") }),
    h("p", { class: "lead", id: "open-link-what", text: product === "CASHIER" ? t("openLink.checkout") : product === "AUTO_DEBIT" ? t("openLink.authorize") : t("openLink.unknown") }),
    h("p", { class: "muted small breakable", id: "open-link-url", text: url }),
    product
      ? h("section", { class: "card" },
          h("h2", { text: productName(product) }),
          cases.length
            ? [h("p", { text: t("openLink.noRun") }),
               h("div", { class: "open-link-cases" },
                 cases.map((entry) => h("button", { type: "button", class: "button secondary wide", id: `open-in-${entry.id}`, "data-case": entry.id, text: t("openLink.start", { id: entry.id, title: entry.title }), onclick: () => go("run", entry.id, null, url) })))]
            : h("p", { class: "notice", text: t("openLink.noCase") }))
      : null,
  );
}

/** The product of an assigned case, from the list the cases screen loaded (or the hub). */
async function caseProduct(caseId) {
  const groups = state.cases?.groups ?? (await app.cases().catch(() => null))?.groups ?? [];
  return groups.find((group) => group.cases.some((entry) => entry.id === caseId))?.product ?? null;
}
