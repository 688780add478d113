// The work-order page (life services): the open work orders, oldest first, live from the
// hub's service channel (never the alarm queue's), each moved through its steps by staff;
// the closed ones with their ratings; the provider directory (services-directory.js).
// zh-CN by default, English on request, as the dispatch screen.

import { ApiError, api, me, serverNow, sessionEnded, signInAgain, signOut } from "./api.js";
import { el } from "./dom.js";
import { applyStatic, currentLanguage, formatAgo, formatClock, formatWhen, renderSwitch, t, toggleLanguage, word } from "./i18n.js";
import { setUpDirectory } from "./services-directory.js";
import { setUpCall, setUpRating } from "./services-intake.js";
import {
  STATUS_ORDER, actorName, logActionName, logActorName, refusalMessage, serviceName, setCatalogue, statusName,
} from "./services-words.js";

const LIVE_PATH = "/api/v1/services/live";
const SESSION_ENDED = 4401;
const BEHIND = 1013;
const SILENT_FEED_MS = 25000; // the hub says something at least every 10 s
const CLOSED_SHOWN = 50;
const CONFIRMATION_MS = 8000;
const NEW_MARK_MS = 10000;
const SUPERVISORS = new Set(["supervisor", "admin"]);
// The steps a status allows (the hub checks again: gateway/services/lifecycle.py).
const NEXT_STEPS = {
  requested: ["accepted", "assigned", "cancelled"],
  accepted: ["assigned", "cancelled"],
  assigned: ["arrived", "assigned", "cancelled"],
  arrived: ["completed", "cancelled"],
};
const STEP_LABELS = { accepted: "doAccept", assigned: "doAssign", arrived: "doArrive", completed: "doComplete", cancelled: "doCancel" };

const state = {
  user: null,
  open: new Map(), // request id -> work order
  closed: new Map(),
  tab: "open",
  connection: "connecting",
};

let socket = null;
let leaving = false;
let lastReceived = 0;
let directory = null;
let openRating = null;

// Work orders

function byRequested(a, b) {
  return a.requested_at.localeCompare(b.requested_at) || a.id.localeCompare(b.id);
}

function closedAt(order) { return order.completed_at || order.cancelled_at || order.last_seen; }

function orderTitle(order) { return `${serviceName(order.service)} · ${order.household_name}`; }

function stepper(order) {
  const times = {
    requested: order.requested_at, accepted: order.accepted_at, assigned: order.assigned_at,
    arrived: order.arrived_at, completed: order.completed_at,
  };
  return el("ol", { className: "stepper" }, STATUS_ORDER.map((status) => el("li", {
    dataset: { step: status, done: times[status] ? "true" : "false" },
  }, el("span", { className: "step-name" }, statusName(status)),
  times[status] ? el("time", { dateTime: times[status] }, formatWhen(times[status])) : null)));
}

function stepButton(order, step) {
  const label = step === "assigned" && order.status === "assigned" ? "doReassign" : STEP_LABELS[step];
  return el("button", {
    type: "button", className: step === "cancelled" ? "secondary order-step" : "primary order-step",
    dataset: { step }, onclick: () => startStep(order.id, step),
  }, t(label));
}

function orderRow(order) {
  const now = serverNow();
  return el("li", { className: "order", dataset: { requestId: order.id, status: order.status, service: order.service } },
    el("div", { className: "order-info" },
      el("div", { className: "order-head" },
        el("span", { className: "order-service" }, serviceName(order.service)),
        el("span", { className: "badge", dataset: { status: order.status } }, statusName(order.status)),
        order.count > 1 ? el("span", { className: "order-count" }, t("presses", { n: order.count })) : null,
        el("time", { className: "order-age", dateTime: order.requested_at, dataset: { since: order.requested_at } },
          t("requestedAgo", { t: formatAgo(order.requested_at, now) }))),
      el("div", { className: "order-where" },
        el("span", { className: "household" }, order.household_name),
        el("span", { className: "address" }, order.address)),
      order.note ? el("p", { className: "order-note" }, order.note) : null,
      order.provider_name ? el("p", { className: "order-provider" },
        t("providerIs", { name: order.provider_name }),
        order.window_start ? ` · ${t("window", { from: formatWhen(order.window_start), to: formatWhen(order.window_end) })}` : "") : null),
    el("div", { className: "order-progress" },
      stepper(order),
      el("div", { className: "order-steps", role: "group", "aria-label": orderTitle(order) },
        (NEXT_STEPS[order.status] || []).map((step) => stepButton(order, step)))),
    logBlock(order));
}

// Rows are rebuilt only when their work order (or the language) changed: an open log stays
// open, a focused button keeps its focus, and the age ticks in place.
const rowCache = new Map(); // request id -> {key, node}

