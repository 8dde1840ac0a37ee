"""One place that answers "may this user see / do this?" (no models).

Each app's ``policies.py`` registers named rules with :func:`rule`; views and API views name a
rule and the shared mixin (``access.views``) or DRF permission class (``access.api``) checks it,
once, before the handler runs. Visibility of querysets lives in each model's
``QuerySet.visible_to(user)``, built from the same policies module. README, "Access", has the
whole convention.
"""

from dapolice.access.registry import check, refusal, require, rule, rules

__all__ = ["check", "refusal", "require", "rule", "rules"]
