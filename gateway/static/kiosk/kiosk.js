// The hall kiosk (远程虚拟窗口): language → matter → identity → materials → queue →
// video window → decision → rating. Every control has a data-testid (docs/gateway.md).
import { Api, ApiError, liveSocket } from "/static/api.js";
import { applyI18n, currentLang, errorText, setLang, t, useDictionary } from "/static/i18n.js";
import { attachRemote, getMedia, joinWindow, snapshot } from "/static/rtc.js";

useDictionary({
  zh: {
    title: "跨省通办 · 远程虚拟窗口", otherLang: "English", contrast: "高对比度",
    setupTitle: "终端设置", deviceKey: "设备密钥", save: "保存",
    findMatter: "查找要办理的事项", searchHint: "输入事项名称、简称或拼音，如：公积金、社保卡、gjj", chooseProvince: "由哪个省份办理？",
    identity: "身份信息", identityHint: "请放置身份证，或在下方输入", name: "姓名", idNumber: "身份证号码",
    phone: "手机号码", delivery: "结果领取方式", disability: "我需要无障碍帮助",
    interpreter: "我需要翻译或手语", back: "返回", next: "下一步",
    materials: "提交材料", cameraHint: "将材料放在高拍仪下，点击“拍照上传”", capture: "拍照上传",
    chooseFile: "选择文件", required: "必须", optional: "可缺（容缺受理）", uploaded: "已上传 ✓",
    uploading: "上传中…", notUploaded: "未上传", cancel: "取消办理", submit: "提交申请",
    waiting: "正在为您联系办理人员", position: "前面还有", eta: "预计等待", people: "{n} 人",
    minutes: "约 {n} 分钟", soon: "即将接通", queued: "排队中", reserved: "已找到办理人员，正在确认…",
    assigned: "办理人员已接单，正在打开视频窗口…", requeued: "正在为您重新安排办理人员",
    window: "视频办理中", connection: "连接状态", summary: "办理人员的办理摘要", dispute: "有疑问",
    confirm: "确认无误", confirmed: "已确认，谢谢！", disputed: "已告知办理人员，请当面说明",
    result: "办理结果", certificate: "查看电子证明", rate: "请为本次服务评价（好差评）",
    comment: "意见建议（可选）", submitRating: "提交评价", thanks: "感谢您的评价！",
    startOver: "完成，返回首页", cameraUnavailable: "摄像头不可用，请选择文件上传",
    outcome_approved: "准予办理 ✓", outcome_rejected: "不予办理", outcome_supplement_requested: "需要补正材料",
    outcome_transferred: "已转交其他部门办理", reason: "原因：{text}", supplements: "请补充：{text}",
    deliver_e_certificate: "电子证明已签发，可在下方查看", deliver_mail: "结果将以快递寄送",
    deliver_hall_print: "结果将在本大厅打印领取", delivered: "已送达：{ref}", supplementUpload: "补充材料",
    method_mail: "邮寄", method_hall_print: "大厅打印", method_e_certificate: "电子证明",
    cancelled: "申请已取消", missingKey: "请先上传必须的材料",
    found_matched: "为您找到以下事项", found_quick_picks: "本大厅常办事项",
    found_no_match: "没有找到相符的事项，请换个说法，或从常办事项中选择：",
    idleQuestion: "您还在办理吗？", idleClearing: "为保护您的信息，屏幕将在", idleSeconds: "秒后清空",
    idleContinue: "继续办理",
  },
  en: {
    title: "Cross-province service · Remote window", otherLang: "中文", contrast: "High contrast",
    setupTitle: "Kiosk set-up", deviceKey: "Device key", save: "Save",
    findMatter: "Find your matter", searchHint: "Type a name or a few words, e.g. housing fund, ID card", chooseProvince: "Which province handles it?",
    identity: "Your identity", identityHint: "Place your ID card, or type below", name: "Name", idNumber: "ID number",
    phone: "Mobile number", delivery: "How to receive the result", disability: "I need accessibility help",
    interpreter: "I need an interpreter or sign language", back: "Back", next: "Next",
    materials: "Materials", cameraHint: "Place the document under the camera and press “Capture”", capture: "Capture",
    chooseFile: "Choose file", required: "required", optional: "may follow later", uploaded: "uploaded ✓",
    uploading: "uploading…", notUploaded: "not uploaded", cancel: "Cancel", submit: "Submit",
    waiting: "Finding an official for you", position: "People ahead of you", eta: "Estimated wait", people: "{n}",
    minutes: "about {n} min", soon: "connecting soon", queued: "in the queue", reserved: "An official was found; confirming…",
    assigned: "The official accepted; opening the video window…", requeued: "Finding another official for you",
    window: "Video service", connection: "Connection", summary: "The official's summary", dispute: "I have a question",
    confirm: "Correct", confirmed: "Confirmed, thank you!", disputed: "The official was told; please explain",
    result: "Result", certificate: "Open the e-certificate", rate: "Please rate this service",
    comment: "Comments (optional)", submitRating: "Send rating", thanks: "Thank you for your rating!",
    startOver: "Done", cameraUnavailable: "The camera is unavailable; please choose a file",
    outcome_approved: "Approved ✓", outcome_rejected: "Not approved", outcome_supplement_requested: "More materials are needed",
    outcome_transferred: "Transferred to another department", reason: "Reason: {text}", supplements: "Please add: {text}",
    deliver_e_certificate: "The e-certificate is issued; open it below", deliver_mail: "The result will be mailed",
    deliver_hall_print: "The result will be printed at this hall", delivered: "Delivered: {ref}", supplementUpload: "Add materials",
    method_mail: "Mail", method_hall_print: "Print at this hall", method_e_certificate: "Electronic certificate",
    cancelled: "The application was cancelled", missingKey: "Please upload the required materials first",
    found_matched: "Matters found for you", found_quick_picks: "Frequent matters at this hall",
    found_no_match: "Nothing matched; try other words, or choose a frequent matter:",
    idleQuestion: "Are you still there?", idleClearing: "To protect your information the screen clears in",
    idleSeconds: "s", idleContinue: "Continue",
  },
});

