from django.utils.translation import gettext_lazy as _

from dapolice.access.navigation import NavItem, register

register(NavItem(_("New incident"), "incidents:create", "incidents.create", order=10))
register(NavItem(_("Control-room board"), "incidents:board", "incidents.board", order=20))
register(NavItem(_("Incidents"), "incidents:list", "incidents.view", order=30))
register(
    NavItem(
        _("Duty inspector rota"), "incidents:inspector-rota", "incidents.inspector_rota", order=35
    )
)
register(
    NavItem(
        _("Matching models"), "incidents:matching-models", "incidents.matching.models", order=90
    )
)