function rowFor(order) {
  const key = `${JSON.stringify(order)}|${currentLanguage()}`;
  const cached = rowCache.get(order.id);
  if (cached && cached.key === key) return cached.node;
  const node = orderRow(order);
  rowCache.set(order.id, { key, node });
  return node;
}

// A work order's log (GET /api/v1/services/requests/{id}), loaded when opened.
const openLogs = new Set();

function logBlock(order) {
  const details = el("details", { className: "order-log" }, el("summary", {}, t("log")), el("ol", { className: "log-entries" }));
  let loading = null;
  const load = () => {
    loading ||= loadLog(order.id, details.querySelector(".log-entries")).finally(() => { loading = null; });
  };
  details.addEventListener("toggle", () => {
    if (details.open) {
      openLogs.add(order.id);
      load();
    } else {
      openLogs.delete(order.id);
    }
  });
  if (openLogs.has(order.id)) { // rebuilt while its log was open: still open, read afresh
    details.open = true;
    load();
  }
  return details;
}

function logDetail(entry) {
  const detail = entry.detail || {};
  if (entry.action === "assigned") {
    return [detail.provider, detail.window_start ? t("window", { from: formatWhen(detail.window_start), to: formatWhen(detail.window_end) }) : ""];
  }
  if (entry.action === "cancelled") return [detail.reason ? t("cancelReason", { r: detail.reason }) : ""];
  if (entry.action === "rated") return [t("stars", { n: detail.rating }), detail.comment ? `“${detail.comment}”` : ""];
  return [detail.note];
}

async function loadLog(id, list) {
  list.dataset.loaded = "false";
  try {
    const answer = await api(`/api/v1/services/requests/${encodeURIComponent(id)}`);
    list.replaceChildren(...(answer.steps.length ? answer.steps.map((entry) => el("li", { dataset: { action: entry.action } },
      el("time", { dateTime: entry.at }, formatWhen(entry.at)), " ",
      [logActionName(entry.action), logActorName(entry.actor), ...logDetail(entry)].filter(Boolean).join(" · ")))
      : [el("li", {}, t("logEmpty"))]));
  } catch {
    list.replaceChildren(el("li", { className: "log-failed" }, t("logFailed")));
  }
  list.dataset.loaded = "true";
}

function ratingText(order) {
  if (order.status !== "completed") return "";
  if (order.rating === null || order.rating === undefined) return t("notRated");
  return `${"★".repeat(order.rating)}${"☆".repeat(5 - order.rating)} ${t("stars", { n: order.rating })}`;
}

function closedRow(order) {
  const cancelled = order.status === "cancelled";
  return el("tr", { className: "closed-order", dataset: { requestId: order.id, status: order.status } },
    el("td", {}, serviceName(order.service)),
    el("td", {}, order.household_name),
    el("td", {}, statusName(order.status),
      cancelled && order.cancel_reason ? el("span", { className: "cancel-reason" }, ` · ${t("cancelReason", { r: order.cancel_reason })}`) : null,
      cancelled && actorName(order.cancelled_by) ? el("span", { className: "muted" }, ` · ${t("cancelledBy", { who: actorName(order.cancelled_by) })}`) : null),
    el("td", {}, formatWhen(closedAt(order))),
    el("td", {}, order.provider_name || ""),
    el("td", { className: "rating" }, ratingText(order),
      order.rating_comment ? el("span", { className: "rating-comment" }, ` “${order.rating_comment}”`) : null,
      order.status === "completed" ? el("button", {
        type: "button", className: "secondary rate-button", onclick: () => openRating?.(order),
      }, t("rate")) : null));
}

function renderOrders() {
  const opened = [...state.open.values()].sort(byRequested);
  const list = document.getElementById("open-orders");
  const focused = document.activeElement;
  const focusedOrder = focused?.closest?.(".order")?.dataset.requestId;
  for (const id of rowCache.keys()) if (!state.open.has(id)) rowCache.delete(id);
  for (const id of openLogs) if (!state.open.has(id)) openLogs.delete(id);
  const rows = opened.map(rowFor);
  const current = [...list.children];
  if (current.length !== rows.length || current.some((node, index) => node !== rows[index])) list.replaceChildren(...rows);
  // The focused button's row was rebuilt: the same step of the same order keeps the focus.
  if (focusedOrder && !focused.isConnected && focused.dataset.step) {
    list.querySelector(`.order[data-request-id="${CSS.escape(focusedOrder)}"] [data-step="${focused.dataset.step}"]`)?.focus();
  }
  const empty = document.getElementById("open-empty");
  empty.hidden = opened.length > 0;
  empty.textContent = state.connection === "open" || lastReceived ? t("openEmpty") : t("loading");
  document.getElementById("open-count").textContent = opened.length ? `(${opened.length})` : "";
  const closed = [...state.closed.values()].sort((a, b) => closedAt(b).localeCompare(closedAt(a))).slice(0, CLOSED_SHOWN);
  document.querySelector("#closed-orders tbody").replaceChildren(...closed.map(closedRow));
  document.getElementById("closed-orders").hidden = closed.length === 0;
  document.getElementById("closed-empty").hidden = closed.length > 0;
  document.title = `${opened.length ? `(${opened.length}) ` : ""}${t("servicesTitle")} · Eldercare`;
}

