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
patient_text_es = "{patient_es}"
source = "{source}"
'''


def rule_text(
    when: str = '["ge", "pain_now", 5]',
    patient: str = "Write down your pain score each day.",
    source: str = "NICE NG59 (2016)",
    extra: str = "",
    patient_es: str = "Anote su dolor cada día.",
) -> dict[str, str]:
    return {"test.toml": GOOD.format(when=when, patient=patient, source=source,
                                     patient_es=patient_es) + extra}


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
    assert load_rule_base(rule_text(patient="Do not stop your medicine on your own.",
                                    patient_es="No deje su medicina por su cuenta."))


@pytest.mark.parametrize("spanish", [
    "Deje de tomar su medicina para el colesterol.",
    "Suspenda las pastillas.",
    "Pare la medicina si le duele.",
    "Deje la medicina recetada por una semana.",
    "Interrumpa la dosis de la noche.",
])
def test_spanish_text_never_tells_anyone_to_stop_a_medicine(spanish: str) -> None:
    with pytest.raises(RuleBaseError, match="Spanish patient text must not tell anyone to stop"):
        load_rule_base(rule_text(patient="Bring your medicines to your next visit.",
                                 patient_es=spanish))


@pytest.mark.parametrize("spanish", [
    "No deje de tomar su medicina por su cuenta.",
    "Es su medicina: no la deje por su cuenta, a menos que el médico se lo diga.",
    "Nunca suspenda su medicina sin preguntarnos.",
    "Su medicina para la gota es importante.",  # 'para' is no 'pare'
])
def test_spanish_do_not_stop_is_allowed(spanish: str) -> None:
    assert load_rule_base(rule_text(patient="Do not stop your medicine on your own.",
                                    patient_es=spanish))


def test_a_rule_needs_both_languages() -> None:
    english_only = rule_text()["test.toml"].replace(
        'patient_text_es = "Anote su dolor cada día."\n', "")
    with pytest.raises(RuleBaseError, match="patient_text_es: Field required"):
        load_rule_base({"test.toml": english_only})
    with pytest.raises(RuleBaseError, match="patient_text_es: String should have at least 3"):
        load_rule_base(rule_text(patient_es=" "))


def test_the_spanish_text_keeps_the_placeholders() -> None:
    with pytest.raises(RuleBaseError, match="same placeholders"):
        load_rule_base(rule_text(patient="Come back in {review_in_weeks} weeks.",
                                 patient_es="Vuelva pronto."))
    assert load_rule_base(rule_text(patient="Come back in {review_in_weeks} weeks.",
                                    patient_es="Vuelva en {review_in_weeks} semanas."))


def test_spanish_do_not_take_is_judged_like_the_english() -> None:
    """'No tome ibuprofeno' to a patient who takes it is refused as 'do not take' is."""
    with pytest.raises(RuleBaseError, match="to a patient who takes"):
        load_rule_base(rule_text(
            when='["has", "medication_classes", "nsaid"]',
            patient="Ibuprofen (Advil) can harm your kidneys.",
            patient_es="No tome ibuprofeno (Advil). Puede dañar sus riñones.", extra=NSAID_))
    assert load_rule_base(rule_text(  # a ceiling is no "do not take"
        when='["has", "medication_classes", "acetaminophen"]',
        patient="Take no more than 3,000 mg of acetaminophen in a day.",
        patient_es="No tome más de 3000 mg de acetaminofén al día.",
        extra='speaks = { acetaminophen_dose = "standard" }\n'))


@pytest.mark.parametrize(("english", "spanish", "message"), [
    ("Go to the emergency room now.", "Vaya a urgencias ahora.", "sala de emergencias"),
    ("Drink water through the day.", "Tome agua y vaya a la sala de emergencias, no a urgencias.",
     "urgencias"),
    ("Tell us about your muscle pain.", "Cuéntenos de su mialgia.", "dolor"),
    ("If you take Tylenol, read the label.", "Si toma acetaminofén, lea la etiqueta.",
     "brand name 'Tylenol'"),
    ("Call or text 988 any time.", "Llame al 988 a cualquier hora.", "oprima 2 para español"),
])
def test_the_spanish_follows_the_glossary(english: str, spanish: str, message: str) -> None:
    with pytest.raises(RuleBaseError, match=message):
        load_rule_base(rule_text(patient=english, patient_es=spanish))


def test_a_spanish_text_declares_the_topics_its_words_speak_of() -> None:
    with pytest.raises(RuleBaseError, match="Spanish patient text speaks of 'activity'"):
        load_rule_base(rule_text(patient="Write down your pain.",
                                 patient_es="Camine 10 minutos al día."))
    with pytest.raises(RuleBaseError, match="Spanish patient text speaks of 'urine'"):
        load_rule_base(rule_text(patient="Call us if anything changes.",
                                 patient_es="Llámenos si su orina se pone oscura."))


def test_the_shipped_layout_and_purposes_have_both_languages() -> None:
    from careplan.clinical.rules.wording import load_layout

    with pytest.raises(RuleBaseError, match=r"word\.title: give the text in both languages"):
        load_layout('[word]\ntitle = { en = "Your care plan" }\n[area]\nneck = { en = "neck", '
                    'es = "el cuello" }\n', '[purpose]\nstatin = { en = "a", es = "b" }\n')
    with pytest.raises(RuleBaseError, match=r"purposes\.toml: purpose\.statin: both"):
        load_layout('[word]\ntitle = { en = "a", es = "b" }\n[area]\nneck = { en = "neck", '
                    'es = "el cuello" }\n', '[purpose]\nstatin = { en = "Lowers it", es = "" }\n')
    layout = load_rule_base().layout
    assert layout.words
    assert layout.areas
    assert layout.purposes


NSAID = 'speaks = { nsaid = "avoid" }\n'
NSAID_ = NSAID
DO_NOT_TAKE = "Do not take ibuprofen (Advil) unless we say so."
NO_TOME = "No tome ibuprofeno (Advil), a menos que se lo digamos."


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
        load_rule_base(rule_text(when=when, patient=DO_NOT_TAKE, extra=NSAID,
                                 patient_es=NO_TOME))


def test_do_not_take_without_a_topic_is_refused_when_a_medicine_is_required() -> None:
    with pytest.raises(RuleBaseError, match="requires a medicine on the list"):
        load_rule_base(rule_text(when='["has", "medications", "quinine"]',
                                 patient="Do not take it for cramps."))


@pytest.mark.parametrize(
    ("when", "patient", "spanish", "extra"),
    [
        ('["all", ["has", "medication_classes", "anticoagulant"], '
         '["unless", ["has", "medication_classes", "nsaid"]]]', DO_NOT_TAKE, NO_TOME, NSAID),
        ('["has", "conditions", "heart_failure"]', "Do not take magnesium pills.",
         "No tome pastillas de magnesio.", ""),
        ('["has", "medication_classes", "acetaminophen"]',
         "Do not take more than 3,000 mg of acetaminophen in a day.",
         "No tome más de 3000 mg de acetaminofén al día.",
         'speaks = { acetaminophen_dose = "standard" }\n'),
        ('["has", "medication_classes", "nsaid"]',
         "You take ibuprofen (Advil). Do not stop it on your own.",
         "Usted toma ibuprofeno (Advil). No lo deje por su cuenta.", NSAID),
    ],
)
def test_do_not_take_is_allowed_when_the_medicine_is_not_on_the_list(
    when: str, patient: str, spanish: str, extra: str
) -> None:
    assert load_rule_base(rule_text(when=when, patient=patient, extra=extra, patient_es=spanish))


def test_placeholders_must_be_number_facts() -> None:
    with pytest.raises(RuleBaseError, match="placeholder"):
        load_rule_base(rule_text(patient="Come back in {weeks} weeks."))


def test_alerts_cannot_read_second_stage_facts() -> None:
    text = GOOD.format(when='["is", "alert_urgent"]', patient="See us.", source="X 2020",
                       patient_es="Venga a vernos.")
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


def _with_speaks(
    speaks: str, patient: str, *, alert: bool = False, spanish: str = "Anote su dolor cada día."
) -> dict[str, str]:
    text = rule_text(patient=patient, patient_es=spanish)["test.toml"].replace(
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
    base = load_rule_base(_with_speaks('{ activity = "progress" }', "Walk for 10 minutes a day.",
                                       spanish="Camine 10 minutos al día."))
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
    soon = "Vea a un médico en los próximos días."
    with pytest.raises(RuleBaseError, match="must declare outlook = 'serious'"):
        load_rule_base(_with_speaks("{}", "See a doctor in the next few days.", alert=True,
                                    spanish=soon))
    base = load_rule_base(_with_speaks('{ outlook = "serious" }',
                                       "See a doctor in the next few days.", alert=True,
                                       spanish=soon))
    assert base.rules[0].is_alert


def test_fixed_handout_lines_are_checked_like_rule_text() -> None:
    bad = '''
[[text]]
id = "KEY-TEST"
where = "key"
role = "follower"
text = "Exercise is safe."
text_es = "El ejercicio es seguro."
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
words_es = ['alcohol']
''', handout="")
