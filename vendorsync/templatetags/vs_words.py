"""Template filters that turn codes into words (see vendorsync/words.py)."""

from __future__ import annotations

from django import template

from vendorsync import words

register = template.Library()

register.filter("role_label", words.role_label)
register.filter("team_label", words.team_label)
register.filter("audit_action", words.audit_action_label)
register.filter("subject_label", words.subject_label)
register.filter("flow_label", words.flow_label)
register.filter("when", words.when)
register.filter("age", words.age)