const $ = (id) => document.getElementById(id);
const state = {
  api: new Api(), config: { ice_servers: [], evaluation_levels: {}, evaluation_tags: {} },
  provinces: {}, matter: null, province: "", caseId: "", token: "", application: null,
  live: null, poll: null, rtc: null, stream: null, joining: false, decided: false, level: 0,
  delivery: "",
};

// ------------------------------------------------------------------ screens and errors

function show(screen) {
  document.querySelectorAll("section[data-screen]").forEach((el) => {
    el.classList.toggle("hidden", el.dataset.screen !== screen);
  });
  document.body.dataset.current = screen;
  clearError();
}

function showError(error) {
  const banner = $("error-banner");
  banner.textContent = errorText(error);
  banner.classList.remove("hidden");
}

function clearError() { $("error-banner").classList.add("hidden"); }

async function attempt(action) {
  try { clearError(); return await action(); } catch (error) { showError(error); return undefined; }
}

function nameOf(item) { return currentLang() === "zh" ? item.name_zh : item.name_en; }

// ------------------------------------------------------------------ device and language

// The kiosk is set up once with its key in the address's fragment (/kiosk/#device_key=…),
// which browsers never send to a server; a key in the query (?device_key=…, older links)
// is taken too. Either way it moves to local storage and out of the address at once.
function takeDeviceKey() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("device_key");
  const fromQuery = new URLSearchParams(location.search).get("device_key");
  const key = fromHash || fromQuery;
  if (key) {
    localStorage.setItem("tongban.deviceKey", key);
    history.replaceState(null, "", location.pathname);
  }
}

