// The selected alarm's card: what the dispatcher reads out and acts on, large enough to read
// from a metre away. The head follows the live feed; the body is the alarm card of
// GET /api/v1/alarms/{id} (residents, contacts, vitals, devices, log, history).

import { devicesSection } from "./dispatch-devices.js";
import { aboutText, ageSeconds, alarmTitle, delayText, happenedText, saidText } from "./dispatch-words.js";
import { el } from "./dom.js";
import { currentLanguage, formatAgo, formatDuration, formatTime, t, word } from "./i18n.js";
import { drawVitals, latestByCode, outOfRange, thresholdsByCode, unitLabel, vitalLabel } from "./vitals-chart.js";

/** Seconds since the hub received the alarm: the SLA and the escalation count from here. */
export function waitedSeconds(alarm, now) {
  return (now - Date.parse(alarm.received_at)) / 1000;
}

/** "ok" < 30 s < "warn" < 60 s < "late" (escalated) for an unacknowledged emergency; "done"
 * once somebody acknowledged it; "none" for work items (no 60 s promise there). */
export function slaState(alarm, now) {
  if (alarm.status !== "new") return "done";
  if (alarm.lane !== "emergency") return "none";
  const waited = waitedSeconds(alarm, now);
  if (alarm.escalated_at || waited >= 60) return "late";
  return waited >= 30 ? "warn" : "ok";
}

/** What the alarm's timer slot shows: mm:ss while new, else its status (and who is coming). */
export function progressText(alarm) {
  const status = word("statuses", alarm.status);
  return alarm.status === "dispatched" && alarm.responder ? `${status} · ${responderText(alarm)}` : status;
}

/** Who is going and when they will be there: "王护士 · 预计 10 分钟". */
export function responderText(alarm) {
  if (!alarm.responder || !["dispatched", "on_site"].includes(alarm.status)) return "";
  const eta = alarm.status === "dispatched" && alarm.eta_minutes !== null && alarm.eta_minutes !== undefined
    ? ` · ${t("eta", { n: alarm.eta_minutes })}` : "";
  return `${alarm.responder}${eta}`;
}

/** Who took the alarm and when its current step was taken: "值班调度员 · 2 分钟前". */
function stepSince(alarm) {
  const at = { acknowledged: alarm.acknowledged_at, dispatched: alarm.dispatched_at, on_site: alarm.on_site_at }[alarm.status];
  return [alarm.acknowledged_by_name || alarm.acknowledged_by, at ? formatAgo(at) : ""].filter(Boolean).join(" · ");
}

export function addressLine(household, alarm) {
  const parts = [household?.address || alarm.address];
  const where = [
    household?.building ? `${t("building")} ${household.building}` : "",
    household?.unit ? `${t("unit")} ${household.unit}` : "",
  ].filter(Boolean).join(" · ");
  if (where) parts.push(where);
  return parts.filter(Boolean).join(" · ");
}

function actorText(event) {
  const actor = event.actor;
  if (!actor) return "";
  const [kind, ...rest] = actor.split(":");
  const name = rest.join(":");
  if (kind === "staff") return event.actor_name || name;
  if (kind === "family") return name;
  if (kind === "gateway") return t("actorHome");
  if (kind === "hub") return t("actorHub");
  if (kind === "panel") return t("actorPanel", { account: name });
  return "";
}

/** "18:05:57 发生 · 晚到 27 秒 · 中心 18:06:24 收到": when a late alarm happened and arrived. */
function timesLine(alarm) {
  const late = Boolean(alarm.late_by_seconds);
  return el("p", { className: "card-times", dataset: { late: late ? "true" : "false" }, title: t("timerExplain") },
    el("span", { className: "happened" }, happenedText(alarm)),
    late ? el("span", { className: "received" }, ` · ${t("receivedAt2", { time: formatTime(alarm.received_at) })}`) : null,
    late ? el("span", { className: "timer-explain" }, t("timerExplain")) : null);
}

