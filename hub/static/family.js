// The family page: how the home is, whether help is on its way and who is coming, and the
// home's service requests (family-services.js: the one place the family acts). One household
// (the hub's feed carries the signed-in family member's own household only), live: pushed by the hub, and plain about it when it is not connected or the home's gateway
// is offline (never "all is well" then). zh-CN by default, English on request.

import { me, serverNow, signOut } from "./api.js";
import { el } from "./dom.js";
import { DETECTOR_KINDS, applyStatic, formatAgo, formatTime, formatWhen, renderSwitch, t, toggleLanguage } from "./i18n.js";
import { alarmCard, historyTable, openAlarms, refreshEtas } from "./family-alarms.js";
import { openFeed } from "./family-feed.js";
import { refreshServices, renderServices, serviceMessage, startServices } from "./family-services.js";
import { agoText, deviceKindText, deviceName, deviceStateText } from "./family-text.js";
import { drawVitals, latestByCode, unitLabel, vitalLabel } from "./vitals-chart.js";

const HISTORY = 50;

let home = null; // the household, its gateway, residents, vitals, devices (no alarms)
const alarms = new Map(); // id -> alarm (family fields)
let feed = null;

function onMessage(message) {
  if (message.type === "snapshot") {
    const { alarms: list = [], ...rest } = message;
    home = rest;
    alarms.clear();
    for (const alarm of list) alarms.set(alarm.id, alarm);
    refreshServices(); // every (re)connect: right even if a push was missed while away
  } else if (message.type === "home") {
    home = { ...home, ...message };
  } else if (message.type === "alarm") {
    alarms.set(message.alarm.id, message.alarm);
  } else if (message.type === "service") {
    serviceMessage(message); // draws the services section itself
    return;
  } else {
    return; // "keepalive": the feed noted the time
  }
  render();
}

function isLive() { return feed?.state === "live"; }

function renderConnection() {
  const node = document.getElementById("connection");
  const state = feed?.state || "connecting";
  node.dataset.state = state;
  const confirmed = feed?.confirmedAt || 0;
  let text = t("connConnecting");
  if (state === "live") text = t("connLive");
  else if (state === "lost") {
    text = confirmed ? t("connLost", { ago: agoText(Date.now() - confirmed), t: formatTime(new Date(confirmed).toISOString()) }) : t("connNever");
  }
  if (node.textContent !== text) node.textContent = text;
}

function renderStale() {
  const banner = document.getElementById("stale");
  const lost = feed?.state === "lost";
  banner.hidden = !lost;
  if (!lost) return;
  const confirmed = feed.confirmedAt;
  const text = confirmed ? t("staleBanner", { t: formatTime(new Date(confirmed).toISOString()) }) : t("staleNever");
  const node = document.getElementById("stale-text");
  if (node.textContent !== text) node.textContent = text; // an alert: said once, not on every render
}

function renderOnline() {
  const status = document.getElementById("online");
  const known = isLive() && home;
  status.dataset.online = known ? String(Boolean(home.online)) : "unknown";
  status.textContent = !known ? t("onlineUnknown") : home.online ? t("online") : t("offline");
}

/** Since when, as far as the hub's last-heard record (kept to within 30 s) says. */
function offlineNote() {
  const since = home.gateway_last_seen ? t("offlineSince", { t: formatWhen(home.gateway_last_seen) }) : "";
  return el("p", { className: "home-offline" }, t("homeOffline", { since }));
}

/** What is known now: never "all is well" unless the feed is live and the home is heard. */
function renderNow() {
  const section = document.querySelector(".now");
  const list = document.getElementById("open-alarms");
  if (!home) {
    section.dataset.open = "unknown";
    list.replaceChildren(el("p", { className: "unknown-state" }, feed?.state === "lost" ? t("staleNever") : t("loading")));
    return;
  }
  const open = openAlarms([...alarms.values()]);
  const live = isLive();
  const items = [];
  if (live && !home.online) items.push(offlineNote());
  items.push(...open.map((alarm) => alarmCard(alarm, serverNow())));
  if (!open.length) {
    if (!live) {
      const at = formatTime(new Date(feed.confirmedAt || Date.now()).toISOString());
      items.push(el("p", { className: "unknown-state" }, t("unknownNow", { t: at })));
    } else if (!home.online) {
      items.push(el("p", { className: "no-open-alarms" }, t("noOpenAlarms")));
    } else {
      items.push(el("p", { className: "all-well" }, `✓ ${t("allWell")}`));
    }
  }
  section.dataset.open = open.length ? "true" : live && home.online ? "false" : "unknown";
  list.replaceChildren(...items);
}

