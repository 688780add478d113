// The family page's life services (issue 20): the household's open and past requests (what,
// when, how far the care center got, who is coming and when), a cancel with a reason on an
// open one, and a confirm-and-rate (1-5 stars, a comment) on a completed one.
// The list is read from the hub on every (re)connect of the live feed and after every
// "service" message the feed pushes, so it is right with or without the push.

import { api } from "./api.js";
import { el } from "./dom.js";
import { currentLanguage, formatWhen, t } from "./i18n.js";
import {
  cancelledByText, serviceNameText, serviceRefusalText, serviceStatusText, serviceWindowText,
} from "./family-text.js";

const LIST = "/api/v1/family/services";
const CATALOGUE = "/api/v1/services/catalogue";
const STARS = [1, 2, 3, 4, 5];

const requests = new Map(); // id -> request, the family's view
let names = null; // service -> {zh, en}, the hub's catalogue
let state = "loading"; // "loading", "ready", "failed" (nothing read yet)
let reading = 0; // the newest read: an older answer that comes late is dropped
// What the family is doing: one form open at a time, its text kept across re-renders.
const draft = { cancel: null, reason: "", rate: null, stars: 0, comment: "", busy: null, error: null };
let changed = () => {};
let drawn = "";
let errorShown = false; // this drawing put the refusal beside its form

/** `onChange()` is called whenever the section needs drawing again. */
export function startServices(onChange) {
  changed = onChange;
}

/** Read the household's requests again (on a (re)connect, after a push, after an action). */
export async function refreshServices() {
  const mine = ++reading;
  try {
    if (!names) {
      const catalogue = await api(CATALOGUE);
      names = Object.fromEntries(catalogue.services.map((s) => [s.service, { zh: s.zh, en: s.en }]));
    }
    const answer = await api(LIST);
    if (mine !== reading) return;
    requests.clear();
    for (const request of [...answer.open, ...answer.past]) requests.set(request.id, request);
    state = "ready";
  } catch {
    if (mine === reading && state !== "ready") state = "failed";
  }
  changed();
}

/** The feed's `{"type": "service", "request": {...}}`: shown at once, then read again. */
export function serviceMessage(message) {
  const { type, ...rest } = message;
  const request = message.request || rest;
  if (request && request.id) requests.set(request.id, { ...requests.get(request.id), ...request });
  changed();
  refreshServices();
}

function byNewest(a, b) { return b.requested_at.localeCompare(a.requested_at); }

/** Draws the section into #open-services and #past-services (only when something changed, so
 * a form being filled in keeps its focus). */
export function renderServices() {
  const signature = JSON.stringify([currentLanguage(), state, [...requests.values()], { ...draft, reason: "", comment: "" }]);
  if (signature === drawn) return;
  drawn = signature;
  const open = document.getElementById("open-services");
  const past = document.getElementById("past-services");
  if (state !== "ready") {
    const text = state === "failed" ? t("servicesUnavailable") : t("servicesLoading");
    open.replaceChildren(el("p", { className: "muted" }, text));
    past.replaceChildren();
    return;
  }
  const all = [...requests.values()].sort(byNewest);
  const opened = all.filter((request) => request.open);
  const closed = all.filter((request) => !request.open);
  errorShown = false;
  const cards = opened.length ? opened.map(openCard) : [el("p", { className: "muted" }, t("noOpenServices"))];
  past.replaceChildren(...(closed.length ? closed.map(pastCard) : [el("p", { className: "muted" }, t("noPastServices"))]));
  // A refusal whose form is gone (the request closed meanwhile) is said above the list.
  const notice = draft.error && !errorShown ? el("p", { className: "form-error services-notice", role: "alert" }, draft.error) : null;
  open.replaceChildren(...[notice, ...cards].filter(Boolean));
}

function head(request) {
  return el("div", { className: "service-head" },
    el("h3", { className: "service-name" }, serviceNameText(names, request.service)),
    el("p", { className: "service-when" }, t("serviceAsked", { t: formatWhen(request.requested_at) }),
      request.count > 1 ? ` · ${t("serviceCount", { n: request.count })}` : ""),
    request.note ? el("p", { className: "service-note" }, t("serviceNote", { note: request.note })) : null);
}

function openCard(request) {
  const booked = request.status === "assigned" || request.status === "arrived";
  return el("article", { className: "service", dataset: { requestId: request.id, status: request.status } },
    head(request),
    el("div", { className: "service-coming", dataset: { status: request.status } },
      el("p", { className: "service-status" }, serviceStatusText(request.status)),
      el("p", { className: "coming-label" }, t("whoServes")),
      el("p", { className: "service-provider" }, booked && request.provider_name ? request.provider_name : t("notAssignedYet")),
      booked && serviceWindowText(request) ? el("p", { className: "service-window" }, serviceWindowText(request)) : null),
    draft.cancel === request.id ? cancelForm(request) : el("button", {
      type: "button", className: "service-cancel", disabled: draft.busy !== null,
      onclick: () => { Object.assign(draft, { cancel: request.id, rate: null, reason: "", error: null }); changed(); },
    }, t("cancelRequest")));
}

