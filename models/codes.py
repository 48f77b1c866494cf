"""The code lists of SPEC section 2: the only values a delivery or a citizen file may use."""

from enum import StrEnum


def text(code: StrEnum) -> str:
    """A code as plain text. `str()` of a StrEnum member is its value, made in C; `.value` is a
    Python-level property, and the facts of a national run ask for codes a million times."""
    return str(code)


class Support(StrEnum):
    """What a citizen lives on, per day ("forsørgelse")."""

    kontanthjaelp = "kontanthjaelp"
    uddannelseshjaelp = "uddannelseshjaelp"
    integrationsydelse = "integrationsydelse"
    overgangsydelse = "overgangsydelse"
    sygedagpenge = "sygedagpenge"
    ressourceforloeb = "ressourceforloeb"
    jobafklaring = "jobafklaring"
    revalidering = "revalidering"
    ledighedsydelse = "ledighedsydelse"
    fleksjob = "fleksjob"
    dagpenge = "dagpenge"
    foertidspension = "foertidspension"
    folkepension = "folkepension"
    selvforsoergende = "selvforsoergende"
    ikke_berettiget = "ikke_berettiget"


class MatchCategory(StrEnum):
    aktivitetsparat = "aktivitetsparat"
    jobparat = "jobparat"


class Programme(StrEnum):
    """Integration-type programmes a citizen can be in (programmes.csv)."""

    integrationsprogram = "integrationsprogram"
    selvforsoergelsesprogram = "selvforsoergelsesprogram"
    hjemrejseprogram = "hjemrejseprogram"
    introduktionsprogram = "introduktionsprogram"


class Activity(StrEnum):
    """Activity codes; which of them count is a parameter of each rule pack."""

    virksomhedspraktik = "virksomhedspraktik"
    loentilskud = "loentilskud"
    ordinaere_timer = "ordinaere_timer"
    fleksjob = "fleksjob"
    ordinaer_uddannelse = "ordinaer_uddannelse"
    vejledning = "vejledning"
    mentor = "mentor"
    opkvalificering = "opkvalificering"


class GrantProgramme(StrEnum):
    """The rule packs (programmes with grants and visitations)."""

    fsm1 = "fsm1"
    fsm2 = "fsm2"


class VisitationGroup(StrEnum):
    """FSM1 groups `1`, `2`, `3`, `udskudt`; FSM2 groups `indsats`, `rehab`."""

    g1 = "1"
    g2 = "2"
    g3 = "3"
    udskudt = "udskudt"
    indsats = "indsats"
    rehab = "rehab"


GROUPS_BY_PROGRAMME: dict[GrantProgramme, frozenset[VisitationGroup]] = {
    GrantProgramme.fsm1: frozenset(
        {VisitationGroup.g1, VisitationGroup.g2, VisitationGroup.g3, VisitationGroup.udskudt}
    ),
    GrantProgramme.fsm2: frozenset({VisitationGroup.indsats, VisitationGroup.rehab}),
}
