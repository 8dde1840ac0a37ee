from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("Role requests"), "accounts:role-requests", "accounts.decide_role_requests",
                 order=890))  # fmt: skip
register(NavItem(_("Audit trail"), "audit:list", "audit.view", order=900))