function merge(order) {
  if (order.open) {
    state.closed.delete(order.id);
    state.open.set(order.id, order);
  } else {
    state.open.delete(order.id);
    state.closed.set(order.id, order);
  }
}

// Steps

function currentOrder(id) { return state.open.get(id) || state.closed.get(id) || null; }

function startStep(id, step) {
  const order = currentOrder(id);
  if (!order) return;
  if (step === "assigned") openAssign(order);
  else if (step === "cancelled") openCancel(order);
  else sendStep(order, { step });
}

async function sendStep(order, body, dialog = null) {
  try {
    const answer = await api(`/api/v1/services/requests/${encodeURIComponent(order.id)}/steps`, { method: "POST", body });
    merge(answer.request);
    renderOrders();
    dialog?.close();
    showAlert("");
    showConfirmation(t("stepDone", { step: statusName(body.step), service: serviceName(order.service), household: order.household_name }));
  } catch (error) {
    const text = error instanceof ApiError ? refusalMessage(error) : t("networkError");
    if (dialog) dialog.querySelector(".dialog-error").textContent = text;
    else showAlert(text);
  }
}

function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

async function openAssign(order) {
  await directory?.refresh(); // a provider added or deactivated since the page loaded
  const dialog = document.getElementById("assign-dialog");
  const form = dialog.querySelector("form");
  form.reset();
  form.dataset.requestId = order.id;
  dialog.querySelector(".dialog-order").textContent = orderTitle(order);
  dialog.querySelector(".dialog-error").textContent = "";
  const fitting = directory ? directory.offering(order.service) : [];
  const select = document.getElementById("assign-provider");
  select.replaceChildren(
    el("option", { value: "" }, fitting.length ? t("chooseProvider") : t("noProviderFits")),
    ...fitting.map((provider) => el("option", { value: provider.id }, provider.organisation)));
  if (order.provider_id && fitting.some((provider) => provider.id === order.provider_id)) select.value = order.provider_id;
  else if (fitting.length === 1) select.value = fitting[0].id;
  // A first guess: from half an hour on, for an hour (rounded to the quarter hour).
  const start = new Date(serverNow() + 30 * 60000);
  start.setMinutes(Math.ceil(start.getMinutes() / 15) * 15, 0, 0);
  document.getElementById("window-start").value = order.window_start ? localInput(new Date(order.window_start)) : localInput(start);
  document.getElementById("window-end").value = order.window_end ? localInput(new Date(order.window_end)) : localInput(new Date(start.getTime() + 3600000));
  dialog.showModal();
}

function submitAssign(event) {
  event.preventDefault();
  const dialog = document.getElementById("assign-dialog");
  const form = dialog.querySelector("form");
  const order = currentOrder(form.dataset.requestId);
  const error = dialog.querySelector(".dialog-error");
  if (!order) return dialog.close();
  const providerId = form.provider_id.value;
  const start = form.window_start.value ? new Date(form.window_start.value) : null;
  const end = form.window_end.value ? new Date(form.window_end.value) : null;
  if (!providerId) error.textContent = t("chooseProvider");
  else if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) error.textContent = t("windowRequired");
  else if (end < start) error.textContent = t("windowOrder");
  else {
    sendStep(order, {
      step: "assigned", provider_id: providerId, window_start: start.toISOString(), window_end: end.toISOString(),
      note: form.note.value.trim(),
    }, dialog);
  }
}

function openCancel(order) {
  const dialog = document.getElementById("cancel-dialog");
  const form = dialog.querySelector("form");
  form.reset();
  form.dataset.requestId = order.id;
  dialog.querySelector(".dialog-order").textContent = orderTitle(order);
  dialog.querySelector(".dialog-error").textContent = "";
  dialog.showModal();
}

function submitCancel(event) {
  event.preventDefault();
  const dialog = document.getElementById("cancel-dialog");
  const form = dialog.querySelector("form");
  const order = currentOrder(form.dataset.requestId);
  if (!order) return dialog.close();
  const reason = form.reason.value.trim();
  if (!reason) dialog.querySelector(".dialog-error").textContent = t("reasonRequired");
  else sendStep(order, { step: "cancelled", reason }, dialog);
}

// The live feed

