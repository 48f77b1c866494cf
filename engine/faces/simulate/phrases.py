"""Every sentence the scenario checks write (a change's date outside the project, a group the
programme has not …): English, as `fsm simulate` prints them and the API answers them; a page says
them in the reader's language (engine/words.py `recognised`, the web's `rules_words` filter)."""

from engine.words import N_, phrase

OUTSIDE_THE_PROJECT = phrase(N_("%(day)s is outside the project period %(first)s to %(last)s"))
AFTER_THE_AS_OF_DATE = phrase(N_("%(day)s is after the as-of date %(as_of)s: it cannot show"))
NOT_A_GROUP = phrase(N_("%(group)s is not a %(programme)s group (%(groups)s)"))
NOT_A_CITIZEN = phrase(N_("%(citizen)s is not a citizen of municipality %(municipality)s in the base data"))
NO_SUCH_PARAMETER = phrase(N_("%(programme)s has no parameter %(name)s; its parameters are %(known)s"))
NOT_OF_ITS_TYPE = phrase(N_("%(name)s is a parameter of type %(kind)s (%(example)s), found %(value)s"))
NOT_A_CODE = phrase(N_("%(unknown)s: not a code of %(name)s (%(codes)s)"))
EXAMPLES = {
    "decimal": phrase(N_("an exact number such as 0.35")),
    "integer": phrase(N_("a whole number")),
    "date": phrase(N_("a date such as 2018-03-01")),
    "code": phrase(N_("one code")),
    "codes": phrase(N_("a list of codes")),
    "mapping": phrase(N_("a mapping of codes to names")),
}
GIVEN_TWICE = phrase(N_("given twice (first on line %(line)s)"))
UNKNOWN_OPERATION = phrase(N_("unknown operation %(op)s; the operations are %(operations)s"))
NO_OPERATION = phrase(N_("a change needs `op`, one of %(operations)s"))
UNKNOWN_KEY = phrase(N_("unknown key; the keys here are %(keys)s"))
FOUND = phrase(N_("%(problem)s (found %(value)s)"))
COUNT = phrase(N_("must be a whole number of at least 1, 'all', or a percentage such as '25%%'"))
COUNT_OR_CITIZENS = phrase(N_("give either `count` (a number, 'all' or 'N%%') or `citizens` (a list of ids)"))
NAMED_TWICE = phrase(N_("a citizen is named twice in `citizens`"))
DAYS_OR_TO = phrase(N_("give either `days` (how many days) or `to` (the last day)"))
TO_BEFORE_FROM = phrase(N_("`to` (%(to)s) is before `from` (%(start)s)"))
EXIT_REASON = phrase(N_("must be one of %(events)s or a support code (%(codes)s)"))
BASE = phrase(N_("must be 'latest', a run id (a whole number) or a delivery folder"))

# A value of the wrong kind, in our words (loading.py `_said`, from pydantic's error type and context;
# a type without words here keeps pydantic's English).
MISSING = phrase(N_("is missing and must be given"))
EMPTY = phrase(N_("is empty; give a value"))
A_MAPPING = phrase(N_("must be a mapping of keys to values"))
A_LIST = phrase(N_("must be a list"))
NOT_EMPTY = phrase(N_("must not be empty"))
TEXT = phrase(N_("must be text"))
BROKEN_TEXT = phrase(N_("must be text without broken characters"))
MUNICIPALITY_CODE = phrase(N_("must be a municipality's three-digit code, such as 851"))
NOT_A_DATE = phrase(N_("must be a date written year-month-day, such as 2018-03-01"))
NO_SUCH_DAY = phrase(N_("is written as a date, but there is no such day"))
A_TIME_OF_DAY = phrase(N_("must be a day without a time of day, such as 2018-03-01"))
WHOLE_NUMBER = phrase(N_("must be a whole number"))
NO_DECIMALS = phrase(N_("must be a whole number, without decimals"))
TOO_LARGE = phrase(N_("is far too large a number"))
AT_LEAST = phrase(N_("must be at least %(limit)s"))
AT_MOST = phrase(N_("must be at most %(limit)s"))
TRUE_OR_FALSE = phrase(N_("must be true or false"))
ONE_OF_THE_CODES = phrase(N_("must be one of the codes %(codes)s"))
NO_BIRTH_DATE = phrase(N_("is a CPR number with no real birth date"))
CITIZEN_ID = phrase(N_("must be a CPR number (DDMMYYSSSS or DDMMYY-SSSS) or a pseudonym [A-Za-z0-9_-]{1,64}"))
"""models/domain.py's words for a citizen id that is neither (a test keeps them the same)."""
