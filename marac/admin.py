"""MARAC records are case content and are not in the admin (the coordinator works them on the
MARAC pages, through the services and the audit). Meetings' numbers a force tunes are settings
(``DAPOLICE_MARAC_*``)."""
