// The dispatch screen's way to the work-order page (life services): a link with the count of
// open work orders, polled. Work orders never enter the alarm queue or its feed.

import { api } from "./api.js";
import { extend } from "./i18n.js";

extend({
  "zh-CN": { servicesLink: "生活服务工单" },
  en: { servicesLink: "Service work orders" },
});

const POLL_MS = 15000;

async function refresh(count) {
  try {
    const answer = await api("/api/v1/services/requests?open=1&limit=1000");
    count.textContent = answer.requests.length ? `(${answer.requests.length})` : "";
  } catch {
    // The hub is down or the session ended: the alarm feed says so; the count waits.
  }
}

export function setUpServicesLink() {
  const count = document.getElementById("services-count");
  if (!count) return;
  refresh(count);
  setInterval(() => refresh(count), POLL_MS);
}
