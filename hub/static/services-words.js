// Every word of the work-order page (life services, issue 20) in zh-CN and English, merged
// into the shared tables of i18n.js; service names come from the hub's catalogue.

import { currentLanguage, errorText, extend, t } from "./i18n.js";

extend({
  "zh-CN": {
    servicesTitle: "生活服务工单", toDispatch: "返回调度台",
    tabOpen: "待处理工单", tabClosed: "已结束工单", tabProviders: "服务商名录",
    openEmpty: "暂无待处理工单", closedEmpty: "暂无已结束工单", providersEmpty: "尚未登记服务商",
    notEmergency: "生活服务不属于紧急警报，不计入警报应答时限",
    requestedAgo: "{t}提出", presses: "按了 {n} 次", source: "来源",
    svcRequested: "已提出", svcAccepted: "已受理", svcAssigned: "已派单", svcArrived: "已到达",
    svcCompleted: "已完成", svcCancelled: "已取消",
    doAccept: "受理", doAssign: "派单", doReassign: "改派", doArrive: "已到达", doComplete: "完成", doCancel: "取消工单",
    assignTitle: "派单：选择服务商和上门时间", provider: "服务商", windowStart: "最早上门时间", windowEnd: "最晚上门时间",
    noProviderFits: "没有提供此项服务的在册服务商", chooseProvider: "请选择服务商",
    windowRequired: "请填写上门时间段", windowOrder: "最晚上门时间不能早于最早上门时间",
    cancelTitle: "取消工单", reason: "取消原因", reasonRequired: "请填写取消原因", note: "备注",
    submit: "确定", cancel: "返回", window: "上门时间 {from}–{to}", providerIs: "服务商：{name}",
    closedAt: "结束时间", status: "状态", household: "住户", service: "服务", rating: "评价",
    notRated: "未评价", stars: "{n} 星", cancelReason: "原因：{r}", cancelledBy: "由{who}取消",
    actorSenior: "老人", actorFamily: "家属", actorStaff: "中心", actorHousehold: "家中",
    orgName: "机构名称", contactName: "联系人", contactPhone: "联系电话", offers: "提供的服务",
    serviceArea: "服务区域", active: "在册", inactive: "已停用", average: "平均评价",
    ratingsCount: "{n} 条评价", noRatings: "暂无评价", addProvider: "新增服务商", editProvider: "编辑",
    deactivate: "停用", saveProvider: "保存", providerTitleAdd: "新增服务商", providerTitleEdit: "编辑服务商",
    orgRequired: "请填写机构名称", offersRequired: "请至少选择一项服务", readOnly: "仅主管可修改服务商名录",
    deactivateConfirm: "确定停用 {name}？停用后不能再派单，已有工单和评价保留。",
    stepDone: "已{step}：{service} · {household}", providerSaved: "已保存服务商：{name}",
    providerDeactivated: "已停用服务商：{name}", log: "处理记录", openCount: "共 {n} 条待处理",
    refusedStep: "工单状态已变化，此操作不可执行（当前：{status}）",
    refusedProvider: "该服务商已停用或不提供此项服务，请另选",
    refusedProviderInactive: "该服务商已停用，请另选", refusedProviderOffer: "该服务商不提供此项服务，请另选",
    refusedNeedsReason: "取消须填写原因", refusedWindow: "上门时间段有误",
    refusedPhone: "联系电话只能包含数字、+、空格或短横线", refusedOrg: "请填写机构名称",
    actionFailed: "操作失败：{e}", notFound: "工单或服务商不存在",
    logEmpty: "暂无记录", logFailed: "无法加载处理记录",
    logRequested: "提出请求", logRepeated: "再次按键", logAccepted: "受理", logAssigned: "派单",
    logArrived: "服务人员到达", logCompleted: "完成", logCancelled: "取消", logConfirmed: "家中确认完成",
    logRated: "评价", byStaff: "中心值班员", byHousehold: "家中",
    newOrder: "新工单：{order}", takeCall: "电话登记", callTitle: "电话登记生活服务", chooseHousehold: "请选择住户", chooseService: "请选择服务",
    callCreated: "已登记：{service} · {household}", callRepeated: "该户已有同类待处理工单，已记为再次请求：{service} · {household}",
    rate: "登记评价", rateTitle: "登记住户评价", stars5: "评分", comment: "评价内容",
    rated: "已登记评价：{service} · {household}",
    refusedEntitled: "该住户未开通此项服务", refusedRateable: "只有已完成的工单才能评价",
  },
  en: {
    servicesTitle: "Service work orders", toDispatch: "Back to dispatch",
    tabOpen: "Open work orders", tabClosed: "Closed work orders", tabProviders: "Provider directory",
    openEmpty: "No open work orders", closedEmpty: "No closed work orders", providersEmpty: "No providers registered",
    notEmergency: "Life services are not emergencies and never count toward the alarm response time",
    requestedAgo: "asked {t}", presses: "pressed {n} times", source: "source",
    svcRequested: "Requested", svcAccepted: "Accepted", svcAssigned: "Assigned", svcArrived: "Arrived",
    svcCompleted: "Completed", svcCancelled: "Cancelled",
    doAccept: "Accept", doAssign: "Assign", doReassign: "Reassign", doArrive: "Arrived", doComplete: "Complete", doCancel: "Cancel order",
    assignTitle: "Assign a provider and a visit window", provider: "Provider", windowStart: "Window from", windowEnd: "Window until",
    noProviderFits: "No active provider offers this service", chooseProvider: "Choose a provider",
    windowRequired: "Enter the visit window", windowOrder: "The window ends before it starts",
    cancelTitle: "Cancel the work order", reason: "Reason", reasonRequired: "Enter a reason", note: "Note",
    submit: "OK", cancel: "Back", window: "Visit {from}–{to}", providerIs: "Provider: {name}",
    closedAt: "Closed", status: "Status", household: "Household", service: "Service", rating: "Rating",
    notRated: "Not rated", stars: "{n} stars", cancelReason: "Reason: {r}", cancelledBy: "Cancelled by {who}",
    actorSenior: "the senior", actorFamily: "the family", actorStaff: "the center", actorHousehold: "the home",
    orgName: "Organisation", contactName: "Contact", contactPhone: "Phone", offers: "Services offered",
    serviceArea: "Service area", active: "Active", inactive: "Inactive", average: "Average rating",
    ratingsCount: "{n} ratings", noRatings: "No ratings yet", addProvider: "Add a provider", editProvider: "Edit",
    deactivate: "Deactivate", saveProvider: "Save", providerTitleAdd: "Add a provider", providerTitleEdit: "Edit provider",
    orgRequired: "Enter the organisation", offersRequired: "Choose at least one service", readOnly: "Only supervisors change the directory",
    deactivateConfirm: "Deactivate {name}? It can no longer be assigned; its orders and ratings stay.",
    stepDone: "{step}: {service} · {household}", providerSaved: "Provider saved: {name}",
    providerDeactivated: "Provider deactivated: {name}", log: "Log", openCount: "{n} open",
    refusedStep: "The order moved on; this step is not possible now (now: {status})",
    refusedProvider: "This provider is inactive or does not offer this service; choose another",
    refusedProviderInactive: "This provider is inactive; choose another",
    refusedProviderOffer: "This provider does not offer this service; choose another",
    refusedNeedsReason: "A cancellation needs a reason", refusedWindow: "The visit window is not valid",
    refusedPhone: "The phone may hold digits, +, spaces and dashes only", refusedOrg: "Enter the organisation",
    actionFailed: "Failed: {e}", notFound: "No such work order or provider",
    logEmpty: "No entries yet", logFailed: "Cannot load the log",
    logRequested: "Requested", logRepeated: "Key pressed again", logAccepted: "Accepted", logAssigned: "Assigned",
    logArrived: "Provider arrived", logCompleted: "Completed", logCancelled: "Cancelled", logConfirmed: "Confirmed at home",
    logRated: "Rated", byStaff: "Care center staff", byHousehold: "Home",
    newOrder: "New work order: {order}", takeCall: "Take a call", callTitle: "Record a request taken by phone", chooseHousehold: "Choose a household", chooseService: "Choose a service",
    callCreated: "Recorded: {service} · {household}", callRepeated: "Already open for this household; counted as asked again: {service} · {household}",
    rate: "Record rating", rateTitle: "Record the household's rating", stars5: "Stars", comment: "Comment",
    rated: "Rating recorded: {service} · {household}",
    refusedEntitled: "This household may not use this service", refusedRateable: "Only a completed order is rated",
  },
});

