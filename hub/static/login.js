// Sign-in for staff (dispatch screen) and family members (family page). zh-CN by default.
"use strict";

const TEXT = {
  "zh-CN": {
    title: "长者关怀 · 登录", username: "用户名", password: "密码", submit: "登录", switchTo: "English",
    invalid_credentials: "用户名或密码错误", bad_request: "请输入用户名和密码", failed: "无法连接服务器，请重试",
    // Sign-in delays (issue 18): the hub slows repeated failures from one place, never locks.
    too_many_attempts: "此处登录失败次数过多，请 {s} 秒后再试",
    try_again_now: "现在可以再试一次",
    leading_space: "密码开头有空格：密码需逐字输入，请检查是否多复制了空格",
  },
  en: {
    title: "Eldercare · Sign in", username: "User name", password: "Password", submit: "Sign in",
    switchTo: "中文", invalid_credentials: "Wrong user name or password",
    bad_request: "Enter your user name and password", failed: "Cannot reach the server; try again",
    // Sign-in delays (issue 18): the hub slows repeated failures from one place, never locks.
    too_many_attempts: "Too many failed sign-ins from here; try again in {s} s",
    try_again_now: "You can try again now",
    leading_space: "The password starts with a space: passwords are exact; check what was copied",
  },
};
const REFUSALS = new Set(["invalid_credentials", "bad_request"]);
let language = localStorage.getItem("dispatch.language") || "zh-CN";

// What the error line says, kept as a key so a language switch re-renders it.
const shown = { error: null, hint: null, seconds: 0 };
let countdown = null;

function render() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = TEXT[language][element.dataset.i18n];
  }
  document.title = TEXT[language].title;
  const other = language === "zh-CN" ? "en" : "zh-CN";
  const toggle = document.getElementById("language");
  toggle.textContent = TEXT[language].switchTo;
  toggle.lang = other;
  const words = TEXT[language];
  document.getElementById("error").textContent =
    shown.error ? words[shown.error].replace("{s}", String(shown.seconds)) : "";
  document.getElementById("hint").textContent = shown.hint ? words[shown.hint] : "";
}

function show(error, hint = null, seconds = 0) {
  clearInterval(countdown);
  countdown = null;
  Object.assign(shown, { error, hint, seconds });
  render();
}

// The wait ticks down on the page; the hub decides, so the button stays usable throughout.
function waitFor(seconds) {
  show("too_many_attempts", null, seconds);
  countdown = setInterval(() => {
    shown.seconds -= 1;
    if (shown.seconds <= 0) {
      show("try_again_now");
      return;
    }
    render();
  }, 1000);
}

// Only a path on this hub: never an address elsewhere ("//host", "/\\host" which browsers
// read as "//host", or "https://...").
function nextPage(user) {
  const next = new URLSearchParams(location.search).get("next") || "";
  if (/^\/(?![\/\\])/.test(next)) return next;
  return user.role === "family" ? "/family" : "/dispatch";
}

async function signIn(event) {
  event.preventDefault();
  show(null);
  // The password goes as typed: the hub forgives trailing whitespace a copy picks up
  // (docs/hub-api.md, "Signing in"), and trimming here would break passwords set with it.
  const password = document.getElementById("password").value;
  const body = { username: document.getElementById("username").value.trim(), password };
  let response;
  try {
    response = await fetch("/api/v1/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch {
    show("failed");
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    location.assign(nextPage(answer.user));
    return;
  }
  if (answer.error === "too_many_attempts") {
    waitFor(Number(answer.retry_after) || 1);
    return;
  }
  const known = REFUSALS.has(answer.error) ? answer.error : "failed";
  const hint = known === "invalid_credentials" && /^\s/.test(password) ? "leading_space" : null;
  show(known, hint);
}

document.getElementById("login").addEventListener("submit", signIn);
document.getElementById("language").addEventListener("click", () => {
  language = language === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("dispatch.language", language);
  render();
});
render();
