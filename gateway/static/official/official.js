// The official's console: sign in, presence, the offered case with its countdown, the video
// window beside the case and its materials, the decision, the wrap-up.
import { Api, ApiError, bindSignIn, liveSocket } from "/static/api.js";
import { applyI18n, currentLang, errorText, setLang, t, useDictionary } from "/static/i18n.js";
import { attachRemote, getMedia, joinWindow } from "/static/rtc.js";

useDictionary({
  zh: {
    title: "跨省通办 · 办理人员工作台", otherLang: "English", contrast: "高对比度", logout: "退出",
    login: "登录", username: "用户名", password: "密码", signIn: "登录", notOfficial: "该账号不是办理人员账号",
    presence: "在岗状态", now: "当前", available: "在线接单", away: "暂离", offline: "下线", busy: "办理中",
    wrap_up: "整理中", unspecified: "未登记", reasonBreak: "休息", reasonMeeting: "会议",
    reasonTraining: "培训", reasonPaperwork: "整理材料", apply: "切换", offer: "新的办件", case: "案件",
    acceptWithin: "请在", seconds: "秒内接单", accept: "接单", reject: "拒绝", window: "视频窗口",
    connection: "连接", join: "进入视频窗口", summary: "办理摘要（请申请人确认）", sendSummary: "发送给申请人确认",
    details: "案件详情", materials: "材料", decide: "办理决定", outcome: "结果", approved: "准予办理",
    rejected: "不予办理", supplement: "补正材料", supplement_requested: "已要求补正", transferred: "转办", resultKind: "结果类型",
    delivery: "送达方式", eCertificate: "电子证明", mail: "邮寄", hallPrint: "异地打印",
    mailAddress: "邮寄地址", reasonCode: "原因代码", legalBasis: "法律依据",
    supplements: "需补正的材料（逗号分隔）", transferTo: "转交部门", record: "记录决定",
    wrapUp: "结束办理", wrapUpHint: "关闭视频窗口（录像保存），进入整理时间", finish: "结束办理",
    events: "事件", matter: "事项", applicant: "申请人", idNumber: "身份证号", phone: "手机",
    hall: "受理大厅", route: "跨省", status: "状态", needs: "特殊需求", missing: "容缺材料",
    elderly: "老年人", disability: "残障", interpreter: "需翻译", decided: "已记录：{outcome}",
    certificateNo: "证明编号 {n}", finished: "已结束，进入整理时间", confirmedYes: "申请人已确认摘要 ✓",
    confirmedNo: "申请人对摘要有疑问", summarySent: "摘要已发送", none: "无",
  },
  en: {
    title: "Cross-province service · Official console", otherLang: "中文", contrast: "High contrast", logout: "Sign out",
    login: "Sign in", username: "Username", password: "Password", signIn: "Sign in", notOfficial: "This account is not an official's",
    presence: "Presence", now: "Now", available: "Available", away: "Away", offline: "Offline", busy: "Busy",
    wrap_up: "Wrap-up", unspecified: "Not registered", reasonBreak: "Break", reasonMeeting: "Meeting",
    reasonTraining: "Training", reasonPaperwork: "Paperwork", apply: "Apply", offer: "New case offered", case: "Case",
    acceptWithin: "Accept within", seconds: "s", accept: "Accept", reject: "Decline", window: "Video window",
    connection: "Connection", join: "Join the window", summary: "Summary (the applicant confirms)", sendSummary: "Send to the applicant",
    details: "Case", materials: "Materials", decide: "Decision", outcome: "Outcome", approved: "Approve",
    rejected: "Reject", supplement: "Request materials (补正)", supplement_requested: "Materials requested (补正)", transferred: "Transfer", resultKind: "Result kind",
    delivery: "Delivery", eCertificate: "Electronic certificate", mail: "Mail", hallPrint: "Print at the hall",
    mailAddress: "Mail address", reasonCode: "Reason code", legalBasis: "Legal basis",
    supplements: "Materials to supply (comma separated)", transferTo: "Receiving department", record: "Record decision",
    wrapUp: "Finish", wrapUpHint: "Closes the window (the recording is kept) and starts wrap-up time", finish: "Finish the case",
    events: "Events", matter: "Matter", applicant: "Applicant", idNumber: "ID number", phone: "Mobile",
    hall: "Hall", route: "From → to", status: "Status", needs: "Special needs", missing: "Missing (to follow)",
    elderly: "elderly", disability: "disability", interpreter: "interpreter", decided: "Recorded: {outcome}",
    certificateNo: "Certificate {n}", finished: "Finished; wrap-up time", confirmedYes: "The applicant confirmed the summary ✓",
    confirmedNo: "The applicant questions the summary", summarySent: "Summary sent", none: "none",
  },
});

