// How the wallet words what it shows: errors, outcomes, products, times.
import { currentLanguage, has, t } from "../i18n.js";
import { h } from "./dom.js";

/** The sentence for a command's `{code, message}` error, by its code when there is one. */
export function errorText(error) {
  const code = error?.code;
  const message = error?.message ?? String(error);
  if (code && has(`error.${code}`)) return t(`error.${code}`, { message });
  return t("error.generic", { message });
}

/** A product's name (`ORDER_CODE` → Order Code) in the current language; the code itself when it has none. */
export function productName(product) {
  return has(`product.${product}`) ? t(`product.${product}`) : String(product);
}

/** A run or case status as one of notRun, passed, failed, broken, skipped, open. */
export function outcomeOf(status) {
  if (!status) return "notRun";
  const s = String(status).toLowerCase();
  return ["passed", "failed", "broken", "skipped"].includes(s) ? s : "open";
}

/** The coloured badge of a status. */
export function badge(status) {
  const outcome = outcomeOf(status);
  return h("span", { class: `badge ${outcome}`, "data-outcome": outcome, text: t(`outcome.${outcome}`) });
}

/** A timestamp in the current language. */
export function when(at) {
  try {
    return new Date(at).toLocaleString(currentLanguage());
  } catch {
    return String(at);
  }
}
