"""Every sentence the rules write into what they decide and store: warnings, and why a rate is
blocked or cannot be decided yet. English, as stored; a face says them in the reader's language
(engine/words.py `recognised`, engine/faces/i18n `t.rules_words`), so change a sentence only with
its translation in the catalogue.
"""

from engine.words import N_, phrase

OUTSIDE_THE_TARGET_GROUP = phrase(
    N_(
        "%(outside)s citizens outside the target group have %(programme)s visitations or activities; "
        "every rate ignores them"
    )
)
GRANT_YEARS_DIFFER = phrase(
    N_(
        "the grant's years add up to %(budgeted)s kr, not to the grant of %(grant)s kr "
        "(difference %(difference)s kr)"
    ),
    money=("budgeted", "grant", "difference"),
)
RATE_RULES_LATER = phrase(N_("not yet decidable on %(day)s: the rate rules apply from %(first)s"))
RATE_PARAMETERS_MISSING = phrase(N_("not yet decidable on %(day)s: %(missing)s have no value in force then"))
PROJECT_NOT_STARTED = phrase(N_("the project starts on %(day)s"))
NOBODY_IN_THE_EFFORT_GROUP = phrase(N_("nobody is in the effort group"))
BELOW_THE_FIRST_STEP = phrase(
    N_(
        "below the first step rate 2 pays %(share)s of the grant: the source does not say what is paid "
        "there (an assumption, parameter rate2_below_first_step_payout)"
    )
)