/** The head: the event, waiting time / status, household and address. Rebuilt on every change. */
export function renderHead(head, alarm, detail, now) {
  const household = detail?.household;
  const sla = slaState(alarm, now);
  head.dataset.severity = alarm.severity;
  head.dataset.sla = sla;
  head.dataset.status = alarm.status;
  // The timer shows what the resident has waited (since it happened at home); its colour is
  // the SLA's, which counts from the hub's receipt like the escalation.
  const timer = alarm.status === "new"
    ? el("p", { className: "card-waiting waiting", dataset: { sla }, title: t("timerExplain") },
      el("span", { className: "label" }, t("waitingFor")), " ",
      el("span", { className: "value", dataset: { since: alarm.happened_at || alarm.received_at } }, formatDuration(ageSeconds(alarm, now))))
    : el("div", { className: "card-waiting card-progress", dataset: { status: alarm.status } },
      el("span", { className: "progress-status" }, progressText(alarm)),
      el("span", { className: "progress-since" }, stepSince(alarm)));
  const about = aboutText(alarm.about);
  const parts = [
    el("div", { className: "card-title-row" },
      el("h2", { id: "card-kind", className: "card-kind" }, alarmTitle(alarm)),
      el("span", { className: "chip severity", dataset: { severity: alarm.severity } }, word("severities", alarm.severity)),
      alarm.count > 1 ? el("span", { className: "chip count-chip" }, `×${alarm.count} ${t("times")}`) : null,
      alarm.cleared_at ? el("span", { className: "chip cleared-chip" }, t("cleared")) : null,
      timer),
    about ? el("p", { className: "card-about" }, about) : null,
    timesLine(alarm),
    el("p", { className: "card-household" }, alarm.household_name),
    el("p", { className: "card-address" }, addressLine(household, alarm)),
    household?.grid_area ? el("p", { className: "card-grid-area" }, `${t("gridArea")}: ${household.grid_area}`) : null,
    household?.notes ? el("p", { className: "card-notes" }, el("strong", {}, `${t("householdNotes")}: `), household.notes) : null,
  ];
  head.replaceChildren(...parts.filter(Boolean));
}

function section(name, title, ...content) {
  const id = `card-${name}-title`;
  return el("section", { className: `card-section card-${name}`, "aria-labelledby": id },
    el("h3", { id }, title), ...content);
}

function empty(text) {
  return el("p", { className: "muted" }, text);
}

function list(values) {
  return values && values.length ? values.join(currentLanguage() === "zh-CN" ? "、" : ", ") : "—";
}

function residentsSection(residents) {
  if (!residents.length) return section("residents", t("residents"), empty(t("noResidents")));
  return section("residents", t("residents"), el("ul", { className: "residents" }, residents.map((resident) =>
    el("li", { className: "resident" },
      el("p", { className: "resident-name" }, resident.name,
        resident.age !== null && resident.age !== undefined ? el("span", { className: "resident-age" }, t("age", { n: resident.age })) : null),
      resident.allergies?.length
        ? el("p", { className: "allergies", role: "note" }, el("strong", {}, `⚠ ${t("allergies")}: `), list(resident.allergies))
        : el("p", { className: "no-allergies" }, t("noAllergies")),
      el("dl", { className: "facts" },
        el("dt", {}, t("conditions")), el("dd", {}, list(resident.conditions)),
        el("dt", {}, t("medications")), el("dd", {}, list(resident.medications)),
        el("dt", {}, t("mobility")), el("dd", {}, resident.mobility || "—")),
    ))));
}

function contactsSection(contacts) {
  if (!contacts.length) return section("contacts", t("contacts"), empty(t("noContacts")));
  const sorted = [...contacts].sort((a, b) => a.position - b.position);
  return section("contacts", t("contacts"), el("ol", { className: "contacts" }, sorted.map((contact) =>
    el("li", { className: "contact" },
      el("span", { className: "contact-name" }, contact.name),
      contact.relation ? el("span", { className: "contact-relation" }, contact.relation) : null,
      el("a", {
        className: "contact-phone", href: `tel:${contact.phone.replace(/[\s-]/g, "")}`,
        "aria-label": `${t("call", { name: contact.name })} ${contact.phone}`,
      }, `☎ ${contact.phone}`)))));
}

