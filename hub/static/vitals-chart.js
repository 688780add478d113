// The last 7 days of vital signs as small stacked plotly charts (one panel per measure, one
// trace per LOINC code, the resident's thresholds as dashed lines). Plotly is loaded by a
// plain <script src="/vendor/plotly.min.js">; without it the page shows a note instead.

import { currentLanguage, t, word } from "./i18n.js";

// Codes shown together in one panel (they share a unit and a scale), and the panel's title
// (a code whose label names the group: 85354-9 is "blood pressure").
const GROUPS = [
  ["8867-4"],
  ["59408-5", "2708-6"],
  ["8480-6", "8462-4"],
  ["8310-5"],
  ["41653-7"],
  ["29463-7"],
];
const GROUP_TITLE = { "8480-6": "85354-9", "8462-4": "85354-9" };
// UCUM units as people write them.
const UNITS = {
  "zh-CN": { "/min": "次/分", "mm[Hg]": "mmHg", Cel: "°C", "%": "%", kg: "kg", "mmol/L": "mmol/L", "mg/dL": "mg/dL" },
  en: { "/min": "bpm", "mm[Hg]": "mmHg", Cel: "°C", "%": "%", kg: "kg", "mmol/L": "mmol/L", "mg/dL": "mg/dL" },
};
const COLORS = {
  "8867-4": "#c8102e", "59408-5": "#1f6fd1", "2708-6": "#1f6fd1", "8480-6": "#6b3fa0",
  "8462-4": "#b47cd9", "8310-5": "#d9730d", "41653-7": "#0f8a6c", "29463-7": "#555f6b",
};
const FALLBACK_COLORS = ["#2b6cb0", "#b7791f", "#2f855a", "#9b2c2c"];

export function vitalLabel(code) {
  return word("vitals", code);
}

export function unitLabel(unit) {
  return UNITS[currentLanguage()]?.[unit] ?? unit ?? "";
}

/** The newest observation of each code, in the panels' order. */
export function latestByCode(vitals) {
  const latest = new Map();
  for (const vital of vitals) {
    const known = latest.get(vital.code);
    if (!known || known.measured_at <= vital.measured_at) latest.set(vital.code, vital);
  }
  const order = GROUPS.flat();
  return [...latest.values()].sort((a, b) => rank(order, a.code) - rank(order, b.code));
}

function rank(order, code) {
  const index = order.indexOf(code);
  return index < 0 ? order.length : index;
}

/** Thresholds of all residents by code: [{low, high}] (a household may have two residents). */
export function thresholdsByCode(residents = []) {
  const byCode = new Map();
  for (const resident of residents) {
    for (const [code, bounds] of Object.entries(resident.thresholds || {})) {
      if (!byCode.has(code)) byCode.set(code, []);
      byCode.get(code).push(bounds);
    }
  }
  return byCode;
}

export function outOfRange(vital, thresholds) {
  return (thresholds.get(vital.code) || []).some(
    (b) => (b.low !== undefined && b.low !== null && vital.value < b.low)
      || (b.high !== undefined && b.high !== null && vital.value > b.high));
}

function panelsOf(vitals) {
  const present = new Set(vitals.map((v) => v.code));
  const panels = GROUPS.map((codes) => codes.filter((c) => present.has(c))).filter((codes) => codes.length);
  const grouped = new Set(GROUPS.flat());
  for (const code of present) if (!grouped.has(code)) panels.push([code]);
  return panels;
}

