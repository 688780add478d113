// The dispatcher's steps on an alarm (buttons, shortcuts and their dialogs), sent to
// POST /api/v1/alarms/{id}/steps (or /notes) with the session's CSRF token.

import { ApiError, api } from "./api.js";
import { alarmTitle } from "./dispatch-words.js";
import { OUTCOME_CODES, currentLanguage, errorText, t, word } from "./i18n.js";

const ORDER = { new: 0, acknowledged: 1, dispatched: 2, on_site: 3, resolved: 4 };
const RESPONDERS_KEY = "dispatch.responders";

/** Whether the step fits the alarm's status (the hub checks again): forward only, dispatching
 * acknowledges too, on site needs a dispatch, resolving needs an outcome (asked for). */
export function stepAllowed(status, step) {
  if (!status || status === "resolved") return false;
  if (step === "note") return true;
  if (ORDER[step] <= ORDER[status]) return false;
  if (step === "on_site") return status === "dispatched";
  return true;
}

/** Why a step is not possible now, for the alert region and the button's tooltip. */
export function refusalText(status, step) {
  if (!status) return t("noSelection");
  if (status === "resolved") return t("refusedResolved");
  if (step === "on_site" && status !== "on_site" && ORDER[status] < ORDER.dispatched) return t("refusedOnSite");
  return t("refusedAlready", { status: word("statuses", status) });
}

/** The hub's refusal (English, for people) in the screen's language where it is a known one. */
export function refusalMessage(error) {
  const message = error.serverMessage || "";
  const already = message.match(/^this alarm is (\w+) already$/);
  if (message === "this alarm is resolved already") return t("refusedResolved");
  if (already) return t("refusedAlready", { status: word("statuses", already[1]) });
  if (message.startsWith("dispatch someone")) return t("refusedOnSite");
  if (message.startsWith("choose an outcome")) return t("refusedOutcome");
  // Any other refusal is the hub's English for people: shown as it is only in English.
  if (message && currentLanguage() === "en") return message;
  return errorText(error.code);
}

function recentResponders() {
  try {
    const stored = JSON.parse(localStorage.getItem(RESPONDERS_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter((name) => typeof name === "string").slice(0, 12) : [];
  } catch {
    return [];
  }
}

function rememberResponder(name) {
  const names = [name, ...recentResponders().filter((known) => known !== name)].slice(0, 12);
  localStorage.setItem(RESPONDERS_KEY, JSON.stringify(names));
}

/**
 * `current()` is the selected alarm (or null); `done(alarm)` takes the hub's answer;
 * `refused(text)` shows why a step did not happen.
 */
export function setUpSteps({ current, done, refused }) {
  const dialogs = {
    dispatched: document.getElementById("dispatch-dialog"),
    resolved: document.getElementById("resolve-dialog"),
    note: document.getElementById("note-dialog"),
  };
  let busy = false;

  async function send(alarm, step, body) {
    if (busy) return false;
    busy = true;
    document.body.dataset.busy = "true";
    try {
      const path = step === "note" ? `/api/v1/alarms/${encodeURIComponent(alarm.id)}/notes`
        : `/api/v1/alarms/${encodeURIComponent(alarm.id)}/steps`;
      const answer = await api(path, { method: "POST", body: step === "note" ? body : { step, ...body } });
      done(answer.alarm);
      return true;
    } catch (error) {
      const text = error instanceof ApiError ? refusalMessage(error) : t("networkError");
      refused(text);
      return text;
    } finally {
      busy = false;
      delete document.body.dataset.busy;
    }
  }

  function open(step, alarm) {
    const dialog = dialogs[step];
    const form = dialog.querySelector("form");
    form.reset();
    form.dataset.alarmId = alarm.id;
    dialog.querySelector(".dialog-alarm").textContent = `${alarmTitle(alarm)} · ${alarm.household_name}`;
    dialog.querySelector(".dialog-error").textContent = "";
    if (step === "dispatched") {
      document.getElementById("responders").replaceChildren(
        ...recentResponders().map((name) => Object.assign(document.createElement("option"), { value: name })));
    }
    if (step === "resolved") fillOutcomes();
    dialog.showModal();
    dialog.querySelector("input, select").focus();
  }

  function fillOutcomes() {
    const select = document.getElementById("outcome");
    const chosen = select.value;
    const placeholder = Object.assign(document.createElement("option"), { value: "", textContent: t("outcomeChoose") });
    select.replaceChildren(placeholder, ...OUTCOME_CODES.map((code) =>
      Object.assign(document.createElement("option"), { value: code, textContent: word("outcomes", code) })));
    select.value = chosen;
  }

  async function submit(step, event) {
    event.preventDefault();
    const dialog = dialogs[step];
    const form = event.currentTarget;
    const error = dialog.querySelector(".dialog-error");
    const alarm = current(form.dataset.alarmId);
    if (!alarm) {
      dialog.close();
      return;
    }
    let body;
    if (step === "dispatched") {
      const responder = form.elements.responder.value.trim();
      const etaText = form.elements.eta.value.trim();
      const eta = Number(etaText);
      if (!responder) {
        error.textContent = t("responderRequired");
        form.elements.responder.focus();
        return;
      }
      if (etaText && !(Number.isInteger(eta) && eta >= 0 && eta <= 1440)) {
        error.textContent = t("etaInvalid");
        form.elements.eta.focus();
        return;
      }
      body = { responder, ...(etaText ? { eta_minutes: eta } : {}) };
    } else if (step === "resolved") {
      const outcome = form.elements.outcome.value;
      if (!outcome) {
        error.textContent = t("outcomeRequired");
        form.elements.outcome.focus();
        return;
      }
      body = { outcome, note: form.elements.note.value.trim() };
    } else {
      const note = form.elements.note.value.trim();
      if (!note) {
        error.textContent = t("noteRequired");
        form.elements.note.focus();
        return;
      }
      body = { note };
    }
    const result = await send(alarm, step, body);
    if (result === true) {
      if (step === "dispatched") rememberResponder(body.responder);
      dialog.close();
    } else if (typeof result === "string") {
      error.textContent = result;
    }
  }

  for (const [step, dialog] of Object.entries(dialogs)) {
    dialog.querySelector("form").addEventListener("submit", (event) => submit(step, event));
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }

  /** A step button or its shortcut. */
  function start(step) {
    const alarm = current();
    if (!alarm) return;
    if (!stepAllowed(alarm.status, step)) {
      refused(refusalText(alarm.status, step));
      return;
    }
    if (step in dialogs) open(step, alarm);
    else send(alarm, step, {});
  }

  return { start, relabel: () => { if (dialogs.resolved.open) fillOutcomes(); } };
}