function vitalsSection(vitals, residents, chart) {
  if (!vitals.length) return section("vitals", t("vitals"), empty(t("noVitals")));
  const thresholds = thresholdsByCode(residents);
  const latest = el("ul", { className: "latest-vitals" }, latestByCode(vitals).map((vital) => {
    const high = outOfRange(vital, thresholds);
    return el("li", { className: "vital", dataset: { code: vital.code, out: high ? "true" : "false" } },
      el("span", { className: "vital-label" }, vitalLabel(vital.code)),
      el("span", { className: "vital-value" }, `${vital.value}`, el("small", {}, ` ${unitLabel(vital.unit)}`)),
      el("span", { className: "vital-time" }, formatAgo(vital.measured_at)),
      high ? el("span", { className: "visually-hidden" }, t("outOfRange")) : null);
  }));
  return section("vitals", t("vitals"), latest, chart);
}

/** A log entry's time: the first `raised` is when it happened at home (and how late it came). */
function eventTime(event, index, alarm) {
  if (index === 0 && event.action === "raised" && alarm.happened_at) {
    return [formatTime(alarm.happened_at), alarm.late_by_seconds ? t("lateBy", { d: delayText(alarm.late_by_seconds) }) : ""];
  }
  return [formatTime(event.at), ""];
}

function eventsSection(events, alarm) {
  if (!events.length) return section("events", t("events"), empty(t("noEvents")));
  return section("events", t("events"), el("ol", { className: "events" }, events.map((event, index) => {
    const [time, late] = eventTime(event, index, alarm);
    const detail = saidText(event.said);
    return el("li", { className: "event", dataset: { action: event.action, ...(late ? { late: "" } : {}) } },
      el("time", { dateTime: index === 0 && event.action === "raised" && alarm.happened_at ? alarm.happened_at : event.at }, time),
      el("span", { className: "event-action" }, word("actions", event.action)),
      el("span", { className: "event-actor" }, actorText(event)),
      detail || late ? el("span", { className: "event-detail" }, [late, detail].filter(Boolean).join(" · ")) : null);
  })));
}

function historySection(history) {
  if (!history.length) return section("history", t("history"), empty(t("noHistory")));
  return section("history", t("history"), el("table", { className: "history" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("receivedAt")), el("th", { scope: "col" }, t("kind")),
      el("th", { scope: "col" }, t("outcome")))),
    el("tbody", {}, history.map((alarm) => el("tr", { dataset: { severity: alarm.severity } },
      el("td", {}, formatTime(alarm.received_at)),
      el("td", {}, word("kinds", alarm.kind)),
      el("td", {}, alarm.outcome ? word("outcomes", alarm.outcome) : word("statuses", alarm.status)))))));
}

/** The body from the alarm card; `alarm` is the newest state of the alarm (live feed). */
export function renderBody(body, detail, alarm) {
  const old = body.querySelector(".vitals-chart");
  if (old && window.Plotly && old.dataset.plotted) window.Plotly.purge(old);
  const chart = el("div", { className: "vitals-chart", role: "img", "aria-label": t("vitals") });
  const residents = detail.residents || [];
  const vitals = detail.vitals || [];
  body.replaceChildren(
    el("div", { className: "card-column" },
      residentsSection(residents),
      contactsSection(detail.contacts || []),
      eventsSection(detail.events || [], alarm)),
    el("div", { className: "card-column" },
      vitalsSection(vitals, residents, chart),
      devicesSection(section, detail.devices || [], alarm),
      historySection(detail.history || [])),
  );
  if (vitals.length) drawVitals(chart, vitals, residents);
}

export function renderBodyMessage(body, text) {
  body.replaceChildren(el("p", { className: "muted card-message" }, text));
}
