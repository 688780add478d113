// Every word a person reads on the dispatch screen and the family page, in zh-CN (the default)
// and English. The choice is kept in localStorage (shared with the login page).

const STORAGE_KEY = "dispatch.language";

const KINDS = {
  "zh-CN": {
    sos: "紧急呼叫", fall: "跌倒", fire: "火警", gas: "燃气泄漏", water_leak: "漏水",
    vitals: "生命体征异常", inactivity: "长时间无活动", door: "开门报警", device_offline: "设备离线",
    battery_low: "电量低", valve_failed: "阀门未关闭", link_lost: "网关失联", test: "测试",
  },
  en: {
    sos: "Emergency call", fall: "Fall", fire: "Fire", gas: "Gas leak", water_leak: "Water leak",
    vitals: "Vital signs", inactivity: "Inactivity", door: "Door alarm", device_offline: "Device offline",
    battery_low: "Battery low", valve_failed: "Valve not closed", link_lost: "Gateway lost", test: "Test",
  },
};

const STATUSES = {
  "zh-CN": { new: "新警报", acknowledged: "已确认", dispatched: "已派遣", on_site: "已到场", resolved: "已处理" },
  en: { new: "New", acknowledged: "Acknowledged", dispatched: "Dispatched", on_site: "On site", resolved: "Resolved" },
};

const SEVERITIES = {
  "zh-CN": { critical: "危急", high: "高", normal: "一般", low: "低" },
  en: { critical: "Critical", high: "High", normal: "Normal", low: "Low" },
};

const OUTCOMES = {
  "zh-CN": {
    false_alarm: "误报", advice_by_phone: "电话指导", family_handled: "家属已处理",
    assisted_on_site: "上门协助", ambulance: "已叫救护车", fire_service: "已叫消防",
    police: "已报警", test: "测试", technical: "技术处理", other: "其他",
  },
  en: {
    false_alarm: "False alarm", advice_by_phone: "Advice by phone", family_handled: "Family handled it",
    assisted_on_site: "Assisted on site", ambulance: "Ambulance", fire_service: "Fire service",
    police: "Police", test: "Test", technical: "Technical fix", other: "Other",
  },
};

// Entries of an alarm's log (hub, household and staff).
const ACTIONS = {
  "zh-CN": {
    raised: "触发", repeated: "再次触发", cleared: "已恢复", sirens_on: "警笛已响",
    valve_closed: "阀门已关闭", valve_retry: "重试关阀", family_notified: "已通知家属",
    family_ack: "家属已响应", family_unanswered: "家属未接听", prewarning: "已询问住户",
    cancelled: "住户已取消", acknowledged: "确认", dispatched: "派遣", on_site: "已到场",
    resolved: "处理完毕", note: "备注", escalated: "超时升级", realerted: "未到场再次提醒",
  },
  en: {
    raised: "Raised", repeated: "Triggered again", cleared: "Cleared", sirens_on: "Sirens on",
    valve_closed: "Valve closed", valve_retry: "Valve retry", family_notified: "Family notified",
    family_ack: "Family on the way", family_unanswered: "Family did not answer",
    prewarning: "Resident asked", cancelled: "Cancelled by resident", acknowledged: "Acknowledged",
    dispatched: "Dispatched", on_site: "On site", resolved: "Resolved", note: "Note",
    escalated: "Escalated", realerted: "Re-alert: nobody on site",
  },
};

// Vital signs by LOINC code.
const VITALS = {
  "zh-CN": {
    "8867-4": "心率", "59408-5": "血氧", "2708-6": "血氧", "8480-6": "收缩压", "8462-4": "舒张压",
    "8310-5": "体温", "41653-7": "血糖", "29463-7": "体重", "85354-9": "血压",
  },
  en: {
    "8867-4": "Heart rate", "59408-5": "SpO2", "2708-6": "SpO2", "8480-6": "Systolic",
    "8462-4": "Diastolic", "8310-5": "Temperature", "41653-7": "Glucose", "29463-7": "Weight",
    "85354-9": "Blood pressure",
  },
};

