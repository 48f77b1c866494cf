"""A synthetic FSM2 municipality shaped like Herning's project (seed 003), for the demo and the tests.

The grant is seed 003's: 2,235,074 kr for 2019-12-01 .. 2021-12-31, budgeted 631,215 + 858,805 +
745,053 kr by year — one krone short of the grant, as in the seed. The seed gives no approval date;
the demo assumes 2019-11-29. The citizens move through everything SPEC section 6 describes: the
change of law on 2020-01-01 (integrationsydelse becomes overgangsydelse; the self-support programme
no longer excludes), 30th birthdays during the project, citizens joining late, moving in and out,
dying, reaching folkepension, finding work, exemption markings, groups changing from rehab to
indsats, and ordinary hours or education that count — besides løntilskud and internships that do not.
"""

from datetime import date, timedelta
from decimal import Decimal

from engine.synthetic import Maker, Municipality
from models.domain import CitizenTimeline, Grant, GrantYear

CODE = "657"
PROJECT = (date(2019, 12, 1), date(2021, 12, 31))
STATUS_DAY = PROJECT[1]
LAW_CHANGE = date(2020, 1, 1)
GRANT = Decimal("2235074.00")
GRANT_YEARS = {2019: Decimal("631215.00"), 2020: Decimal("858805.00"), 2021: Decimal("745053.00")}
APPROVED_ON = date(2019, 11, 29)
KINDS = {
    "kontanthjaelp": 420,
    "integration_to_overgang": 60,
    "integration_stays": 10,
    "self_support_programme": 15,
    "introduction_programme": 10,
    "turns_30": 40,
    "joins_later": 80,
    "moves_in": 20,
    "moves_out": 25,
    "dies": 8,
    "folkepension": 10,
    "finds_job": 40,
    "jobparat": 60,
    "under_30": 40,
    "other_support": 40,
}
ONE_DAY = timedelta(days=1)


