// The alarm card's devices: each device's state as the household last reported it, or as the
// household's alarms said since (hub/core/card_devices.py: a confirmed valve closure, a detector of
// an open alarm), saying which. A device nobody has heard of yet says so, never a blank row.

import { isName } from "./dispatch-words.js";
import { el } from "./dom.js";
import { DETECTOR_KINDS, deviceState, extend, formatAgo, formatTime, t, word } from "./i18n.js";

extend({
  "zh-CN": {
    deviceNoReport: "未知 — 尚无上报", stateUnknown: "未知", stateNotReported: "不上报", noReportYet: "尚无上报",
    stateFromAlarm: "据警报记录 {time}", devicesAsOf: "最后上报 {time}", noBattery: "无电量信息",
  },
  en: {
    deviceNoReport: "unknown — no report yet", stateUnknown: "unknown", stateNotReported: "not reported",
    noReportYet: "no report yet", stateFromAlarm: "per the alarm log {time}", devicesAsOf: "last report {time}",
    noBattery: "no battery reported",
  },
});

const GAS_KINDS = new Set(["gas", "valve_failed"]);
const VALVE_KINDS = new Set(["valve", "gas_valve"]);
// Devices that never report an on/off state: doors and motion (privacy), buttons, monitors.
const STATELESS_KINDS = new Set(["door", "motion", "sos", "button", "fall", "health_monitor"]);
const LOW_BATTERY = 20;

function known(value) {
  return value !== null && value !== undefined && value !== "";
}

function stateCell(device) {
  if (!known(device.state)) {
    return el("td", { className: "device-state unknown" }, STATELESS_KINDS.has(device.kind) ? t("stateNotReported") : t("stateUnknown"));
  }
  return el("td", { className: "device-state" }, deviceState(device.kind, device.state),
    device.state_from === "alarm"
      ? el("span", { className: "state-from" }, t("stateFromAlarm", { time: formatTime(device.state_at) }))
      : null);
}

function deviceRow(device, gasAlarm) {
  const openValve = gasAlarm && VALVE_KINDS.has(device.kind) && device.state === "open";
  const danger = openValve || (DETECTOR_KINDS.has(device.kind) && device.state === "on");
  const lowBattery = known(device.battery) && device.battery < LOW_BATTERY;
  const kind = word("deviceKinds", device.kind);
  const name = el("th", { scope: "row" }, isName(device.name) ? device.name : t("unnamed", { what: kind }),
    el("span", { className: "device-kind" }, kind));
  const attrs = {
    className: danger ? "danger" : "",
    dataset: { kind: device.kind, state: device.state || "", stateFrom: device.state_from || "report" },
  };
  if (!known(device.state) && !known(device.battery) && !known(device.last_seen)) {
    return el("tr", { ...attrs, dataset: { ...attrs.dataset, unknown: "" } }, name,
      el("td", { className: "device-unknown", colSpan: 3 }, t("deviceNoReport")));
  }
  return el("tr", attrs, name, stateCell(device),
    known(device.battery)
      ? el("td", { className: lowBattery ? "battery low" : "battery" }, `${device.battery}%`)
      : el("td", { className: "battery", title: t("noBattery") }, "—"),
    el("td", { className: "last-seen" }, device.last_seen ? formatAgo(device.last_seen) : t("noReportYet")));
}

/** The devices section of the alarm card; `alarm` is the newest state of the alarm. */
export function devicesSection(section, devices, alarm) {
  if (!devices.length) return section("devices", t("devices"), el("p", { className: "muted" }, t("noDevices")));
  const gasAlarm = GAS_KINDS.has(alarm.kind);
  const rows = devices.map((device) => deviceRow(device, gasAlarm));
  const valveOpen = gasAlarm && devices.some((device) => VALVE_KINDS.has(device.kind) && device.state === "open");
  const reported = devices.map((device) => device.updated_at).filter(Boolean).sort().at(-1);
  return section("devices", t("devices"),
    reported ? el("p", { className: "devices-as-of muted" }, t("devicesAsOf", { time: formatTime(reported) })) : null,
    valveOpen ? el("p", { className: "valve-warning", role: "alert" }, `⚠ ${t("valveOpenDuringGas")}`) : null,
    el("table", { className: "devices" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("device")), el("th", { scope: "col" }, t("deviceState")),
        el("th", { scope: "col" }, t("battery")), el("th", { scope: "col" }, t("lastSeen")))),
      el("tbody", {}, rows)));
}
