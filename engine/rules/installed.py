"""The rule packs installed with the product: where they are, and the programmes they give (no
pack read: `fsm --help` names them)."""

from importlib import resources
from pathlib import Path

RULES_DIR = Path(str(resources.files("rules")))


def programmes() -> list[str]:
    return sorted(p.name for p in RULES_DIR.iterdir() if (p / "pack.yaml").is_file())
