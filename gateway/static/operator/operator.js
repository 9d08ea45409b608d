// The operator dashboard: the live event stream (filtered on the server), events per
// second per topic, queues, SLA breaches, window quality, satisfaction, consumer lag, a
// case's timeline, dead letters. Charts are plain canvas and inline SVG; no library.
import { Api, bindSignIn, liveSocket } from "/static/api.js";
import { applyI18n, currentLang, errorText, setLang, t, useDictionary } from "/static/i18n.js";

useDictionary({
  zh: {
    title: "跨省通办 · 运行监测", otherLang: "English", contrast: "高对比度", logout: "退出", login: "登录",
    username: "用户名", password: "密码", signIn: "登录", notOperator: "该账号不是运行监测账号",
    rates: "各主题事件速率（条/秒，近 60 秒）", queues: "各省队列", province: "省份", department: "部门",
    depth: "排队", oldest: "最久等待（秒）", officials: "在线人员", sla: "超时预警（SLA）", quality: "视频质量",
    windowId: "窗口", seat: "席位", loss: "丢包", satisfaction: "满意度（好差评）", lag: "消费组积压",
    refresh: "刷新", group: "消费组", topic: "主题", lagCol: "积压", stats: "跨省办理统计",
    routeCol: "大厅 → 办理地", matter: "事项", volume: "件数", wait: "等待中位（秒）", handling: "办理中位（秒）",
    approval: "办结率", satisfied: "满意率", overdue: "超期", stream: "实时事件", type: "事件类型（如 CaseQueued）",
    caseId: "案件编号", apply: "应用", pause: "暂停", resume: "继续", time: "时间", typeCol: "类型",
    source: "来源", caseCol: "案件", detail: "内容", timeline: "案件时间线", lookup: "查询",
    deadLetters: "死信记录", consumer: "消费者", reason: "原因", anomalies: "状态异常", live: "已连接",
    offline: "连接中断，重连中…", shown: "显示 {n} 条", noQueues: "暂无排队", ratings: "近期评价 {n} 条，满意率 {rate}",
    noRatings: "暂无评价", waited: "已等待 {s} 秒",
  },
  en: {
    title: "Cross-province service · Operations", otherLang: "中文", contrast: "High contrast", logout: "Sign out", login: "Sign in",
    username: "Username", password: "Password", signIn: "Sign in", notOperator: "This account is not an operator's",
    rates: "Events per second per topic (last 60 s)", queues: "Queues by province", province: "Province", department: "Department",
    depth: "Waiting", oldest: "Oldest wait (s)", officials: "Officials available", sla: "SLA breaches", quality: "Window quality",
    windowId: "Window", seat: "Seat", loss: "Loss", satisfaction: "Satisfaction (好差评)", lag: "Consumer lag",
    refresh: "Refresh", group: "Group", topic: "Topic", lagCol: "Lag", stats: "Cross-province figures",
    routeCol: "Hall → handling", matter: "Matter", volume: "Cases", wait: "Wait p50 (s)", handling: "Handling p50 (s)",
    approval: "Approved", satisfied: "Satisfied", overdue: "Overdue", stream: "Live events", type: "Event type (e.g. CaseQueued)",
    caseId: "Case id", apply: "Apply", pause: "Pause", resume: "Resume", time: "Time", typeCol: "Type",
    source: "Source", caseCol: "Case", detail: "Details", timeline: "Case timeline", lookup: "Look up",
    deadLetters: "Dead letters", consumer: "Consumer", reason: "Reason", anomalies: "Anomalies", live: "connected",
    offline: "disconnected, reconnecting…", shown: "{n} shown", noQueues: "No queues", ratings: "{n} recent ratings, {rate} satisfied",
    noRatings: "No ratings yet", waited: "waited {s} s",
  },
});

const $ = (id) => document.getElementById(id);
const api = new Api();
const COLORS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#be123c", "#0e7490"];
const DETAIL_FIELDS = ["province", "target_province", "hall_province", "official_id", "position",
  "estimated_wait_seconds", "outcome", "level", "reason", "window_id", "seat", "material_code",
  "presence", "waited_seconds", "rtt_ms", "packet_loss"];
const MAX_ROWS = 200;
const state = { live: null, paused: false, timers: [] };

