// The provider directory on the work-order page: every staff member reads it (and the assign
// dialog picks from it); supervisors add, edit and deactivate providers and see each one's
// ratings with their average (GET /api/v1/services/providers/{id}/ratings is theirs only).

import { ApiError, api } from "./api.js";
import { el } from "./dom.js";
import { formatWhen, t } from "./i18n.js";
import { refusalMessage, serviceCodes, serviceName } from "./services-words.js";

export function setUpDirectory({ supervisor, saved, refused }) {
  let providers = [];
  const ratings = new Map(); // provider id -> {count, average, ratings}
  const dialog = document.getElementById("provider-dialog");
  const form = document.getElementById("provider-form");
  const error = dialog.querySelector(".dialog-error");

  document.getElementById("add-provider").hidden = !supervisor;
  document.getElementById("providers-read-only").hidden = supervisor;

  async function refresh() {
    try {
      providers = (await api("/api/v1/services/providers")).providers;
      if (supervisor) {
        const answers = await Promise.all(providers.map((provider) => api(`/api/v1/services/providers/${encodeURIComponent(provider.id)}/ratings`).catch(() => null)));
        ratings.clear();
        providers.forEach((provider, index) => { if (answers[index]) ratings.set(provider.id, answers[index]); });
      }
    } catch (err) {
      refused(err instanceof ApiError ? refusalMessage(err) : t("networkError"));
    }
    render();
  }

  function ratingBlock(provider) {
    const rated = ratings.get(provider.id);
    if (!rated) return null;
    if (!rated.count) return el("p", { className: "provider-rating muted" }, t("noRatings"));
    return el("details", { className: "provider-rating" },
      el("summary", {}, `${t("average")} ${rated.average.toFixed(1)} ★ · ${t("ratingsCount", { n: rated.count })}`),
      el("ul", {}, rated.ratings.map((entry) => el("li", {},
        `${"★".repeat(entry.rating)}${"☆".repeat(5 - entry.rating)} ${serviceName(entry.service)} · ${formatWhen(entry.rated_at)}`,
        entry.comment ? ` “${entry.comment}”` : ""))));
  }

  function card(provider) {
    return el("li", { className: "provider", dataset: { providerId: provider.id, active: provider.active ? "true" : "false" } },
      el("div", { className: "provider-head" },
        el("span", { className: "provider-name" }, provider.organisation),
        el("span", { className: "badge", dataset: { active: provider.active ? "true" : "false" } }, provider.active ? t("active") : t("inactive"))),
      el("p", { className: "provider-contact" }, [provider.contact_name, provider.contact_phone].filter(Boolean).join(" · ")),
      el("p", { className: "provider-services" }, `${t("offers")}：${provider.services.map(serviceName).join("、")}`),
      provider.service_area ? el("p", { className: "provider-area" }, `${t("serviceArea")}：${provider.service_area}`) : null,
      ratingBlock(provider),
      supervisor ? el("div", { className: "provider-buttons" },
        el("button", { type: "button", className: "secondary", dataset: { action: "edit" }, onclick: () => openEditor(provider) }, t("editProvider")),
        provider.active ? el("button", { type: "button", className: "secondary", dataset: { action: "deactivate" }, onclick: () => deactivate(provider) }, t("deactivate")) : null) : null);
  }

  function render() {
    const sorted = [...providers].sort((a, b) => Number(b.active) - Number(a.active) || a.organisation.localeCompare(b.organisation));
    document.getElementById("providers").replaceChildren(...sorted.map(card));
    document.getElementById("providers-empty").hidden = providers.length > 0;
  }

  function openEditor(provider = null) {
    form.reset();
    form.dataset.providerId = provider?.id || "";
    error.textContent = "";
    document.getElementById("provider-title").textContent = t(provider ? "providerTitleEdit" : "providerTitleAdd");
    form.organisation.value = provider?.organisation || "";
    form.contact_name.value = provider?.contact_name || "";
    form.contact_phone.value = provider?.contact_phone || "";
    form.service_area.value = provider?.service_area || "";
    const offered = new Set(provider?.services || []);
    const choices = document.getElementById("provider-services");
    choices.replaceChildren(choices.querySelector("legend"), ...serviceCodes().map((code) => el("label", { className: "service-choice" },
      el("input", { type: "checkbox", name: "services", value: code, checked: offered.has(code) }), ` ${serviceName(code)}`)));
    dialog.showModal();
  }

  async function submit(event) {
    event.preventDefault();
    const fields = {
      organisation: form.organisation.value.trim(),
      contact_name: form.contact_name.value.trim(),
      contact_phone: form.contact_phone.value.trim(),
      service_area: form.service_area.value.trim(),
      services: [...form.querySelectorAll("input[name=services]:checked")].map((box) => box.value),
    };
    if (!fields.organisation) return void (error.textContent = t("orgRequired"));
    if (!fields.services.length) return void (error.textContent = t("offersRequired"));
    const id = form.dataset.providerId;
    try {
      const answer = id
        ? await api(`/api/v1/services/providers/${encodeURIComponent(id)}`, { method: "PATCH", body: fields })
        : await api("/api/v1/services/providers", { method: "POST", body: fields });
      dialog.close();
      saved(t("providerSaved", { name: answer.provider.organisation }));
      await refresh();
    } catch (err) {
      error.textContent = err instanceof ApiError ? refusalMessage(err) : t("networkError");
    }
  }

  async function deactivate(provider) {
    if (!window.confirm(t("deactivateConfirm", { name: provider.organisation }))) return;
    try {
      await api(`/api/v1/services/providers/${encodeURIComponent(provider.id)}`, { method: "DELETE" });
      saved(t("providerDeactivated", { name: provider.organisation }));
      await refresh();
    } catch (err) {
      refused(err instanceof ApiError ? refusalMessage(err) : t("networkError"));
    }
  }

  form.addEventListener("submit", submit);
  document.getElementById("add-provider").addEventListener("click", () => openEditor());

  return {
    refresh,
    render,
    /** The active providers who offer the service: the assign dialog's choices. */
    offering: (service) => providers.filter((provider) => provider.active && provider.services.includes(service)),
  };
}
