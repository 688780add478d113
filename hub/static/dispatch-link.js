// Whether the screen is live. A screen that lost the hub must not look like a quiet shift: the
// whole screen says it is not live and since when, the queue is marked stale and never claims
// there are no alarms, and after a short grace period (a reconnect usually takes a moment) the
// screen sounds, and again every half minute, until it is live again.

import { delayText } from "./dispatch-words.js";
import { extend, t } from "./i18n.js";
import { play } from "./sound.js";

extend({
  "zh-CN": {
    linkLostTitle: "⚠ 与服务器的连接已中断，此屏幕不是实时的",
    linkLostBody: "新警报不会显示，显示的内容可能已过时。正在重连…",
    lastUpdated: "最后更新：{d}前", neverUpdated: "尚未收到服务器数据",
    queueUnknown: "未知：未连接服务器，无法显示当前警报", queueLoading: "正在加载警报…", laneUnknown: "未知",
    titleLinkLost: "⚠ 连接中断",
  },
  en: {
    linkLostTitle: "⚠ Connection to the server lost: this screen is not live",
    linkLostBody: "New alarms will not appear, and what it shows may be out of date. Reconnecting…",
    lastUpdated: "Last updated {d} ago", neverUpdated: "No data from the server yet",
    queueUnknown: "Unknown: not connected, so open alarms cannot be shown", queueLoading: "Loading alarms…",
    laneUnknown: "Unknown", titleLinkLost: "⚠ Disconnected",
  },
});

export const SOUND_AFTER_MS = 10000; // a blip (the hub restarting) is not worth a sound
const SOUND_EVERY_MS = 30000;
const FIRST_CONNECT_MS = 3000; // a page that cannot reach the hub at all says so after this

const link = {
  live: false, // connected and holding a snapshot
  everLive: false,
  startedAt: Date.now(),
  lostAt: Date.now(), // when it stopped being live (browser time)
  soundedAt: 0,
};

/** The live feed delivered a snapshot: the screen shows the hub's queue again. */
export function linkLive() {
  link.live = true;
  link.everLive = true;
  link.soundedAt = 0;
}

/** The live feed closed, or went silent: nothing the screen shows is current any more. */
export function linkLost() {
  if (link.live) link.lostAt = Date.now();
  link.live = false;
}

export function isLive() {
  return link.live;
}

/** "live", "loading" (first connect, briefly) or "lost". */
export function linkState() {
  if (link.live) return "live";
  return !link.everLive && Date.now() - link.startedAt < FIRST_CONNECT_MS ? "loading" : "lost";
}

/** What the queue says when it has no alarm to show. */
export function emptyQueueText() {
  return { live: t("empty"), loading: t("queueLoading"), lost: t("queueUnknown") }[linkState()];
}

export function laneEmptyText() {
  return linkState() === "live" ? t("laneEmpty") : t("laneUnknown");
}

/** The banner, the stale queue and the sound; once a second and on every change.
 * `lastMessageAt`: server time (ms) of the newest message, 0 for none; `now`: server time. */
export function renderLink(lastMessageAt, now) {
  const state = linkState();
  document.body.dataset.link = state;
  const banner = document.getElementById("link-lost");
  const stale = document.getElementById("queue-stale");
  const since = lastMessageAt
    ? t("lastUpdated", { d: delayText(Math.max(0, Math.floor((now - lastMessageAt) / 1000))) })
    : t("neverUpdated");
  banner.hidden = state !== "lost";
  stale.hidden = state !== "lost";
  if (state === "lost") {
    setText(banner.querySelector(".link-lost-title"), t("linkLostTitle"));
    setText(banner.querySelector(".link-lost-body"), t("linkLostBody"));
    setText(banner.querySelector(".link-lost-since"), since);
    setText(stale, since);
    const lostFor = Date.now() - (link.everLive ? link.lostAt : link.startedAt);
    // Blocked audio (no click on the page yet) is tried again on the next tick.
    if (lostFor >= SOUND_AFTER_MS && Date.now() - link.soundedAt >= SOUND_EVERY_MS && play("offline")) {
      link.soundedAt = Date.now();
    }
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
