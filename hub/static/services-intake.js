// What staff record for a household on the work-order page: a request taken by phone
// (POST /api/v1/services/requests) and the household's rating of completed work, as they
// gave it on the phone (POST /api/v1/services/requests/{id}/rating).

import { ApiError, api } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { refusalMessage, serviceCodes, serviceName } from "./services-words.js";

function failed(error) {
  return error instanceof ApiError ? refusalMessage(error) : t("networkError");
}

/** `done(request, text)` takes the hub's answer and a confirmation to show. */
export function setUpCall({ done }) {
  const dialog = document.getElementById("call-dialog");
  const form = document.getElementById("call-form");
  const error = dialog.querySelector(".dialog-error");

  async function open() {
    form.reset();
    error.textContent = "";
    const households = document.getElementById("call-household");
    try {
      const answer = await api("/api/v1/households");
      households.replaceChildren(el("option", { value: "" }, t("chooseHousehold")),
        ...answer.households.map((home) => el("option", { value: home.id }, `${home.name} · ${home.address}`)));
    } catch (err) {
      error.textContent = failed(err);
    }
    document.getElementById("call-service").replaceChildren(el("option", { value: "" }, t("chooseService")),
      ...serviceCodes().map((code) => el("option", { value: code }, serviceName(code))));
    dialog.showModal();
  }

  async function submit(event) {
    event.preventDefault();
    const body = { household_id: form.household_id.value, service: form.service.value, note: form.note.value.trim() };
    if (!body.household_id) return void (error.textContent = t("chooseHousehold"));
    if (!body.service) return void (error.textContent = t("chooseService"));
    try {
      const answer = await api("/api/v1/services/requests", { method: "POST", body });
      dialog.close();
      const words = { service: serviceName(answer.request.service), household: answer.request.household_name };
      done(answer.request, t(answer.outcome === "repeated" ? "callRepeated" : "callCreated", words));
    } catch (err) {
      error.textContent = failed(err);
    }
  }

  document.getElementById("take-call").addEventListener("click", open);
  form.addEventListener("submit", submit);
}

/** Returns `open(order)`; `done(request, text)` as above. */
export function setUpRating({ done }) {
  const dialog = document.getElementById("rate-dialog");
  const form = document.getElementById("rate-form");
  const error = dialog.querySelector(".dialog-error");

  function open(order) {
    form.reset();
    form.dataset.requestId = order.id;
    error.textContent = "";
    dialog.querySelector(".dialog-order").textContent = `${serviceName(order.service)} · ${order.household_name}`;
    document.getElementById("rate-stars").replaceChildren(...[5, 4, 3, 2, 1].map((n) => el("option", { value: String(n) },
      `${"★".repeat(n)}${"☆".repeat(5 - n)} ${t("stars", { n })}`)));
    if (order.rating) form.rating.value = String(order.rating);
    form.comment.value = order.rating_comment || "";
    dialog.showModal();
  }

  async function submit(event) {
    event.preventDefault();
    const id = form.dataset.requestId;
    const body = { rating: Number(form.rating.value), comment: form.comment.value.trim() };
    try {
      const answer = await api(`/api/v1/services/requests/${encodeURIComponent(id)}/rating`, { method: "POST", body });
      dialog.close();
      done(answer.request, t("rated", { service: serviceName(answer.request.service), household: answer.request.household_name }));
    } catch (err) {
      error.textContent = failed(err);
    }
  }

  form.addEventListener("submit", submit);
  return open;
}
