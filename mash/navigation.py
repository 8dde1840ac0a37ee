from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("MASH queue"), "mash:queue", "mash.queue", order=50))
register(NavItem(_("Referrals"), "mash:referrals", "mash.referrals", order=55))
