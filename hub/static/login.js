// Sign-in for staff (dispatch screen) and family members (family page). zh-CN by default.
"use strict";

const TEXT = {
  "zh-CN": {
    title: "长者关怀 · 登录", username: "用户名", password: "密码", submit: "登录", switchTo: "English",
    invalid_credentials: "用户名或密码错误", too_many_attempts: "尝试次数过多，请 {s} 秒后再试",
    bad_request: "请输入用户名和密码", failed: "无法连接服务器，请重试",
  },
  en: {
    title: "Eldercare · Sign in", username: "User name", password: "Password", submit: "Sign in",
    switchTo: "中文", invalid_credentials: "Wrong user name or password",
    too_many_attempts: "Too many attempts; try again in {s} s",
    bad_request: "Enter your user name and password", failed: "Cannot reach the server; try again",
  },
};
let language = localStorage.getItem("dispatch.language") || "zh-CN";

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
  const error = document.getElementById("error");
  error.textContent = "";
  const body = {
    username: document.getElementById("username").value.trim(),
    password: document.getElementById("password").value,
  };
  let response;
  try {
    response = await fetch("/api/v1/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch {
    error.textContent = TEXT[language].failed;
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    location.assign(nextPage(answer.user));
    return;
  }
  const message = TEXT[language][answer.error] || TEXT[language].failed;
  error.textContent = message.replace("{s}", answer.retry_after ?? "");
}

document.getElementById("login").addEventListener("submit", signIn);
document.getElementById("language").addEventListener("click", () => {
  language = language === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("dispatch.language", language);
  render();
});
render();
