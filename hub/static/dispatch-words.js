// The dispatch screen's words for what an alarm is about and what its log says. The hub reads
// the household's and its own English texts into typed codes (hub/core/alarm_words.py: `about` on
// each alarm, `said` on each log entry); this module puts them into the screen's language, with
// the names the household gives its devices. Nothing here shows a raw id.

import { currentLanguage, extend, formatTime, t, word } from "./i18n.js";
import { unitLabel } from "./vitals-chart.js";

extend({
  "zh-CN": {
    titleDoorNight: "夜间开门", titleDoorLeftOpen: "门长时间未关", titleWithDevice: "{kind}：{device}",
    titleVitalHigh: "{sign}过高", titleVitalLow: "{sign}过低",
    aboutSource: "来源：{device}",
    reason_opened_at_night: "{device}在夜间静默时段被打开", reason_left_open: "{device}已打开超过 {minutes} 分钟",
    reason_not_heard: "{device}已 {minutes} 分钟没有信号", reason_battery: "{device}电量 {percent}%",
    reason_no_activity: "长时间未检测到活动", reason_vital: "{sign} {value} {unit}，{direction}",
    reason_gateway_silent: "网关 {seconds} 秒无消息", reason_gateway_revoked: "网关已被吊销，其消息被拒收",
    reason_panel: "报警主机 {account}{zone} · {signal}", panelZone: " 防区 {zone}",
    reason_home_button: "家中 Home Assistant 上的一键呼叫按钮", reason_home_action: "由家中的自动化或服务调用触发",
    reason_care_center_test: "中心发起的测试",
    vitalHigh: "高于上限", vitalLow: "低于下限",
    unnamed: "未命名{what}",
    said_second_press: "再次按下：{device}", said_cancel_pressed: "按下取消：{device}",
    said_prewarning_unanswered: "预警无人应答", said_prewarning_answered: "住户已回应预警", said_test_passed: "测试通过",
    said_detector_quiet: "{device}已恢复正常", said_door_closed: "{device}已关闭", said_activity: "检测到活动：{device}",
    said_device_back: "{device}已恢复在线", said_battery_replaced: "{device}已更换电池",
    said_gateway_back: "网关已恢复联系", said_auto_resolved: "恢复后自动处理完毕",
    said_unacknowledged_for: "{seconds} 秒无人确认", said_not_on_site_after: "派遣 {minutes} 分钟后仍未到场",
    stepResponder: "派遣：{who}", stepOutcome: "结果：{outcome}",
    actorPanel: "报警主机 {account}",
    happened: "{time} 发生", lateBy: "晚到 {d}", receivedAt2: "中心 {time} 收到", seconds: "{n} 秒",
    timerExplain: "计时从家中发生时起；60 秒未确认即升级，按中心收到的时间计",
  },
  en: {
    titleDoorNight: "Door opened at night", titleDoorLeftOpen: "Door left open", titleWithDevice: "{kind}: {device}",
    titleVitalHigh: "{sign} high", titleVitalLow: "{sign} low",
    aboutSource: "Source: {device}",
    reason_opened_at_night: "{device} opened during quiet hours", reason_left_open: "{device} open for more than {minutes} min",
    reason_not_heard: "{device} not heard for {minutes} min", reason_battery: "{device} battery at {percent}%",
    reason_no_activity: "No activity for a long time", reason_vital: "{sign} {value} {unit}, {direction}",
    reason_gateway_silent: "No message from the gateway for {seconds} s",
    reason_gateway_revoked: "Gateway revoked: its messages are refused",
    reason_panel: "Alarm panel {account}{zone} · {signal}", panelZone: " zone {zone}",
    reason_home_button: "The home's Call-for-help button in Home Assistant",
    reason_home_action: "Raised by an automation or action at home", reason_care_center_test: "Test requested by the care center",
    vitalHigh: "above the limit", vitalLow: "below the limit",
    unnamed: "unnamed {what}",
    said_second_press: "second press: {device}", said_cancel_pressed: "cancel pressed: {device}",
    said_prewarning_unanswered: "pre-warning unanswered", said_prewarning_answered: "the resident answered the pre-warning", said_test_passed: "test passed",
    said_detector_quiet: "{device} back to normal", said_door_closed: "{device} closed", said_activity: "activity: {device}",
    said_device_back: "{device} is back", said_battery_replaced: "{device}: battery replaced",
    said_gateway_back: "gateway heard again", said_auto_resolved: "resolved on its own when cleared",
    said_unacknowledged_for: "unacknowledged for {seconds} s", said_not_on_site_after: "nobody on site {minutes} min after dispatch",
    stepResponder: "responder: {who}", stepOutcome: "outcome: {outcome}",
    actorPanel: "panel {account}",
    happened: "happened {time}", lateBy: "delivered {d} late", receivedAt2: "received {time}", seconds: "{n} s",
    timerExplain: "Timers count from when it happened at home; escalation after 60 s unacknowledged counts from when the center received it",
  },
});