const $ = (id) => document.getElementById(id);
const api = new Api();
const state = { user: null, caseId: "", offer: null, timer: null, live: null, poll: null, rtc: null, stream: null };

function showError(error) {
  $("error-banner").textContent = errorText(error);
  $("error-banner").classList.remove("hidden");
}
async function attempt(action) {
  try { $("error-banner").classList.add("hidden"); return await action(); } catch (error) { showError(error); return undefined; }
}

function log(message) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${message.type} ${message.case_id || ""}`;
  $("official-events").prepend(item);
  while ($("official-events").children.length > 30) $("official-events").lastChild.remove();
}

// ------------------------------------------------------------------ sign in

async function start() {
  setLang(currentLang());
  try {
    const me = await api.get("/api/v1/auth/me");
    enter(me.user);
  } catch (error) {
    $("login").classList.remove("hidden");
  }
}

bindSignIn(api, enter, errorText);

function enter(user) {
  if (!["official", "supervisor"].includes(user.role)) {
    $("login-error").textContent = t("notOfficial");
    $("login").classList.remove("hidden");
    return;
  }
  state.user = user;
  $("official-name").textContent = `${user.display_name || user.username} · ${user.province}`;
  $("login").classList.add("hidden");
  $("desk").classList.remove("hidden");
  $("logout").classList.remove("hidden");
  state.live = liveSocket("/ws/official", onLive);
  state.poll = setInterval(refresh, 5000);
  refresh();
}

$("logout").addEventListener("click", async () => {
  await attempt(() => api.post("/api/v1/auth/logout"));
  location.reload();
});

$("toggle-lang").addEventListener("click", () => setLang(currentLang() === "zh" ? "en" : "zh"));
$("toggle-contrast").addEventListener("click", () => document.body.classList.toggle("contrast"));

// ------------------------------------------------------------------ presence and offers

function showOfficial(official) {
  if (!official) { $("presence-state").textContent = t("unspecified"); return; }
  $("presence-state").textContent = t(official.presence);
  $("presence-state").dataset.presence = official.presence;
  $("presence-reason").textContent = official.away_reason || "";
  if (official.reservation_id) {
    showOffer(official.case_id, official.reservation_id, official.reservation_expires_at);
  } else {
    hideOffer();
    if (official.case_id && official.case_id !== state.caseId) openCase(official.case_id);
  }
}

async function refresh() {
  try {
    const reply = await api.get("/api/v1/official/me");
    showOfficial(reply.official);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) location.reload();
  }
}

$("presence-apply").addEventListener("click", async () => {
  const presence = $("presence-select").value;
  const reply = await attempt(() => api.post("/api/v1/official/presence", {
    presence, reason: presence === "away" ? $("away-reason").value : "",
  }));
  if (reply) showOfficial(reply.official);
});

function showOffer(caseId, reservationId, expiresAt) {
  if (state.offer && state.offer.reservationId === reservationId) return;
  state.offer = { caseId, reservationId, expiresAt };
  $("offer-case").textContent = caseId;
  $("offer").classList.remove("hidden");
  clearInterval(state.timer);
  const tick = () => {
    const left = Math.max(0, Math.ceil(expiresAt - Date.now() / 1000));
    $("offer-countdown").textContent = String(left);
    if (left <= 0) hideOffer();
  };
  tick();
  state.timer = setInterval(tick, 250);
}

function hideOffer() {
  state.offer = null;
  clearInterval(state.timer);
  $("offer").classList.add("hidden");
}

$("offer-accept").addEventListener("click", async () => {
  if (!state.offer) return;
  const reply = await attempt(() => api.post(`/api/v1/official/reservations/${encodeURIComponent(state.offer.reservationId)}/accept`));
  hideOffer();
  if (reply) { await openCase(reply.case_id); joinCaseWindow(); }
});

$("offer-reject").addEventListener("click", async () => {
  if (!state.offer) return;
  await attempt(() => api.post(`/api/v1/official/reservations/${encodeURIComponent(state.offer.reservationId)}/reject`, { reason: "declined" }));
  hideOffer();
});

function onLive(message) {
  if (message.kind === "hello") { if (message.official) showOfficial(message.official); return; }
  if (message.kind !== "event" && message.kind !== "notice") return;
  log(message);
  const data = message.data || {};
  switch (message.type) {
    case "CaseReserved":
      showOffer(message.case_id, data.reservation_id, Date.parse(data.expires_at) / 1000);
      break;
    case "ReservationTimedOut":
    case "ReservationRejected":
      if (state.offer && state.offer.reservationId === data.reservation_id) hideOffer();
      break;
    case "CaseAssigned":
      if (message.case_id !== state.caseId) openCase(message.case_id);
      break;
    case "OfficialStateChanged":
      $("presence-state").textContent = t(data.presence);
      $("presence-state").dataset.presence = data.presence;
      break;
    case "WindowOpened":
      if (message.case_id === state.caseId) joinCaseWindow();
      break;
    case "ApplicantConfirmed":
      showConfirmation(data.confirmed);
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ the case

function detail(list, label, value) {
  const term = document.createElement("dt");
  term.textContent = label;
  const description = document.createElement("dd");
  description.textContent = value;
  list.append(term, description);
}

async function openCase(caseId) {
  const reply = await attempt(() => api.get(`/api/v1/official/cases/${caseId}`));
  if (!reply) return;
  state.caseId = caseId;
  const { application, matter, case: known } = reply;
  const zh = currentLang() === "zh";
  const list = $("case-details");
  list.replaceChildren();
  detail(list, t("case"), caseId);
  detail(list, t("matter"), `${zh ? matter.name_zh : matter.name_en} (${matter.code})`);
  detail(list, t("applicant"), application.applicant.name);
  detail(list, t("idNumber"), application.applicant.id_number);
  detail(list, t("phone"), application.applicant.phone);
  detail(list, t("hall"), application.hall_id);
  detail(list, t("route"), `${application.hall_province} → ${application.target_province}`);
  detail(list, t("status"), known ? known.status : application.status);
  const needs = ["elderly", "disability", "interpreter"].filter((n) => application.needs && application.needs[n]);
  detail(list, t("needs"), needs.length ? needs.map((n) => t(n)).join(", ") : t("none"));
  detail(list, t("missing"), (application.missing_materials || []).join(", ") || t("none"));
  const materials = $("material-list");
  materials.replaceChildren();
  application.materials.forEach((material) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.className = "secondary";
    button.dataset.testid = `material-${material.id}`;
    button.dataset.code = material.code;
    button.textContent = `${material.code} · ${material.content_type} · ${Math.round(material.size / 1024)} KiB · ${material.source}`;
    button.addEventListener("click", () => viewMaterial(material));
    item.append(button);
    materials.append(item);
  });
  $("workspace").classList.remove("hidden");
  $("decision-result").textContent = "";
  $("finish-result").textContent = "";
  $("applicant-confirmation").textContent = "";
}

function viewMaterial(material) {
  const url = `/api/v1/official/cases/${state.caseId}/materials/${material.id}`;
  const viewer = $("material-viewer");
  viewer.replaceChildren();
  if (material.content_type === "application/pdf") {
    const frame = document.createElement("iframe");
    frame.src = url;
    frame.title = material.code;
    viewer.append(frame);
  } else {
    const image = document.createElement("img");
    image.src = url;
    image.alt = material.code;
    viewer.append(image);
  }
}

// ------------------------------------------------------------------ the window

async function joinCaseWindow() {
  // accepting and the WindowOpened event both ask: one offer only, or the second replaces it
  if (!state.caseId || state.rtc || state.joining) return;
  state.joining = true;
  $("window-state").textContent = "…";
  try {
    if (!state.stream) state.stream = await getMedia(true).catch(() => getMedia(false));
    $("local-video").srcObject = state.stream;
    const config = await api.get("/api/v1/config");
    const caseId = state.caseId;
    state.rtc = await joinWindow({
      stream: state.stream,
      iceServers: config.ice_servers,
      signal: async (sdp) => (await api.post(`/api/v1/official/cases/${caseId}/window/join`, { sdp })).sdp,
      onTrack: attachRemote($("remote-video")),
      onMessage: (message) => { if (message.type === "confirm") showConfirmation(message.confirmed !== false); },
      onState: (connection) => { $("window-state").textContent = connection; },
    });
  } catch (error) {
    state.rtc = null;
    showError(error);
  } finally {
    state.joining = false;
  }
}
$("window-join").addEventListener("click", joinCaseWindow);

function showConfirmation(confirmed) {
  $("applicant-confirmation").textContent = t(confirmed ? "confirmedYes" : "confirmedNo");
  $("applicant-confirmation").className = confirmed ? "ok" : "bad";
}

$("summary-send").addEventListener("click", async () => {
  const text = $("summary-text").value.trim();
  if (!text || !state.caseId) return;
  if (state.rtc) state.rtc.send({ type: "summary", text });
  const reply = await attempt(() => api.post(`/api/v1/official/cases/${state.caseId}/summary`, { summary: text }));
  if (reply) $("applicant-confirmation").textContent = t("summarySent");
});

// ------------------------------------------------------------------ decision and wrap-up

function showOutcomeFields() {
  const outcome = $("decision-outcome").value;
  document.querySelectorAll("[data-for]").forEach((el) => el.classList.toggle("hidden", el.dataset.for !== outcome));
}
$("decision-outcome").addEventListener("change", showOutcomeFields);

$("decision-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const outcome = $("decision-outcome").value;
  const body = { outcome };
  if (outcome === "approved") {
    body.result_kind = $("decision-result-kind").value.trim();
    body.delivery_method = $("decision-delivery").value;
    body.mail_address = $("decision-mail-address").value.trim();
  } else if (outcome === "rejected") {
    body.reason_code = $("decision-reason-code").value.trim();
    body.legal_basis = $("decision-legal-basis").value.trim();
  } else if (outcome === "supplement_requested") {
    body.supplements = $("decision-supplements").value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  } else {
    body.transfer_to = $("decision-transfer-to").value.trim();
  }
  const reply = await attempt(() => api.post(`/api/v1/official/cases/${state.caseId}/decision`, body));
  if (!reply) return;
  const parts = [t("decided", { outcome: t(reply.case.outcome) })];
  if (reply.case.certificate_number) parts.push(t("certificateNo", { n: reply.case.certificate_number }));
  $("decision-result").textContent = parts.join(" · ");
  $("decision-result").className = "ok";
});

$("finish-case").addEventListener("click", async () => {
  const reply = await attempt(() => api.post(`/api/v1/official/cases/${state.caseId}/finish`));
  if (!reply) return;
  if (state.rtc) { state.rtc.close(); state.rtc = null; }
  if (state.stream) { state.stream.getTracks().forEach((track) => track.stop()); state.stream = null; }
  $("finish-result").textContent = t("finished");
  $("window-state").textContent = "closed";
  state.caseId = "";
  refresh();
});

applyI18n();
showOutcomeFields();
start();
