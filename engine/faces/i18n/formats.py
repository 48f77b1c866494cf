"""Numbers, money, shares and dates in each language's conventions, by Babel (CLDR); and the same
conventions as Excel number formats.

|            | Danish (da_DK)      | English (en_GB)     |
|------------|---------------------|---------------------|
| money      | `11.749.000,00 kr.` | `DKK 11,749,000.00` |
| share      | `40,0 %`            | `40.0%`             |
| integer    | `1.220`             | `1,220`             |
| prose date | `2. marts 2018`     | `2 March 2018`      |
| table date | `02-03-2018`        | `2018-03-02`        |
| month      | `marts 2018`        | `March 2018`        |
| short month | `mar. 2018`        | `2018-03`           |

The space inside a Danish amount or share, and after `DKK`, is a no-break space (U+00A0), as CLDR
has it: an amount is never broken across lines. (CLDR puts that space after an alphabetic currency
symbol — "currency spacing" — which Babel does not apply: the English pattern spells it.)
Money is Decimal all the way: rounded half-up to øre here, as the rules round (Babel itself would
round half-even), never through a float. Shares are rounded half-up too.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern

from engine.faces.i18n.languages import Language

LOCALES = {Language.da: "da_DK", Language.en: "en_GB"}
MONEY = {Language.da: "#,##0.00\xa0¤", Language.en: "¤\xa0#,##0.00"}
CURRENCY = "DKK"
TABLE_DATE = {Language.da: "dd-MM-yyyy", Language.en: "yyyy-MM-dd"}
SHORT_MONTH = {Language.da: "MMM y", Language.en: "yyyy-MM"}
ØRE = Decimal("0.01")

EXCEL = {
    Language.da: {
        "money": '[$-406]#,##0.00\\ "kr."',
        "share": "[$-406]0.0\\ %",
        "int": "[$-406]#,##0",
        "date": "dd-mm-yyyy",
        "month": "[$-406]mmmm yyyy",
    },
    Language.en: {
        "money": '[$-809]"DKK "#,##0.00',
        "share": "[$-809]0.0%",
        "int": "[$-809]#,##0",
        "date": "yyyy-mm-dd",
        "month": "[$-809]mmmm yyyy",
    },
}
"""Excel's number format codes. The separators in a code are always written `#,##0.00`; the locale
tag `[$-406]` (Danish; `[$-809]` English, United Kingdom) makes LibreOffice show them, and the
month names, in that language whatever the reader's own locale (`11.749.000,00 kr.`, `marts 2018`);
Excel shows separators in the reader's regional settings and month names in the tag's language."""

Share = Decimal | Fraction | int | float


@cache
def locale(language: Language) -> Locale:
    return Locale.parse(LOCALES[language])


def money(amount: Decimal | int, language: Language) -> str:
    """`11.749.000,00 kr.`: kroner, rounded half-up to øre (`0.005` is `0,01 kr.`)."""
    if not isinstance(amount, Decimal | int) or isinstance(amount, bool):
        raise TypeError(f"money is Decimal, not {type(amount).__name__}")
    rounded = Decimal(amount).quantize(ØRE, rounding=ROUND_HALF_UP)
    return format_currency(rounded, CURRENCY, format=MONEY[language], locale=locale(language))


@cache
def _percent_pattern(language: Language, places: int) -> NumberPattern:
    pattern = parse_pattern(locale(language).percent_formats[None].pattern)
    pattern.frac_prec = (places, places)
    return pattern


def _exact(value: Share) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def percent(share: Share, language: Language, places: int = 1) -> str:
    """A share of 1 in per cent: `0.4` is `40,0 %`; rounded half-up to `places` decimals."""
    rounded = _exact(share).quantize(Decimal(1).scaleb(-places - 2), rounding=ROUND_HALF_UP)
    return _percent_pattern(language, places).apply(rounded, locale(language))


def integer(number: int, language: Language) -> str:
    """`1.220`."""
    return format_decimal(number, locale=locale(language))


def decimal(number: Decimal | int, language: Language) -> str:
    """A decimal with as many decimals as it has (`0.40` is `0,40`), grouped: `1.234,5`."""
    exact = Decimal(number)
    places = max(0, -int(exact.as_tuple().exponent)) if exact.is_finite() else 0
    pattern = parse_pattern("#,##0")
    pattern.frac_prec = (places, places)
    return pattern.apply(exact, locale(language))


def prose_date(day: date, language: Language) -> str:
    """`2. marts 2018`, `2 March 2018`."""
    return format_date(day, "long", locale=locale(language))


def table_date(day: date, language: Language) -> str:
    """`02-03-2018`, `2018-03-02`."""
    return format_date(day, TABLE_DATE[language], locale=locale(language))


def month(day: date, language: Language, *, short: bool = False) -> str:
    """The month of `day`: `marts 2018` (short, in tables and on axes: `mar. 2018`), `March 2018`
    (`2018-03`, as English tables write dates)."""
    if short:
        return format_date(day, SHORT_MONTH[language], locale=locale(language))
    return format_skeleton("yMMMM", day, locale=locale(language))


def moment(when: datetime, language: Language) -> str:
    """A moment as tables show it, to the second, in the time zone it has: `02-03-2018 14.05.09`,
    `2018-03-02 14:05:09`."""
    return f"{table_date(when.date(), language)} {format_time(when, 'medium', locale=locale(language))}"