/** A new work order: said to a screen reader, and its row marked for a few seconds. */
function announceNew(order) {
  document.getElementById("announce").textContent = t("newOrder", { order: orderTitle(order) });
  const row = document.querySelector(`.order[data-request-id="${CSS.escape(order.id)}"]`);
  if (!row) return;
  row.dataset.fresh = "true";
  setTimeout(() => { delete row.dataset.fresh; }, NEW_MARK_MS);
}

function onMessage(message) {
  lastReceived = Date.now();
  if (message.type === "snapshot") {
    state.open = new Map(message.open.map((order) => [order.id, order]));
    state.closed = new Map(message.closed.map((order) => [order.id, order]));
    renderOrders();
  } else if (message.type === "service") {
    const known = state.open.has(message.request.id) || state.closed.has(message.request.id);
    merge(message.request);
    renderOrders();
    if (!known && message.request.open) announceNew(message.request);
  }
}

function setConnection(value) {
  state.connection = value;
  const status = document.getElementById("connection");
  status.dataset.state = value;
  status.textContent = t(value);
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${LIVE_PATH}`);
  let opened = false;
  socket.onopen = () => {
    opened = true;
    lastReceived = Date.now();
    setConnection("open");
  };
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    onMessage(message);
  };
  socket.onclose = async (event) => {
    if (leaving) return;
    setConnection("closed");
    if (event.code === SESSION_ENDED || await sessionEnded()) {
      signInAgain();
      return;
    }
    const delay = event.code === BEHIND ? 100 : Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random());
    setTimeout(() => {
      setConnection("connecting");
      connect(opened ? 0 : attempt + 1);
    }, delay);
  };
}

function dropSilentFeed() {
  if (socket?.readyState !== WebSocket.OPEN || Date.now() - lastReceived < SILENT_FEED_MS) return;
  const dead = socket;
  const closed = dead.onclose;
  dead.onclose = null;
  dead.onmessage = null;
  dead.close();
  closed?.({ code: 1006 });
}

// Page

function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("[role=tab]")) {
    button.setAttribute("aria-selected", button.dataset.tab === tab ? "true" : "false");
    document.getElementById(`panel-${button.dataset.tab}`).hidden = button.dataset.tab !== tab;
  }
  if (tab === "providers") directory?.refresh();
}

function renderWho() {
  const user = state.user;
  document.getElementById("who").textContent = user ? `${user.display_name || user.username} · ${word("roles", user.role)}` : "";
}

function renderLanguage() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  setConnection(state.connection);
  renderWho();
  renderOrders();
  directory?.render();
}

let confirmationTimer = null;
export function showConfirmation(text) {
  const node = document.getElementById("confirmation");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(confirmationTimer);
  confirmationTimer = setTimeout(() => { node.hidden = true; }, CONFIRMATION_MS);
}

let alertTimer = null;
function showAlert(text) {
  const alert = document.getElementById("alert");
  alert.textContent = text;
  clearTimeout(alertTimer);
  if (text) alertTimer = setTimeout(() => showAlert(""), 15000);
}

function tick() {
  const now = serverNow();
  document.getElementById("clock").textContent = formatClock(new Date(now));
  dropSilentFeed();
  for (const node of document.querySelectorAll(".order-age[data-since]")) {
    node.textContent = t("requestedAgo", { t: formatAgo(node.dataset.since, now) });
  }
}

async function start() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  setConnection("connecting");
  document.getElementById("language").addEventListener("click", () => {
    toggleLanguage();
    renderLanguage();
  });
  document.getElementById("logout").addEventListener("click", () => {
    leaving = true;
    socket?.close(1000);
    signOut();
  });
  for (const button of document.querySelectorAll("[role=tab]")) button.addEventListener("click", () => showTab(button.dataset.tab));
  for (const dialog of document.querySelectorAll("dialog")) {
    for (const close of dialog.querySelectorAll("[data-close]")) close.addEventListener("click", () => dialog.close());
  }
  document.getElementById("assign-form").addEventListener("submit", submitAssign);
  document.getElementById("cancel-form").addEventListener("submit", submitCancel);
  const recorded = (request, text) => {
    merge(request);
    renderOrders();
    showAlert("");
    showConfirmation(text);
  };
  setUpCall({ done: recorded });
  openRating = setUpRating({ done: recorded });
  try {
    const answer = await me();
    if (!answer) return;
    state.user = answer.user;
    setCatalogue((await api("/api/v1/services/catalogue")).services);
  } catch {
    // The hub is down: the live feed retries; names fill in on the next render.
  }
  directory = setUpDirectory({
    supervisor: SUPERVISORS.has(state.user?.role),
    saved: showConfirmation,
    refused: showAlert,
  });
  renderWho();
  renderOrders();
  directory.refresh();
  setInterval(tick, 1000);
  tick();
  connect();
}

start();
