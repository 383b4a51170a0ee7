"""The intake's shared words: the 19 WPI areas, their labels, the red-flag questions.

Why a module of its own: the intake model, the WPI score, the body map, the form
registry, the plan's reasons and the FHIR Questionnaire all name these. Kept here once,
with no imports, so even the lightest module (an instrument) can use them.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["AREAS", "AREA_LABELS", "RED_FLAGS", "RED_FLAG_LABELS", "Area"]

# The 19 regions of the Widespread Pain Index (ACR 2016); left and right are the patient's.
Area = Literal[
    "jaw_left",
    "jaw_right",
    "shoulder_left",
    "shoulder_right",
    "upper_arm_left",
    "upper_arm_right",
    "lower_arm_left",
    "lower_arm_right",
    "hip_left",
    "hip_right",
    "upper_leg_left",
    "upper_leg_right",
    "lower_leg_left",
    "lower_leg_right",
    "neck",
    "upper_back",
    "lower_back",
    "chest",
    "abdomen",
]
AREAS: Final[tuple[str, ...]] = get_args(Area)

AREA_LABELS: Final[dict[str, str]] = {
    "jaw_left": "Jaw (left side)",
    "jaw_right": "Jaw (right side)",
    "shoulder_left": "Left shoulder",
    "shoulder_right": "Right shoulder",
    "upper_arm_left": "Left upper arm",
    "upper_arm_right": "Right upper arm",
    "lower_arm_left": "Left lower arm",
    "lower_arm_right": "Right lower arm",
    "hip_left": "Left hip",
    "hip_right": "Right hip",
    "upper_leg_left": "Left upper leg",
    "upper_leg_right": "Right upper leg",
    "lower_leg_left": "Left lower leg",
    "lower_leg_right": "Right lower leg",
    "neck": "Neck",
    "upper_back": "Upper back",
    "lower_back": "Lower back",
    "chest": "Chest",
    "abdomen": "Abdomen",
}

# What each red-flag question asks, in the order the form asks them. The intake model's
# RedFlags fields must be exactly these names (careplan.intake.model checks at import); the
# Intake page's labels, the Questionnaire's item text and the plan's reasons
# ("reports ...") are all made from it.
RED_FLAG_LABELS: Final[dict[str, str]] = {
    "dark_urine": "Dark (tea- or cola-coloured) urine",
    "severe_weakness": "Severe weakness",
    "fever_or_chills": "Fever or chills",
    "unexplained_weight_loss": "Unexplained weight loss",
    "night_pain": "Pain at night or at rest",
    "history_of_cancer": "History of cancer",
    "new_headache_jaw_pain_or_vision_change": "New headache, jaw pain on chewing or vision change",
    "one_sided_calf_swelling": "Swelling of one calf",
    "saddle_numbness_or_bladder_bowel_change": (
        "Numbness between the legs (saddle area), or a new change in bladder or bowel control"
    ),
    "limb_numbness_or_tingling": "Numbness or tingling in an arm or leg",
    "proximal_weakness_rising_or_climbing": "Weakness rising from a chair or climbing stairs",
    "rash": "Rash",
    "pain_out_of_proportion_or_tense_swelling": "Pain out of proportion, or tense swelling",
    "chest_pain_or_breathlessness": "Chest pain or breathlessness",
    "thoughts_of_self_harm": "Thoughts of self-harm",
}
RED_FLAGS: Final[tuple[str, ...]] = tuple(RED_FLAG_LABELS)

if set(AREA_LABELS) != set(AREAS):  # pragma: no cover - a new area needs its label
    raise RuntimeError(f"area labels do not match: {set(AREA_LABELS) ^ set(AREAS)}")
