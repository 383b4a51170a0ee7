"""The loader refuses any rule the engine could silently ignore."""

from __future__ import annotations

import pytest

from careplan.clinical.facts import CATALOGUE
from careplan.clinical.rules import load_rule_base
from careplan.clinical.rules.conditions import OPERATORS, compile_condition, evaluate
from careplan.errors import RuleBaseError

GOOD = '''
[[rule]]
id = "TEST-ONE"
domain = "rest"
title = "A test rule"
when = {when}
because = ["pain_now"]
clinician_note = "Note for the clinician."
patient_text = "{patient}"
source = "{source}"
'''


def rule_text(
    when: str = '["ge", "pain_now", 5]',
    patient: str = "Write down your pain score each day.",
    source: str = "NICE NG59 (2016)",
    extra: str = "",
) -> dict[str, str]:
    return {"test.toml": GOOD.format(when=when, patient=patient, source=source) + extra}


def test_a_good_rule_loads() -> None:
    base = load_rule_base(rule_text())
    assert [r.id for r in base.rules] == ["TEST-ONE"]
    assert base.digest


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('["ge", "pain_level", 5]', "unknown fact 'pain_level'"),
        ('["gte", "pain_now", 5]', "unknown operator 'gte'"),
        ('["ge", "pain_now", "five"]', "needs a number"),
        ('["has", "conditions", "gout"]', "'gout' is not a value of 'conditions'"),
        ('["has", "medication_classes", "statins"]', "is not a value of 'medication_classes'"),
        ('["has", "medications", "paracetamol"]', "is not a value of 'medications'"),
        ('["eq", "sleep_screen", "bad"]', "is not a value of 'sleep_screen'"),
        ('["is", "pain_now"]', "does not apply to number fact"),
        ('["ge", "conditions", 1]', "does not apply to set fact"),
        ('["between", "age", 70, 60]', "bounds are reversed"),
        ('["all"]', "needs at least one condition"),
        ('["not", ["is", "smoker"], ["is", "smoker"]]', "takes exactly one condition"),
        ('"pain_now > 5"', "when: Input should be a valid list"),
    ],
)
def test_unknown_facts_operators_and_values_fail_at_load(when: str, message: str) -> None:
    with pytest.raises(RuleBaseError, match=message):
        load_rule_base(rule_text(when=when))


def test_a_source_needs_a_year() -> None:
    with pytest.raises(RuleBaseError, match="guideline and its year"):
        load_rule_base(rule_text(source="Common sense"))


def test_patient_text_never_tells_anyone_to_stop_a_medicine() -> None:
    with pytest.raises(RuleBaseError, match="stop a medicine"):
        load_rule_base(rule_text(patient="Stop taking your statin tablets."))
    assert load_rule_base(rule_text(patient="Do not stop your medicine on your own."))


NSAID = 'speaks = { nsaid = "avoid" }\n'
DO_NOT_TAKE = "Do not take ibuprofen (Advil) unless we say so."


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('["has", "medication_classes", "nsaid"]', "to a patient who takes"),
        ('["ge", "pain_now", 5]', "needs \\['unless'"),
        ('["all", ["ge", "pain_now", 5], '
         '["not", ["unless", ["has", "medication_classes", "nsaid"]]]]', "to a patient who takes"),
    ],
)
def test_do_not_take_is_refused_for_a_medicine_the_patient_takes(when: str, message: str) -> None:
    with pytest.raises(RuleBaseError, match=message):
        load_rule_base(rule_text(when=when, patient=DO_NOT_TAKE, extra=NSAID))


def test_do_not_take_without_a_topic_is_refused_when_a_medicine_is_required() -> None:
    with pytest.raises(RuleBaseError, match="requires a medicine on the list"):
        load_rule_base(rule_text(when='["has", "medications", "quinine"]',
                                 patient="Do not take it for cramps."))


@pytest.mark.parametrize(
    ("when", "patient", "extra"),
    [
        ('["all", ["has", "medication_classes", "anticoagulant"], '
         '["unless", ["has", "medication_classes", "nsaid"]]]', DO_NOT_TAKE, NSAID),
        ('["has", "conditions", "heart_failure"]', "Do not take magnesium pills.", ""),
        ('["has", "medication_classes", "acetaminophen"]',
         "Do not take more than 3,000 mg of acetaminophen in a day.",
         'speaks = { acetaminophen_dose = "standard" }\n'),
        ('["has", "medication_classes", "nsaid"]',
         "You take ibuprofen (Advil). Do not stop it on your own.", NSAID),
    ],
)
def test_do_not_take_is_allowed_when_the_medicine_is_not_on_the_list(
    when: str, patient: str, extra: str
) -> None:
    assert load_rule_base(rule_text(when=when, patient=patient, extra=extra))


def test_placeholders_must_be_number_facts() -> None:
    with pytest.raises(RuleBaseError, match="placeholder"):
        load_rule_base(rule_text(patient="Come back in {weeks} weeks."))


