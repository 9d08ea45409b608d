// Staff sign-in, shared by the staff consoles: the password form (#login-form,
// #login-username, #login-password, #login-error), then whatever steps the gateway asks
// for (`stage` in its answer): a one-time code from the authenticator (or a recovery
// code), enrolling an authenticator (QR code, key, first code, recovery codes shown once),
// a new password. Each step is built here, below the form; `enter(user)` runs once the
// session is complete. Test ids: totp-code, totp-submit, totp-use-recovery, recovery-code,
// totp-qr, totp-secret, recovery-codes, recovery-done, password-current, password-new,
// password-submit.
import { currentLang } from "/static/i18n.js";

const WORDS = {
  zh: {
    codeTitle: "动态验证码", codeHint: "请输入身份验证器上显示的 6 位数字", code: "验证码", verify: "验证",
    useRecovery: "使用恢复码", recovery: "恢复码", enrolTitle: "绑定身份验证器",
    enrolHint: "请用身份验证器（如手机上的 TOTP 应用）扫描二维码，或手动输入密钥，然后输入显示的验证码",
    secret: "密钥", recoveryTitle: "恢复码（只显示这一次）",
    recoveryHint: "请妥善保存这些恢复码；身份验证器丢失时，每个恢复码可使用一次", saved: "我已保存，继续",
    passwordTitle: "设置新密码", passwordHint: "请设置您自己的新密码（至少 10 个字符）",
    current: "当前密码", fresh: "新密码", change: "修改密码",
  },
  en: {
    codeTitle: "One-time code", codeHint: "Enter the 6 digits your authenticator shows", code: "Code", verify: "Verify",
    useRecovery: "Use a recovery code", recovery: "Recovery code", enrolTitle: "Enrol an authenticator",
    enrolHint: "Scan the QR code with an authenticator (a TOTP app on your phone) or type the key, then enter the code it shows",
    secret: "Key", recoveryTitle: "Recovery codes (shown this once)",
    recoveryHint: "Keep these safe: if the authenticator is lost, each code works once", saved: "I have saved them",
    passwordTitle: "Choose a new password", passwordHint: "Choose a password of your own (at least 10 characters)",
    current: "Current password", fresh: "New password", change: "Change password",
  },
};

function w(key, values = {}) {
  const text = (WORDS[currentLang()] || WORDS.zh)[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function element(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  Object.entries(props).forEach(([key, value]) => {
    if (key === "testid") el.dataset.testid = value;
    else if (key === "class") el.className = value;
    else el[key] = value;
  });
  el.append(...children);
  return el;
}

function field(labelText, input) {
  return element("label", {}, element("span", {}, labelText), input);
}

export function bindSignIn(api, enter, errorText) {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const step = element("div", { class: "signin-step hidden", testid: "signin-step" });
  form.after(step);

  const fail = (failure) => { error.textContent = errorText(failure); };
  const show = (...children) => {
    form.classList.add("hidden");
    step.replaceChildren(...children);
    step.classList.remove("hidden");
    const first = step.querySelector("input");
    if (first) first.focus();
  };
  const back = () => {
    step.classList.add("hidden");
    step.replaceChildren();
    form.classList.remove("hidden");
  };

  async function next(reply) {
    error.textContent = "";
    if (reply.stage === "full" || !reply.stage) { back(); enter(reply.user); return; }
    if (reply.stage === "second_factor") secondFactor();
    else if (reply.stage === "enrol") await enrol();
    else if (reply.stage === "password") newPassword();
  }

  // each step posts, then goes on to the stage the answer names; a 401 of an expired
  // step (ten minutes) goes back to the password
  async function post(path, body) {
    try {
      return await api.post(path, body);
    } catch (failure) {
      fail(failure);
      if (failure.status === 401 && !["bad_second_factor", "bad_credentials"].includes(failure.code)) back();
      return null;
    }
  }

  function secondFactor() {
    const code = element("input", { inputMode: "numeric", autocomplete: "one-time-code", maxLength: 6, required: true, testid: "totp-code" });
    const recovery = element("input", { autocomplete: "off", maxLength: 32, testid: "recovery-code" });
    const recoveryField = field(w("recovery"), recovery);
    recoveryField.classList.add("hidden");
    const toggle = element("button", { type: "button", class: "secondary", testid: "totp-use-recovery" }, w("useRecovery"));
    toggle.addEventListener("click", () => {
      recoveryField.classList.remove("hidden");
      code.required = false;
      recovery.focus();
    });
    const submit = element("button", { type: "submit", testid: "totp-submit" }, w("verify"));
    const stepForm = element("form", {}, element("h3", {}, w("codeTitle")), element("p", { class: "muted" }, w("codeHint")),
      field(w("code"), code), recoveryField, submit, toggle);
    stepForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = recovery.value.trim() ? { recovery_code: recovery.value.trim() } : { code: code.value.trim() };
      const reply = await post("/api/v1/auth/second-factor", body);
      code.value = ""; recovery.value = "";
      if (!reply) return;
      next(reply);
    });
    show(stepForm);
  }

  async function enrol() {
    const key = await post("/api/v1/auth/second-factor/enrol", {});
    if (!key) return;
    const qr = element("img", { alt: key.uri, class: "totp-qr", testid: "totp-qr",
      src: `data:image/svg+xml;base64,${btoa(key.qr_svg)}` });
    const secret = element("code", { testid: "totp-secret" }, key.secret);
    const code = element("input", { inputMode: "numeric", autocomplete: "one-time-code", maxLength: 6, required: true, testid: "totp-code" });
    const submit = element("button", { type: "submit", testid: "totp-submit" }, w("verify"));
    const stepForm = element("form", {}, element("h3", {}, w("enrolTitle")), element("p", { class: "muted" }, w("enrolHint")),
      qr, element("p", {}, `${w("secret")}: `, secret), field(w("code"), code), submit);
    stepForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reply = await post("/api/v1/auth/second-factor/confirm", { code: code.value.trim() });
      code.value = "";
      if (reply) recoveryCodes(reply);
    });
    show(stepForm);
  }

  function recoveryCodes(reply) {
    const list = element("ol", { class: "recovery-codes", testid: "recovery-codes" },
      ...reply.recovery_codes.map((c) => element("li", {}, element("code", {}, c))));
    const done = element("button", { type: "button", testid: "recovery-done" }, w("saved"));
    done.addEventListener("click", () => next(reply));
    show(element("h3", {}, w("recoveryTitle")), element("p", { class: "muted" }, w("recoveryHint")), list, done);
  }

  function newPassword() {
    const current = element("input", { type: "password", autocomplete: "current-password", required: true, testid: "password-current" });
    const fresh = element("input", { type: "password", autocomplete: "new-password", minLength: 10, required: true, testid: "password-new" });
    const submit = element("button", { type: "submit", testid: "password-submit" }, w("change"));
    const stepForm = element("form", {}, element("h3", {}, w("passwordTitle")), element("p", { class: "muted" }, w("passwordHint")),
      field(w("current"), current), field(w("fresh"), fresh), submit);
    stepForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reply = await post("/api/v1/auth/password", { current_password: current.value, new_password: fresh.value });
      current.value = ""; fresh.value = "";
      if (reply) next(reply);
    });
    show(stepForm);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const reply = await api.post("/api/v1/auth/login", {
        username: document.getElementById("login-username").value.trim(),
        password: document.getElementById("login-password").value,
      });
      document.getElementById("login-password").value = "";
      next(reply);
    } catch (failure) {
      fail(failure);
    }
  });
}