const DEVICE_KINDS = {
  "zh-CN": {
    valve: "燃气阀", gas: "燃气探测器", gas_valve: "燃气阀", smoke: "烟感", water: "水浸探测器",
    water_leak: "水浸探测器", motion: "人体感应", door: "门磁", button: "紧急按钮", sos: "紧急按钮",
    siren: "声光报警器", plug: "智能插座", thermometer: "温湿度计", bed: "床垫传感器",
    fall: "跌倒探测器", watch: "手表", blood_pressure: "血压计", scale: "体重秤", oximeter: "血氧仪",
    glucose: "血糖仪", gateway: "网关", co: "一氧化碳探测器", water_valve: "水阀",
    health_monitor: "健康监测设备",
  },
  en: {
    valve: "Gas valve", gas: "Gas detector", gas_valve: "Gas valve", smoke: "Smoke detector",
    water: "Water sensor", water_leak: "Water sensor", motion: "Motion sensor", door: "Door sensor",
    button: "Panic button", sos: "Panic button", siren: "Siren", plug: "Smart plug",
    thermometer: "Thermometer", bed: "Bed sensor", fall: "Fall detector", watch: "Watch",
    blood_pressure: "Blood pressure monitor", scale: "Scale", oximeter: "Oximeter",
    glucose: "Glucose meter", gateway: "Gateway", co: "CO detector", water_valve: "Water valve",
    health_monitor: "Health monitor",
  },
};

const DEVICE_STATES = {
  "zh-CN": {
    open: "打开", closed: "已关闭", on: "开", off: "关", ok: "正常", alarm: "报警", detected: "检测到",
    clear: "正常", offline: "离线", online: "在线", unavailable: "不可用", unknown: "未知",
    wet: "有水", dry: "干燥", motion: "有人", idle: "空闲",
  },
  en: {
    open: "Open", closed: "Closed", on: "On", off: "Off", ok: "OK", alarm: "Alarm", detected: "Detected",
    clear: "Clear", offline: "Offline", online: "Online", unavailable: "Unavailable", unknown: "Unknown",
    wet: "Wet", dry: "Dry", motion: "Motion", idle: "Idle",
  },
};

// What "on"/"off" mean depends on the device: a detector that is "on" is alarming.
const DETECTOR_STATES = {
  "zh-CN": { on: "报警", off: "正常" },
  en: { on: "Alarm", off: "OK" },
};
const DOOR_STATES = {
  "zh-CN": { on: "打开", off: "关闭" },
  en: { on: "Open", off: "Closed" },
};
const MOTION_STATES = {
  "zh-CN": { on: "有活动", off: "无活动" },
  en: { on: "Motion", off: "No motion" },
};
export const DETECTOR_KINDS = new Set(["smoke", "gas", "co", "water_leak", "water", "sos", "fall", "button"]);

const ROLES = {
  "zh-CN": { dispatcher: "调度员", supervisor: "主管", admin: "管理员", family: "家属" },
  en: { dispatcher: "Dispatcher", supervisor: "Supervisor", admin: "Administrator", family: "Family" },
};

