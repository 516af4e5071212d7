// The one module that talks to the Rust side, through `window.__TAURI__`: every command the
// screens use (one function each, named after the command in src-tauri/build.rs), the app's
// events, and the system camera plugin. Outside the app (a plain browser) every command fails
// with `NO_APP` and no event arrives.

const tauri = globalThis.__TAURI__;

const invoke =
  tauri?.core?.invoke ?? (() => Promise.reject({ code: "NO_APP", message: "not in the app" }));

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
  readCodes: (image) => invoke("read_codes", { image }),
  codesOnScreen: () => invoke("codes_on_screen"),
  openPage: (url, userAgent) => invoke("open_page", { url, userAgent }),
  openPaymentUrl: (runId, url) => invoke("open_payment_url", { runId, url }),
  confirmPayment: (runId) => invoke("confirm_payment", { runId }),
  declinePayment: (runId) => invoke("decline_payment", { runId }),
  backOut: (runId) => invoke("back_out", { runId }),
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

/** Calls `handler(payload)` for every `name` event the app emits (`run-update`, `payment-url`). */
export function listen(name, handler) {
  tauri?.event?.listen?.(name, (event) => handler(event.payload));
}

/** The system camera of Tauri's barcode-scanner plugin (phones), or null when it is not there. */
export function systemScanner() {
  const scanner = tauri?.barcodeScanner;
  return scanner?.scan ? scanner : null;
}
