"""The pupil groups the files give GLD for, named once for every page, chart, table and file."""

from __future__ import annotations

GROUP_LABELS = {
    "all": "All children",
    "fsm": "FSM-eligible children",
    "all_other": "All other children (not known to be FSM-eligible)",
    "not_eligible": "Children known not to be FSM-eligible",
}
# The two groups with 2028 targets, in the order pages show them.
TARGET_GROUPS = ("all", "fsm")
# The choice between them (the peers trend, the district layer), as shown and linked.
PUPIL_CHOICES = {group: GROUP_LABELS[group] for group in TARGET_GROUPS}


def in_sentence(group: str) -> str:
    """The group's name inside a sentence: 'all children', 'FSM-eligible children'."""
    label = GROUP_LABELS[group]
    return label[0].lower() + label[1:] if group == "all" else label
