// The dispatch screen: the live alarm queue (emergencies and work items), the selected alarm's
// card, the dispatcher's steps, alert sounds, escalations and reconnects.
// zh-CN by default, English on request.

import { ApiError, api, me, serverNow, sessionEnded, signInAgain, signOut } from "./api.js";
import { renderBody, renderBodyMessage, renderHead, responderText, slaState, waitedSeconds } from "./dispatch-card.js";
import { setUpKeys } from "./dispatch-keys.js";
import { setUpServicesLink } from "./dispatch-services.js";
import { emptyQueueText, isLive, laneEmptyText, linkLive, linkLost, linkState, renderLink } from "./dispatch-link.js";
import { refusalText, setUpSteps, stepAllowed } from "./dispatch-steps.js";
import { ageSeconds, alarmTitle, happenedText } from "./dispatch-words.js";
import { el } from "./dom.js";
import { applyStatic, currentLanguage, errorText, extend, formatClock, formatDuration, renderSwitch, t, toggleLanguage, word } from "./i18n.js";
import { play, setUpSound } from "./sound.js";

extend({
  "zh-CN": { resolvedConfirm: "已处理完毕：{alarm}（{outcome}），已移出队列", leavingQueue: "已处理，移出队列" },
  en: { resolvedConfirm: "Resolved: {alarm} ({outcome}), removed from the queue", leavingQueue: "Resolved, leaving the queue" },
});

const SEVERITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 };
const SUPERVISORS = new Set(["supervisor", "admin"]);
const NOT_ON_SITE_MS = 30 * 60 * 1000;
const REPEAT_MS = 6000; // the alert tone again, while a critical emergency waits
const ALERT_SEVERITIES = new Set(["critical", "high"]);
const LIVE_PATH = "/api/v1/dispatch/live";
const SESSION_ENDED = 4401;
const BEHIND = 1013;
// The hub says something at least every 10 s (a keepalive when nothing changed): a feed
// silent for longer is dead even if the browser has not noticed (a half-open connection).
const SILENT_FEED_MS = 25000;
const LEAVING_MS = 2500; // a resolved alarm stays this long, marked, before it leaves the queue
const CONFIRMATION_MS = 10000;

const state = {
  user: null,
  alarms: new Map(),
  selectedId: null,
  detail: null, // the alarm card of the selected alarm
  detailError: "",
  connection: "connecting",
  lastMessageAt: 0, // server time (ms) of the newest message from the live feed
  missedSince: null, // lastMessageAt when the connection dropped (null while connected)
  seen: new Set(), // every alarm id the feed has shown
  seenResolved: new Set(), // ... and those it showed resolved
  missed: null, // {fresh: [...], resolved: [...]} after a reconnect
  escalations: new Map(), // alarm id -> reason, from the hub
  escalationSounded: new Set(),
  announced: new Set(),
  lastRepeat: 0,
  leaving: new Map(), // alarm id -> the alarm, resolved, shown leaving the queue for a moment
};

let steps = null;
let socket = null;
let leaving = false; // signing out: a closing feed is not a disconnect
let cardRequest = 0;
let cardRefetch = null;
let lastReceived = 0; // browser time of the newest message on the current feed

// Queue

function sortKey(alarm) {
  return [alarm.lane === "emergency" ? 0 : 1, SEVERITY_RANK[alarm.severity] ?? 9, alarm.received_at];
}

