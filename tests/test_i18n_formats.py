"""Danish and English formats (Babel, CLDR): money as Decimal rounded half-up to øre, shares, integers,
dates in prose and in tables, months; choosing the language (explicit, FSM_LANG, Accept-Language);
the names of codes, groups and municipalities; and Jinja2 on the catalogues."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from engine.faces.i18n import SETTING, Language, UnknownLanguage, language, negotiate, texts
from engine.faces.i18n.jinja import install_jinja
from models import municipalities

DA, EN = texts(Language.da), texts(Language.en)
NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "danish", "english"),
    [
        (Decimal("11749000"), "11.749.000,00 kr.", "DKK 11,749,000.00"),
        (Decimal("3524700.00"), "3.524.700,00 kr.", "DKK 3,524,700.00"),
        (Decimal("0.005"), "0,01 kr.", "DKK 0.01"),  # half-up: Babel alone would give 0,00 (half-even)
        (Decimal("0.025"), "0,03 kr.", "DKK 0.03"),
        (Decimal("2.675"), "2,68 kr.", "DKK 2.68"),  # as a float 2.675 is 2.67499…: never a float
        (Decimal("0.0049"), "0,00 kr.", "DKK 0.00"),
        (Decimal("-1.005"), "-1,01 kr.", "-DKK 1.01"),
        (Decimal("1234567890.125"), "1.234.567.890,13 kr.", "DKK 1,234,567,890.13"),
        (0, "0,00 kr.", "DKK 0.00"),
    ],
)
def test_money_in_danish_and_english(amount, danish: str, english: str):
    assert DA.money(amount) == danish.replace(" ", NBSP)
    assert EN.money(amount) == english.replace(" ", NBSP)


def test_money_is_never_a_float():
    with pytest.raises(TypeError, match="money is Decimal, not float"):
        DA.money(0.1)  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_danish_money_reads_back_as_the_amount_rounded_half_up_to_oere(amount: Decimal):
    shown = DA.money(amount)
    assert shown.endswith(f"{NBSP}kr.")
    number = shown.removesuffix(f"{NBSP}kr.").replace(".", "").replace(",", ".")
    expected = amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert Decimal(number) == expected


@pytest.mark.parametrize(
    ("share", "places", "danish", "english"),
    [
        (Decimal("0.40"), 1, "40,0 %", "40.0%"),
        (Fraction(1, 3), 1, "33,3 %", "33.3%"),
        (Fraction(2, 3), 1, "66,7 %", "66.7%"),
        (Decimal("0.0005"), 1, "0,1 %", "0.1%"),  # half-up
        (Decimal("0.125"), 0, "13 %", "13%"),
        (Decimal("1"), 0, "100 %", "100%"),
        (0.4, 0, "40 %", "40%"),
    ],
)
def test_shares_in_per_cent(share, places: int, danish: str, english: str):
    assert DA.percent(share, places) == danish.replace(" ", NBSP)
    assert EN.percent(share, places) == english


def test_integers_decimals_dates_and_months():
    assert (DA.integer(1220), EN.integer(1220), DA.integer(969)) == ("1.220", "1,220", "969")
    assert (DA.decimal(Decimal("0.40")), EN.decimal(Decimal("1234.5"))) == ("0,40", "1,234.5")
    day = date(2018, 3, 2)
    assert (DA.date(day), EN.date(day)) == ("2. marts 2018", "2 March 2018")
    assert (DA.day(day), EN.day(day)) == ("02-03-2018", "2018-03-02")
    assert (DA.month("2018-03"), DA.month(day, short=True), EN.month(day)) == (
        "marts 2018",
        "mar. 2018",
        "March 2018",
    )
    assert DA.date(date(2019, 12, 1)) == "1. december 2019" and DA.month("2018-02") == "februar 2018"


def test_codes_groups_and_municipalities_have_their_names():
    assert (
        DA.code("support", "kontanthjaelp") == "kontanthjælp"
        and EN.code("support", "kontanthjaelp") == "cash benefit"
    )
    assert DA.code("support", "ressourceforloeb") == "ressourceforløbsydelse"
    assert DA.code("exit", "ressourceforloeb") == "ressourceforløb" and DA.code("exit", "doed") == "død"
    assert DA.code("exit", "fleksjob_ledighedsydelse") == "fleksjob/ledighedsydelse"
    assert (
        DA.code("activity", "loentilskud") == "løntilskud"
        and DA.code("marking", "paa_vej_i_job") == "på vej i job"
    )
    assert DA.code("activity", "something_new") == "something_new"  # unnamed: as itself
    assert [DA.group("fsm1", g) for g in ("1", "2", "3", "udskudt", None)] == [
        "Gruppe 1 – indsatsgruppen",
        "Gruppe 2 – skal på rehab.møde",
        "Gruppe 3 – massive helbreds- eller sociale problemer",
        "Udskudt visitation",
        "Mangler visitation",
    ]
    assert [DA.group("fsm2", g) for g in ("indsats", "rehab", "fritaget", "mangler")] == [
        "Indsatsgruppen",
        "Rehabiliteringsgruppen",
        "Fritaget",
        "Mangler visitation",
    ]
    assert EN.group("fsm1", "1") == "Group 1 – the effort group"
    assert (DA.municipality("851"), DA.municipality("657"), DA.municipality("999")) == (
        "Aalborg (851)",
        "Herning (657)",
        "999",
    )
    assert len(municipalities.names()) == 98 and DA.municipality("101") == "København (101)"
    assert (DA.yes(True), DA.yes(False), EN.yes(True)) == ("ja", "nej", "yes")
    assert DA.ngettext("%(num)s named citizen", "%(num)s named citizens", 1220) == "1.220 navngivne borgere"
    assert DA.ngettext("%(num)s named citizen", "%(num)s named citizens", 1) == "1 navngiven borger"


def test_a_message_not_in_the_catalogue_is_shown_as_written():
    assert DA._("no such message %(x)s", x=1) == "no such message 1"


def test_the_language_is_the_explicit_one_else_the_setting_else_the_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(SETTING, raising=False)
    assert language(default=Language.da) is Language.da
    assert language("en", default=Language.da) is Language.en
    monkeypatch.setenv(SETTING, "EN")
    assert language(default=Language.da) is Language.en and language("da", default=Language.en) is Language.da
    monkeypatch.setenv(SETTING, "sv")
    with pytest.raises(UnknownLanguage, match="FSM_LANG 'sv': the languages are da, en"):
        language(default=Language.da)
    with pytest.raises(UnknownLanguage, match="language 'de'"):
        language("de", default=Language.da)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7", Language.da),
        ("en-US,en;q=0.9,da;q=0.8", Language.en),
        ("en-GB", Language.en),
        ("de-DE,de;q=0.9,en;q=0.5", Language.en),
        ("sv,nb;q=0.9", Language.da),  # none of ours: the default
        ("en;q=0, da;q=0.1", Language.da),  # q=0 refuses English
        ("da;q=0.2, en;q=0.8", Language.en),  # by quality, not by order
        ("*", Language.da),
        ("", Language.da),
        (None, Language.da),
        ("en;q=abc, da", Language.da),  # a malformed quality counts as 0
        (";;;,,,en", Language.en),
    ],
)
def test_accept_language_is_negotiated_by_quality(header, expected: Language):
    assert negotiate(header, default=Language.da) is expected


def test_jinja_templates_speak_the_language_of_each_render():
    environment = Environment(autoescape=True)
    install_jinja(environment)
    page = environment.from_string(
        "{% trans %}rate{% endtrans %}|{{ _('Not yet visitated') }}|{{ amount|money }}|{{ day|date }}|"
        "{{ day|day }}|{{ share|percent }}|{{ '1'|group('fsm1') }}|{{ 'kontanthjaelp'|code('support') }}|"
        "{{ '851'|municipality }}|{{ 1220|integer }}|{{ ngettext('%(num)s named citizen', '%(num)s named citizens', 2) }}|"
        "{{ _('<%(x)s>', x='&') }}"
    )
    values = {"amount": "11749000.00", "day": date(2018, 3, 2), "share": Decimal("0.4")}
    assert page.render(lang="da", **values).split("|") == [
        "rate",
        "Mangler visitation",
        f"11.749.000,00{NBSP}kr.",
        "2. marts 2018",
        "02-03-2018",
        f"40,0{NBSP}%",
        "Gruppe 1 – indsatsgruppen",
        "kontanthjælp",
        "Aalborg (851)",
        "1.220",
        "2 navngivne borgere",
        "<&amp;>",  # the message is trusted, the values are escaped (newstyle gettext)
    ]
    assert page.render(lang="en", **values).split("|")[1:5] == [
        "Not yet visitated",
        f"DKK{NBSP}11,749,000.00",
        "2 March 2018",
        "2018-03-02",
    ]
