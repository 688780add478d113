"""What the home says out loud, in the household's language."""

from __future__ import annotations

from gateway.safety.book import CareResponse

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "inactivity_prewarning": (
            "Hello, are you all right? We have not noticed any movement for a while. "
            "Please press Cancel, or just move about, to tell us you are fine. "
            "Otherwise the care center will be called."
        ),
        "help_on_the_way": "Help is on the way. The care center has sent someone to you.",
        "help_on_the_way_responder": "Help is on the way. {responder} is coming to you.",
        "help_on_the_way_responder_eta": (
            "Help is on the way. {responder} is coming to you, in about {eta} minutes."
        ),
    },
    "zh-Hans": {
        "inactivity_prewarning": (
            "您好，您还好吗？我们有一段时间没有检测到您的活动了。"
            "请按“取消”按钮，或者走动一下，告诉我们您一切安好；否则将通知服务中心。"
        ),
        "help_on_the_way": "救助人员正在赶来，服务中心已派人前往。",
        "help_on_the_way_responder": "救助人员正在赶来，{responder} 马上就到。",
        "help_on_the_way_responder_eta": "救助人员正在赶来，{responder} 大约 {eta} 分钟后到。",
    },
}


def announcement_text(message: str, language: str, response: CareResponse | None = None) -> str:
    """`response`: the care center's, so "help is on the way" can say who is coming."""
    texts = _TEXT["zh-Hans" if language.lower().startswith("zh") else "en"]
    if message == "help_on_the_way" and response is not None and response.responder:
        key = message + "_responder" + ("_eta" if response.eta_minutes is not None else "")
        return texts[key].format(responder=response.responder, eta=response.eta_minutes)
    return texts.get(message, message)
