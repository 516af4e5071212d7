// Back to the merchant's site, after a cashier payment (Done, or leaving without paying) or an
// Auto Debit authorization: recorded first when the case wants it, then opened where the customer
// sees it (the demo's POS window, a new browser tab), or offered as a link to copy where the app
// has nothing to open it with.
import { t } from "../../i18n.js";
import { h } from "../../lib/dom.js";
import { inApp, returnToMerchant } from "../../lib/shell.js";
import { errorText } from "../../lib/words.js";

/** Sends the customer to `url` after `first`; answers `{ url, opened, error }` for `returnedView`. */
export async function goBack(url, first = async () => {}) {
  let error = null;
  let opened = false;
  try {
    opened = await returnToMerchant(url, async () => {
      try {
        await first();
      } catch (failure) {
        error = errorText(failure);
      }
    });
  } catch (failure) {
    error = errorText(failure);
  }
  return { url, opened, error };
}

async function copy(url, button) {
  try {
    await navigator.clipboard.writeText(url);
    button.textContent = t("merchant.copied");
  } catch {
    // No clipboard for this page: the link stays selectable.
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
  }
}

/** What the wallet says once the customer was sent back: the site is open, or the link to follow. */
export function returnedView(returned, id) {
  return h(
    "div",
    { class: "returned", id, "data-opened": returned.opened ? "true" : "false" },
    returned.error ? h("p", { class: "notice error", text: returned.error }) : null,
    returned.opened
      ? h("p", { class: "returned-text", text: t("merchant.returned") })
      : [
          h("p", { class: "returned-text", text: t("merchant.follow") }),
          // In the desktop app a link would take the wallet's own window away: text to copy.
          inApp
            ? h("p", { class: "merchant-link breakable", id: `${id}-link`, text: returned.url })
            : h("a", { class: "merchant-link breakable", id: `${id}-link`, href: returned.url, target: "_blank", rel: "noopener", text: returned.url }),
          h("button", { type: "button", class: "button small secondary", id: `${id}-copy`, text: t("merchant.copy"), onclick: (e) => copy(returned.url, e.currentTarget) }),
        ],
  );
}
