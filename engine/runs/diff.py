"""What changed from one run to another, and why: computed once per pair of runs, stored, and read
a page at a time.

The summary comes first: the two runs (programme, as-of date, delivery, scope) and what differs
between them besides their results (another date, another delivery); then, per municipality, what
changed before → after: members, active, exits by status, visitation groups, the grant, each
rate's trigger date and amount, each month's effort group, counted and whether it qualifies, and
for a rate or a month why (the grant, a parameter, the as-of date, the months, who blocks it).
Then the citizens whose decisions changed (outcome, exit status, group), each with the rules
failing before and after and the facts that changed.

Runs of different programmes are compared only when asked: their decisions have other names, so
every one of them would differ.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.rules.pack import Pack
from engine.runs.results import stored_pack
from engine.words import N_, said, worded
from models.runs import DiffChange, Evidence, Run, RunDiff, RunMunicipality, StoredDecision

VERSION = 2
"""Of what a diff says and how: a diff stored by a release with another version is computed again."""
FIGURES = ("members", "active", "grant")
MONTH_FIGURES = ("effort_group", "in_activity", "qualifies")
"""A month's figures as the status has them (`in_activity`: counted, for FSM2)."""
BATCH = 500
Key = tuple[str, str, str]
"""A citizen's decision in a run: citizen, municipality, decision (its latest day's, when several)."""


class NotComparable(ValueError):
    """The runs cannot be compared: one has not finished."""


class OtherProgrammes(NotComparable):
    """The runs are of different programmes, and no cross-programme comparison was asked for."""


@dataclass(frozen=True)
class Change:
    """One citizen's decision that differs between two runs, and why (the facts and rules that changed)."""

    municipality: str
    subject: str
    decision: str
    before: str
    after: str
    failed_before: list[str]
    failed_after: list[str]
    facts_changed: dict[str, tuple[Any, Any]]
    outcome: tuple[bool | None, bool | None]
    """Passed before and after (None: not evaluated by that run)."""
    exit_status: tuple[str | None, str | None]
    """A member's exit status before and after (None: active, or not a status)."""


@dataclass(frozen=True)
class Diff:
    """A stored comparison: its summary document (see the module docstring) and how many citizen
    changes it holds."""

    first: int
    second: int
    summary: dict[str, Any]
    total: int

    @property
    def runs(self) -> dict[str, Any]:
        """The two runs, and what differs between them besides their results (`notes`)."""
        return self.summary["runs"]

    def summary_of(self, municipalities: Collection[str] | None) -> dict[str, Any]:
        """The counts and the municipalities' changes (None: of every municipality)."""
        shown = {k: v for k, v in self.summary.items() if k not in ("runs", "version")}
        if municipalities is not None:
            shown["municipalities"] = [m for m in shown["municipalities"] if m["code"] in municipalities]
        return shown

    def citizens_in(self, municipalities: Collection[str] | None) -> int:
        """How many citizen changes there are (None: in every municipality)."""
        if municipalities is None:
            return self.total
        return sum(m["citizens"] for m in self.summary["municipalities"] if m["code"] in municipalities)


def compare(session: Session, first: Run, second: Run, *, cross_programme: bool = False) -> Diff:
    """The comparison of two finished runs: read if it was stored, else computed and stored (once:
    a second process computing it at the same time keeps the first one's)."""
    for run in (first, second):
        if run.status != "finished":
            raise NotComparable(f"run {run.id} is {run.status}: only finished runs can be compared")
    if first.programme != second.programme and not cross_programme:
        raise OtherProgrammes(
            f"run {first.id} is {first.programme}, run {second.id} is {second.programme}: runs of "
            "different programmes share no decision; ask for a cross-programme comparison to see them anyway"
        )
    stored = session.get(RunDiff, (first.id, second.id))
    if stored is not None and stored.summary.get("version") != VERSION:  # made by an earlier release
        session.delete(stored)
        session.flush()
        stored = None
    if stored is None:
        summary, changes = _computed(session, first, second)
        try:
            with session.begin_nested():
                _store(session, first.id, second.id, summary, changes)
            session.commit()
        except IntegrityError:
            session.rollback()
        stored = session.get(RunDiff, (first.id, second.id))
        assert stored is not None
    return Diff(stored.first_run, stored.second_run, stored.summary, stored.changes)