function showError(error) {
  $("error-banner").textContent = errorText(error);
  $("error-banner").classList.remove("hidden");
}
async function attempt(action) {
  try { $("error-banner").classList.add("hidden"); return await action(); } catch (error) { showError(error); return undefined; }
}
function cells(row, values) {
  values.forEach((value) => {
    const cell = document.createElement("td");
    cell.textContent = value === undefined || value === null ? "" : String(value);
    row.append(cell);
  });
  return row;
}
function fill(tbody, rows) {
  tbody.replaceChildren(...rows.map((values) => cells(document.createElement("tr"), values)));
}
const percent = (x) => `${Math.round((x || 0) * 100)}%`;

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
  if (!["operator", "admin"].includes(user.role)) {
    $("login-error").textContent = t("notOperator");
    $("login").classList.remove("hidden");
    return;
  }
  $("operator-name").textContent = user.display_name || user.username;
  $("login").classList.add("hidden");
  $("dashboard").classList.remove("hidden");
  $("logout").classList.remove("hidden");
  connect();
  const every = (ms, fn) => { fn(); state.timers.push(setInterval(fn, ms)); };
  every(2000, liveFigures);
  every(10000, queues);
  every(30000, stats);
  every(30000, lag);
  deadLetters();
  anomalies();
}

$("logout").addEventListener("click", async () => {
  await attempt(() => api.post("/api/v1/auth/logout"));
  location.reload();
});
$("toggle-lang").addEventListener("click", () => setLang(currentLang() === "zh" ? "en" : "zh"));
$("toggle-contrast").addEventListener("click", () => document.body.classList.toggle("contrast"));

// ------------------------------------------------------------------ the live stream

function connect() {
  if (state.live) state.live.close();
  const query = new URLSearchParams({
    type: $("filter-type").value.trim(), province: $("filter-province").value.trim(),
    case: $("filter-case").value.trim(),
  });
  state.live = liveSocket(`/ws/operator?${query}`, onEvent, (status) => {
    $("stream-status").textContent = status === "open" ? t("live") : t("offline");
  });
}

function onEvent(message) {
  if (message.kind === "error") { showError(message.error); return; }
  if (message.kind !== "event" || state.paused) return;
  const data = message.data || {};
  const details = DETAIL_FIELDS.filter((k) => data[k] !== undefined && data[k] !== "" && data[k] !== 0)
    .map((k) => `${k}=${data[k]}`).join(" ");
  const row = cells(document.createElement("tr"), [
    new Date(message.time).toLocaleTimeString(), message.type, message.source, message.case_id, details]);
  row.dataset.testid = "event-row";
  row.dataset.type = message.type;
  row.addEventListener("click", () => { $("timeline-case").value = message.case_id; timeline(); });
  const body = $("event-stream");
  body.prepend(row);
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}

$("filter-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("event-stream").replaceChildren();
  connect();
});
$("stream-pause").addEventListener("click", () => {
  state.paused = !state.paused;
  $("stream-pause").textContent = t(state.paused ? "resume" : "pause");
});

// ------------------------------------------------------------------ charts

function drawRates(figures) {
  const canvas = $("chart-rates");
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  const style = getComputedStyle(document.body);
  context.clearRect(0, 0, width, height);
  const topics = Object.keys(figures.series).sort();
  const peak = Math.max(1, ...topics.flatMap((topic) => figures.series[topic]));
  context.strokeStyle = style.getPropertyValue("--line");
  context.fillStyle = style.getPropertyValue("--muted");
  context.font = "12px sans-serif";
  for (let i = 0; i <= 4; i += 1) {
    const y = 10 + ((height - 30) * i) / 4;
    context.beginPath(); context.moveTo(40, y); context.lineTo(width - 5, y); context.stroke();
    context.fillText(String(Math.round(peak * (1 - i / 4))), 2, y + 4);
  }
  const legend = $("rates-legend");
  legend.replaceChildren();
  topics.forEach((topic, index) => {
    const series = figures.series[topic];
    const color = COLORS[index % COLORS.length];
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.beginPath();
    series.forEach((count, i) => {
      const x = 40 + ((width - 45) * i) / Math.max(1, series.length - 1);
      const y = 10 + (height - 30) * (1 - count / peak);
      if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.stroke();
    const item = document.createElement("span");
    item.className = "swatch";
    item.style.borderColor = color;
    item.textContent = `${topic.replace("tongban.", "")}: ${figures.events_per_second[topic]}/s`;
    legend.append(item);
  });
}

function svg(tag, attributes, text) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, String(value)));
  if (text !== undefined) element.textContent = text;
  return element;
}

