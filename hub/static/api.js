// The hub's JSON API as the pages use it: the session's CSRF token on every change, a page
// whose session ended goes back to the login page, and refusals become ApiError.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.serverMessage = message || "";
  }
}

let csrfToken = "";
let loginPath = "/login";
// Server time minus this browser's time (ms), when they differ by more than a second or two:
// waiting times count from the hub's received_at, so a PC with a wrong clock must not show
// an alarm as fresh (or late) when it is not.
let clockOffset = 0;

export function serverNow() { return Date.now() + clockOffset; }

export function signInAgain() {
  location.assign(`${loginPath}?next=${encodeURIComponent(location.pathname)}`);
}

function noteServerClock(response, sentAt) {
  const header = response.headers.get("Date");
  if (!header) return;
  const server = Date.parse(header) + 500; // the header has whole seconds
  const local = (sentAt + Date.now()) / 2;
  const offset = server - local;
  clockOffset = Math.abs(offset) > 2000 ? offset : 0;
}

/** Who is signed in ({user, csrf_token}); null after sending the browser to sign in. */
export async function me() {
  const sentAt = Date.now();
  const response = await fetch("/api/v1/me", { headers: { Accept: "application/json" }, cache: "no-store" });
  if (response.status === 401) {
    signInAgain();
    return null;
  }
  if (!response.ok) throw new ApiError(response.status, `http_${response.status}`);
  noteServerClock(response, sentAt);
  const answer = await response.json();
  csrfToken = answer.csrf_token;
  return answer;
}

/** Whether the hub answers that this page's session is over (a hub that is down is not). */
export async function sessionEnded() {
  try {
    const response = await fetch("/api/v1/me", { cache: "no-store" });
    return response.status === 401;
  } catch {
    return false;
  }
}

export async function api(path, { method = "GET", body } = {}, retried = false) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken;
  }
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  if (response.status === 401) {
    signInAgain();
    throw new ApiError(401, "login_required");
  }
  if (response.status === 403 && answer.error === "csrf" && !retried) {
    await me(); // a new token (signed in again in another tab): once
    return api(path, { method, body }, true);
  }
  throw new ApiError(response.status, answer.error || `http_${response.status}`, answer.message);
}

export async function signOut() {
  try {
    await api("/api/v1/logout", { method: "POST", body: {} });
  } finally {
    location.assign(loginPath);
  }
}