async function start() {
  setLang(currentLang());
  takeDeviceKey();
  const key = localStorage.getItem("tongban.deviceKey") || "";
  if (!key) { show("setup"); return; }
  state.api = new Api({ deviceKey: key });
  const device = await attempt(() => state.api.get("/api/v1/kiosk/device"));
  if (!device) { show("setup"); return; }
  state.hall = device.hall;
  $("hall-name").textContent = nameOf(device.hall) || device.hall.id;
  state.config = (await attempt(() => state.api.get("/api/v1/config"))) || state.config;
  const provinces = await attempt(() => state.api.get("/api/v1/provinces"));
  (provinces ? provinces.provinces : []).forEach((p) => { state.provinces[p.code] = p; });
  const saved = JSON.parse(sessionStorage.getItem("tongban.case") || "null");
  if (saved) { resume(saved.caseId, saved.token); return; }
  show("language");
}

$("device-key-save").addEventListener("click", () => {
  localStorage.setItem("tongban.deviceKey", $("device-key-input").value.trim());
  start();
});

function chooseLanguage(lang) {
  setLang(lang);
  $("hall-name").textContent = state.hall ? nameOf(state.hall) : "";
  show("matter");
  $("matter-search").focus();
  searchMatters();
}
$("lang-zh").addEventListener("click", () => chooseLanguage("zh"));
$("lang-en").addEventListener("click", () => chooseLanguage("en"));
$("toggle-lang").addEventListener("click", () => {
  setLang(currentLang() === "zh" ? "en" : "zh");
  if (state.hall) $("hall-name").textContent = nameOf(state.hall);
  if (state.matter) renderMaterials();
  if (document.body.dataset.current === "matter") searchMatters();
});
$("toggle-contrast").addEventListener("click", () => {
  document.body.classList.toggle("contrast");
  localStorage.setItem("tongban.contrast", document.body.classList.contains("contrast") ? "1" : "");
});
if (localStorage.getItem("tongban.contrast")) document.body.classList.add("contrast");

// ------------------------------------------------------------------ matter and province

let searchTimer = null;
$("matter-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(searchMatters, 250);
});

// The hall's finder (words, common names, pinyin, initials, English, typos); an empty box
// shows the hall's frequent matters. Answers may arrive out of order: only the latest counts.
let searchSeq = 0;
async function searchMatters() {
  const seq = ++searchSeq;
  const q = encodeURIComponent($("matter-search").value.trim());
  const reply = await attempt(() => state.api.get(`/api/v1/kiosk/matters?q=${q}&limit=12`));
  if (seq !== searchSeq) return;
  $("matter-outcome").textContent = reply ? t(`found_${reply.outcome}`) : "";
  const list = $("matter-list");
  list.replaceChildren();
  (reply ? reply.matters : []).forEach((matter) => {
    const button = document.createElement("button");
    button.dataset.testid = `matter-${matter.code}`;
    button.textContent = nameOf(matter);
    const small = document.createElement("small");
    small.textContent = `${matter.code} · ${currentLang() === "zh" ? matter.department_zh : matter.department_en}`;
    button.append(small);
    button.addEventListener("click", () => chooseMatter(matter));
    list.append(button);
  });
}

function chooseMatter(matter) {
  state.matter = matter;
  const list = $("province-list");
  list.replaceChildren();
  matter.provinces.forEach((code) => {
    const button = document.createElement("button");
    button.dataset.testid = `province-${code}`;
    button.textContent = state.provinces[code] ? nameOf(state.provinces[code]) : code;
    button.addEventListener("click", () => chooseProvince(code));
    list.append(button);
  });
  $("province-step").classList.remove("hidden");
  list.scrollIntoView({ behavior: "smooth" });
}

function chooseProvince(code) {
  state.province = code;
  const select = $("delivery-method");
  select.replaceChildren();
  state.matter.delivery_methods.forEach((method) => {
    const option = document.createElement("option");
    option.value = method;
    option.textContent = t(`method_${method}`);
    select.append(option);
  });
  show("identity");
  $("applicant-name").focus();
}

document.querySelectorAll("[data-back]").forEach((button) => {
  button.addEventListener("click", () => show(button.dataset.back));
});

// ------------------------------------------------------------------ identity → application