function compareAlarms(a, b) {
  const [x, y] = [sortKey(a), sortKey(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
}

function sortedAlarms() {
  return [...state.alarms.values()].sort(compareAlarms);
}

function stateLine(alarm) {
  return [word("actions", ["family_ack", "family_unanswered", "cancelled", "valve_closed", "sirens_on"].includes(alarm.last_action) ? alarm.last_action : ""),
    alarm.cleared_at ? t("cleared") : null].filter(Boolean).join(" · ");
}

function row(alarm, now) {
  const selected = alarm.id === state.selectedId;
  const sla = slaState(alarm, now);
  // While new: the SLA timer. Once somebody took it: its status instead.
  const timer = alarm.status === "new"
    ? el("span", { className: "waiting", title: t("timerExplain"), dataset: { since: alarm.happened_at || alarm.received_at, sla } },
      formatDuration(ageSeconds(alarm, now)))
    : el("span", { className: "waiting badge", dataset: { status: alarm.status } }, word("statuses", alarm.status));
  const who = responderText(alarm);
  return el("li", {
    className: "alarm",
    dataset: {
      alarmId: alarm.id, severity: alarm.severity, kind: alarm.kind, status: alarm.status, lane: alarm.lane, sla,
      ...(alarm.cleared_at ? { cleared: "" } : {}),
    },
  }, el("button", {
    type: "button", className: "alarm-select", "aria-current": selected ? "true" : "false",
    onclick: () => select(alarm.id, { focusCard: false }),
  },
  el("span", { className: "title" },
    el("span", { className: "kind" }, alarmTitle(alarm)),
    el("span", { className: "count" }, alarm.count > 1 ? `×${alarm.count} ${t("times")}` : "")),
  timer,
  el("span", { className: "household" }, alarm.household_name),
  alarm.status === "new" ? el("span", { className: "badge", dataset: { status: "new" } }, word("statuses", "new")) : el("span"),
  el("span", { className: "address" }, alarm.address),
  alarm.late_by_seconds ? el("span", { className: "late" }, happenedText(alarm)) : null,
  el("span", { className: "state" }, [who, stateLine(alarm)].filter(Boolean).join(" · "))));
}

/** A resolved alarm on its way out of the queue: seen leaving, not vanishing. */
function leavingRow(alarm) {
  return el("li", { className: "alarm-leaving", dataset: { alarmId: alarm.id, kind: alarm.kind, status: "resolved" } },
    el("span", { className: "leaving-title" }, `${alarmTitle(alarm)} · ${alarm.household_name}`),
    el("span", { className: "leaving-note" }, t("leavingQueue")));
}

// Rows are rebuilt only when what they show changed (a busy shift has many alarms and many
// updates); the timers tick in place.
const rowCache = new Map(); // alarm id -> {key, node}

function rowFor(alarm, now) {
  const key = [alarm.status, alarm.severity, alarm.count, alarm.cleared_at, alarm.last_action, alarm.responder,
    alarm.eta_minutes, alarm.household_name, alarm.address, alarm.id === state.selectedId, slaState(alarm, now),
    currentLanguage(), JSON.stringify(alarm.about), alarm.late_by_seconds, alarm.happened_at].join("|");
  const cached = rowCache.get(alarm.id);
  if (cached && cached.key === key) return cached.node;
  const node = row(alarm, now);
  rowCache.set(alarm.id, { key, node });
  return node;
}

const leavingCache = new Map(); // alarm id -> node (rebuilt only with the language)

function leavingFor(alarm) {
  const key = `${alarm.id}|${currentLanguage()}`;
  const cached = leavingCache.get(alarm.id);
  if (cached && cached.key === key) return cached.node;
  const node = leavingRow(alarm);
  leavingCache.set(alarm.id, { key, node });
  return node;
}

function renderQueue() {
  const now = serverNow();
  const sorted = sortedAlarms();
  for (const id of rowCache.keys()) if (!state.alarms.has(id)) rowCache.delete(id);
  for (const id of leavingCache.keys()) if (!state.leaving.has(id)) leavingCache.delete(id);
  const leaving = [...state.leaving.values()];
  for (const lane of ["emergency", "work"]) {
    const alarms = sorted.filter((alarm) => alarm.lane === lane);
    const shown = [...alarms, ...leaving.filter((alarm) => alarm.lane === lane)].sort(compareAlarms);
    const list = document.getElementById(`lane-${lane}`);
    const rows = shown.length ? shown.map((alarm) => (state.alarms.has(alarm.id) ? rowFor(alarm, now) : leavingFor(alarm)))
      : [list.querySelector(".lane-empty") || el("li", { className: "lane-empty" })];
    if (!shown.length) rows[0].textContent = laneEmptyText();
    const current = [...list.children];
    if (current.length !== rows.length || current.some((node, index) => node !== rows[index])) {
      const focusedId = document.activeElement?.closest?.(".alarm")?.dataset.alarmId;
      list.replaceChildren(...rows);
      if (focusedId) list.querySelector(`.alarm[data-alarm-id="${CSS.escape(focusedId)}"] button`)?.focus();
    }
    document.getElementById(`lane-${lane}-count`).textContent = alarms.length ? `(${alarms.length})` : "";
  }
  // Never "no alarms" unless the hub said so just now: unknown while the feed is down.
  const empty = document.getElementById("empty");
  empty.hidden = sorted.length > 0;
  empty.textContent = emptyQueueText();
  empty.dataset.link = linkState();
  const count = document.getElementById("queue-count");
  const countText = t("queueCount", { n: sorted.length });
  if (count.textContent !== countText) count.textContent = countText;
  const waiting = sorted.filter((alarm) => alarm.lane === "emergency" && alarm.status === "new").length;
  const lost = linkState() === "lost" ? `${t("titleLinkLost")} · ` : "";
  document.title = `${lost}${waiting ? `(${waiting}) ` : ""}${t("title")} · Eldercare`;
}

// Selection and the card

function selectedAlarm() {
  return state.selectedId ? state.alarms.get(state.selectedId) || null : null;
}

function ensureSelection() {
  if (state.selectedId && state.alarms.has(state.selectedId)) return false;
  const sorted = sortedAlarms();
  // The emergency that needs somebody first; else the first emergency, else any.
  const next = sorted.find((alarm) => alarm.lane === "emergency" && alarm.status === "new")
    || sorted.find((alarm) => alarm.lane === "emergency") || sorted[0];
  const changed = (next?.id || null) !== state.selectedId;
  state.selectedId = next?.id || null;
  if (changed) loadCard();
  return changed;
}

function select(id, { focusCard = false } = {}) {
  if (!state.alarms.has(id)) return;
  const changed = id !== state.selectedId;
  state.selectedId = id;
  if (changed) loadCard();
  render();
  if (focusCard) document.getElementById("card").focus();
}

function move(delta) {
  const sorted = sortedAlarms();
  if (!sorted.length) return;
  const index = sorted.findIndex((alarm) => alarm.id === state.selectedId);
  const next = sorted[Math.min(sorted.length - 1, Math.max(0, index < 0 ? 0 : index + delta))];
  const inQueue = document.activeElement?.closest?.(".queue");
  select(next.id);
  const button = document.querySelector(`.alarm[data-alarm-id="${CSS.escape(next.id)}"] button`);
  if (inQueue) button?.focus();
  button?.scrollIntoView({ block: "nearest" });
}

async function loadCard() {
  clearTimeout(cardRefetch);
  const id = state.selectedId;
  const request = ++cardRequest;
  if (state.detail?.alarm?.id !== id) {
    state.detail = null;
    state.detailError = "";
    renderCard(true);
  }
  if (!id) return;
  try {
    const detail = await api(`/api/v1/alarms/${encodeURIComponent(id)}`);
    if (request !== cardRequest) return;
    state.detail = detail;
    state.detailError = "";
  } catch (error) {
    if (request !== cardRequest) return;
    state.detailError = t("loadFailed", { e: error instanceof ApiError ? errorText(error.code) : t("networkError") });
  }
  renderCard(true);
}

/** The live feed changed the selected alarm: fetch its card again (coalesced). */
function refetchCardSoon() {
  clearTimeout(cardRefetch);
  cardRefetch = setTimeout(loadCard, 250);
}

function renderCard(withBody = false) {
  const alarm = selectedAlarm();
  const content = document.getElementById("card-content");
  document.getElementById("card-placeholder").hidden = Boolean(alarm);
  content.hidden = !alarm;
  const card = document.getElementById("card");
  if (!alarm) {
    delete card.dataset.alarmId;
    return;
  }
  card.dataset.alarmId = alarm.id;
  const detail = state.detail?.alarm?.id === alarm.id ? state.detail : null;
  renderHead(document.getElementById("card-head"), alarm, detail, serverNow());
  for (const button of document.querySelectorAll(".steps .step")) {
    const allowed = stepAllowed(alarm.status, button.dataset.step);
    button.disabled = !allowed;
    button.title = allowed ? t("shortcut", { k: button.querySelector("kbd").textContent }) : refusalText(alarm.status, button.dataset.step);
  }
  if (!withBody) return;
  const body = document.getElementById("card-body");
  if (detail) renderBody(body, detail, alarm);
  else renderBodyMessage(body, state.detailError || t("loading"));
  body.dataset.loaded = detail ? "true" : "false";
}

// Escalations, banners and sound

function escalationReason(alarm, now) {
  if (alarm.lane === "emergency" && alarm.status === "new"
      && (alarm.escalated_at || waitedSeconds(alarm, now) >= 60 || state.escalations.get(alarm.id) === "unacknowledged")) {
    return "unacknowledged";
  }
  if (alarm.status === "dispatched" && (alarm.realerted_at || state.escalations.get(alarm.id) === "not_on_site"
      || (alarm.dispatched_at && now - Date.parse(alarm.dispatched_at) >= NOT_ON_SITE_MS))) {
    return "not_on_site";
  }
  return null;
}

function alarmLabel(alarm) {
  return `${alarmTitle(alarm)} · ${alarm.household_name}`;
}

function renderBanners(now) {
  const banner = document.getElementById("escalation-banner");
  const due = sortedAlarms().map((alarm) => [alarm, escalationReason(alarm, now)]).filter(([, reason]) => reason);
  const signature = due.map(([alarm, reason]) => `${alarm.id}:${reason}`).join(",") + currentLanguage();
  if (banner.dataset.signature !== signature) {
    banner.dataset.signature = signature;
    banner.replaceChildren(...due.map(([alarm, reason]) => el("p", { className: "banner-line", dataset: { reason, alarmId: alarm.id } },
      el("strong", {}, reason === "unacknowledged" ? t("escalatedUnack") : t("escalatedNotOnSite")),
      " — ",
      el("button", { type: "button", className: "link-button", onclick: () => select(alarm.id, { focusCard: true }) }, alarmLabel(alarm)))));
    banner.hidden = due.length === 0;
  }
  const supervisor = document.getElementById("supervisor-banner");
  if (!SUPERVISORS.has(state.user?.role)) {
    supervisor.hidden = true;
    return;
  }
  const escalated = sortedAlarms().filter((alarm) => alarm.escalated_at || alarm.realerted_at || state.escalations.has(alarm.id));
  const supervisorSignature = escalated.map((alarm) => `${alarm.id}:${alarm.status}`).join(",") + currentLanguage();
  if (supervisor.dataset.signature === supervisorSignature) return;
  supervisor.dataset.signature = supervisorSignature;
  supervisor.hidden = escalated.length === 0;
  document.getElementById("supervisor-list").replaceChildren(...escalated.map((alarm) => el("li", { dataset: { alarmId: alarm.id } },
    el("button", { type: "button", className: "link-button", onclick: () => select(alarm.id, { focusCard: true }) }, alarmLabel(alarm)),
    " — ",
    alarm.realerted_at || state.escalations.get(alarm.id) === "not_on_site" ? t("escalatedNotOnSite") : t("escalatedUnack"),
    " · ",
    word("statuses", alarm.status))));
}

/** Every second: new escalations sound once, and the alert repeats while it must. */
function soundDue(now) {
  let escalatedWaiting = false;
  let criticalWaiting = false;
  for (const alarm of state.alarms.values()) {
    if (alarm.lane !== "emergency" || alarm.status !== "new") continue;
    if (alarm.severity === "critical") criticalWaiting = true;
    if (escalationReason(alarm, now) === "unacknowledged") {
      escalatedWaiting = true;
      if (!state.escalationSounded.has(alarm.id)) {
        state.escalationSounded.add(alarm.id);
        play("escalation");
        state.lastRepeat = Date.now();
      }
    }
  }
  if (Date.now() - state.lastRepeat < REPEAT_MS) return;
  if (escalatedWaiting) {
    play("escalation");
    state.lastRepeat = Date.now();
  } else if (criticalWaiting) {
    play("alert");
    state.lastRepeat = Date.now();
  }
}

function announce(alarm) {
  if (state.announced.has(alarm.id)) return;
  state.announced.add(alarm.id);
  document.getElementById("announce").textContent = t("newCritical", { kind: alarmTitle(alarm), household: alarm.household_name });
}

// Missed while disconnected

/** After a reconnect: what happened since the last message before the disconnect, less what
 * this screen had seen already. */
async function fetchMissed(sinceMs, seen, seenResolved) {
  const since = new Date(sinceMs - 2000).toISOString();
  let alarms;
  try {
    alarms = (await api(`/api/v1/alarms?since=${encodeURIComponent(since)}`)).alarms || [];
  } catch {
    return;
  }
  const fresh = alarms.filter((alarm) => !seen.has(alarm.id) && alarm.received_at >= since);
  const resolved = alarms.filter((alarm) => alarm.status === "resolved" && !seenResolved.has(alarm.id)
    && (alarm.resolved_at || "") >= since);
  if (!fresh.length && !resolved.length) return;
  state.missed = { fresh, resolved, alarms: [...new Map([...fresh, ...resolved].map((a) => [a.id, a])).values()] };
  renderMissed();
}

function renderMissed() {
  const panel = document.getElementById("missed");
  if (!state.missed) {
    panel.hidden = true;
    return;
  }
  const { fresh, resolved, alarms } = state.missed;
  document.getElementById("missed-title").textContent = t("missedSummary", { n: fresh.length, m: resolved.length });
  document.getElementById("missed-list").replaceChildren(...alarms.map((alarm) => el("li", { dataset: { alarmId: alarm.id, status: alarm.status } },
    el("strong", {}, alarmTitle(alarm)), " · ", alarm.household_name, " · ",
    alarm.status === "resolved" ? `${word("statuses", "resolved")}${alarm.outcome ? ` (${word("outcomes", alarm.outcome)})` : ""}` : word("statuses", alarm.status))));
  panel.hidden = false;
}

// Live feed

function merge(alarm, { fromFeed = true } = {}) {
  const known = state.alarms.get(alarm.id);
  state.seen.add(alarm.id);
  if (alarm.status === "resolved") {
    state.seenResolved.add(alarm.id);
    if (known) leave(alarm);
    state.alarms.delete(alarm.id);
    state.escalations.delete(alarm.id);
    state.announced.delete(alarm.id);
    for (const key of [...state.escalationSounded]) if (key.startsWith(alarm.id)) state.escalationSounded.delete(key);
    if (state.selectedId === alarm.id) state.selectedId = null;
  } else {
    state.alarms.set(alarm.id, alarm);
  }
  // Every new emergency is heard (a door at night too: it waits for an answer like the rest);
  // of the work items, those of high severity (a gateway gone silent).
  if (fromFeed && !known && !state.seenResolved.has(alarm.id) && alarm.status === "new"
      && (alarm.lane === "emergency" || ALERT_SEVERITIES.has(alarm.severity))) {
    play("alert");
    state.lastRepeat = Date.now();
    if (alarm.severity === "critical") announce(alarm);
  }
  if (alarm.id === state.selectedId || (!state.alarms.has(alarm.id) && state.detail?.alarm?.id === alarm.id)) refetchCardSoon();
}

/** Keep a resolved alarm in the queue for a moment, marked, so it is seen leaving. */
function leave(alarm) {
  state.leaving.set(alarm.id, { ...state.alarms.get(alarm.id), ...alarm });
  setTimeout(() => {
    state.leaving.delete(alarm.id);
    renderQueue();
  }, LEAVING_MS);
}

function onMessage(message) {
  lastReceived = Date.now();
  if (message.type === "snapshot") {
    linkLive();
    const previous = state.selectedId;
    if (state.missedSince !== null) fetchMissed(state.missedSince, new Set(state.seen), new Set(state.seenResolved));
    state.missedSince = null;
    state.alarms.clear();
    for (const alarm of message.alarms) {
      state.alarms.set(alarm.id, alarm);
      state.seen.add(alarm.id);
    }
    for (const id of state.escalations.keys()) if (!state.alarms.has(id)) state.escalations.delete(id);
    if (previous && state.alarms.has(previous)) refetchCardSoon();
  } else if (message.type === "alarm") {
    merge(message.alarm);
  } else if (message.type === "escalation") {
    state.escalations.set(message.alarm.id, message.reason);
    merge(message.alarm);
    if (!state.escalationSounded.has(`${message.alarm.id}:${message.reason}`)) {
      state.escalationSounded.add(`${message.alarm.id}:${message.reason}`);
      state.escalationSounded.add(message.alarm.id);
      play("escalation");
      state.lastRepeat = Date.now();
    }
  }
  state.lastMessageAt = serverNow();
  if (message.type === "keepalive") return;
  ensureSelection();
  render();
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
    attempt = 0;
    lastReceived = Date.now();
    setConnection("open");
    if (!state.user) {
      me().then((answer) => {
        if (answer) state.user = answer.user;
        renderWho();
        render();
      }, () => {});
    }
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
    if (opened && state.missedSince === null && state.lastMessageAt) state.missedSince = state.lastMessageAt;
    setConnection("closed");
    linkLost();
    render();
    renderLink(state.lastMessageAt, serverNow());
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

/** A feed that went silent is dead: drop it and connect again, as if it had closed. */
function dropSilentFeed() {
  if (socket?.readyState !== WebSocket.OPEN || Date.now() - lastReceived < SILENT_FEED_MS) return;
  const dead = socket;
  const closed = dead.onclose;
  dead.onclose = null;
  dead.onmessage = null;
  dead.close();
  closed?.({ code: 1006 });
}

// Rendering

function render() {
  renderQueue();
  renderCard(false);
  renderBanners(serverNow());
  renderLink(state.lastMessageAt, serverNow());
}

function renderLanguage() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  setConnection(state.connection);
  renderWho();
  renderMissed();
  steps?.relabel();
  render();
  renderCard(true);
}

function renderWho() {
  const user = state.user;
  document.getElementById("who").textContent = user ? `${user.display_name || user.username} · ${word("roles", user.role)}` : "";
}

let lastLinkState = "";

/** Once a second: timers, SLA colours, escalations, the clock. No rebuild of the queue. */
function tick() {
  const now = serverNow();
  document.getElementById("clock").textContent = formatClock(new Date(now));
  let changed = false;
  const wasLive = isLive();
  dropSilentFeed();
  if (wasLive !== isLive()) changed = true;
  for (const node of document.querySelectorAll("[data-since]")) {
    const alarm = state.alarms.get(node.closest("[data-alarm-id]")?.dataset.alarmId);
    if (!alarm) continue;
    node.textContent = formatDuration(ageSeconds(alarm, now));
    const sla = slaState(alarm, now);
    const holder = node.closest(".alarm") || node.closest(".card-waiting");
    if (holder && holder.dataset.sla !== sla) {
      holder.dataset.sla = sla;
      node.dataset.sla = sla;
      changed = true;
    }
  }
  // A first connect that takes too long turns "loading" into "lost" with no message.
  if (linkState() !== lastLinkState) changed = true;
  lastLinkState = linkState();
  if (changed) render();
  renderBanners(now);
  renderLink(state.lastMessageAt, now);
  soundDue(now);
}

async function start() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  setConnection("connecting");
  setUpSound(document.getElementById("sound"));
  document.getElementById("language").addEventListener("click", () => {
    toggleLanguage();
    renderLanguage();
  });
  document.getElementById("logout").addEventListener("click", () => {
    leaving = true;
    socket?.close(1000);
    signOut();
  });
  document.getElementById("missed-dismiss").addEventListener("click", () => {
    state.missed = null;
    renderMissed();
  });
  steps = setUpSteps({
    current: (id) => (id ? state.alarms.get(id) || null : selectedAlarm()),
    done: (alarm) => {
      showAlert("");
      if (alarm.status === "resolved") showConfirmation(alarm);
      merge(alarm, { fromFeed: false });
      ensureSelection();
      render();
      refetchCardSoon();
    },
    refused: showAlert,
  });
  for (const button of document.querySelectorAll(".steps .step")) {
    button.addEventListener("click", () => steps.start(button.dataset.step));
  }
  setUpKeys({ step: (name) => steps.start(name), move });
  try {
    const answer = await me();
    if (!answer) return;
    state.user = answer.user;
  } catch {
    // The hub is down: the live feed retries; the header fills in once it answers.
  }
  renderWho();
  render();
  setUpServicesLink();
  setInterval(tick, 1000);
  tick();
  connect();
}

let confirmationTimer = null;
/** A clear word that the resolution went through: the alarm, its outcome, out of the queue. */
function showConfirmation(alarm) {
  const known = state.alarms.get(alarm.id) || alarm;
  const node = document.getElementById("confirmation");
  node.textContent = t("resolvedConfirm", {
    alarm: `${alarmTitle({ ...known, ...alarm })} · ${alarm.household_name}`,
    outcome: word("outcomes", alarm.outcome),
  });
  node.hidden = false;
  clearTimeout(confirmationTimer);
  confirmationTimer = setTimeout(() => { node.hidden = true; }, CONFIRMATION_MS);
}

let alertTimer = null;
function showAlert(text) {
  const alert = document.getElementById("alert");
  alert.textContent = text;
  alert.hidden = !text;
  clearTimeout(alertTimer);
  if (text) alertTimer = setTimeout(() => showAlert(""), 15000);
}

start();