def test_alerts_cannot_read_second_stage_facts() -> None:
    text = GOOD.format(when='["is", "alert_urgent"]', patient="See us.", source="X 2020")
    text = text.replace('domain = "rest"', 'severity = "urgent"\ntimeframe = "within_days"')
    with pytest.raises(RuleBaseError, match="alerts run first"):
        load_rule_base({"t.toml": text})


def test_duplicate_ids_and_unknown_keys_fail() -> None:
    texts = rule_text()
    texts["b.toml"] = texts["test.toml"]
    with pytest.raises(RuleBaseError, match="duplicate rule id TEST-ONE"):
        load_rule_base(texts)
    with pytest.raises(RuleBaseError, match="colour"):
        load_rule_base(rule_text(extra='colour = "red"\n'))


def test_kleene_logic_unknown_never_fires() -> None:
    facts = {"age": None, "smoker": True}
    get = facts.get
    assert evaluate(compile_condition(["ge", "age", 65], where="t"), get) is None
    assert evaluate(compile_condition(["not", ["ge", "age", 65]], where="t"), get) is None
    assert evaluate(compile_condition(["all", ["is", "smoker"], ["ge", "age", 65]], where="t"),
                    get) is None
    assert evaluate(compile_condition(["any", ["is", "smoker"], ["ge", "age", 65]], where="t"),
                    get) is True
    assert evaluate(compile_condition(["unless", ["ge", "age", 65]], where="t"), get) is True
    assert evaluate(compile_condition(["unknown", "age"], where="t"), get) is True


def test_shipped_rule_base_uses_only_catalogue_facts_and_known_operators() -> None:
    base = load_rule_base()
    for rule in base.rules:
        assert rule.reads <= set(CATALOGUE), rule.id
    assert set(OPERATORS) >= {"all", "any", "not", "unless"}
    assert len(base.alerts) >= 14
    assert {r.domain for r in base.recommendations} >= {
        "rest", "physical_therapy", "medication_review", "sleep", "nutrition", "stress",
        "follow_up",
    }


def _with_speaks(speaks: str, patient: str, *, alert: bool = False) -> dict[str, str]:
    text = rule_text(patient=patient)["test.toml"].replace(
        'title = "A test rule"', f'title = "A test rule"\nspeaks = {speaks}'
    )
    if alert:
        text = text.replace('domain = "rest"', 'severity = "urgent"\ntimeframe = "within_days"')
    return {"test.toml": text}


def test_a_rule_declares_the_topics_its_text_speaks_of() -> None:
    with pytest.raises(RuleBaseError, match=r"speaks of .activity.*does not declare it"):
        load_rule_base(rule_text(patient="Walk for 10 minutes. Exercise helps."))
    with pytest.raises(RuleBaseError, match="speaks of 'nsaid'"):
        load_rule_base(rule_text(patient="Take ibuprofen (Advil) with food."))
    with pytest.raises(RuleBaseError, match="speaks of 'urine'"):
        load_rule_base(rule_text(patient="Call us if your urine turns dark."))
    base = load_rule_base(_with_speaks('{ activity = "progress" }', "Walk for 10 minutes a day."))
    assert base.rules[0].speaks == (("activity", "progress"),)


@pytest.mark.parametrize(
    ("speaks", "message"),
    [
        ('{ activty = "hold" }', "unknown topic 'activty'"),
        ('{ activity = "stop" }', "'stop' is not a stance of 'activity'"),
        ('{ nsaid = "maybe" }', "'maybe' is not a stance of 'nsaid'"),
    ],
)
def test_unknown_topics_and_stances_fail_at_load(speaks: str, message: str) -> None:
    with pytest.raises(RuleBaseError, match=message):
        load_rule_base(_with_speaks(speaks, "Write down your pain score each day."))


def test_urgent_and_emergency_alerts_declare_a_serious_outlook() -> None:
    with pytest.raises(RuleBaseError, match="must declare outlook = 'serious'"):
        load_rule_base(_with_speaks("{}", "See a doctor in the next few days.", alert=True))
    base = load_rule_base(
        _with_speaks('{ outlook = "serious" }', "See a doctor in the next few days.", alert=True)
    )
    assert base.rules[0].is_alert


def test_fixed_handout_lines_are_checked_like_rule_text() -> None:
    bad = '''
[[text]]
id = "KEY-TEST"
where = "key"
role = "follower"
text = "Exercise is safe."
'''
    with pytest.raises(RuleBaseError, match=r"handout.toml: text KEY-TEST: .*activity"):
        load_rule_base(rule_text(), handout=bad)
    with pytest.raises(RuleBaseError, match=r"\[.some.\] are not stances of the topic"):
        load_rule_base(rule_text(), topics='''
[[topic]]
id = "alcohol"
label = "alcohol"
stances = ["none", "limit"]
urgent = ["some"]
words = ['alcohol']
''', handout="")