def changes(
    session: Session,
    diff: Diff,
    *,
    municipalities: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[Change]:
    """A page of the citizens' changes (None: of every municipality), in municipality, decision and
    citizen order."""
    query = select(DiffChange).where(DiffChange.first_run == diff.first, DiffChange.second_run == diff.second)
    if municipalities is not None:
        query = query.where(DiffChange.municipality.in_(sorted(municipalities)))
    rows = session.scalars(query.order_by(DiffChange.position).offset(offset).limit(limit))
    return [
        Change(
            municipality=row.municipality,
            subject=row.citizen_id,
            decision=row.decision,
            before=row.before,
            after=row.after,
            failed_before=row.why["failed_before"],
            failed_after=row.why["failed_after"],
            facts_changed={k: (v[0], v[1]) for k, v in row.why["facts_changed"].items()},
            outcome=(row.why["outcome"][0], row.why["outcome"][1]),
            exit_status=(row.why["exit_status"][0], row.why["exit_status"][1]),
        )
        for row in rows
    ]


def _store(session: Session, first: int, second: int, summary: dict[str, Any], found: list[Change]) -> None:
    session.add(
        RunDiff(
            first_run=first,
            second_run=second,
            computed_at=datetime.now(UTC),
            summary=summary,
            changes=len(found),
        )
    )
    session.flush()
    rows = [
        {
            "first_run": first,
            "second_run": second,
            "position": position,
            "municipality": change.municipality,
            "citizen_id": change.subject,
            "decision": change.decision,
            "before": change.before,
            "after": change.after,
            "why": {
                "failed_before": change.failed_before,
                "failed_after": change.failed_after,
                "facts_changed": {k: list(v) for k, v in change.facts_changed.items()},
                "outcome": list(change.outcome),
                "exit_status": list(change.exit_status),
            },
        }
        for position, change in enumerate(found)
    ]
    for start in range(0, len(rows), 5000):
        session.execute(DiffChange.__table__.insert(), rows[start : start + 5000])


def _computed(session: Session, first: Run, second: Run) -> tuple[dict[str, Any], list[Change]]:
    found = _citizen_changes(session, first, second)
    per_municipality: dict[str, int] = {}
    for change in found:
        per_municipality[change.municipality] = per_municipality.get(change.municipality, 0) + 1
    return _summary(session, first, second, per_municipality), found


# The citizens


def _ordered_rows(connection: Connection, run_id: int) -> Iterator[Sequence[Any]]:
    """The run's citizen decisions in (citizen, municipality, decision, day) order, in code point
    order whatever the database's collation (PostgreSQL is told "C"), streamed."""
    d = StoredDecision

    def ordered(column: Any) -> Any:
        return column if connection.dialect.name == "sqlite" else column.collate("C")

    query = (
        select(d.citizen_id, d.municipality, d.decision, d.outcome, d.value, d.group, d.evidence_id)
        .where(d.run_id == run_id, d.citizen_id.is_not(None))
        .order_by(ordered(d.citizen_id), ordered(d.municipality), ordered(d.decision), d.day)
    )
    return iter(connection.execute(query.execution_options(stream_results=True, yield_per=5000)))


def _latest(rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """One row per citizen, municipality and decision: its latest day's (FSM2 decides a citizen's
    eligibility on the as-of date and on the day they joined)."""
    previous = next(rows, None)
    for row in rows:
        if previous[2] != row[2] or previous[0] != row[0] or previous[1] != row[1]:  # type: ignore[index]
            yield previous  # type: ignore[misc]
        previous = row
    if previous is not None:
        yield previous


def _pairs(connection: Connection, first: int, second: int) -> Iterator[tuple[Key, Any, Any]]:
    """The two runs' citizen decisions side by side (a merge of two ordered streams), those that
    differ only: another outcome, exit status or group, or made by one run only."""
    before, after = _latest(_ordered_rows(connection, first)), _latest(_ordered_rows(connection, second))
    old, new = next(before, None), next(after, None)
    while old is not None or new is not None:
        old_key = None if old is None else (old[0], old[1], old[2])
        new_key = None if new is None else (new[0], new[1], new[2])
        if new_key is None or (old_key is not None and old_key < new_key):
            yield old_key, old, None  # type: ignore[misc]
            old = next(before, None)
        elif old_key is None or new_key < old_key:
            yield new_key, None, new
            new = next(after, None)
        else:
            if old[3:6] != new[3:6]:  # type: ignore[index]
                yield old_key, old, new
            old, new = next(before, None), next(after, None)


def _evidence(connection: Connection, run_id: int, ids: Iterable[int]) -> dict[int, tuple[Any, Any]]:
    wanted = sorted(set(ids))
    found: dict[int, tuple[Any, Any]] = {}
    for start in range(0, len(wanted), BATCH):
        rows = connection.execute(
            select(Evidence.id, Evidence.verdicts, Evidence.facts).where(
                Evidence.run_id == run_id, Evidence.id.in_(wanted[start : start + BATCH])
            )
        )
        found.update((i, (verdicts, facts or {})) for i, verdicts, facts in rows)
    return found


def _words(row: Sequence[Any] | None) -> str:
    """A decision's outcome as stored with a change: `passed, exit <status>, group <key>` (said_outcome)."""
    if row is None:
        return N_("not evaluated")
    words = [N_("passed") if row[3] else N_("failed")]
    words += [
        f"{label} {value}" for label, value in (("exit", row[4]), ("group", row[5])) if value is not None
    ]
    return ", ".join(words)


def outcome_parts(words: str) -> tuple[str, str | None, str | None]:
    """A stored outcome (`_words`) as its verdict, exit status and group (None: not in it)."""
    verdict, *rest = words.split(", ")
    parts = dict(part.split(" ", 1) for part in rest)
    return verdict, parts.get("exit"), parts.get("group")


def _citizen_changes(session: Session, first: Run, second: Run) -> list[Change]:
    connection = session.connection()
    pairs = list(_pairs(connection, first.id, second.id))
    evidence = (
        _evidence(connection, first.id, (old[6] for _, old, _ in pairs if old is not None)),
        _evidence(connection, second.id, (new[6] for _, _, new in pairs if new is not None)),
    )
    days = (first.as_of.isoformat(), second.as_of.isoformat())  # the as-of dates: in the notes, once
    found = []
    for (citizen, municipality, decision), old, new in pairs:
        verdicts_before, facts_before = evidence[0][old[6]] if old is not None else ({}, {})
        verdicts_after, facts_after = evidence[1][new[6]] if new is not None else ({}, {})
        found.append(
            Change(
                municipality=municipality,
                subject=citizen,
                decision=decision,
                before=_words(old),
                after=_words(new),
                failed_before=[rule for rule, ok in verdicts_before.items() if not ok],
                failed_after=[rule for rule, ok in verdicts_after.items() if not ok],
                facts_changed={
                    name: (facts_before.get(name), facts_after.get(name))
                    for name in sorted(facts_before.keys() | facts_after.keys())
                    if old is not None
                    and new is not None
                    and facts_before.get(name) != facts_after.get(name)
                    and (facts_before.get(name), facts_after.get(name)) != days
                    and not isinstance(facts_after.get(name), dict | list)
                },
                outcome=(None if old is None else old[3], None if new is None else new[3]),
                exit_status=(None if old is None else old[4], None if new is None else new[4]),
            )
        )
    return sorted(found, key=lambda c: (c.municipality, c.decision, c.subject))


# The municipalities


def _run_header(run: Run) -> dict[str, Any]:
    return {
        "run": run.id,
        "programme": run.programme,
        "as_of": run.as_of.isoformat(),
        "delivery": run.delivery_id,
        "municipality": run.municipality,
    }


def _notes(first: Run, second: Run) -> list[dict[str, Any]]:
    """What differs between the runs besides their results, said first."""
    notes = []
    runs = {"first": first.id, "second": second.id}
    if first.programme != second.programme:
        notes.append(
            said(
                N_(
                    "the runs are of different programmes (%(before)s, %(after)s): "
                    "their decisions have other names"
                ),
                before=first.programme,
                after=second.programme,
            )
        )
    if first.as_of != second.as_of:
        notes.append(
            said(
                N_(
                    "run %(first)s is as of %(before)s, run %(second)s as of %(after)s: "
                    "decisions may change with the date alone"
                ),
                **runs,
                before=first.as_of.isoformat(),
                after=second.as_of.isoformat(),
            )
        )
    if first.delivery_id != second.delivery_id:
        notes.append(
            said(
                N_(
                    "run %(first)s read the data as known after delivery %(before)s, "
                    "run %(second)s after delivery %(after)s"
                ),
                **runs,
                before=first.delivery_id,
                after=second.delivery_id,
            )
        )
    if first.municipality != second.municipality:
        scope = {
            run.id: run.municipality or said(N_("every municipality with a grant")) for run in (first, second)
        }
        notes.append(
            said(
                N_("run %(first)s evaluated %(before)s, run %(second)s %(after)s"),
                **runs,
                before=scope[first.id],
                after=scope[second.id],
            )
        )
    return notes


def _places(session: Session, run: Run) -> dict[str, RunMunicipality]:
    return {
        m.municipality: m
        for m in session.scalars(select(RunMunicipality).where(RunMunicipality.run_id == run.id))
    }


def _summary(session: Session, first: Run, second: Run, citizens: Mapping[str, int]) -> dict[str, Any]:
    before, after = _places(session, first), _places(session, second)
    pack = stored_pack(session, second.pack_hash)
    municipalities = []
    for code in sorted(before.keys() | after.keys() | citizens.keys()):
        old, new = before.get(code), after.get(code)
        entry: dict[str, Any] = {"code": code, "citizens": citizens.get(code, 0)}
        if old is None or new is None:
            entry["only_in"] = (second if old is None else first).id
        else:
            entry.update(_municipality_changes(pack, first, second, old, new))
        if entry["citizens"] or len(entry) > 2:
            municipalities.append(entry)
    unchanged = len(before.keys() | after.keys()) - len(municipalities)
    return {
        "version": VERSION,
        "runs": {"first": _run_header(first), "second": _run_header(second), "notes": _notes(first, second)},
        "citizen_changes": sum(citizens.values()),
        "municipalities": municipalities,
        "unchanged_municipalities": unchanged,
    }


def _figures(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Members, active, the grant, exits by status and visitation groups that changed."""
    changed = [
        {"what": name, "before": old[name], "after": new[name]} for name in FIGURES if old[name] != new[name]
    ]
    for group in ("exits", "visitation"):
        for key in sorted(old[group].keys() | new[group].keys()):
            a, b = old[group].get(key, 0), new[group].get(key, 0)
            if a != b:
                changed.append({"what": f"{group}.{key}", "before": a, "after": b})
    return changed


def _share(month: Mapping[str, Any] | None) -> str | None:
    if month is None or not month["effort_group"]:
        return None
    return f"{Decimal(100 * month['in_activity']) / month['effort_group']:.1f} %"


def _month_changes(first: Run, second: Run, old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    before, after = {m["month"]: m for m in old}, {m["month"]: m for m in new}
    changed = []
    for month in sorted(before.keys() | after.keys()):
        a, b = before.get(month), after.get(month)
        if a is not None and b is not None and all(a[f] == b[f] for f in MONTH_FIGURES):
            continue
        if a is None or b is None:
            run, day = (second, second.as_of) if a is None else (first, first.as_of)
            why = said(
                N_("looked at by run %(run)s only (as of %(day)s: a month counts once it has ended)"),
                run=run.id,
                day=day.isoformat(),
            )
        else:
            changed_counts = a["effort_group"] != b["effort_group"] or a["in_activity"] != b["in_activity"]
            why = (
                said(N_("share %(before)s → %(after)s"), before=_share(a) or "—", after=_share(b) or "—")
                if changed_counts
                else said(N_("its share's threshold"))
            )
        changed.append(
            {
                "month": month,
                "before": None if a is None else {f: a[f] for f in MONTH_FIGURES},
                "after": None if b is None else {f: b[f] for f in MONTH_FIGURES},
                "why": why,
            }
        )
    return changed


def _rate_terms(rate: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if rate is None else {k: rate[k] for k in ("triggered", "date", "amount")}


def _blockers(blocked: Mapping[str, Any] | None) -> Any:
    """What held a rate back, in words that stay comparable between runs (a message, a list of them, or
    the rules' own words)."""
    if not blocked:
        return None
    if "not_yet_decidable" in blocked:
        return str(blocked["not_yet_decidable"])
    if "not_visitated" in blocked:
        return said(N_("%(members)s members not visitated"), members=blocked["not_visitated"])
    if "steps" in blocked:
        return [
            said(N_("%(step)s reached in %(month)s"), step=s["step"], month=s["reached_in"])
            if s["reached_in"]
            else said(N_("%(step)s reached in no month"), step=s["step"])
            for s in blocked["steps"]
        ]
    if "months" in blocked:
        short = [
            said(N_("%(month)s (cannot qualify)"), month=m["month"])
            if "cannot_qualify" in m
            else said(N_("%(month)s (%(needed)s more)"), month=m["month"], needed=m["needed"])
            for m in blocked["months"]
        ]
        return (
            said(N_("%(months)s months short, the latest %(latest)s"), months=len(short), latest=short[-3:])
            if short
            else None
        )
    return None


def _rate_causes(
    pack: Pack,
    programme: str,
    rate: int,
    old: RunMunicipality,
    new: RunMunicipality,
    months: list[dict[str, Any]],
    runs: tuple[Run, Run],
) -> list[dict[str, Any]]:
    """Why a rate's trigger or amount changed, as far as the stored results tell."""
    (a, b), (first, second) = (old.status, new.status), runs
    before, after = a["rates"][rate - 1], b["rates"][rate - 1]
    causes = []
    if a["grant"] != b["grant"]:
        causes.append(said(N_("the grant: %(before)s → %(after)s kr"), before=a["grant"], after=b["grant"]))
    try:
        spec = pack.decision(f"{programme}.rate{rate}")
    except KeyError:
        spec = None
    used = {name for rule in spec.rules for name in rule.parameters} if spec else set()
    for name in sorted(used):
        x, y = old.rate_parameters.get(name), new.rate_parameters.get(name)
        if x != y:
            causes.append(
                said(N_("parameter %(name)s: %(before)s → %(after)s"), name=name, before=x, after=y)
            )
    held = _blockers(before.get("blocked_by")), _blockers(after.get("blocked_by"))
    if held[0] != held[1]:
        nothing = said(N_("nothing"))
        causes.append(
            said(
                N_("what held it back: %(before)s → %(after)s"),
                before=held[0] or nothing,
                after=held[1] or nothing,
            )
        )
    qualifying = [
        m["month"]
        for m in months
        if (m["before"] or {}).get("qualifies") != (m["after"] or {}).get("qualifies")
    ]
    if qualifying and spec is not None and spec.facts.endswith("_month"):  # a rate decided on months
        causes.append(said(N_("months whose qualification changed: %(months)s"), months=qualifying))
    if first.as_of != second.as_of and before["date"] != after["date"]:
        causes.append(
            said(
                N_("the as-of date: %(before)s → %(after)s"),
                before=first.as_of.isoformat(),
                after=second.as_of.isoformat(),
            )
        )
    return causes or [said(N_("the citizens' decisions listed below"))]


def _municipality_changes(
    pack: Pack, first: Run, second: Run, old: RunMunicipality, new: RunMunicipality
) -> dict[str, Any]:
    a, b = old.status, new.status
    entry: dict[str, Any] = {}
    if figures := _figures(a, b):
        entry["figures"] = figures
    months = _month_changes(first, second, a["months"], b["months"])
    rates = []
    for number in sorted({r["rate"] for r in a["rates"]} | {r["rate"] for r in b["rates"]}):
        x = next((r for r in a["rates"] if r["rate"] == number), None)
        y = next((r for r in b["rates"] if r["rate"] == number), None)
        held = [_blockers((r or {}).get("blocked_by")) for r in (x, y)]
        if _rate_terms(x) == _rate_terms(y) and held[0] == held[1]:
            continue
        causes = (
            _rate_causes(pack, second.programme, number, old, new, months, (first, second))
            if x is not None and y is not None
            else [said(N_("a rate of one programme only"))]
        )
        rates.append({"rate": number, "before": _rate_terms(x), "after": _rate_terms(y), "why": causes})
    if rates:
        entry["rates"] = rates
    if months:
        entry["months"] = months
    return entry


def since_previous(session: Session, run: Run) -> dict[str, Any] | None:
    """What changed since the programme's previous finished run (None: there is none), for
    monitoring: rates newly triggered, members who exited (counted per municipality and exit
    status: no CPR number), and the municipalities whose status changed."""
    previous = session.scalars(
        select(Run)
        .where(Run.programme == run.programme, Run.status == "finished", Run.id < run.id)
        .order_by(Run.id.desc())
        .limit(1)
    ).first()
    if previous is None:
        return None
    found = compare(session, previous, run)
    exited: dict[tuple[str, str | None], int] = {}
    for change in changes(session, found, limit=found.total):
        if change.decision == f"{run.programme}.status" and change.outcome == (True, False):
            key = (change.municipality, change.exit_status[1])
            exited[key] = exited.get(key, 0) + 1
    places = found.summary["municipalities"]
    return {
        "run": previous.id,
        "as_of": previous.as_of.isoformat(),
        "notes": worded(found.runs["notes"]),
        "rates_triggered": [
            {
                "municipality": m["code"],
                "rate": r["rate"],
                "date": r["after"]["date"],
                "amount": r["after"]["amount"],
            }
            for m in places
            for r in m.get("rates", ())
            if r["after"] and r["after"]["triggered"] and not (r["before"] or {}).get("triggered")
        ],
        "members_exited": [
            {"municipality": code, "exit_status": status, "members": count}
            for (code, status), count in sorted(
                exited.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        ],
        "municipalities_changed": [
            m["code"] for m in places if m.keys() & {"figures", "rates", "months", "only_in"}
        ],
    }
