from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("Incidents"), "incidents:list", "incidents.view", order=30))