function renderHome() {
  const { household, residents = [], vitals = [], devices = [] } = home;
  document.getElementById("household-name").textContent = household?.name || "";
  document.getElementById("household-address").textContent = household?.address || "";
  document.getElementById("residents").replaceChildren(...(residents.length
    ? residents.map((resident) => el("li", {},
      el("span", { className: "resident-name" }, resident.name),
      resident.age !== null && resident.age !== undefined ? el("span", { className: "resident-age" }, t("age", { n: resident.age })) : null))
    : [el("li", { className: "muted" }, t("noResidents"))]));
  document.getElementById("latest-vitals").replaceChildren(...latestByCode(vitals).map((vital) => el("li", { className: "vital" },
    el("span", { className: "vital-label" }, vitalLabel(vital.code)),
    el("span", { className: "vital-value" }, `${vital.value}`, el("small", {}, ` ${unitLabel(vital.unit)}`)),
    el("span", { className: "vital-time" }, formatAgo(vital.measured_at)))));
  const chart = document.getElementById("vitals-chart");
  const signature = `${document.documentElement.lang}:${vitals.length}:${vitals.at(-1)?.measured_at || ""}`;
  if (chart.dataset.signature !== signature) { // redraw only when something changed
    chart.dataset.signature = signature;
    if (!drawVitals(chart, vitals, [], { panelHeight: 90 }) && !vitals.length) {
      chart.replaceChildren(el("p", { className: "muted" }, t("noVitals")));
    }
  }
  document.getElementById("devices").replaceChildren(devices.length ? el("table", { className: "devices" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("device")), el("th", { scope: "col" }, t("deviceState")),
      el("th", { scope: "col" }, t("battery")), el("th", { scope: "col" }, t("lastSeen")))),
    el("tbody", {}, devices.map((device) => el("tr", {},
      el("th", { scope: "row" }, deviceName(device),
        deviceName(device) !== deviceKindText(device.kind) ? el("span", { className: "device-kind" }, deviceKindText(device.kind)) : null),
      el("td", { className: DETECTOR_KINDS.has(device.kind) && device.state === "on" ? "device-state alarming" : "device-state" }, deviceStateText(device.kind, device.state)),
      el("td", { className: device.battery !== null && device.battery < 20 ? "battery low" : "battery" },
        device.battery === null || device.battery === undefined ? "—" : `${device.battery}%`),
      el("td", { className: "last-seen" }, device.last_seen ? formatAgo(device.last_seen) : "—")))))
    : el("p", { className: "muted" }, t("noDevices")));
}

function render() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  document.title = `${t("familyTitle")} · Eldercare`;
  renderConnection();
  renderStale();
  renderOnline();
  renderNow();
  renderServices();
  if (!home) return;
  renderHome();
  const history = [...alarms.values()].sort((a, b) => b.received_at.localeCompare(a.received_at)).slice(0, HISTORY);
  document.getElementById("history").replaceChildren(historyTable(history));
}

async function start() {
  render();
  document.getElementById("language").addEventListener("click", () => {
    toggleLanguage();
    render();
  });
  document.getElementById("logout").addEventListener("click", () => {
    feed?.stop();
    signOut();
  });
  document.getElementById("reconnect").addEventListener("click", () => feed?.reconnectNow());
  startServices(renderServices);
  feed = openFeed({ onMessage, onState: render });
  setInterval(() => {
    renderConnection(); // "last updated 12 s ago" counts up
    refreshEtas(document.getElementById("open-alarms"), alarms, serverNow());
  }, 1000);
  try {
    const answer = await me();
    if (answer) document.getElementById("who").textContent = answer.user.display_name || answer.user.username;
  } catch {
    // The hub is unreachable: the feed says so and retries.
  }
}

start();
