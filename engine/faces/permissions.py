"""What a role of the web UI may be permitted (engine/faces/users.py keeps who has which)."""

from collections.abc import Mapping

PERMISSIONS: Mapping[str, str] = {
    "read": "read runs, municipalities, members, citizens' decisions and masked exports",
    "full_cpr": "see CPR numbers in full",
    "verify": "start a replay check of a run",
    "access_log": "read the access log (the data protection officer)",
    "simulate": "the distance to each rate, what-if scenarios and the forecast (the workbench)",
}
