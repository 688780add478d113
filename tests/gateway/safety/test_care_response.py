"""The care center's response in the household's engine: staff steps carry who is coming and
how soon onto the alarm, the family is told in words, and it all survives a restart. And the
name the household gives each source travels with every alarm it raises."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gateway.alarms import AlarmKind
from gateway.protocol import MAX_SOURCE_NAME, MessageType
from gateway.safety.book import AlarmState, CareResponse
from gateway.safety.care_response import responding_alarm, response_summary
from gateway.safety.effects import Effect, NotifyFamily
from gateway.safety.engine import SafetyEngine
from gateway.safety.family_alerts import notification
from gateway.safety.hub_commands import observation_for
from gateway.safety.observations import (
    BatteryLevel,
    DetectorChanged,
    Observation,
    Pressed,
    VitalReading,
)
from gateway.safety.observations import (
    TestRequested as AskForTest,
)
from gateway.safety.roles import Role
from gateway.safety.settings import VitalRange
from gateway.vital_signs import VitalSign

from .conftest import FAMILY, GAS_VALVE, T0, make_engine, of, open_alarm, raised, run_until

MIN = timedelta(minutes=1)
NURSE = "社区护士 刘芳"


def _step(engine: SafetyEngine, type_: MessageType, **body: object) -> list[Effect]:
    alarm = open_alarm(engine, AlarmKind.SOS)
    observation = observation_for(
        type_, {"alarm_id": alarm.id, "staff": "li.na", **body}, engine.book.knows
    )
    assert observation is not None
    return list(engine.handle(observation, T0 + 2 * MIN))


@pytest.fixture
def sos() -> SafetyEngine:
    engine = make_engine(family=FAMILY)
    engine.handle(Pressed("button:button.call_for_help", source_name="一键呼叫"), T0)
    return engine


def test_a_dispatch_puts_who_is_coming_and_when_on_the_alarm(sos: SafetyEngine) -> None:
    _step(sos, MessageType.ALARM_ACKNOWLEDGED)
    at = (T0 + MIN).isoformat()
    effects = _step(
        sos, MessageType.ALARM_DISPATCHED, responder=NURSE, eta_minutes=8, note="", at=at
    )
    alarm = open_alarm(sos, AlarmKind.SOS)
    assert alarm.state is AlarmState.DISPATCHED
    assert alarm.response == CareResponse("li.na", NURSE, 8, T0 + MIN)
    assert alarm.response.arrives_at == T0 + 9 * MIN  # from the dispatch, not its delivery
    # The family member who got the alert hears who is coming, in the household's language.
    (update,) = [e for e in of(effects, NotifyFamily) if e.update == "dispatched"]
    zh = notification(
        alarm, update.member, sos.settings, "王奶奶家", "zh-Hans", update="dispatched"
    )
    assert zh["message"] == "王奶奶家紧急呼叫：社区护士 刘芳 正在赶来，约 8 分钟后到达。"
    assert "push" not in zh["data"]  # normal priority: no critical ring
    assert "priority" not in zh["data"]
    en = notification(alarm, update.member, sos.settings, "Wang home", "en", update="dispatched")
    assert en["message"] == (
        "Emergency call at Wang home: 社区护士 刘芳 is on the way, arriving in about 8 min."
    )


def test_the_display_name_of_staff_is_preferred_and_garbage_is_dropped(
    sos: SafetyEngine,
) -> None:
    _step(
        sos,
        MessageType.ALARM_DISPATCHED,
        staff_name="李娜",
        responder=7,
        eta_minutes="soon",
        at="yesterday",
    )
    response = open_alarm(sos, AlarmKind.SOS).response
    assert response == CareResponse("李娜", "", None, T0 + 2 * MIN)
    assert response_summary("dispatched", response, "zh-Hans") == "救助人员正在赶来"


def test_a_step_stamped_ahead_of_the_home_clock_counts_from_now(sos: SafetyEngine) -> None:
    ahead = (T0 + 10 * MIN).isoformat()
    _step(sos, MessageType.ALARM_DISPATCHED, responder=NURSE, eta_minutes=5, at=ahead)
    assert open_alarm(sos, AlarmKind.SOS).response.arrives_at == T0 + 7 * MIN


def test_on_site_and_a_new_dispatch(sos: SafetyEngine) -> None:
    _step(sos, MessageType.ALARM_DISPATCHED, responder=NURSE, eta_minutes=8)
    _step(sos, MessageType.ALARM_DISPATCHED, responder="王医生", eta_minutes=3)
    alarm = open_alarm(sos, AlarmKind.SOS)
    assert (alarm.response.responder, alarm.response.eta_minutes) == ("王医生", 3)
    _step(sos, MessageType.ALARM_ON_SITE)
    assert alarm.response.on_site_at == T0 + 2 * MIN
    assert response_summary(alarm.state, alarm.response, "en") == "王医生 on site"


def test_the_response_survives_a_restart(sos: SafetyEngine) -> None:
    _step(sos, MessageType.ALARM_DISPATCHED, responder=NURSE, eta_minutes=8)
    saved = json.loads(json.dumps(sos.snapshot()))
    restored = SafetyEngine(sos.settings, T0 + 3 * MIN, saved)
    alarm = open_alarm(restored, AlarmKind.SOS)
    assert alarm.response == open_alarm(sos, AlarmKind.SOS).response
    assert alarm.source_name == "一键呼叫"


def test_an_alarm_saved_by_an_older_release_has_no_name_and_no_response(
    sos: SafetyEngine,
) -> None:
    saved = json.loads(json.dumps(sos.snapshot()))
    for alarm in saved["book"]["alarms"]:
        del alarm["source_name"], alarm["response"]
    alarm = open_alarm(SafetyEngine(sos.settings, T0, saved), AlarmKind.SOS)
    assert (alarm.source_name, alarm.response) == ("", None)


@pytest.mark.parametrize(
    ("state", "response", "en", "zh"),
    [
        (None, None, "No open alarm", "没有未处理的警报"),
        ("raised", None, "Sending to the care center", "正在通知服务中心"),
        ("reported", None, "The care center has the alarm", "服务中心已收到警报"),
        ("acknowledged", CareResponse("li.na"), "The care center is arranging help", None),
        (
            "dispatched",
            CareResponse(responder="Nurse Liu Fang", eta_minutes=8),
            "Nurse Liu Fang on the way, about 8 min",
            None,
        ),
        (
            "dispatched",
            CareResponse(responder=NURSE, eta_minutes=8),
            None,
            "社区护士 刘芳，约 8 分钟",
        ),
        ("dispatched", CareResponse(eta_minutes=0), "Help on the way, about 0 min", None),
        ("on_site", CareResponse(), "Help on site", "救助人员已到场"),
    ],
)
def test_summaries(
    state: str | None, response: CareResponse | None, en: str | None, zh: str | None
) -> None:
    if en is not None:
        assert response_summary(state, response, "en-GB") == en
    if zh is not None:
        assert response_summary(state, response, "zh-Hans") == zh


def test_the_alarm_someone_is_sent_to_is_the_one_shown(sos: SafetyEngine) -> None:
    sos.handle(DetectorChanged("binary_sensor.smoke", Role.SMOKE, True, "Smoke"), T0)
    first, second = sos.book.open_alarms()
    assert responding_alarm([first, second]) is first
    second.state = AlarmState.DISPATCHED
    assert responding_alarm([first, second]) is second
    assert responding_alarm([]) is None


# The household's names for its sources


def _raised_names(engine: SafetyEngine, *observations: Observation) -> list[str]:
    names: list[str] = []
    for observation in observations:
        names += [body.get("source_name", "") for body in raised(engine.handle(observation, T0))]
    return names


def test_every_alarm_names_its_source_as_the_household_does() -> None:
    engine = make_engine(vital_ranges={VitalSign.SYSTOLIC: VitalRange(90, 160)})
    names = _raised_names(
        engine,
        DetectorChanged("binary_sensor.x_gas", Role.GAS, True, "_TZ3000 Gas", "厨房燃气报警器"),
        DetectorChanged("binary_sensor.sos", Role.SOS, True, "", "床头按钮"),
        Pressed("button:button.call_for_help", AlarmKind.FALL, "Wang household Call for help"),
        AskForTest("care center"),
        VitalReading("sensor.cuff", VitalSign.SYSTOLIC, 190, "mmHg", source_name="欧姆龙血压计"),
        BatteryLevel("device-1", "客厅烟雾报警器", 5),
    )
    assert names == [
        "厨房燃气报警器",
        "床头按钮",
        "Wang household Call for help",
        "",  # no name: the host names it (the gateway)
        "欧姆龙血压计",
        "客厅烟雾报警器",
    ]


def test_a_detector_without_a_device_name_is_named_by_its_entity_name() -> None:
    engine = make_engine()
    names = _raised_names(engine, DetectorChanged("binary_sensor.s", Role.SMOKE, True, "Smoke"))
    assert names == ["Smoke"]


def test_a_door_and_a_failed_valve_are_named(engine: SafetyEngine) -> None:
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE}, {GAS_VALVE: "厨房燃气阀"})
    engine.handle(DetectorChanged("binary_sensor.gas", Role.GAS, True, "Gas", "燃气报警器"), T0)
    effects = run_until(engine, T0 + 10 * MIN)
    failed = [b for b in raised(effects) if b["kind"] == "valve_failed"]
    assert failed[0]["source_name"] == "厨房燃气阀"
    door = DetectorChanged("binary_sensor.door", Role.DOOR, True, "Front door", "入户门")
    engine.handle(door, T0 + 11 * MIN)
    effects = run_until(engine, T0 + 2 * 60 * MIN)
    assert [b["source_name"] for b in raised(effects) if b["kind"] == "door"] == ["入户门"]


def test_a_long_name_is_cut_to_what_the_hub_accepts() -> None:
    engine = make_engine()
    long_name = "  " + "名" * 150
    body = raised(engine.handle(Pressed("x" * 300, AlarmKind.SOS, long_name), T0))[0]
    assert body["source_name"] == "名" * MAX_SOURCE_NAME
    assert len(body["source"]) == 200
    assert open_alarm(engine, AlarmKind.SOS).source == "x" * 300  # kept whole at home
