from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("DASH assessments"), "risk:list", "risk.view", order=40))
register(NavItem(_("DASH review queue"), "risk:queue", "risk.queue", order=45))
