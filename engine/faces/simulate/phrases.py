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