function pastCard(request) {
  const completed = request.status === "completed";
  const when = completed ? t("serviceDone", { t: formatWhen(request.completed_at) })
    : t("serviceCancelledAt", { t: formatWhen(request.cancelled_at) });
  return el("article", { className: "service past", dataset: { requestId: request.id, status: request.status } },
    head(request),
    el("div", { className: "service-outcome" },
      el("p", { className: "service-status" }, serviceStatusText(request.status), " · ", when),
      completed && request.provider_name ? el("p", { className: "service-provider" }, request.provider_name) : null,
      !completed ? el("p", { className: "service-cancelled" }, t("cancelShown", { who: cancelledByText(request.cancelled_by), reason: request.cancel_reason || "" })) : null,
      completed && request.rating ? el("p", { className: "service-rating" },
        el("span", { className: "stars-shown", "aria-hidden": "true" }, "★".repeat(request.rating) + "☆".repeat(5 - request.rating)), " ",
        t("yourRating", { n: request.rating }),
        request.rating_comment ? el("span", { className: "rating-comment" }, ` · ${request.rating_comment}`) : null) : null),
    completed && !request.rating ? rateForm(request) : null);
}

function cancelForm(request) {
  const reason = el("textarea", { className: "cancel-reason", rows: 2, maxLength: 200, "aria-required": "true", "aria-label": t("cancelReason"), placeholder: t("cancelReason") });
  reason.value = draft.reason;
  reason.addEventListener("input", () => { draft.reason = reason.value; });
  queueMicrotask(() => reason.focus());
  return el("form", { className: "service-form cancel-form", onsubmit: (event) => {
    event.preventDefault();
    if (!draft.reason.trim()) return fail(t("needReason"));
    act(request, "cancel", { reason: draft.reason.trim() });
  } },
  el("label", { className: "form-label" }, t("cancelReason")), reason,
  errorLine(),
  el("div", { className: "form-buttons" },
    el("button", { type: "submit", className: "danger", disabled: draft.busy !== null }, t("cancelSubmit")),
    el("button", { type: "button", onclick: () => { Object.assign(draft, { cancel: null, error: null }); changed(); } }, t("keepRequest"))));
}

function rateForm(request) {
  const mine = draft.rate === request.id;
  const chosen = mine ? draft.stars : 0;
  const comment = el("textarea", { className: "rating-comment-input", rows: 2, maxLength: 200, "aria-label": t("ratingComment"), placeholder: t("ratingComment") });
  comment.value = mine ? draft.comment : "";
  comment.addEventListener("input", () => { claim(request); draft.comment = comment.value; });
  return el("form", { className: "service-form rate-form", onsubmit: (event) => {
    event.preventDefault();
    claim(request);
    if (!draft.stars) return fail(t("needStars"));
    act(request, "confirm", { rating: draft.stars, comment: draft.comment.trim() });
  } },
  el("p", { className: "form-label" }, t("confirmRate")),
  el("div", { className: "stars", role: "group", "aria-label": t("confirmRate") }, STARS.map((n) => el("button", {
    type: "button", className: "star", dataset: { stars: String(n) }, "aria-pressed": String(n <= chosen), "aria-label": t("starsLabel", { n }),
    onclick: () => { claim(request); draft.stars = n; draft.error = null; changed(); },
  }, n <= chosen ? "★" : "☆"))),
  comment,
  mine ? errorLine() : null,
  el("div", { className: "form-buttons" },
    el("button", { type: "submit", className: "primary", disabled: draft.busy !== null }, t("confirmSubmit"))));
}

/** The rating form of this request is the one being filled in. */
function claim(request) {
  if (draft.rate === request.id) return;
  Object.assign(draft, { rate: request.id, cancel: null, stars: 0, comment: "", error: null });
}

function errorLine() {
  if (!draft.error) return null;
  errorShown = true;
  return el("p", { className: "form-error", role: "alert" }, draft.error);
}

function fail(text) {
  draft.error = text;
  changed();
}

async function act(request, verb, body) {
  draft.busy = request.id;
  draft.error = null;
  changed();
  try {
    const answer = await api(`${LIST}/${encodeURIComponent(request.id)}/${verb}`, { method: "POST", body });
    requests.set(answer.request.id, answer.request);
    Object.assign(draft, { cancel: null, rate: null, reason: "", stars: 0, comment: "" });
  } catch (error) {
    draft.error = serviceRefusalText(error.code);
  } finally {
    draft.busy = null;
    changed();
  }
  refreshServices();
}
