// The family page's alarms: a card for each open alarm (what happened, when at home and
// how late it reached the care center, who is coming and when, how far the care center
// got), and the household's history.

import { el } from "./dom.js";
import { formatTime, t, word } from "./i18n.js";
import { etaText, happenedText, kindText, sourceText } from "./family-text.js";

const STEPS = [
  ["new", "received_at", "progressReceived"],
  ["acknowledged", "acknowledged_at", "progressAcknowledged"],
  ["dispatched", "dispatched_at", "progressDispatched"],
  ["on_site", "on_site_at", "progressOnSite"],
];
const SEVERITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 };

/** Most urgent first, then the newest. */
export function openAlarms(alarms) {
  return alarms.filter((alarm) => alarm.status !== "resolved").sort((a, b) =>
    (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) || b.received_at.localeCompare(a.received_at));
}

function comingText(alarm) {
  if (alarm.status === "on_site") return `${alarm.responder || ""} ${t("arrived")}`.trim();
  if (alarm.status === "dispatched") return alarm.responder || t("helpSent");
  return alarm.status === "acknowledged" ? t("careCenterOnIt") : t("careCenterNotified");
}

export function alarmCard(alarm, now) {
  const reached = STEPS.findIndex(([status]) => status === alarm.status);
  const eta = etaText(alarm, now);
  return el("article", { className: "open-alarm", dataset: { alarmId: alarm.id, status: alarm.status, severity: alarm.severity } },
    el("div", { className: "open-alarm-head" },
      el("h3", { className: "open-alarm-kind" }, kindText(alarm.kind)),
      el("p", { className: "open-alarm-when" }, happenedText(alarm)),
      sourceText(alarm) ? el("p", { className: "open-alarm-source" }, sourceText(alarm)) : null,
      alarm.count > 1 ? el("p", { className: "open-alarm-note" }, t("triggered", { n: alarm.count })) : null,
      alarm.cleared_at ? el("p", { className: "open-alarm-note" }, t("clearedAt", { t: formatTime(alarm.cleared_at) })) : null),
    el("div", { className: "coming", dataset: { status: alarm.status } },
      el("p", { className: "coming-label" }, t("whoIsComing")),
      el("p", { className: "responder" }, comingText(alarm)),
      el("p", { className: "eta", hidden: !eta }, eta)),
    el("ol", { className: "progress" }, STEPS.map(([, field, label], index) => el("li", {
      className: "progress-step", dataset: { done: index <= reached ? "true" : "false" },
      "aria-current": index === reached ? "step" : null,
    }, el("span", { className: "progress-name" }, t(label)),
    el("span", { className: "progress-time" }, alarm[field] ? formatTime(alarm[field]) : "")))));
}

/** Once a second: the minutes left until the responder is due. */
export function refreshEtas(root, alarmsById, now) {
  for (const card of root.querySelectorAll(".open-alarm")) {
    const alarm = alarmsById.get(card.dataset.alarmId);
    const node = card.querySelector(".eta");
    if (!alarm || !node) continue;
    const text = etaText(alarm, now);
    if (node.textContent !== text) node.textContent = text;
    node.hidden = !text;
  }
}

export function historyTable(alarms) {
  if (!alarms.length) return el("p", { className: "muted" }, t("noAlarms"));
  return el("table", { className: "history" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("when")), el("th", { scope: "col" }, t("kind")),
      el("th", { scope: "col" }, t("status")), el("th", { scope: "col" }, t("outcome")))),
    el("tbody", {}, alarms.map((alarm) => el("tr", { dataset: { status: alarm.status } },
      el("td", { className: "history-when" }, happenedText(alarm)),
      el("td", {}, kindText(alarm.kind), sourceText(alarm) ? el("small", {}, sourceText(alarm)) : null),
      el("td", {}, word("statuses", alarm.status)),
      el("td", {}, alarm.outcome ? word("outcomes", alarm.outcome) : "—")))));
}