$("identity-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const created = await attempt(() => state.api.post("/api/v1/kiosk/applications", {
    request_id: crypto.randomUUID(),
    applicant_name: $("applicant-name").value.trim(),
    id_number: $("applicant-id").value.trim().toUpperCase(),
    phone: $("applicant-phone").value.trim(),
    matter_code: state.matter.code,
    target_province: state.province,
    disability: $("needs-disability").checked,
    interpreter: $("needs-interpreter").checked,
    preferred_language: currentLang(),
    delivery_method: $("delivery-method").value || null,
  }));
  if (!created) return;
  ["applicant-name", "applicant-id", "applicant-phone"].forEach((id) => { $(id).value = ""; });
  adopt(created.case_id, created.applicant_token, created.application);
  show("materials");
  renderMaterials();
  startCamera();
});

function adopt(caseId, token, application) {
  state.caseId = caseId;
  state.token = token;
  state.application = application;
  state.api = new Api({ bearer: token, deviceKey: localStorage.getItem("tongban.deviceKey") || "" });
  sessionStorage.setItem("tongban.case", JSON.stringify({ caseId, token }));
}

// ------------------------------------------------------------------ materials

function uploadedCodes() {
  const done = new Set((state.application ? state.application.materials : []).map((m) => m.code));
  if (state.supplement) {  // 补正: what the official asked for counts once uploaded again
    state.supplement.codes.forEach((code) => { if (!state.supplement.uploaded.has(code)) done.delete(code); });
  }
  return done;
}

function renderMaterials() {
  if (!state.matter) return;
  const list = $("material-list");
  list.replaceChildren();
  const done = uploadedCodes();
  state.matter.materials.forEach((material) => {
    const item = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = `${nameOf(material)} (${material.key ? t("required") : t("optional")})`;
    const status = document.createElement("div");
    status.dataset.testid = `material-status-${material.code}`;
    status.className = done.has(material.code) ? "ok" : "muted";
    status.textContent = done.has(material.code) ? t("uploaded") : t("notUploaded");
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const capture = document.createElement("button");
    capture.dataset.testid = `capture-${material.code}`;
    capture.textContent = t("capture");
    capture.addEventListener("click", () => captureMaterial(material.code, status));
    const file = document.createElement("input");
    file.type = "file";
    file.accept = "image/jpeg,image/png,application/pdf";
    file.dataset.testid = `file-${material.code}`;
    file.setAttribute("aria-label", `${t("chooseFile")}: ${nameOf(material)}`);
    file.addEventListener("change", () => {
      if (file.files[0]) upload(material.code, file.files[0], "upload", status);
    });
    buttons.append(capture, file);
    item.append(title, status, buttons);
    list.append(item);
  });
}

async function startCamera() {
  try {
    if (!state.stream) state.stream = await getMedia(true).catch(() => getMedia(false));
    $("camera-preview").srcObject = state.stream;
  } catch (error) {
    showError(t("cameraUnavailable"));
  }
}

async function captureMaterial(code, status) {
  const video = $("camera-preview");
  if (!video.srcObject || !video.videoWidth) { showError(t("cameraUnavailable")); return; }
  upload(code, await snapshot(video), "document_camera", status);
}

async function upload(code, blob, source, status) {
  status.textContent = t("uploading");
  status.className = "muted";
  const path = `/api/v1/kiosk/cases/${state.caseId}/materials?material_code=${encodeURIComponent(code)}&source=${source}`;
  const reply = await attempt(() => state.api.upload(path, blob));
  if (!reply) { status.textContent = t("notUploaded"); return; }
  state.application.materials.push(reply.material);
  if (state.supplement) state.supplement.uploaded.add(code);
  status.textContent = t("uploaded");
  status.className = "ok";
}

$("submit-application").addEventListener("click", async () => {
  const done = uploadedCodes();
  if (state.matter.materials.some((m) => m.key && !done.has(m.code))) {
    showError(t("missingKey"));
    return;
  }
  const reply = await attempt(() => state.api.post(`/api/v1/kiosk/cases/${state.caseId}/submit`));
  if (!reply) return;
  state.application = reply.application;
  if (state.supplement) {  // resubmitted after 补正: back in the queue, a new window later
    state.supplement = null;
    state.decided = false;
    $("supplement-start").classList.add("hidden");
  }
  enterQueue();
});

