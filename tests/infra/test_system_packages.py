"""`make test` on a fresh machine: the system packages its tests and pages need (Debian's Chromium, a CJK font,
npm) are installed with apt when it runs as root, or it stops at once with the exact command to run.
`.ci/run` only calls `make test`, so CI and a new laptop set up the same way."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make(*args: str, path_prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env['PATH']}"
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_without_root_make_stops_at_once_with_the_exact_apt_command(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_id = bin_dir / "id"  # `id -u` answers as an ordinary user would
    fake_id.write_text("#!/bin/sh\necho 1000\n", encoding="utf-8")
    fake_id.chmod(0o755)
    done = _make("system-packages", "SYSTEM_PACKAGES_MISSING=chromium fonts-wqy-microhei", path_prefix=bin_dir)
    assert done.returncode != 0
    assert "缺少系统软件包 / missing system packages: chromium fonts-wqy-microhei" in done.stdout
    assert "sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-microhei" in done.stdout


def test_with_everything_present_nothing_is_installed() -> None:
    done = _make("-s", "system-packages")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installing" not in done.stdout and "missing" not in done.stdout


def test_make_test_needs_the_system_packages_and_ci_only_calls_make_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"(?m)^test:(.*)$", makefile)
    assert rule and "system-packages" in rule.group(1).split(), rule
    for package in ("chromium", "fonts-wqy-microhei", "npm"):
        assert package in makefile
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == "make test" and not any("apt" in line or "install" in line for line in ci), ci
