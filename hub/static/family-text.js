// The family page's own sentences (zh-CN and English, merged into i18n.js), and the words it
// shows for what the hub sends: kinds and device names never fall back to a raw code or id.

import { deviceState, extend, formatShort, formatTime, t, word } from "./i18n.js";

extend({
  "zh-CN": {
    familyTitle: "家人关怀", openAlarms: "当前警报", alarmHistory: "警报记录", noAlarms: "暂无警报记录",
    online: "家中网关在线", offline: "家中网关离线", onlineUnknown: "家中网关状态未知",
    connLive: "已实时连接护理中心", connConnecting: "正在连接护理中心…",
    connLost: "未连接护理中心 · 最后更新 {ago}（{t}）", connNever: "未连接护理中心，尚未收到任何信息",
    staleBanner: "与护理中心的连接已中断，正在自动重连。下面是 {t} 时的情况，之后可能已有变化。",
    staleNever: "无法连接护理中心，正在自动重连。目前无法得知家中情况。", reconnectNow: "立即重连",
    secondsAgo: "{n} 秒前", minutesAgo: "{n} 分钟前", hoursAgo: "{n} 小时前",
    allWell: "一切正常，目前没有需要处理的警报", loading: "正在获取最新情况…",
    unknownNow: "{t} 时没有警报；之后的情况暂时无法得知", noOpenAlarms: "护理中心没有未处理的警报",
    homeOffline: "家中网关离线{since}，护理中心暂时收不到家中的警报，无法确认家中情况。",
    offlineSince: "（约 {t} 起）",
    happened: "{t} 发生", late: "晚到 {d}", source: "来自：{name}", triggered: "共触发 {n} 次",
    clearedAt: "家中已恢复正常（{t}）",
    seconds: "{s} 秒", minutesSeconds: "{m} 分 {s} 秒", hoursMinutes: "{h} 小时 {m} 分",
    whoIsComing: "谁在赶来", careCenterNotified: "护理中心已收到警报，正在处理",
    careCenterOnIt: "护理中心已确认，正在安排", helpSent: "已派人前往", arrived: "已到场",
    etaLeft: "约 {n} 分钟 · 预计 {t} 到达", etaDue: "预计 {t} 到达 · 已过预计时间",
    progressReceived: "已接收", progressAcknowledged: "已确认", progressDispatched: "已派遣",
    progressOnSite: "已到场", when: "时间", status: "状态", outcome: "结果",
    otherAlarm: "警报", otherDevice: "设备",
  },
  en: {
    familyTitle: "Family", openAlarms: "Current alarms", alarmHistory: "Alarm history", noAlarms: "No alarms yet",
    online: "Home gateway online", offline: "Home gateway offline", onlineUnknown: "Home gateway: unknown",
    connLive: "Live: connected to the care center", connConnecting: "Connecting to the care center…",
    connLost: "Not connected to the care center · last updated {ago} ({t})",
    connNever: "Not connected to the care center; nothing received yet",
    staleBanner: "The connection to the care center is lost; reconnecting. Below is how things were at {t}; they may have changed since.",
    staleNever: "Cannot reach the care center; reconnecting. How things are at home is unknown for now.",
    reconnectNow: "Reconnect now",
    secondsAgo: "{n} s ago", minutesAgo: "{n} min ago", hoursAgo: "{n} h ago",
    allWell: "All is well: no alarms need attention", loading: "Getting the latest news…",
    unknownNow: "No alarms as of {t}; what happened since is unknown for now",
    noOpenAlarms: "The care center has no open alarms",
    homeOffline: "The home gateway is offline{since}: the care center cannot receive alarms from home, so it cannot tell how things are.",
    offlineSince: " (since about {t})",
    happened: "Happened {t}", late: "arrived {d} late", source: "From: {name}", triggered: "triggered {n} times",
    clearedAt: "Back to normal at home ({t})",
    seconds: "{s} s", minutesSeconds: "{m} min {s} s", hoursMinutes: "{h} h {m} min",
    whoIsComing: "Who is coming", careCenterNotified: "The care center has the alarm",
    careCenterOnIt: "The care center has it and is arranging help", helpSent: "Help is on the way", arrived: "on site",
    etaLeft: "about {n} min · arriving around {t}", etaDue: "expected around {t} · taking longer",
    progressReceived: "Received", progressAcknowledged: "Answered", progressDispatched: "Help sent",
    progressOnSite: "On site", when: "When", status: "Status", outcome: "Outcome",
    otherAlarm: "Alarm", otherDevice: "Device",
  },
});

// Ids a household never chose as a name: HA entity ids, Zigbee model and IEEE ids, ULIDs,
// long hex device ids.
const RAW_ID = [
  /^[a-z_]+\.[a-z0-9_]+$/, /_TZ[0-9A-Z]{4}_/i, /^TS\d{4}[A-Z]?$/, /^[0-9A-HJKMNP-TV-Z]{26}$/,
  /^([0-9a-f]{2}[:-]){7}[0-9a-f]{2}$/i, /^0x[0-9a-f]+$/i, /^[0-9a-f]{12,}$/i,
];

export function isRawId(text) {
  return RAW_ID.some((pattern) => pattern.test(String(text || "").trim()));
}

export function kindText(kind) {
  const text = word("kinds", kind);
  return text === kind ? t("otherAlarm") : text;
}

export function deviceKindText(kind) {
  const text = word("deviceKinds", kind);
  return text === kind ? t("otherDevice") : text;
}

/** The device's own name, or its kind when all it has is an id. */
export function deviceName(device) {
  return device.name && !isRawId(device.name) ? device.name : deviceKindText(device.kind);
}

/** The state in words, or a dash for a state this page has no words for. */
export function deviceStateText(kind, state) {
  const text = deviceState(kind, state);
  return !text || (text === state && /[A-Za-z]/.test(state)) ? "—" : text;
}

export function sourceText(alarm) {
  return alarm.source_name && !isRawId(alarm.source_name) ? t("source", { name: alarm.source_name }) : "";
}

export function durationText(total) {
  const seconds = Math.max(0, Math.round(total));
  if (seconds < 60) return t("seconds", { s: seconds });
  if (seconds < 3600) return t("minutesSeconds", { m: Math.floor(seconds / 60), s: seconds % 60 });
  return t("hoursMinutes", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
}

/** "18:05:57 发生 · 晚到 27 秒": when it happened at home, and how late it reached the center. */
export function happenedText(alarm) {
  const happened = t("happened", { t: formatTime(alarm.happened_at || alarm.received_at) });
  const late = alarm.late_by_seconds ? t("late", { d: durationText(alarm.late_by_seconds) }) : "";
  return late ? `${happened} · ${late}` : happened;
}

export function agoText(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return t("secondsAgo", { n: seconds });
  if (seconds < 3600) return t("minutesAgo", { n: Math.floor(seconds / 60) });
  return t("hoursAgo", { n: Math.floor(seconds / 3600) });
}

/** "约 8 分钟 · 预计 18:14 到达" while the responder is on the way; "" otherwise. */
export function etaText(alarm, now) {
  if (alarm.status !== "dispatched" || alarm.eta_minutes === null || alarm.eta_minutes === undefined) return "";
  const due = Date.parse(alarm.dispatched_at || alarm.received_at) + alarm.eta_minutes * 60000;
  const at = formatShort(new Date(due));
  const left = Math.ceil((due - now) / 60000);
  return left > 0 ? t("etaLeft", { n: left, t: at }) : t("etaDue", { t: at });
}
