// The one module that talks to the Rust side: every command the screens use (one function
// each, named after the command in src-tauri/build.rs), the app's events, and the system camera
// plugin. In the desktop app the transport is Tauri's IPC (`window.__TAURI__`); in a browser (the
// web wallet the hub serves at /app/) it is `POST /app/api/<command>` with the same JSON
// arguments, and a run's events come as Server-Sent Events. Either way a command answers its
// value or rejects with `{code, message}`.

const tauri = globalThis.__TAURI__;

/** True in the desktop app; false in a browser, where desktop-only controls are hidden. */
export const inApp = Boolean(tauri?.core?.invoke);
if (!inApp) document.documentElement.classList.add("web");

/** Handlers of the events the screens listen to, for the browser transport. */
const handlers = new Map();
/** The runs whose events a browser follows, by run id. */
const followed = new Map();

function emit(name, payload) {
  for (const handler of handlers.get(name) ?? []) handler(payload);
}

/** Follows a run's events over SSE, once per run, until the stream says it ended. */
function followOverHttp(runId) {
  if (!runId || followed.has(runId)) return;
  const source = new EventSource(`api/runs/${encodeURIComponent(runId)}/events`);
  followed.set(runId, source);
  source.addEventListener("run-update", (message) => {
    const payload = JSON.parse(message.data);
    emit("run-update", payload);
    if (payload.ended) {
      source.close();
      followed.delete(runId);
    }
  });
  source.onerror = () => {
    // The screens poll the run as well; a dropped stream is simply followed again later.
    source.close();
    followed.delete(runId);
  };
}

/** The browser transport: one POST per command, `{code, message}` on failure. */
async function overHttp(command, args = {}) {
  if (command === "follow_run") return followOverHttp(args.runId);
  let response;
  try {
    response = await fetch(`api/${command}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(args),
      credentials: "same-origin",
    });
  } catch (error) {
    throw { code: "HUB_UNREACHABLE", message: String(error?.message ?? error) };
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw body ?? { code: "HUB_UNREACHABLE", message: `HTTP ${response.status}` };
  return body;
}

const invoke = inApp ? tauri.core.invoke : overHttp;

/** The app's commands; each returns a promise that rejects with the command's `{code, message}`. */
export const app = {
  appInfo: () => invoke("app_info"),
  demoInfo: () => invoke("demo_info"),
  startDemo: () => invoke("start_demo"),
  openPos: () => invoke("open_pos"),

  session: () => invoke("session"),
  signInWithInvitation: (code, password) => invoke("sign_in_with_invitation", { code, password }),
  signIn: (login, password) => invoke("sign_in", { login, password }),
  signOut: () => invoke("sign_out"),

  cases: () => invoke("cases"),
  case: (caseId) => invoke("case", { caseId }),
  startRun: (caseId) => invoke("start_run", { caseId }),
  currentRun: () => invoke("current_run"),
  followRun: (runId) => invoke("follow_run", { runId }),
  run: (runId) => invoke("run", { runId }),
  verdict: (runId) => invoke("verdict", { runId }),
  history: () => invoke("history"),

  paymentCode: (runId) => invoke("payment_code", { runId }),
  newPaymentCode: (runId) => invoke("new_payment_code", { runId }),
  scanText: (text) => invoke("scan_text", { text }),
  scanImage: (image) => invoke("scan_image", { image }),
  scanFile: (path) => invoke("scan_file", { path }),
  scanFrame: (width, height, rgba) => invoke("scan_frame", { width, height, rgba }),
  scanUnissuedCode: (runId) => invoke("scan_unissued_code", { runId }),
  readCodes: (image) => invoke("read_codes", { image }),
  codesOnScreen: () => invoke("codes_on_screen"),
  openPage: (url, userAgent) => invoke("open_page", { url, userAgent }),
  openPaymentUrl: (runId, url) => invoke("open_payment_url", { runId, url }),
  confirmPayment: (runId) => invoke("confirm_payment", { runId }),
  declinePayment: (runId) => invoke("decline_payment", { runId }),
  backOut: (runId) => invoke("back_out", { runId }),
  redirected: (runId, url) => invoke("redirected", { runId, url }),
  inspectAuthorization: (url) => invoke("inspect_authorization", { url }),
  authorize: (url, runId) => invoke("authorize", { url, runId }),
  declineAuthorization: (url, runId) => invoke("decline_authorization", { url, runId }),
  authorizations: () => invoke("authorizations"),
  revokeAuthorization: (authorizationId) => invoke("revoke_authorization", { authorizationId }),
  answerManual: (runId, answer) => invoke("answer_manual", { runId, answer }),
  attachPhoto: (runId, image) => invoke("attach_photo", { runId, image }),

  syncStatus: () => invoke("sync_status"),
  syncNow: () => invoke("sync_now"),
  outbox: () => invoke("outbox"),
  settings: () => invoke("settings"),
  updateSettings: (update) => invoke("update_settings", { update }),
  wallets: () => invoke("wallets"),
  generateQr: (text) => invoke("generate_qr", { text }),
  saveQr: (text) => invoke("save_qr", { text }),
};

/**
 * Returns the customer to a merchant's page (a cashier `paymentRedirectUrl`, an Auto Debit
 * `authRedirectUrl`) after `first` (e.g. recording the return in the run): the desktop demo's POS
 * window shows it; a browser opens it in a new tab, so the wallet and its run stay open. Resolves
 * true when the page was opened, false when the customer has to follow the link themselves (the
 * desktop app without the demo has no browser of its own to hand it to).
 */
export async function returnToMerchant(url, first = async () => {}) {
  if (inApp) {
    await first();
    return Boolean(await invoke("open_merchant_site", { url }));
  }
  // The tab opens while the tap still counts (browsers block a later one), then goes to the page.
  const tab = window.open("", "_blank");
  try {
    await first();
  } finally {
    if (tab) {
      tab.opener = null;
      tab.location.href = url;
    }
  }
  return Boolean(tab);
}

/** Calls `handler(payload)` for every `name` event the app emits (`run-update`, `payment-url`). */
export function listen(name, handler) {
  if (inApp) {
    tauri.event?.listen?.(name, (event) => handler(event.payload));
  } else {
    handlers.set(name, [...(handlers.get(name) ?? []), handler]);
  }
}

/** The system camera of Tauri's barcode-scanner plugin (phones), or null when it is not there. */
export function systemScanner() {
  const scanner = tauri?.barcodeScanner;
  return scanner?.scan ? scanner : null;
}
