// The family page's live feed: one WebSocket to the hub (the same mechanism as the dispatch
// screen's), a fresh snapshot on every (re)connect, reconnects with a short backoff, and an
// honest state: "connecting" (nothing yet), "live", or "lost". A socket the browser still
// calls open but that has not heard the hub for SILENT_MS (a quiet hub says "keepalive" every
// 10 s) is lost too.

import { sessionEnded, signInAgain } from "./api.js";

const LIVE_PATH = "/api/v1/family/live";
const SESSION_ENDED = 4401;
const BEHIND = 1013;
const SILENT_MS = 25000;
const MAX_DELAY_MS = 5000;

/** Start the feed. `onMessage(message)` for every message; `onState(state)` when the state
 * changes. Returns {state, confirmedAt, reconnectNow, stop}: `confirmedAt` is when the page
 * last knew it was current (ms, this browser's clock), 0 before the first snapshot. */
export function openFeed({ onMessage, onState }) {
  let socket = null;
  let attempt = 0;
  let retry = null;
  let state = "connecting";
  let confirmedAt = 0;
  let stopped = false;

  function setState(next) {
    if (next === state) return;
    state = next;
    onState(state);
  }

  function connect() {
    clearTimeout(retry);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const current = new WebSocket(`${scheme}://${location.host}${LIVE_PATH}`);
    socket = current;
    current.onmessage = (event) => {
      if (current !== socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      confirmedAt = Date.now();
      if (message.type === "snapshot") attempt = 0;
      onMessage(message);
      if (message.type === "snapshot") setState("live");
    };
    current.onclose = (event) => {
      // A clean close from the hub comes after everything it had to send.
      if (current === socket && state === "live" && event.wasClean) confirmedAt = Date.now();
      lost(current, event.code);
    };
  }

  async function lost(which, code) {
    if (which !== socket || stopped) return;
    socket = null;
    setState("lost");
    if (code === SESSION_ENDED || await sessionEnded()) {
      signInAgain();
      return;
    }
    if (socket || stopped) return; // reconnected meanwhile (a click, the tab shown again)
    const delay = code === BEHIND ? 100 : Math.min(MAX_DELAY_MS, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    retry = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (stopped || (socket && state === "live")) return;
    attempt = 0;
    const old = socket;
    socket = null;
    old?.close();
    connect();
  }

  // A feed that went quiet is dead, whatever the socket says.
  function checkSilence() {
    if (socket && state === "live" && Date.now() - confirmedAt > SILENT_MS) {
      const dead = socket;
      dead.close();
      lost(dead, 1006);
    }
  }
  const watchdog = setInterval(checkSilence, 1000);

  // A phone wakes the page after its timers and socket slept: check at once, not in a second.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    checkSilence();
    reconnectNow();
  });
  window.addEventListener("online", reconnectNow);
  connect();

  return {
    get state() { return state; },
    get confirmedAt() { return confirmedAt; },
    reconnectNow,
    stop() {
      stopped = true;
      clearInterval(watchdog);
      clearTimeout(retry);
      socket?.close(1000);
    },
  };
}
