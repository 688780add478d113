// The family page: how the home is, whether help is on its way and who is coming.
// Read only, one household (the hub answers for the signed-in family member's own household
// only). Polls every 15 s. zh-CN by default, English on request.

import { ApiError, api, me, signOut } from "./api.js";
import { el } from "./dom.js";
import { DETECTOR_KINDS, applyStatic, deviceState, extend, formatAgo, formatShort, formatWhen, renderSwitch, t, toggleLanguage, word } from "./i18n.js";
import { drawVitals, latestByCode, unitLabel, vitalLabel } from "./vitals-chart.js";

const REFRESH_MS = 15000;
const STEPS = ["received", "acknowledged", "dispatched", "on_site", "resolved"];

extend({
  "zh-CN": {
    familyTitle: "家人关怀", refresh: "刷新", refreshed: "更新于 {t}", openAlarms: "当前警报",
    online: "家中网关在线", offline: "家中网关离线", onlineUnknown: "正在检查…",
    allWell: "一切正常，目前没有需要处理的警报", alarmHistory: "警报记录", noAlarms: "暂无警报记录",
    received: "已接收", whoIsComing: "谁在赶来", arrivesAround: "约 {t} 到达", arrived: "已到场",
    careCenterOnIt: "护理中心已确认，正在安排", careCenterNotified: "护理中心已收到警报，正在处理",
    etaMinutes: "预计 {n} 分钟", raisedAt: "发生于 {t}", unavailable: "暂时无法获取最新信息，稍后自动重试",
    forbiddenPage: "此页面仅供家属使用", outcome: "结果", status: "状态",
  },
  en: {
    familyTitle: "Family", refresh: "Refresh", refreshed: "Updated {t}", openAlarms: "Current alarms",
    online: "Home gateway online", offline: "Home gateway offline", onlineUnknown: "Checking…",
    allWell: "All is well: no alarms need attention", alarmHistory: "Alarm history", noAlarms: "No alarms yet",
    received: "Received", whoIsComing: "Who is coming", arrivesAround: "arrives around {t}", arrived: "On site",
    careCenterOnIt: "The care center has it and is arranging help", careCenterNotified: "The care center has the alarm",
    etaMinutes: "ETA {n} min", raisedAt: "Raised {t}", unavailable: "Cannot get the latest news; retrying shortly",
    forbiddenPage: "This page is for family members", outcome: "Outcome", status: "Status",
  },
});

let data = null;
let refreshedAt = null;
let timer = null;

function stepTime(alarm, step) {
  return {
    received: alarm.received_at, acknowledged: alarm.acknowledged_at, dispatched: alarm.dispatched_at,
    on_site: alarm.on_site_at, resolved: alarm.resolved_at,
  }[step];
}

function comingText(alarm) {
  if (alarm.status === "on_site") return `${alarm.responder || ""} ${t("arrived")}`.trim();
  if (alarm.status !== "dispatched") {
    return alarm.status === "acknowledged" ? t("careCenterOnIt") : t("careCenterNotified");
  }
  return alarm.responder || "";
}

function etaText(alarm) {
  if (alarm.status !== "dispatched" || alarm.eta_minutes === null || alarm.eta_minutes === undefined) return "";
  const base = Date.parse(alarm.dispatched_at || alarm.received_at);
  const around = formatShort(new Date(base + alarm.eta_minutes * 60000));
  return `${t("etaMinutes", { n: alarm.eta_minutes })} · ${t("arrivesAround", { t: around })}`;
}

