from health_check.views import HealthCheckView


class HealthzView(HealthCheckView):
    """``/healthz``: 200 when every check passes, 500 otherwise; ``?format=json`` for machines."""

    checks = (
        "health_check.checks.Database",
        "dapolice.health.checks.Broker",
        "dapolice.health.checks.Worker",
        "dapolice.alerts.health.Alerting",
    )