const TEXT = {
  "zh-CN": {
    title: "调度台", switchTo: "English", logout: "退出登录", enableSound: "启用声音",
    soundOn: "声音已开启", skip: "跳到警报详情", clock: "当前时间",
    open: "已连接", connecting: "连接中…", closed: "连接中断，正在重连…",
    queue: "待处理警报", queueCount: "共 {n} 条待处理", empty: "暂无警报",
    laneEmergency: "警报 · 60 秒内应答", laneWork: "工单 · 设备与网络", laneEmpty: "无", keysHint: "切换警报",
    waiting: "等待", times: "次触发", cleared: "已恢复", eta: "预计 {n} 分钟",
    noSelection: "请从左侧选择一条警报", loading: "加载中…", loadFailed: "无法加载警报详情：{e}",
    waitingFor: "已等待", statusLabel: "状态", severityLabel: "级别",
    building: "楼栋", unit: "单元", gridArea: "网格", householdNotes: "备注",
    residents: "住户", noResidents: "未登记住户", age: "{n} 岁", conditions: "病史",
    medications: "用药", allergies: "过敏", mobility: "行动能力", noAllergies: "无已知过敏",
    contacts: "紧急联系人（按呼叫顺序）", noContacts: "未登记联系人", call: "拨打 {name}",
    vitals: "生命体征（近 7 天）", noVitals: "近 7 天无测量数据", chartUnavailable: "图表不可用",
    thresholdLow: "下限", thresholdHigh: "上限", outOfRange: "超出范围",
    devices: "设备", noDevices: "无设备信息", battery: "电量", lastSeen: "最后在线", deviceState: "状态",
    device: "设备", valveOpenDuringGas: "燃气报警时阀门仍打开！",
    events: "本次警报记录", noEvents: "暂无记录", history: "该户历史警报", noHistory: "无历史警报",
    receivedAt: "接收时间", resolvedAt: "处理时间", outcome: "结果", kind: "类型",
    steps: "处理步骤", stepAcknowledged: "确认", stepDispatched: "派遣", stepOnSite: "已到场",
    stepResolved: "处理完毕", stepNote: "备注", shortcut: "快捷键 {k}",
    dispatchTitle: "派遣人员", responder: "派遣人员", etaMinutes: "预计到达（分钟）",
    resolveTitle: "处理完毕", outcomeChoose: "请选择结果", note: "备注", noteTitle: "添加备注",
    submit: "确定", cancel: "取消", dismiss: "关闭",
    stepFailed: "操作失败：{e}", networkError: "无法连接服务器，请重试",
    escalatedUnack: "已超时 60 秒未确认，已通知主管", escalatedNotOnSite: "派遣 30 分钟后仍未到场",
    supervisorTitle: "需主管关注的超时警报", newCritical: "新紧急警报：{kind}，{household}",
    missedTitle: "断线期间", missedSummary: "断线期间：新增 {n} 条，已处理 {m} 条",
    ago: "{t} 前", justNow: "刚刚", minutes: "{n} 分钟", by: "{who}",
    responderEta: "{who}，预计 {n} 分钟",
    actorHome: "家中网关", actorHub: "系统", source: "来源",
    refusedResolved: "该警报已处理完毕", refusedAlready: "该警报已是“{status}”状态",
    refusedOnSite: "需先派遣人员，才能标记已到场", refusedOutcome: "请选择处理结果",
    responderRequired: "请填写派遣人员", etaInvalid: "预计到达时间须为 0–1440 分钟",
    outcomeRequired: "请选择处理结果", noteRequired: "请填写备注",
    errors: {
      step_refused: "该步骤不可执行", bad_request: "输入有误", forbidden: "无权限", csrf: "会话已过期，请刷新",
      not_found: "警报不存在", login_required: "请重新登录", too_many_requests: "请求过多，请稍后再试",
    },
  },
  en: {
    title: "Dispatch", switchTo: "中文", logout: "Sign out", enableSound: "Enable sound",
    soundOn: "Sound on", skip: "Skip to alarm details", clock: "Current time",
    open: "Connected", connecting: "Connecting…", closed: "Connection lost, reconnecting…",
    queue: "Open alarms", queueCount: "{n} open", empty: "No open alarms",
    laneEmergency: "Alarms · answer within 60 s", laneWork: "Work items · devices and links", laneEmpty: "None", keysHint: "move between alarms",
    waiting: "waiting", times: "triggers", cleared: "Cleared", eta: "ETA {n} min",
    noSelection: "Select an alarm from the queue", loading: "Loading…", loadFailed: "Cannot load the alarm: {e}",
    waitingFor: "Waiting", statusLabel: "Status", severityLabel: "Severity",
    building: "Building", unit: "Unit", gridArea: "Grid", householdNotes: "Notes",
    residents: "Residents", noResidents: "No residents registered", age: "age {n}", conditions: "Conditions",
    medications: "Medications", allergies: "Allergies", mobility: "Mobility", noAllergies: "No known allergies",
    contacts: "Contacts (calling order)", noContacts: "No contacts registered", call: "Call {name}",
    vitals: "Vital signs (7 days)", noVitals: "No measurements in the last 7 days",
    chartUnavailable: "Chart unavailable", thresholdLow: "low", thresholdHigh: "high", outOfRange: "out of range",
    devices: "Devices", noDevices: "No device reports", battery: "Battery", lastSeen: "Last seen",
    deviceState: "State", device: "Device", valveOpenDuringGas: "Valve still open during a gas alarm!",
    events: "This alarm's log", noEvents: "No entries yet", history: "Household history", noHistory: "No earlier alarms",
    receivedAt: "Received", resolvedAt: "Resolved", outcome: "Outcome", kind: "Kind",
    steps: "Steps", stepAcknowledged: "Acknowledge", stepDispatched: "Dispatch", stepOnSite: "On site",
    stepResolved: "Resolve", stepNote: "Note", shortcut: "Shortcut {k}",
    dispatchTitle: "Dispatch a responder", responder: "Responder", etaMinutes: "ETA (minutes)",
    resolveTitle: "Resolve", outcomeChoose: "Choose an outcome", note: "Note", noteTitle: "Add a note",
    submit: "OK", cancel: "Cancel", dismiss: "Dismiss",
    stepFailed: "Step failed: {e}", networkError: "Cannot reach the server; try again",
    escalatedUnack: "Unacknowledged for 60 s — supervisor notified",
    escalatedNotOnSite: "Nobody on site 30 min after dispatch",
    supervisorTitle: "Escalated alarms needing a supervisor", newCritical: "New emergency: {kind}, {household}",
    missedTitle: "While disconnected", missedSummary: "While disconnected: {n} new, {m} resolved",
    ago: "{t} ago", justNow: "just now", minutes: "{n} min", by: "{who}",
    responderEta: "{who}, ETA {n} min",
    actorHome: "Home gateway", actorHub: "Hub", source: "source",
    refusedResolved: "This alarm is resolved already", refusedAlready: "This alarm is {status} already",
    refusedOnSite: "Dispatch someone before marking them on site", refusedOutcome: "Choose an outcome",
    responderRequired: "Enter who is going", etaInvalid: "ETA must be 0–1440 minutes",
    outcomeRequired: "Choose an outcome", noteRequired: "Enter a note",
    errors: {
      step_refused: "This step is not allowed", bad_request: "Invalid input", forbidden: "Not allowed",
      csrf: "Session expired; reload the page", not_found: "Alarm not found", login_required: "Sign in again",
      too_many_requests: "Too many requests; wait a moment",
    },
  },
};

