// Every string the wallet shows, in one table per language. Elements carry
// `data-i18n="key"`; code calls `t("key")`.

export const STRINGS = {
  en: {
    "brand.name": "Linker",
    "welcome.tagline": "The test wallet for Alipay+ merchant integrations",
    "welcome.signIn": "Sign in with your invitation",
    "welcome.tryDemo": "Try the demo",
    "welcome.footer": "Plays the customer's wallet so you can test your POS.",
    "welcome.signInUnavailable":
      "Coming soon: signing in needs a Linker hub, which this build does not include yet.",
    "welcome.demoUnavailable":
      "Coming soon: the demo needs the hub and the reference acquirer, which this build does not include yet.",
    "welcome.version": "Version {version} · plays {wallet}",
  },
  "zh-CN": {
    "brand.name": "Linker",
    "welcome.tagline": "Alipay+ 商户联调测试钱包",
    "welcome.signIn": "使用邀请码登录",
    "welcome.tryDemo": "体验演示",
    "welcome.footer": "模拟顾客的钱包，帮助您测试收银系统。",
    "welcome.signInUnavailable": "即将推出：登录需要 Linker 服务端，当前版本尚未包含。",
    "welcome.demoUnavailable": "即将推出：演示需要服务端和参考收单方，当前版本尚未包含。",
    "welcome.version": "版本 {version} · 模拟 {wallet}",
  },
};

let language = pickLanguage();

function pickLanguage() {
  const saved = globalThis.localStorage?.getItem("linker.language");
  if (saved && STRINGS[saved]) return saved;
  const browser = globalThis.navigator?.language ?? "en";
  return browser.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** The current language code. */
export function currentLanguage() {
  return language;
}

/** Switches language and re-renders every tagged element. */
export function setLanguage(code) {
  if (!STRINGS[code]) return;
  language = code;
  globalThis.localStorage?.setItem("linker.language", code);
  applyTranslations(document);
}

/** The string for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, values = {}) {
  const template = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
}

/** Fills every `data-i18n` element under `root`. */
export function applyTranslations(root) {
  document.documentElement.lang = language;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