class _Maker(Maker):
    def period(self, code_field: str, code: str, first: date, last: date | None = None) -> dict:
        return {code_field: code, "from": first, "to": last}

    def citizen(self, kind: str) -> CitizenTimeline:
        """One citizen of a kind of KINDS; the names say what happens to them."""
        start, project_start = self.day(date(2012, 1, 1), date(2019, 6, 30)), PROJECT[0]
        born = self.day(date(1960, 1, 1), date(1988, 12, 31))
        residence = [self.period("municipality", CODE, date(2005, 1, 1))]
        support = [self.period("support", "kontanthjaelp", start)]
        match = [self.period("category", "aktivitetsparat", start)]
        programmes: list[dict] = []
        death = None
        joined = project_start
        during = self.day(date(2020, 2, 1), date(2021, 10, 31))
        if kind == "integration_to_overgang":
            support = [
                self.period("support", "integrationsydelse", start, LAW_CHANGE - ONE_DAY),
                self.period("support", "overgangsydelse", LAW_CHANGE),
            ]
        elif kind == "integration_stays":
            support = [self.period("support", "integrationsydelse", start)]
        elif kind == "self_support_programme":
            support = [
                self.period("support", "integrationsydelse", start, LAW_CHANGE - ONE_DAY),
                self.period("support", "overgangsydelse", LAW_CHANGE),
            ]
            programmes = [self.period("programme", "selvforsoergelsesprogram", start, date(2021, 6, 30))]
            joined = LAW_CHANGE
        elif kind == "introduction_programme":
            support = [self.period("support", "integrationsydelse", start)]
            programmes = [
                self.period("programme", "introduktionsprogram", date(2019, 1, 1), date(2022, 12, 31))
            ]
        elif kind in ("turns_30", "under_30"):
            birthday = during if kind == "turns_30" else self.day(date(2022, 3, 1), date(2025, 12, 31))
            born = birthday.replace(year=birthday.year - 30)
            joined = birthday
        elif kind == "joins_later":
            match = [
                self.period("category", "jobparat", start, during - ONE_DAY),
                self.period("category", "aktivitetsparat", during),
            ]
            joined = during
        elif kind == "moves_in":
            residence = [self.period("municipality", "756", date(2005, 1, 1), during - ONE_DAY)]
            residence.append(self.period("municipality", CODE, during))
            joined = during
        elif kind == "moves_out":
            residence = [
                self.period("municipality", CODE, date(2005, 1, 1), during - ONE_DAY),
                self.period("municipality", "661", during),
            ]
        elif kind == "dies":
            death = during
        elif kind == "folkepension":
            born = self.day(date(1953, 6, 1), date(1955, 6, 30))
            support = [
                self.period("support", "kontanthjaelp", start, during - ONE_DAY),
                self.period("support", "folkepension", during),
            ]
        elif kind == "finds_job":
            support = [
                self.period("support", "kontanthjaelp", start, during - ONE_DAY),
                self.period("support", "selvforsoergende", during),
            ]
        elif kind == "jobparat":
            match = [self.period("category", "jobparat", start)]
        elif kind == "other_support":
            support = [self.period("support", self.rng.choice(("sygedagpenge", "ressourceforloeb")), start)]
        member = kind not in ("introduction_programme", "jobparat", "under_30", "other_support")
        visitations, activities, exemptions = self.effort(joined, during if kind == "finds_job" else None)
        return CitizenTimeline.model_validate(
            {
                "citizen_id": self.cpr(born),
                "death_date": death,
                "residence": residence,
                "support": support,
                "match": match,
                "programmes": programmes,
                "visitations": visitations if member or self.rng.random() < 0.05 else [],
                "activities": activities if member else [],
                "exemptions": exemptions if member else [],
            }
        )

    def effort(self, joined: date, job: date | None) -> tuple[list[dict], list[dict], list[dict]]:
        """A visitation soon after joining (indsats mostly, rehab otherwise, some moved to indsats later),
        exemption spells, and activities: ordinary hours more often as the project goes on."""
        rng, last = self.rng, PROJECT[1]
        if rng.random() < 0.03:
            return [], [], []
        visited = min(joined + timedelta(days=rng.randint(5, 90)), last)
        group = "indsats" if rng.random() < 0.78 else "rehab"
        visitations = [{"programme": "fsm2", "date": visited, "group": group}]
        if group == "rehab" and rng.random() < 0.15:
            visitations.append(
                {"programme": "fsm2", "date": self.day(visited + ONE_DAY, last), "group": "indsats"}
            )
        exemptions = []
        if rng.random() < 0.10:
            begin = self.day(visited, last)
            marking = rng.choice(("barsel", "sygdom", "paa_vej_i_job"))
            exemptions.append(
                {"marking": marking, "from": begin, "to": begin + timedelta(days=rng.randint(30, 180))}
            )
        activities = []
        if job is not None:
            activities.append({"activity": "ordinaere_timer", "from": job, "to": None})
        begin = visited + timedelta(days=rng.randint(10, 120))
        while begin < last:
            progress = (begin - PROJECT[0]).days / (last - PROJECT[0]).days
            roll = rng.random()
            if roll < 0.08 + 0.10 * progress:
                kind = rng.choice(("ordinaere_timer", "ordinaere_timer", "ordinaer_uddannelse"))
            elif roll < 0.35:
                kind = rng.choice(("loentilskud", "virksomhedspraktik", "mentor"))
            else:
                begin += timedelta(days=rng.randint(20, 90))
                continue
            end = begin + timedelta(days=rng.randint(10, 100))
            activities.append({"activity": kind, "from": begin, "to": end})
            begin = end + timedelta(days=rng.randint(15, 90))
        return visitations, activities, exemptions


def municipality(seed: int = 2020) -> Municipality:
    """Herning's FSM2 project (see the module docstring), the same every time for the same seed."""
    maker = _Maker(CODE, seed, set())
    citizens = [maker.citizen(kind) for kind, count in KINDS.items() for _ in range(count)]
    maker.rng.shuffle(citizens)
    grant = Grant(
        municipality=CODE,
        programme="fsm2",
        amount=GRANT,
        approved_on=APPROVED_ON,
        project_start=PROJECT[0],
        project_end=PROJECT[1],
    )
    years = tuple(
        GrantYear(municipality=CODE, programme="fsm2", year=year, amount=amount)
        for year, amount in GRANT_YEARS.items()
    )
    return Municipality(CODE, grant, citizens, years)