function openAlarm(alarm) {
  const reached = STEPS.indexOf(alarm.status === "new" ? "received" : alarm.status);
  return el("article", { className: "open-alarm", dataset: { status: alarm.status, severity: alarm.severity } },
    el("div", { className: "open-alarm-head" },
      el("h3", { className: "open-alarm-kind" }, word("kinds", alarm.kind)),
      el("span", { className: "open-alarm-time" }, t("raisedAt", { t: formatWhen(alarm.received_at) }))),
    el("div", { className: "coming", dataset: { status: alarm.status } },
      el("p", { className: "coming-label" }, t("whoIsComing")),
      el("p", { className: "responder" }, comingText(alarm)),
      etaText(alarm) ? el("p", { className: "eta" }, etaText(alarm)) : null),
    el("ol", { className: "progress" }, STEPS.slice(0, 4).map((step, index) => el("li", {
      className: "progress-step", dataset: { done: index <= reached ? "true" : "false" },
      "aria-current": index === reached ? "step" : null,
    }, el("span", { className: "progress-name" }, step === "received" ? t("received") : word("statuses", step)),
    el("span", { className: "progress-time" }, stepTime(alarm, step) ? formatWhen(stepTime(alarm, step)) : "")))));
}

function render() {
  applyStatic();
  renderSwitch(document.getElementById("language"));
  document.title = `${t("familyTitle")} · Eldercare`;
  document.getElementById("refreshed").textContent = refreshedAt ? t("refreshed", { t: formatShort(refreshedAt) }) : "";
  if (!data) return;
  const { household, online, residents = [], alarms = [], vitals = [], devices = [] } = data;
  document.getElementById("household-name").textContent = household?.name || "";
  document.getElementById("household-address").textContent = household?.address || "";
  const status = document.getElementById("online");
  status.dataset.online = online ? "true" : "false";
  status.textContent = online ? t("online") : t("offline");

  const open = alarms.filter((alarm) => alarm.status !== "resolved");
  const openList = document.getElementById("open-alarms");
  openList.replaceChildren(...(open.length ? open.map(openAlarm) : [el("p", { className: "all-well" }, `✓ ${t("allWell")}`)]));
  document.querySelector(".now").dataset.open = open.length ? "true" : "false";

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
      el("th", { scope: "row" }, device.name, el("span", { className: "device-kind" }, word("deviceKinds", device.kind))),
      el("td", { className: DETECTOR_KINDS.has(device.kind) && device.state === "on" ? "device-state alarming" : "device-state" }, deviceState(device.kind, device.state) || "—"),
      el("td", { className: device.battery !== null && device.battery < 20 ? "battery low" : "battery" },
        device.battery === null || device.battery === undefined ? "—" : `${device.battery}%`),
      el("td", {}, device.last_seen ? formatAgo(device.last_seen) : "—")))))
    : el("p", { className: "muted" }, t("noDevices")));

  document.getElementById("history").replaceChildren(alarms.length ? el("table", { className: "history" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("receivedAt")), el("th", { scope: "col" }, t("kind")),
      el("th", { scope: "col" }, t("status")), el("th", { scope: "col" }, t("outcome")))),
    el("tbody", {}, alarms.map((alarm) => el("tr", { dataset: { status: alarm.status } },
      el("td", {}, formatWhen(alarm.received_at)),
      el("td", {}, word("kinds", alarm.kind)),
      el("td", {}, word("statuses", alarm.status)),
      el("td", {}, alarm.outcome ? word("outcomes", alarm.outcome) : "—")))))
    : el("p", { className: "muted" }, t("noAlarms")));
}

function problem(text) {
  const node = document.getElementById("problem");
  node.textContent = text;
  node.hidden = !text;
}

async function refresh() {
  clearTimeout(timer);
  try {
    data = await api("/api/v1/family/household");
    refreshedAt = new Date();
    problem("");
    render();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // on the way to /login
    problem(error instanceof ApiError && error.status === 403 ? t("forbiddenPage") : t("unavailable"));
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

async function start() {
  render();
  document.getElementById("language").addEventListener("click", () => {
    toggleLanguage();
    render();
  });
  document.getElementById("logout").addEventListener("click", () => signOut());
  document.getElementById("refresh").addEventListener("click", refresh);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
  try {
    const answer = await me();
    if (!answer) return;
    document.getElementById("who").textContent = answer.user.display_name || answer.user.username;
  } catch {
    // The hub is unreachable: refresh() says so and retries.
  }
  refresh();
}

start();