// 补正: the official asked for more; the applicant supplies it and submits again
$("supplement-start").addEventListener("click", () => {
  const codes = (state.application && state.application.requested_supplements) || [];
  state.supplement = { codes: new Set(codes.length ? codes : state.requested || []), uploaded: new Set() };
  leaveWindow();
  show("materials");
  renderMaterials();
  startCamera();
});

async function cancel() {
  await attempt(() => state.api.post(`/api/v1/kiosk/cases/${state.caseId}/cancel`, { reason: "applicant" }));
  finish();
}
$("cancel-draft").addEventListener("click", cancel);
$("cancel-application").addEventListener("click", cancel);

// ------------------------------------------------------------------ queue and live events

function enterQueue() {
  show("waiting");
  $("case-state").textContent = t("queued");
  follow();
}

function follow() {
  if (state.live) return;
  // the token and the kiosk's key go in the socket's first message, never in its URL
  state.live = liveSocket("/ws/kiosk", onLive, () => {}, () => ({
    kind: "auth", token: state.token, device_key: localStorage.getItem("tongban.deviceKey") || "",
  }));
  state.poll = setInterval(refresh, 3000);
  refresh();
}

function showPosition(position, seconds) {
  $("queue-position").textContent = position > 0 ? t("people", { n: position }) : t("soon");
  $("queue-eta").textContent = seconds > 0 ? t("minutes", { n: Math.max(1, Math.round(seconds / 60)) }) : t("soon");
}

function onLive(message) {
  if (message.kind !== "event" && message.kind !== "notice") return;
  const data = message.data || {};
  switch (message.type) {
    case "CaseQueued":
    case "QueuePositionChanged":
      showPosition(data.position || 0, data.estimated_wait_seconds || 0);
      $("case-state").textContent = t(data.requeued ? "requeued" : "queued");
      break;
    case "CaseReserved": $("case-state").textContent = t("reserved"); break;
    case "ReservationTimedOut":
    case "ReservationRejected": $("case-state").textContent = t("requeued"); break;
    case "ReservationAccepted":
    case "CaseAssigned":
    case "WindowOpened":
      $("case-state").textContent = t("assigned");
      enterWindow();
      break;
    case "OfficialSummary": showSummary(data.summary); break;
    case "DecisionRecorded": showDecision(data); break;
    case "ResultIssued":
    case "ResultDelivered": showDelivery(data, message.type === "ResultDelivered"); break;
    case "WindowClosed": leaveWindow(); break;
    default: break;
  }
}

const DECIDED = ["DECIDED", "RESULT_ISSUED", "DELIVERED", "EVALUATED", "CLOSED"];

