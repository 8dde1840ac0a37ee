"""One place that answers "may this user see / do this?" (no models).

Each app's ``policies.py`` registers named rules with :func:`rule`; views, API views, admin pages
and services ask through :func:`check` / :func:`require`. Visibility of querysets lives in each
model's ``QuerySet.visible_to(user)``, built from the same policies module.
"""

from dapolice.access.registry import check, require, rule, rules

__all__ = ["check", "require", "rule", "rules"]
