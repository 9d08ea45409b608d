// zh/en for every console: elements carry data-i18n="key" (text) or
// data-i18n-placeholder="key"; the choice is remembered per browser.
let lang = localStorage.getItem("tongban.lang") || "zh";
let dictionary = { zh: {}, en: {} };

export function useDictionary(entries) {
  dictionary = entries;
}

export function currentLang() {
  return lang;
}

export function t(key, values = {}) {
  const text = (dictionary[lang] && dictionary[lang][key]) || dictionary.zh[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : ""));
}

export function setLang(next, root = document) {
  lang = next === "en" ? "en" : "zh";
  localStorage.setItem("tongban.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  applyI18n(root);
}

export function applyI18n(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll("[data-i18n-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  });
}

// A gateway error body in the chosen language.
export function errorText(error) {
  if (error && error.message_zh) {
    return lang === "zh" ? error.message_zh : error.message_en;
  }
  return String(error && error.message ? error.message : error);
}
