"""Passwords of the web UI's users: which are allowed (at least 12 characters, not the user's name,
not a common password — the shipped list `data/common-passwords.txt`, compared casefolded and also
without the digits and signs people add before or after a word) and their argon2 hashes."""

import string
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from engine.faces.i18n import N_

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 12
MAX_LENGTH = 1024
NOBODY = "$argon2id$v=19$m=65536,t=3,p=4$Axc4bIi5zumyQki0BOdJ1w$oSGFWL2N1uR+sPCaPgQm7KuYLuj9eq6347ajjy6tJik"
"""The hash of a random password nobody knows: verified against when the user name is unknown, so
that a wrong name takes as long as a wrong password."""
_ADDED = string.digits + string.punctuation + string.whitespace


class PasswordRefused(ValueError):
    """The password is too weak; the message says why (`message` with its `values`: marked for the
    catalogues, so that a page can say it in the reader's language)."""

    def __init__(self, message: str, **values: int) -> None:
        super().__init__(message % values if values else message)
        self.message, self.values = message, values


@cache
def common_passwords() -> frozenset[str]:
    text = files("engine.faces").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check(name: str, password: str) -> None:
    """PasswordRefused unless the password may be used by the user `name`."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(N_("the password must have at least %(length)s characters"), length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(N_("the password must have at most %(length)s characters"), length=MAX_LENGTH)
    folded = password.casefold()
    if name.casefold() in folded:
        raise PasswordRefused(N_("the password must not contain the user's name"))
    common = common_passwords()
    if folded in common or folded.strip(_ADDED) in common or folded[::-1] in common:
        raise PasswordRefused(N_("the password is too common (it is on the list of passwords guessed first)"))


@cache
def _hasher() -> "PasswordHasher":
    from argon2 import PasswordHasher  # here: every command line command imports this module

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether the password is the hashed one (argon2: deliberately slow, and ~64 MB of memory)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
