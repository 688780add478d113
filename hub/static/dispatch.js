// Dispatch screen: the live alarm queue. zh-CN by default, English on request.
"use strict";

const TEXT = {
  "zh-CN": {
    title: "调度台", queue: "待处理警报", empty: "暂无警报", switchTo: "English",
    open: "已连接", connecting: "连接中…", closed: "连接中断，正在重连…",
    waiting: "等待", times: "次触发", cleared: "已恢复",
    actions: { family_ack: "家属已响应", family_unanswered: "家属未接听", cancelled: "住户已取消",
               valve_closed: "阀门已关闭", sirens_on: "警笛已响" },
    kinds: { sos: "紧急呼叫", fall: "跌倒", fire: "火警", gas: "燃气泄漏", water_leak: "漏水",
             vitals: "生命体征异常", inactivity: "长时间无活动", door: "门磁", device_offline: "设备离线",
             battery_low: "电量低", valve_failed: "阀门未关闭", link_lost: "网关失联", test: "测试" },
  },
  en: {
    title: "Dispatch", queue: "Open alarms", empty: "No open alarms", switchTo: "中文",
    open: "Connected", connecting: "Connecting…", closed: "Connection lost, reconnecting…",
    waiting: "waiting", times: "triggers", cleared: "Cleared",
    actions: { family_ack: "Family on the way", family_unanswered: "Family did not answer",
               cancelled: "Cancelled by resident", valve_closed: "Valve closed", sirens_on: "Sirens on" },
    kinds: { sos: "Emergency call", fall: "Fall", fire: "Fire", gas: "Gas leak", water_leak: "Water leak",
             vitals: "Vital signs", inactivity: "Inactivity", door: "Door", device_offline: "Device offline",
             battery_low: "Battery low", valve_failed: "Valve not closed", link_lost: "Gateway lost", test: "Test" },
  },
};

const SEVERITY_ORDER = { critical: 0, high: 1, normal: 2, low: 3 };
const alarms = new Map();
let language = localStorage.getItem("dispatch.language") || "zh-CN";
let connectionState = "connecting";

function t(key) { return TEXT[language][key]; }

function waitingText(receivedAt) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(receivedAt)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

function card(alarm) {
  const item = document.createElement("li");
  item.className = "alarm";
  item.dataset.alarmId = alarm.id;
  item.dataset.severity = alarm.severity;
  item.dataset.kind = alarm.kind;
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = TEXT[language].kinds[alarm.kind] || alarm.kind;
  const waiting = document.createElement("span");
  waiting.className = "waiting";
  waiting.dataset.receivedAt = alarm.received_at;
  waiting.title = t("waiting");
  waiting.textContent = waitingText(alarm.received_at);
  const household = document.createElement("span");
  household.className = "household";
  household.textContent = alarm.household_name;
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = alarm.count > 1 ? `×${alarm.count} ${t("times")}` : "";
  const address = document.createElement("span");
  address.className = "address";
  address.textContent = alarm.address;
  // What the household reported since: the alarm stays open for staff either way.
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = [TEXT[language].actions[alarm.last_action], alarm.cleared_at ? t("cleared") : null]
    .filter(Boolean).join(" · ");
  if (alarm.cleared_at) item.dataset.cleared = "";
  item.append(kind, waiting, household, count, address, state);
  return item;
}

function render() {
  document.documentElement.lang = language;
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.title = `${t("title")} · Eldercare`;
  document.getElementById("language").textContent = t("switchTo");
  const status = document.getElementById("connection");
  status.dataset.state = connectionState;
  status.textContent = t(connectionState);
  const sorted = [...alarms.values()].sort((a, b) =>
    (SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]) || a.received_at.localeCompare(b.received_at));
  document.getElementById("alarms").replaceChildren(...sorted.map(card));
  document.getElementById("empty").hidden = sorted.length > 0;
}

function beep() {
  // Browsers only play audio after the dispatcher has interacted with the page once.
  try {
    const context = new AudioContext();
    const tone = context.createOscillator();
    tone.frequency.value = 880;
    tone.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.4);
  } catch (error) { /* no audio device: the card is still shown */ }
}

// The hub answers, but not for this session (ended, expired, account disabled): sign in
// again rather than retry forever. A hub that is down is not a sign-out.
async function signedOut() {
  try {
    const response = await fetch("/api/v1/me");
    return response.status === 401;
  } catch (error) {
    return false;
  }
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/dispatch/live`);
  socket.onopen = () => { attempt = 0; connectionState = "open"; render(); };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") {
      alarms.clear();
      message.alarms.forEach((alarm) => alarms.set(alarm.id, alarm));
    } else if (message.type === "alarm") {
      const isNew = !alarms.has(message.alarm.id);
      if (message.alarm.status === "resolved") alarms.delete(message.alarm.id);
      else alarms.set(message.alarm.id, message.alarm);
      if (isNew && message.alarm.severity === "critical") beep();
    }
    render();
  };
  socket.onclose = async () => {
    connectionState = "closed";
    render();
    if (await signedOut()) {
      location.assign("/login?next=/dispatch");
      return;
    }
    const delay = Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random());
    setTimeout(() => connect(attempt + 1), delay);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("language").addEventListener("click", () => {
    language = language === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("dispatch.language", language);
    render();
  });
  setInterval(() => {
    document.querySelectorAll(".waiting").forEach((node) => { node.textContent = waitingText(node.dataset.receivedAt); });
  }, 1000);
  render();
  connect();
});
