"""Timeline → derived facts: plain, pure, property-tested Python that feeds the rule packs.

One module per programme; each function returns a flat mapping of fact name → value, the names
being the ones the pack's rules list under `facts:`.
"""
