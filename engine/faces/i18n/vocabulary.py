"""The words of the source documents for the codes of SPEC section 2, the visitation groups and the
municipalities: English messages here, their Danish in the catalogue (the seeds' own wording, with
æøå: `kontanthjaelp` is "kontanthjælp"). docs/glossary.md lists them with the other terms.

A code nobody has named yet is shown as itself.
"""

from engine.words import N_
from models import municipalities
from models.codes import Activity, MatchCategory, Programme, Support

SUPPORT: dict[str, str] = {
    Support.kontanthjaelp: N_("cash benefit"),
    Support.uddannelseshjaelp: N_("education benefit"),
    Support.integrationsydelse: N_("integration benefit"),
    Support.overgangsydelse: N_("transition benefit"),
    Support.sygedagpenge: N_("sickness benefit"),
    Support.ressourceforloeb: N_("resource programme benefit"),
    Support.jobafklaring: N_("job clarification programme"),
    Support.revalidering: N_("vocational rehabilitation"),
    Support.ledighedsydelse: N_("flexi-job unemployment benefit"),
    Support.fleksjob: N_("flexi-job"),
    Support.dagpenge: N_("unemployment insurance benefit"),
    Support.foertidspension: N_("disability pension"),
    Support.folkepension: N_("state pension"),
    Support.selvforsoergende: N_("self-supporting (work or education)"),
    Support.ikke_berettiget: N_("not entitled to benefit"),
}
"""What a citizen lives on ("forsørgelse")."""

EXIT: dict[str, str] = {
    **SUPPORT,
    "doed": N_("died"),
    "fraflyttet": N_("moved out of the municipality"),
    "ressourceforloeb": N_("resource programme"),
    "fleksjob_ledighedsydelse": N_("flexi-job/flexi-job unemployment benefit"),
    "arbejde_uddannelse": N_("work/education"),
    "ingen_registrering": N_("no support recorded"),
}
"""A member's exit status (SPEC section 4; the seed's table of 2 March 2018)."""

MATCH: dict[str, str] = {
    MatchCategory.aktivitetsparat: N_("activity-ready"),
    MatchCategory.jobparat: N_("job-ready"),
}

PROGRAMME: dict[str, str] = {
    Programme.integrationsprogram: N_("integration programme"),
    Programme.selvforsoergelsesprogram: N_("self-support programme"),
    Programme.hjemrejseprogram: N_("repatriation programme"),
    Programme.introduktionsprogram: N_("introduction programme"),
}

ACTIVITY: dict[str, str] = {
    Activity.virksomhedspraktik: N_("work placement"),
    Activity.loentilskud: N_("wage subsidy job"),
    Activity.ordinaere_timer: N_("ordinary hours"),
    Activity.fleksjob: N_("flexi-job"),
    Activity.ordinaer_uddannelse: N_("ordinary education"),
    Activity.vejledning: N_("guidance"),
    Activity.mentor: N_("mentor"),
    Activity.opkvalificering: N_("upskilling"),
}

MARKING: dict[str, str] = {
    "barsel": N_("maternity or paternity leave"),
    "sygdom": N_("illness"),
    "paa_vej_i_job": N_("on the way into a job"),
}
"""FSM2's exemption markings (exemptions.csv)."""

RUN: dict[str, str] = {"running": N_("running"), "finished": N_("finished"), "failed": N_("failed")}
"""A run's status."""

CODES: dict[str, dict[str, str]] = {
    "support": SUPPORT,
    "exit": EXIT,
    "match": MATCH,
    "programme": PROGRAMME,
    "activity": ACTIVITY,
    "marking": MARKING,
    "run": RUN,
}
"""Each code list by its kind; a code that is in several lists has the same name in each, except
`ressourceforloeb` (the benefit as support, the programme as an exit)."""

GROUPS: dict[str, dict[str, str]] = {
    "fsm1": {
        "1": N_("Group 1 – the effort group"),
        "2": N_("Group 2 – to the rehabilitation team"),
        "3": N_("Group 3 – severe health or social problems"),
        "udskudt": N_("Deferred visitation"),
        "mangler": N_("Not yet visitated"),
    },
    "fsm2": {
        "indsats": N_("The effort group"),
        "rehab": N_("The rehabilitation group"),
        "fritaget": N_("Exempted"),
        "mangler": N_("Not yet visitated"),
    },
}
"""The keys of a status's visitation counts by programme (a member's group on the as-of date;
`mangler`: not visitated yet; FSM2's `fritaget`: in the effort group but exempted that day)."""

PROGRAMMES: dict[str, str] = {
    "fsm1": N_("Flere skal med 1"),
    "fsm2": N_("Flere skal med 2"),
}

GLOSSARY: tuple[str, ...] = (
    N_("target group"),
    N_("gross target group"),
    N_("the effort group"),
    N_("the rehabilitation group"),
    N_("visitation"),
    N_("visitated"),
    N_("deferred visitation"),
    N_("rate"),
    N_("grant"),
    N_("company-directed activity"),
    N_("ordinary hours"),
    N_("activity-ready"),
    N_("cash benefit"),
    N_("cut-off date"),
    N_("project period"),
    N_("member"),
    N_("exit status"),
    N_("municipality"),
)
"""The terms of the source documents, marked for the catalogue (where their Danish is): docs/glossary.md
lists them with their Danish and where the seeds use them, and tests/test_i18n_catalogues.py checks
that the catalogue translates each as the glossary says."""


def code(kind: str, value: str) -> str:
    """The English name of a code of `kind` (CODES), or the code itself."""
    return CODES[kind].get(value, value)


def group(programme: str, key: str | None) -> str:
    """The English name of a visitation group (None: not visitated), or the key itself."""
    return GROUPS.get(programme, {}).get(key or "mangler", key or "mangler")


def municipality(code: str) -> str:
    """`Aalborg (851)`; a code that is not one of the 98 as itself."""
    name = municipalities.name(code)
    return f"{name} ({code})" if name else code