function bars(target, entries, { width, height, format = (v) => v }) {
  target.replaceChildren();
  const peak = Math.max(1, ...entries.map((e) => e.value));
  const slot = width / Math.max(1, entries.length);
  entries.forEach((entry, i) => {
    const h = ((height - 40) * entry.value) / peak;
    const x = i * slot + slot * 0.15;
    target.append(svg("rect", { x, y: height - 20 - h, width: slot * 0.7, height: h, fill: entry.color || COLORS[0] }));
    target.append(svg("text", { x: x + slot * 0.35, y: height - 24 - h, "text-anchor": "middle", "font-size": 12, fill: "currentColor" }, format(entry.value)));
    target.append(svg("text", { x: x + slot * 0.35, y: height - 5, "text-anchor": "middle", "font-size": 11, fill: "currentColor" }, entry.label));
  });
}

async function liveFigures() {
  let figures;
  try { figures = await api.get("/api/v1/operator/live"); } catch (error) { return; }
  drawRates(figures);
  fill($("sla-breaches"), figures.sla_breaches.map((b) => [
    new Date(b.time).toLocaleTimeString(), b.province, b.department, b.case_id,
    t("waited", { s: Math.round(b.waited_seconds || 0) })]));
  fill($("window-quality"), figures.window_quality.map((q) => [
    String(q.window_id || "").slice(0, 8), q.seat, Math.round(q.rtt_ms || 0), percent(q.packet_loss),
    Math.round(q.bitrate_kbps || 0), Math.round(q.frame_rate || 0)]));
  const ratings = [1, 2, 3, 4, 5].map((level) => ({ label: String(level), value: figures.ratings[String(level)] || 0,
    color: level <= 2 ? "#be123c" : level === 3 ? "#b45309" : "#15803d" }));
  bars($("chart-satisfaction"), ratings, { width: 320, height: 140 });
  const total = ratings.reduce((sum, r) => sum + r.value, 0);
  $("satisfaction").textContent = total ? t("ratings", { n: total, rate: percent(figures.satisfaction_rate) }) : t("noRatings");
}

async function queues() {
  const reply = await attempt(() => api.get("/api/v1/operator/queues"));
  if (!reply) return;
  const rows = reply.queues.filter((q) => q.depth > 0 || q.available_officials > 0);
  fill($("queue-table"), rows.map((q) => [q.province, q.department, q.depth, Math.round(q.oldest_wait_seconds), q.available_officials]));
  const byProvince = {};
  rows.forEach((q) => { byProvince[q.province] = (byProvince[q.province] || 0) + q.depth; });
  bars($("chart-queues"), Object.entries(byProvince).map(([label, value]) => ({ label, value })), { width: 640, height: 220 });
}

async function stats() {
  const reply = await attempt(() => api.get("/api/v1/operator/stats"));
  if (!reply) return;
  fill($("stats-table"), reply.rows.map((r) => [`${r.hall_province} → ${r.target_province}`, r.matter_code, r.volume,
    Math.round(r.median_wait_seconds), Math.round(r.median_handling_seconds), percent(r.approval_rate),
    percent(r.satisfaction_rate), r.overdue]));
}

async function lag() {
  const reply = await attempt(() => api.get("/api/v1/operator/lag"));
  if (reply) fill($("lag-table"), reply.groups.map((g) => [g.group, g.topic, g.lag]));
}
$("lag-refresh").addEventListener("click", lag);

async function deadLetters() {
  const reply = await attempt(() => api.get("/api/v1/operator/dead-letters"));
  if (reply) fill($("dead-letters"), reply.records.map((r) => [r.offset, r.topic, r.consumer, r.reason]));
}
$("dead-letters-refresh").addEventListener("click", deadLetters);

async function anomalies() {
  const reply = await attempt(() => api.get("/api/v1/operator/anomalies?limit=50"));
  if (reply) fill($("anomalies"), reply.anomalies.map((a) => [a.recorded_at, a.case_id, a.description]));
}

// ------------------------------------------------------------------ a case's timeline

async function timeline() {
  const caseId = $("timeline-case").value.trim();
  if (!caseId) return;
  const reply = await attempt(() => api.get(`/api/v1/operator/cases/${encodeURIComponent(caseId)}/timeline`));
  const list = $("timeline");
  list.replaceChildren();
  if (!reply) return;
  const c = reply.case;
  $("timeline-case-summary").textContent = c
    ? `${c.status} · ${c.hall_province} → ${c.target_province} · ${c.matter_code} · ${c.applicant.name} ${c.applicant.id_number}`
    : "";
  reply.events.forEach((event) => {
    const item = document.createElement("li");
    item.dataset.testid = "timeline-event";
    item.textContent = `${event.time || ""} ${event.source} ${event.type.split(".").pop()}`;
    list.append(item);
  });
}
$("timeline-form").addEventListener("submit", (event) => { event.preventDefault(); timeline(); });

applyI18n();
start();
