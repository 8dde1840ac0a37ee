from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("MARAC cases"), "marac:cases", "marac.cases", order=60))
register(NavItem(_("MARAC meetings"), "marac:meetings", "marac.coordinate", order=62))
register(NavItem(_("Action tracker"), "marac:tracker", "marac.coordinate", order=64))
register(NavItem(_("MARAC return"), "marac:return", "marac.return", order=66))