const SIGNS = {
  "zh-CN": { heart_rate: "心率", spo2: "血氧", systolic: "收缩压", diastolic: "舒张压", glucose: "血糖", temperature: "体温" },
  en: { heart_rate: "Heart rate", spo2: "SpO2", systolic: "Systolic", diastolic: "Diastolic", glucose: "Glucose", temperature: "Temperature" },
};
// An entity the household did not name: what kind of thing it is, from its domain.
const DOMAINS = {
  "zh-CN": { button: "按钮", binary_sensor: "传感器", sensor: "传感器", switch: "开关", valve: "阀门", event: "遥控器", siren: "警报器", lock: "门锁" },
  en: { button: "button", binary_sensor: "sensor", sensor: "sensor", switch: "switch", valve: "valve", event: "remote", siren: "siren", lock: "lock" },
};
const NAMED_KINDS = new Set(["battery_low", "device_offline", "valve_failed"]);
const PRESSED_IN_HA = new Set(["home_button", "home_action"]);
// Ids where a name should be (as hub/core/alarm_words.py RAW_ID): an entity id, a Zigbee
// manufacturer code with its model, a ULID, an IEEE address.
const RAW_ID = /^(?:[a-z_]+\.[a-z0-9_]+|_T[A-Z]\d{4}_\S*(?: \S+)?|[0-9A-HJKMNP-TV-Z]{26}|(?:[0-9a-fA-F]{2}:){7}[0-9a-fA-F]{2})$/;

/** Whether a text can stand for a device before people: not empty, not an id. */
export function isName(text) {
  return Boolean(text) && !RAW_ID.test(text);
}

function sign(code) {
  return SIGNS[currentLanguage()][code] ?? SIGNS.en[code] ?? word("kinds", "vitals");
}

/** The household's name for a device, or "unnamed sensor" when it gave only an entity id. */
export function deviceLabel(device, domain) {
  if (isName(device)) return device;
  const lang = currentLanguage();
  return t("unnamed", { what: DOMAINS[lang][domain] ?? (lang === "zh-CN" ? "设备" : "device") });
}

/** "厨房烟雾报警器" of an alarm (or of a log entry): "" when there is no device at all. */
function aboutDevice(about) {
  if (!about) return "";
  return about.device || (about.args?.domain ? deviceLabel("", about.args.domain) : "");
}

/** The card's and the queue's title: the event ("夜间开门", "电量低：厨房烟雾报警器"), not the device. */
export function alarmTitle(alarm) {
  const about = alarm.about || {};
  const kind = word("kinds", alarm.kind);
  if (alarm.kind === "door" && about.reason === "opened_at_night") return t("titleDoorNight");
  if (alarm.kind === "door" && about.reason === "left_open") return t("titleDoorLeftOpen");
  if (alarm.kind === "vitals" && about.reason === "vital") {
    return t(about.args.direction === "low" ? "titleVitalLow" : "titleVitalHigh", { sign: sign(about.args.sign) });
  }
  const device = aboutDevice(about);
  return NAMED_KINDS.has(alarm.kind) && device ? t("titleWithDevice", { kind, device }) : kind;
}

/** Why it was raised, in a line: "前门在夜间静默时段被打开", "来源：客厅呼叫按钮". */
export function aboutText(about) {
  if (!about) return "";
  const args = about.args || {};
  const device = aboutDevice(about);
  if (about.reason === "vital") {
    return t("reason_vital", {
      sign: sign(args.sign), value: args.value, unit: unitLabel(args.unit || ""),
      direction: t(args.direction === "low" ? "vitalLow" : "vitalHigh"),
    }).replace(/\s+，/, "，").replace(/\s+,/, ",");
  }
  if (about.reason === "panel") {
    return t("reason_panel", { account: args.account, zone: args.zone ? t("panelZone", { zone: args.zone }) : "", signal: args.signal });
  }
  // Pressed at home in Home Assistant: the household's name for the button says it best.
  if (PRESSED_IN_HA.has(about.reason) && about.device) return t("aboutSource", { device: about.device });
  if (about.reason) return t(`reason_${about.reason}`, { ...args, device: device || deviceLabel("", "") });
  return device ? t("aboutSource", { device }) : "";
}

/** A log entry's detail in words (hub/core/alarm_words.py `said`). */
export function saidText(said) {
  if (!said) return "";
  const device = deviceLabel(said.device, said.domain);
  switch (said.code) {
    case "source": return aboutText(said);
    case "device": return device;
    case "person": return said.name;
    case "text": return said.text;
    case "step": return [
      said.responder ? t("stepResponder", { who: said.responder }) : "",
      said.eta_minutes !== null && said.eta_minutes !== undefined ? t("eta", { n: said.eta_minutes }) : "",
      said.outcome ? t("stepOutcome", { outcome: word("outcomes", said.outcome) }) : "",
      said.note,
    ].filter(Boolean).join(" · ");
    default: return t(`said_${said.code}`, { ...said, device });
  }
}

/** "27 秒" / "5 min" of a delay in seconds. */
export function delayText(seconds) {
  return seconds < 120 ? t("seconds", { n: seconds }) : t("minutes", { n: Math.floor(seconds / 60) });
}

/** When it happened at home (on the hub's clock) and, if it came late, by how much. */
export function happenedText(alarm) {
  const at = alarm.happened_at || alarm.received_at;
  const parts = [t("happened", { time: formatTime(at) })];
  if (alarm.late_by_seconds) parts.push(t("lateBy", { d: delayText(alarm.late_by_seconds) }));
  return parts.join(" · ");
}

/** Seconds since it happened at home: what the resident has waited. */
export function ageSeconds(alarm, now) {
  return (now - Date.parse(alarm.happened_at || alarm.received_at)) / 1000;
}