const TABLES = {
  kinds: KINDS, statuses: STATUSES, severities: SEVERITIES, outcomes: OUTCOMES, actions: ACTIONS,
  vitals: VITALS, deviceKinds: DEVICE_KINDS, deviceStates: DEVICE_STATES, roles: ROLES,
};

export const LANGUAGES = ["zh-CN", "en"];
export const OUTCOME_CODES = Object.keys(OUTCOMES.en);

let language = LANGUAGES.includes(localStorage.getItem(STORAGE_KEY)) ? localStorage.getItem(STORAGE_KEY) : "zh-CN";

export function currentLanguage() { return language; }

export function toggleLanguage() {
  language = language === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem(STORAGE_KEY, language);
  return language;
}

/** A sentence, with {name} placeholders filled in. Extra page tables come in via `extend`. */
export function t(key, values = {}) {
  const template = TEXT[language][key] ?? TEXT.en[key] ?? key;
  return String(template).replace(/\{(\w+)\}/g, (match, name) => (name in values ? values[name] : match));
}

/** A word of one of the tables (kinds, statuses, outcomes, ...): falls back to the code. */
export function word(table, code) {
  if (code === null || code === undefined || code === "") return "";
  return TABLES[table][language][code] ?? TABLES[table].en[code] ?? String(code);
}

/** A device's state in words that fit its kind. */
export function deviceState(kind, state) {
  if (state === null || state === undefined || state === "") return "";
  const table = DETECTOR_KINDS.has(kind) ? DETECTOR_STATES : kind === "door" ? DOOR_STATES : kind === "motion" ? MOTION_STATES : null;
  return table?.[language]?.[state] ?? word("deviceStates", state);
}

export function errorText(code) {
  return TEXT[language].errors[code] ?? code;
}

/** Merge a page's own sentences into both languages. */
export function extend(more) {
  for (const lang of LANGUAGES) Object.assign(TEXT[lang], more[lang]);
}

/** Fill every [data-i18n] element and the document's language. */
export function applyStatic(root = document) {
  document.documentElement.lang = language;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
}

/** The language switch shows the other language, in that language. */
export function renderSwitch(button) {
  button.textContent = t("switchTo");
  button.lang = language === "zh-CN" ? "en" : "zh-CN";
}

const TIME = {};
function formatter(kind) {
  const key = `${language}:${kind}`;
  if (!TIME[key]) {
    const options = kind === "time" ? { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }
      : kind === "short" ? { hour: "2-digit", minute: "2-digit", hour12: false }
        : { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
    TIME[key] = new Intl.DateTimeFormat(language, options);
  }
  return TIME[key];
}

/** Today: 14:03:27; earlier: 11/19 08:15 (local time). */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return formatter(sameDay ? "time" : "date").format(date);
}

/** Today: 14:03; earlier: 11/19 08:15. */
export function formatWhen(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  return formatter(sameDay ? "short" : "date").format(date);
}

export function formatClock(date) { return formatter("time").format(date); }
export function formatShort(date) { return formatter("short").format(date); }

/** mm:ss (h:mm:ss past an hour) of a duration in seconds. */
export function formatDuration(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** "5 分钟前" / "5 min ago" for times in the past. */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = (now - Date.parse(iso)) / 1000;
  if (!(seconds >= 0)) return formatWhen(iso);
  if (seconds < 60) return t("justNow");
  if (seconds < 3600) return t("ago", { t: t("minutes", { n: Math.floor(seconds / 60) }) });
  return formatWhen(iso);
}
