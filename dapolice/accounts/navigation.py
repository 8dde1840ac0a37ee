from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("Audit trail"), "audit:list", "audit.view", order=900))