/** Draw into `container` (replacing what was there); returns false without plotly or data. */
export function drawVitals(container, vitals, residents = [], { panelHeight = 78, font = 13 } = {}) {
  const Plotly = window.Plotly;
  if (Plotly && container.dataset.plotted) Plotly.purge(container);
  container.replaceChildren();
  delete container.dataset.plotted;
  if (!vitals.length) return false;
  if (!Plotly) {
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = t("chartUnavailable");
    container.append(note);
    return false;
  }
  const panels = panelsOf(vitals);
  const thresholds = thresholdsByCode(residents);
  const titleSpace = font + 10; // px above each panel for its title
  const height = panels.length * (panelHeight + titleSpace) + 30;
  const plotHeight = height - 30 - 4;
  const gap = titleSpace / plotHeight;
  const share = (1 - gap * panels.length) / panels.length;
  const layout = {
    height,
    margin: { l: 44, r: 10, t: 4, b: 26 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: getComputedStyle(document.body).fontFamily, size: font, color: "#1b2430" },
    showlegend: false,
    hovermode: "x unified",
    xaxis: { type: "date", showgrid: true, gridcolor: "#e3e7ec", tickformat: "%m-%d", anchor: `y${panels.length > 1 ? panels.length : ""}` },
    shapes: [],
    annotations: [],
  };
  const traces = [];
  let fallback = 0;
  panels.forEach((codes, index) => {
    const axis = index === 0 ? "y" : `y${index + 1}`;
    const name = index === 0 ? "yaxis" : `yaxis${index + 1}`;
    const top = 1 - gap - index * (share + gap);
    const units = [...new Set(vitals.filter((v) => codes.includes(v.code)).map((v) => unitLabel(v.unit)))].join(", ");
    const title = vitalLabel(GROUP_TITLE[codes[0]] || codes[0]);
    layout[name] = {
      domain: [Math.max(0, top - share), top],
      gridcolor: "#eef1f4", zeroline: false, nticks: 4, automargin: false,
    };
    layout.annotations.push({
      xref: "paper", yref: "paper", x: 0, y: top, xanchor: "left", yanchor: "bottom", showarrow: false,
      text: `<b>${title}</b>  <span style="color:#5b6675">${units}</span>`, font: { size: font },
    });
    if (index > 0) layout[`xaxis${index + 1}`] = undefined;
    for (const code of codes) {
      const points = vitals.filter((v) => v.code === code);
      const color = COLORS[code] || FALLBACK_COLORS[fallback++ % FALLBACK_COLORS.length];
      traces.push({
        type: "scatter", mode: "lines+markers", name: vitalLabel(code), x: points.map((v) => v.measured_at),
        y: points.map((v) => v.value), yaxis: axis, xaxis: "x",
        line: { color, width: 2 }, marker: { size: 4, color },
        hovertemplate: `${vitalLabel(code)}: %{y} ${unitLabel(points[0]?.unit)}<extra></extra>`,
      });
      for (const bounds of thresholds.get(code) || []) {
        for (const [which, value] of [["thresholdLow", bounds.low], ["thresholdHigh", bounds.high]]) {
          if (value === undefined || value === null) continue;
          layout.shapes.push({
            type: "line", xref: "paper", x0: 0, x1: 1, yref: axis, y0: value, y1: value,
            line: { color, width: 1.5, dash: "dash" }, name: `${vitalLabel(code)} ${t(which)}`,
          });
        }
      }
    }
  });
  // Thresholds stay in view even when every measurement is well inside them.
  panels.forEach((codes, index) => {
    const name = index === 0 ? "yaxis" : `yaxis${index + 1}`;
    const values = vitals.filter((v) => codes.includes(v.code)).map((v) => v.value);
    for (const code of codes) {
      for (const bounds of thresholds.get(code) || []) {
        if (bounds.low !== undefined && bounds.low !== null) values.push(bounds.low);
        if (bounds.high !== undefined && bounds.high !== null) values.push(bounds.high);
      }
    }
    const low = Math.min(...values);
    const high = Math.max(...values);
    const pad = (high - low || Math.abs(high) || 1) * 0.12;
    layout[name].range = [low - pad, high + pad];
  });
  for (const key of Object.keys(layout)) if (layout[key] === undefined) delete layout[key];
  Plotly.newPlot(container, traces, layout, { displayModeBar: false, responsive: true });
  container.dataset.plotted = "true";
  return true;
}
