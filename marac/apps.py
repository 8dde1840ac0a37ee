from django.apps import AppConfig


class MaracConfig(AppConfig):
    name = "marac"
    verbose_name = "MARAC"

    def ready(self) -> None:
        # Access rules, menu entries, the receivers (mash's and incidents' signals, deadlines).
        from marac import navigation, policies, receivers, selectors  # noqa: F401
        from risk.signals import marac_referral_provider

        # Risk's "repeat MARAC" asks when the victim was last referred: the MARAC list is the
        # record (every MASH referral reaches it through ``mash.signals.marac_referral_made``,
        # and partners refer here directly). The MASH's own provider stays registered, harmless
        # (the latest answer wins), for MASH referrals older than this app.
        marac_referral_provider(selectors.last_marac_referral)
