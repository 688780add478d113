// The family page's own sentences (zh-CN and English, merged into i18n.js), and the words it
// shows for what the hub sends: kinds and device names never fall back to a raw code or id.

import { deviceState, extend, formatShort, formatTime, formatWhen, t, word } from "./i18n.js";

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
    services: "生活服务", pastServices: "服务记录", noOpenServices: "目前没有进行中的服务请求",
    noPastServices: "暂无服务记录", servicesLoading: "正在获取服务请求…", servicesUnavailable: "暂时无法获取服务请求，正在重试",
    otherService: "其他服务", serviceAsked: "{t} 提交", serviceCount: "共请求 {n} 次", serviceNote: "备注：{note}",
    svcRequested: "已提交，等待服务中心受理", svcAccepted: "服务中心已受理，正在安排",
    svcAssigned: "已安排上门", svcArrived: "服务人员已上门", svcCompleted: "已完成", svcCancelled: "已取消",
    whoServes: "谁来上门", notAssignedYet: "服务中心正在安排", serviceWindow: "预计 {start}–{end} 到达",
    serviceDone: "{t} 完成", serviceCancelledAt: "{t} 取消",
    byHousehold: "老人取消", byFamily: "家人取消", byStaff: "服务中心取消", cancelShown: "{who}：{reason}",
    cancelRequest: "取消请求", cancelReason: "取消原因", cancelSubmit: "确认取消", keepRequest: "不取消",
    needReason: "请填写取消原因",
    confirmRate: "确认完成并评价", starsLabel: "{n} 星", ratingComment: "评价（选填）", confirmSubmit: "确认并评价",
    needStars: "请选择 1 到 5 星", yourRating: "评价：{n} 星",
    refusedNotRateable: "该请求尚未完成，暂时不能评价", refusedClosed: "该请求已结束，无法取消",
    refusedMissing: "找不到该请求", refusedOther: "操作未成功，请稍后再试",
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
    services: "Home services", pastServices: "Past requests", noOpenServices: "No service requests in progress",
    noPastServices: "No past requests yet", servicesLoading: "Getting the service requests…",
    servicesUnavailable: "Service requests cannot be loaded just now; retrying",
    otherService: "Other service", serviceAsked: "Requested {t}", serviceCount: "asked {n} times", serviceNote: "Note: {note}",
    svcRequested: "Requested; waiting for the care center", svcAccepted: "The care center has it and is arranging it",
    svcAssigned: "Someone is booked to come", svcArrived: "The worker is there", svcCompleted: "Completed", svcCancelled: "Cancelled",
    whoServes: "Who is coming", notAssignedYet: "The care center is arranging it", serviceWindow: "expected {start}–{end}",
    serviceDone: "Completed {t}", serviceCancelledAt: "Cancelled {t}",
    byHousehold: "Cancelled at home", byFamily: "Cancelled by the family", byStaff: "Cancelled by the care center",
    cancelShown: "{who}: {reason}",
    cancelRequest: "Cancel request", cancelReason: "Why cancel?", cancelSubmit: "Cancel it", keepRequest: "Keep it",
    needReason: "Please say why",
    confirmRate: "Confirm it was done and rate it", starsLabel: "{n} stars", ratingComment: "Comment (optional)",
    confirmSubmit: "Confirm and rate", needStars: "Please choose 1 to 5 stars", yourRating: "Rated {n} stars",
    refusedNotRateable: "This request is not completed yet, so it cannot be rated",
    refusedClosed: "This request is closed already and cannot be cancelled",
    refusedMissing: "This request is not there", refusedOther: "That did not work; please try again",
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

const SERVICE_STATUS = {
  requested: "svcRequested", accepted: "svcAccepted", assigned: "svcAssigned",
  arrived: "svcArrived", completed: "svcCompleted", cancelled: "svcCancelled",
};
const CANCELLED_BY = { senior: "byHousehold", family: "byFamily", staff: "byStaff" };
const REFUSALS = { not_rateable: "refusedNotRateable", step_refused: "refusedClosed", not_found: "refusedMissing" };

/** A service's name in the page's language, from the hub's catalogue; never the raw code. */
export function serviceNameText(names, service) {
  const both = names?.[service];
  if (!both) return t("otherService");
  return document.documentElement.lang === "en" ? both.en : both.zh;
}

export function serviceStatusText(status) {
  return SERVICE_STATUS[status] ? t(SERVICE_STATUS[status]) : "";
}

export function cancelledByText(by) {
  return t(CANCELLED_BY[by] || "byStaff");
}

/** What the hub's refusal means, in the page's words. */
export function serviceRefusalText(code) {
  return t(REFUSALS[code] || "refusedOther");
}

/** "预计 10:20–10:40 到达" once a window is promised; "" without one. */
export function serviceWindowText(request) {
  if (!request.window_start || !request.window_end) return "";
  return t("serviceWindow", { start: formatWhen(request.window_start), end: formatShort(new Date(request.window_end)) });
}
