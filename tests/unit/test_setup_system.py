"""scripts/setup-system, behind `make test`: on a machine where it cannot install (not root, or no
apt-get) it names what is missing and how to install it, and fails instead of running the tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "setup-system"


def bare_path(tmp_path: Path, uid: str) -> str:
    """A PATH with the shell tools the script uses but no Chromium and no apt-get, and `id` saying `uid`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "ls", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "id").write_text(f"#!{shutil.which('bash')}\necho {uid}\n")
    (bin_dir / "id").chmod(0o755)
    return str(bin_dir)


def test_without_chromium_and_without_root_it_says_what_to_install(tmp_path):
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT)], env={"PATH": bare_path(tmp_path, "1000")}, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "chromium" in result.stderr and "apt-get install" in result.stderr


def test_as_root_without_apt_get_it_also_explains_instead_of_failing_obscurely(tmp_path):
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT)], env={"PATH": bare_path(tmp_path, "0")}, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "not installed: chromium" in result.stderr
