// The administrators' console: staff accounts (create, disable and enable, reset the
// password or the second factor, sign out everywhere), kiosk keys (issue, revoke) and the
// audit trail. Every action is the admin API's (docs/gateway.md); secrets it hands out
// (a temporary password, a new kiosk key) are shown once and never stored by the page.
import { Api, bindSignIn } from "/static/api.js";
import { applyI18n, currentLang, errorText, setLang, t, useDictionary } from "/static/i18n.js";

useDictionary({
  zh: {
    title: "跨省通办 · 系统管理", otherLang: "English", contrast: "高对比度", logout: "退出", login: "登录",
    username: "用户名", password: "密码", signIn: "登录", notAdmin: "该账号不是管理员账号",
    accounts: "账户", includeDisabled: "显示已停用的账户", role: "角色", province: "省份", displayName: "姓名",
    status: "状态", actions: "操作", newAccount: "新建账户", initialPassword: "初始密码", department: "部门",
    create: "创建", official: "办理人员", supervisor: "值班长", operator: "运行监测", admin: "管理员",
    mustChangeHint: "新账户首次登录时须设置自己的密码；管理员和值班长还须绑定身份验证器。",
    devices: "自助终端密钥", hall: "大厅", label: "说明", created: "创建时间", issueKey: "发放密钥",
    keyOnce: "新密钥（只显示这一次）：", audit: "审计记录", caseId: "案件编号", actor: "操作人",
    lookup: "查询", time: "时间", action: "操作", client: "来源地址", detail: "内容",
    enabled: "启用", disabled: "已停用", twoFactor: "已绑定验证器", mustChange: "待改密码", revoked: "已吊销",
    active: "有效", disable: "停用", enable: "启用", resetPassword: "重置密码", reset2fa: "重置验证器",
    signOut: "强制下线", revoke: "吊销", temporary: "{user} 的临时密码（只显示这一次）：{password}",
    done: "已完成：{what}",
  },
  en: {
    title: "Cross-province service · Administration", otherLang: "中文", contrast: "High contrast", logout: "Sign out",
    login: "Sign in", username: "Username", password: "Password", signIn: "Sign in", notAdmin: "This account is not an administrator's",
    accounts: "Accounts", includeDisabled: "Show disabled accounts", role: "Role", province: "Province", displayName: "Name",
    status: "Status", actions: "Actions", newAccount: "New account", initialPassword: "Initial password", department: "Department",
    create: "Create", official: "Official", supervisor: "Supervisor", operator: "Operator", admin: "Administrator",
    mustChangeHint: "A new account chooses its own password at the first sign-in; administrators and supervisors also enrol an authenticator.",
    devices: "Kiosk keys", hall: "Hall", label: "Label", created: "Created", issueKey: "Issue a key",
    keyOnce: "New key (shown this once):", audit: "Audit trail", caseId: "Case id", actor: "Actor",
    lookup: "Look up", time: "Time", action: "Action", client: "Address", detail: "Details",
    enabled: "enabled", disabled: "disabled", twoFactor: "authenticator", mustChange: "password due", revoked: "revoked",
    active: "active", disable: "Disable", enable: "Enable", resetPassword: "Reset password", reset2fa: "Reset authenticator",
    signOut: "Sign out everywhere", revoke: "Revoke", temporary: "Temporary password of {user} (shown this once): {password}",
    done: "Done: {what}",
  },
});

const $ = (id) => document.getElementById(id);
const api = new Api();

function showError(error) {
  $("error-banner").textContent = errorText(error);
  $("error-banner").classList.remove("hidden");
}
async function attempt(action) {
  try { $("error-banner").classList.add("hidden"); return await action(); } catch (error) { showError(error); return undefined; }
}
function cell(...children) {
  const td = document.createElement("td");
  td.append(...children);
  return td;
}
function button(text, testid, onClick, kind = "secondary") {
  const el = document.createElement("button");
  el.type = "button";
  el.className = kind;
  el.textContent = text;
  el.dataset.testid = testid;
  el.addEventListener("click", onClick);
  return el;
}

// ------------------------------------------------------------------ sign in

async function start() {
  setLang(currentLang());
  try {
    enter((await api.get("/api/v1/auth/me")).user);
  } catch (error) {
    $("login").classList.remove("hidden");
  }
}

bindSignIn(api, enter, errorText);

function enter(user) {
  if (user.role !== "admin") {
    $("login-error").textContent = t("notAdmin");
    $("login").classList.remove("hidden");
    return;
  }
  $("admin-name").textContent = user.display_name || user.username;
  $("login").classList.add("hidden");
  $("console").classList.remove("hidden");
  $("logout").classList.remove("hidden");
  accounts();
  devices();
  audit();
}