const STATUS_KEYS = {
  requested: "svcRequested", accepted: "svcAccepted", assigned: "svcAssigned", arrived: "svcArrived",
  completed: "svcCompleted", cancelled: "svcCancelled",
};
const ACTOR_KEYS = { senior: "actorSenior", family: "actorFamily", staff: "actorStaff", household: "actorHousehold" };

export const STATUS_ORDER = ["requested", "accepted", "assigned", "arrived", "completed"];

let catalogue = new Map(); // service code -> {zh, en}

export function setCatalogue(services) {
  catalogue = new Map(services.map((entry) => [entry.service, entry]));
}

export function serviceCodes() { return [...catalogue.keys()]; }

export function serviceName(code) {
  const names = catalogue.get(code);
  if (!names) return currentLanguage() === "en" ? String(code) : t("service");
  return currentLanguage() === "en" ? names.en : names.zh;
}

const LOG_KEYS = {
  requested: "logRequested", repeated: "logRepeated", accepted: "logAccepted", assigned: "logAssigned",
  arrived: "logArrived", completed: "logCompleted", cancelled: "logCancelled", confirmed: "logConfirmed", rated: "logRated",
};

export function logActionName(action) { return LOG_KEYS[action] ? t(LOG_KEYS[action]) : ""; }

/** Who did a logged step, as people say it: staff by their role (the log keeps the user
 * name, an id), the household's people by who they are. */
export function logActorName(actor) {
  const kind = String(actor || "").split(":")[0];
  if (kind === "staff") return t("byStaff");
  if (kind === "household") return t("byHousehold");
  return actorName(kind);
}

export function statusName(status) { return STATUS_KEYS[status] ? t(STATUS_KEYS[status]) : ""; }

export function actorName(actor) { return ACTOR_KEYS[actor] ? t(ACTOR_KEYS[actor]) : ""; }

/** The hub's refusal in the page's language: known ones translated, English as it is. */
export function refusalMessage(error) {
  const message = error.serverMessage || "";
  const status = message.match(/this request is (\w+)/);
  if (error.code === "step_refused") return t("refusedStep", { status: statusName(status?.[1]) || "" });
  if (error.code === "provider_refused") {
    if (message.endsWith("is not active")) return t("refusedProviderInactive");
    if (message.includes("does not offer")) return t("refusedProviderOffer");
    return t("refusedProvider");
  }
  if (error.code === "not_found") return t("notFound");
  if (error.code === "not_entitled") return t("refusedEntitled");
  if (error.code === "not_rateable") return t("refusedRateable");
  if (message.includes("needs a reason")) return t("refusedNeedsReason");
  if (message.includes("window")) return t("refusedWindow");
  if (message.startsWith("contact_phone")) return t("refusedPhone");
  if (message.startsWith("organisation")) return t("refusedOrg");
  if (message && currentLanguage() === "en") return message;
  return errorText(error.code);
}
