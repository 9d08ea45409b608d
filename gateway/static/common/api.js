// Calls to the gateway: JSON in and out, the CSRF header on state-changing calls with a
// staff session, the applicant's bearer token or the kiosk's device key when given.
// Failures throw ApiError carrying the gateway's {code, message_zh, message_en, fields}.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message_en || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.message_zh = error.message_zh || `请求失败（${status}）`;
    this.message_en = error.message_en || `request failed (${status})`;
    this.fields = error.fields || [];
  }
}

export function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export class Api {
  constructor({ bearer = "", deviceKey = "" } = {}) {
    this.bearer = bearer;
    this.deviceKey = deviceKey;
  }

  headers(method, extra = {}) {
    const headers = { ...extra };
    if (this.bearer) headers.Authorization = `Bearer ${this.bearer}`;
    if (this.deviceKey) headers["X-Device-Key"] = this.deviceKey;
    const csrf = cookie("tongban_csrf");
    if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    return headers;
  }

  async request(method, path, body = undefined) {
    const init = { method, headers: this.headers(method), credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return this.send(path, init);
  }

  async send(path, init) {
    let reply;
    try {
      reply = await fetch(path, init);
    } catch (failure) {
      throw new ApiError(0, { error: { code: "network", message_zh: "网络连接失败，请重试",
                                       message_en: "network error; please retry" } });
    }
    const type = reply.headers.get("content-type") || "";
    if (!reply.ok) {
      throw new ApiError(reply.status, type.includes("json") ? await reply.json() : null);
    }
    if (type.includes("application/json")) return reply.json();
    return reply.blob();
  }

  get(path) { return this.request("GET", path); }
  post(path, body = {}) { return this.request("POST", path, body); }

  // A file or camera snapshot as the raw body (JPEG, PNG or PDF).
  upload(path, blob) {
    return this.send(path, { method: "POST", body: blob, credentials: "same-origin",
                             headers: this.headers("POST", { "Content-Type": blob.type || "application/octet-stream" }) });
  }
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// A WebSocket that reconnects with backoff; onMessage gets parsed JSON. `hello()`, when
// given, returns the first message to send (the kiosk's credentials: never in the URL).
export function liveSocket(path, onMessage, onState = () => {}, hello = null) {
  let socket = null;
  let closed = false;
  let delay = 500;
  const open = () => {
    socket = new WebSocket(wsUrl(typeof path === "function" ? path() : path));
    socket.onopen = () => {
      delay = 500;
      if (hello) socket.send(JSON.stringify(hello()));
      onState("open");
    };
    socket.onmessage = (message) => {
      try { onMessage(JSON.parse(message.data)); } catch (failure) { console.error(failure); }
    };
    socket.onclose = (event) => {
      onState("closed", event.code);
      if (!closed && event.code !== 4401 && event.code !== 4403 && event.code !== 4400) {
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      }
    };
  };
  open();
  return { close() { closed = true; if (socket) socket.close(); } };
}

export { bindSignIn } from "/static/signin.js";