$("logout").addEventListener("click", async () => {
  await attempt(() => api.post("/api/v1/auth/logout"));
  location.reload();
});
$("toggle-lang").addEventListener("click", () => { setLang(currentLang() === "zh" ? "en" : "zh"); accounts(); devices(); });
$("toggle-contrast").addEventListener("click", () => document.body.classList.toggle("contrast"));

// ------------------------------------------------------------------ accounts

async function accountAction(path, body, what) {
  const reply = await attempt(() => api.post(path, body));
  if (!reply) return;
  $("account-result").textContent = reply.temporary_password
    ? t("temporary", { user: reply.username, password: reply.temporary_password })
    : t("done", { what });
  accounts();
}

async function accounts() {
  const include = $("accounts-include-disabled").checked;
  const reply = await attempt(() => api.get(`/api/v1/admin/accounts?include_disabled=${include}`));
  if (!reply) return;
  $("account-table").replaceChildren(...reply.accounts.map((a) => {
    const row = document.createElement("tr");
    row.dataset.testid = `account-${a.username}`;
    const flags = [t(a.disabled ? "disabled" : "enabled")];
    if (a.two_factor) flags.push(t("twoFactor"));
    if (a.must_change_password) flags.push(t("mustChange"));
    const base = `/api/v1/admin/accounts/${encodeURIComponent(a.username)}`;
    const actions = document.createElement("div");
    actions.className = "row";
    actions.append(
      button(t(a.disabled ? "enable" : "disable"), `account-toggle-${a.username}`,
        () => accountAction(`${base}/state`, { disabled: !a.disabled }, `${t(a.disabled ? "enable" : "disable")} ${a.username}`),
        a.disabled ? "secondary" : "danger"),
      button(t("resetPassword"), `account-reset-${a.username}`, () => accountAction(`${base}/password-reset`, {}, "")),
      button(t("reset2fa"), `account-2fa-${a.username}`, () => accountAction(`${base}/second-factor-reset`, {}, `${t("reset2fa")} ${a.username}`)),
      button(t("signOut"), `account-revoke-${a.username}`, () => accountAction(`${base}/sessions/revoke`, {}, `${t("signOut")} ${a.username}`)),
    );
    row.append(cell(a.username), cell(t(a.role)), cell(a.province || "—"), cell(a.display_name), cell(flags.join(" · ")), cell(actions));
    return row;
  }));
}
$("accounts-include-disabled").addEventListener("change", accounts);

$("new-account").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    username: $("new-username").value.trim(), password: $("new-password").value, role: $("new-role").value,
    province: $("new-province").value.trim(), department: $("new-department").value.trim(),
    display_name: $("new-display-name").value.trim(),
  };
  const reply = await attempt(() => api.post("/api/v1/admin/accounts", body));
  $("new-password").value = "";
  if (!reply) return;
  $("account-result").textContent = t("done", { what: `${t("create")} ${reply.account.username}` });
  $("new-account").reset();
  accounts();
});

// ------------------------------------------------------------------ kiosk keys

async function devices() {
  const reply = await attempt(() => api.get("/api/v1/admin/devices"));
  if (!reply) return;
  $("device-table").replaceChildren(...reply.devices.map((d) => {
    const row = document.createElement("tr");
    row.dataset.testid = `device-${d.id}`;
    const actions = d.revoked ? document.createTextNode("") : button(t("revoke"), `device-revoke-${d.id}`, async () => {
      if (await attempt(() => api.post(`/api/v1/admin/devices/${d.id}/revoke`, {}))) devices();
    }, "danger");
    row.append(cell(d.hall_id), cell(d.label), cell((d.created_at || "").slice(0, 19).replace("T", " ")),
      cell(t(d.revoked ? "revoked" : "active")), cell(actions));
    return row;
  }));
}

$("new-device").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reply = await attempt(() => api.post("/api/v1/admin/devices", {
    hall_id: $("device-hall").value.trim(), label: $("device-label").value.trim(),
  }));
  if (!reply) return;
  $("device-key").textContent = reply.device_key;
  $("new-device").reset();
  devices();
});

// ------------------------------------------------------------------ audit

async function audit() {
  const params = new URLSearchParams({ case_id: $("audit-case").value.trim(), actor: $("audit-actor").value.trim(), limit: "100" });
  const reply = await attempt(() => api.get(`/api/v1/admin/audit?${params}`));
  if (!reply) return;
  $("audit-table").replaceChildren(...reply.entries.map((e) => {
    const row = document.createElement("tr");
    row.dataset.testid = "audit-entry";
    row.append(cell(e.at.slice(0, 19).replace("T", " ")), cell(e.actor), cell(e.action), cell(e.case_id), cell(e.client), cell(e.detail));
    return row;
  }));
}
$("audit-form").addEventListener("submit", (event) => { event.preventDefault(); audit(); });

applyI18n();
start();