async function refresh() {
  if (!state.caseId) return;
  let reply;
  try {
    reply = await state.api.get(`/api/v1/kiosk/cases/${state.caseId}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) finish();
    return;
  }
  state.application = reply.application;
  if (reply.application.status === "cancelled") { finish(); return; }
  if (reply.position) {
    if (reply.position.state === "queued") showPosition(reply.position.position, reply.position.estimated_wait_seconds);
    if (reply.position.state === "assigned") enterWindow();
  }
  const c = reply.case;
  if (c && ["ASSIGNED", "IN_WINDOW"].includes(c.status)) enterWindow();
  const reopened = reply.application.status === "supplement_requested";
  if (reopened && !state.decided && !state.supplement) {
    showDecision({ outcome: "supplement_requested", supplements: reply.application.requested_supplements });
  }
  // offered once intake has reopened the application: a submit before that would be a no-op
  $("supplement-start").classList.toggle("hidden", !reopened || Boolean(state.supplement));
  // a decision on the merits; a 补正 round's outcome stays on the case until the next one
  if (c && DECIDED.includes(c.status) && c.outcome !== "unspecified" && !state.decided) showDecision({ outcome: c.outcome });
  if (c && c.delivery_reference) showDelivery({ method: c.delivery_method, reference: c.delivery_reference }, true);
}

async function resume(caseId, token) {
  adopt(caseId, token, null);
  try {
    const reply = await state.api.get(`/api/v1/kiosk/cases/${caseId}`);
    state.application = reply.application;
    const matters = await state.api.get(`/api/v1/matters?q=${encodeURIComponent(reply.application.matter_code)}`);
    state.matter = matters.matters.find((m) => m.code === reply.application.matter_code) || null;
    if (reply.application.status === "draft") {
      show("materials"); renderMaterials(); startCamera();
    } else {
      enterQueue();
    }
  } catch (error) {
    finish();
  }
}

// ------------------------------------------------------------------ the video window

async function enterWindow() {
  if (state.rtc || state.joining || state.decided) return;
  state.joining = true;
  show("window");
  $("window-state").textContent = "…";
  try {
    if (!state.stream) state.stream = await getMedia(true).catch(() => getMedia(false));
    $("local-video").srcObject = state.stream;
    // fetched now, not at start-up: a TURN credential in it expires within the hour
    state.config = await state.api.get("/api/v1/config");
    state.rtc = await joinWindow({
      stream: state.stream,
      iceServers: state.config.ice_servers,
      signal: async (sdp) => (await state.api.post(`/api/v1/kiosk/cases/${state.caseId}/window/join`, { sdp })).sdp,
      onTrack: attachRemote($("remote-video")),
      onMessage: (message) => {
        if (message.type === "summary") { state.summaryId = message.id; showSummary(message.text); }
      },
      onState: (connection) => { $("window-state").textContent = connection; },
    });
  } catch (error) {
    state.rtc = null;
    if (!(error instanceof ApiError && error.status === 409)) showError(error);
    setTimeout(() => { state.joining = false; enterWindow(); }, 2000);
    return;
  }
  state.joining = false;
}

function leaveWindow() {
  if (state.rtc) { state.rtc.close(); state.rtc = null; }
  if (state.decided) document.querySelector('[data-screen="window"]').classList.add("hidden");
}

function showSummary(text) {
  if (!text) return;
  $("summary-box").classList.remove("hidden");
  $("official-summary").textContent = text;
  $("summary-confirmed").classList.add("hidden");
}

async function answerSummary(confirmed) {
  // the window relays a confirmation only of the summary it names
  if (state.rtc && state.summaryId) state.rtc.send({ type: "confirm", summary_id: state.summaryId, confirmed });
  const reply = await attempt(() => state.api.post(`/api/v1/kiosk/cases/${state.caseId}/confirm`, { confirmed }));
  if (!reply) return;
  const note = $("summary-confirmed");
  note.textContent = t(confirmed ? "confirmed" : "disputed");
  note.classList.remove("hidden");
}
$("confirm-summary").addEventListener("click", () => answerSummary(true));
$("dispute-summary").addEventListener("click", () => answerSummary(false));

// ------------------------------------------------------------------ decision, delivery, rating

function showDecision(data) {
  const outcome = String(data.outcome || "");
  if (state.decided === outcome) return;
  state.decided = outcome;
  show("result");
  if (state.rtc) document.querySelector('[data-screen="window"]').classList.remove("hidden");
  $("decision-outcome").textContent = t(`outcome_${outcome}`);
  $("decision-outcome").className = outcome === "approved" ? "huge ok" : "huge";
  const info = [];
  if (data.reason_code) info.push(t("reason", { text: `${data.reason_code} ${data.legal_basis || ""}` }));
  if (data.supplements && data.supplements.length) {
    state.requested = data.supplements;
    const names = data.supplements.map((code) => {
      const material = state.matter && state.matter.materials.find((m) => m.code === code);
      return material ? nameOf(material) : code;
    });
    info.push(t("supplements", { text: names.join("、") }));
  }
  $("delivery-info").textContent = info.join(" ");
  $("rating-box").classList.toggle("hidden", outcome === "supplement_requested");
  renderRating();
}

async function showDelivery(data, delivered) {
  const method = data.method || "";
  const seen = `${method}|${delivered}`;
  if (state.delivery === seen) return;
  state.delivery = seen;
  const parts = [t(`deliver_${method}`)];
  if (delivered && data.reference && method !== "e_certificate") parts.push(t("delivered", { ref: data.reference }));
  $("delivery-info").textContent = parts.join(" ");
  if (method === "e_certificate") {
    const pdf = await attempt(() => state.api.get(`/api/v1/kiosk/cases/${state.caseId}/certificate`));
    if (pdf) {
      const link = $("certificate-link");
      link.href = URL.createObjectURL(pdf);
      link.classList.remove("hidden");
    }
  }
}

function renderRating() {
  const levels = $("rating-levels");
  levels.replaceChildren();
  [5, 4, 3, 2, 1].forEach((level) => {
    const names = state.config.evaluation_levels[String(level)] || { zh: String(level), en: String(level) };
    const button = document.createElement("button");
    button.dataset.testid = `rate-${level}`;
    button.textContent = `${level} · ${names[currentLang()]}`;
    button.classList.toggle("chosen", state.level === level);
    button.addEventListener("click", () => {
      state.level = level;
      renderRating();
      $("submit-rating").disabled = false;
    });
    levels.append(button);
  });
  const tags = $("rating-tags");
  const checked = new Set([...tags.querySelectorAll("input:checked")].map((el) => el.value));
  tags.replaceChildren();
  Object.entries(state.config.evaluation_tags).forEach(([key, names]) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = key;
    box.checked = checked.has(key);
    box.dataset.testid = `tag-${key}`;
    label.append(box, document.createTextNode(names[currentLang()]));
    tags.append(label);
  });
}

$("submit-rating").addEventListener("click", async () => {
  const tags = [...$("rating-tags").querySelectorAll("input:checked")].map((el) => el.value);
  const reply = await attempt(() => state.api.post(`/api/v1/kiosk/cases/${state.caseId}/evaluation`, {
    level: state.level, tags, comment: $("rating-comment").value.trim(),
  }));
  if (!reply) return;
  $("rating-box").classList.add("hidden");
  $("rating-done").classList.remove("hidden");
});

// ------------------------------------------------------------------ idle: forget the case

// A kiosk stands in a public hall. After kiosk_idle_s (from /api/v1/config) without a
// touch or a key, it asks whether anyone is still there; unanswered, it clears the screen
// and forgets the applicant's token (the case itself goes on). Never while a video window
// is connected: the official is talking to the applicant.
const IDLE_WARNING_S = 20;
let lastActivity = Date.now();
["pointerdown", "keydown", "touchstart", "input", "wheel"].forEach((kind) => {
  document.addEventListener(kind, () => {
    lastActivity = Date.now();
    $("idle-warning").classList.add("hidden");
  }, { capture: true, passive: true });
});

function inConnectedWindow() {
  return Boolean(state.rtc && state.rtc.pc && ["connected", "connecting"].includes(state.rtc.pc.connectionState));
}

function holdsSomething() {
  const screen = document.body.dataset.current || "";
  return Boolean(state.token) || !["", "setup", "language"].includes(screen);
}

setInterval(() => {
  const limit = Number(state.config.kiosk_idle_s || 120);
  if (!holdsSomething() || inConnectedWindow()) { lastActivity = Date.now(); return; }
  const idle = (Date.now() - lastActivity) / 1000;
  const left = Math.ceil(limit - idle);
  if (left <= 0) { finish(); return; }
  if (left <= Math.min(IDLE_WARNING_S, limit / 2)) {
    $("idle-countdown").textContent = String(left);
    $("idle-warning").classList.remove("hidden");
  }
}, 1000);
$("idle-continue").addEventListener("click", () => { lastActivity = Date.now(); });

function finish() {
  leaveWindow();
  if (state.live) state.live.close();
  clearInterval(state.poll);
  if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
  state.token = "";
  state.api = new Api();
  sessionStorage.removeItem("tongban.case");
  ["applicant-name", "applicant-id", "applicant-phone"].forEach((id) => { $(id).value = ""; });
  location.href = location.pathname;
}
$("start-over").addEventListener("click", finish);

applyI18n();
start();
