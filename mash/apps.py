from django.apps import AppConfig


class MashConfig(AppConfig):
    name = "mash"
    verbose_name = "MASH secondary assessment"

    def ready(self) -> None:
        # Access rules, menu entries, the receivers (risk's signal, deadline handlers).
        from dapolice.alerts import registry
        from mash import navigation, policies, receivers, selectors  # noqa: F401
        from risk.signals import marac_referral_provider

        # Risk's "repeat MARAC" asks when the victim was last referred to a MARAC: until the
        # MARAC app exists, the MASH's MARAC referrals are the record (README, "Custom signals").
        marac_referral_provider(selectors.last_marac_referral)
        # Notifications to a victim follow the victim's safe-contact instructions where the
        # alerts app sends to victims (its ``safe_contact_rule`` hook, when present).
        register = getattr(registry, "safe_contact_rule", None)
        if register is not None:
            register(selectors.safe_contact_for)
