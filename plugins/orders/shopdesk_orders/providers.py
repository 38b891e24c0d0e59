"""Payment providers: the offline ones built in, plus whatever plugins offer through the
``payment_providers`` hook (collected). Payments are recorded against a provider code."""

from shopdesk.commerce import PaymentProvider

BUILT_IN = (
    PaymentProvider("cash", "Cash", offline=True, description="Cash taken at the counter or on delivery."),
    PaymentProvider("bank_transfer", "Bank transfer", offline=True, description="Money wired to the store's account."),
    PaymentProvider("manual", "Manual", offline=True, description="Any other payment recorded by hand."),
)


def providers(hooks) -> list[tuple[str, PaymentProvider]]:
    """(plugin, provider) pairs: the built-in ones first, then each plugin's, by code."""
    found = {p.code: ("orders", p) for p in BUILT_IN}
    for result in hooks.each("payment_providers", isolate=True):
        for provider in result.value or []:
            found.setdefault(provider.code, (result.plugin, provider))
    return list(found.values())


def provider_codes(hooks) -> list[str]:
    return [provider.code for _, provider in providers(hooks)]
