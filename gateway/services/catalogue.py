"""The services a community offers its seniors, with their names in both languages.

The value is what the wire contract, the hub's tables and the integration's options carry; the
names are what people read. A care center offers a subset to each household (the hub's
entitlements); `OTHER` lets a senior ask for anything the list does not name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceType(StrEnum):
    REPAIR = "repair"  # water and electricity repairs
    DRAIN = "drain"
    MEAL = "meal"
    CLEANING = "cleaning"
    BATHING = "bathing"
    ESCORT = "escort"  # accompanying the senior to a doctor
    SHOPPING = "shopping"
    CALL_BACK = "call_back"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ServiceNames:
    zh: str
    en: str

    def in_language(self, language: str) -> str:
        """The name for an HA or browser language tag: Chinese for zh*, else English."""
        return self.zh if language.lower().startswith("zh") else self.en


SERVICE_NAMES: dict[ServiceType, ServiceNames] = {
    ServiceType.REPAIR: ServiceNames("水电维修", "Plumbing and electrical repair"),
    ServiceType.DRAIN: ServiceNames("下水疏通", "Drain unblocking"),
    ServiceType.MEAL: ServiceNames("助餐", "Meal delivery"),
    ServiceType.CLEANING: ServiceNames("保洁", "Cleaning"),
    ServiceType.BATHING: ServiceNames("助浴", "Bathing help"),
    ServiceType.ESCORT: ServiceNames("陪诊", "Escort to a doctor"),
    ServiceType.SHOPPING: ServiceNames("代购", "Shopping"),
    ServiceType.CALL_BACK: ServiceNames("回电", "Call me back"),
    ServiceType.OTHER: ServiceNames("其他", "Other"),
}
