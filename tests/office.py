"""LibreOffice in the tests: `soffice --headless --convert-to …` with a profile of its own. It needs
`soffice` (Debian: libreoffice-calc-nogui, which .ci/run installs); without it a test using it is
skipped with the reason shown, and under CI=true it fails instead."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must check that LibreOffice opens the files)")
        pytest.skip(reason)
    return found


def libreoffice(
    path: Path | list[Path], target: str, outdir: Path, tmp_path: Path, *, infilter: str | None = None
) -> subprocess.CompletedProcess:
    """`soffice --headless [--infilter=…] --convert-to TARGET` of `path` (or several) into `outdir`,
    with a profile of its own."""
    paths = path if isinstance(path, list) else [path]
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


CSV_EVERY_SHEET = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true,false,false,-1"
"""LibreOffice's CSV filter: `;`, `"`, UTF-8, from line 1, cells as shown (formatted), every sheet to a file."""

CSV_DANISH = "CSV:59,34,76,1,,1030"
"""LibreOffice's CSV import filter for a Danish file: `;`, `"`, UTF-8, from line 1, read in the Danish
locale (1030): `4.699.600,00` is a number and `02-03-2018` a date, as Danish Excel reads them."""
