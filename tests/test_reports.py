"""Report runner and notebooks executed for real (papermill with a real kernel)."""

import subprocess
import sys

import pytest

from vidensdata import report
from vidensdata.errors import ReportError, UnknownGeographyError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = report.run(["serviceudvikling"], ["Hele landet", "Region Nordjylland", "Læsø"], workers=2,
                         output=out, progress=False)
    return out, summary


def test_reports_for_country_region_and_laesoe(made):
    out, summary = made
    assert len(summary.results) == 3 and not summary.failed
    for slug in ("hele-landet", "region-nordjylland", "laesoe"):
        page = (out / "serviceudvikling" / f"{slug}.html").read_text(encoding="utf-8")
        assert '<html lang="da">' in page
        assert "Syntetiske data (demo)" in page
        assert "Kilde:" in page
        assert "visning = tema.visning" not in page  # no code cells
        assert 'data-testid="noegletal-antal"' in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '"serviceudvikling/laesoe.html"' in index and 'href="profil/laesoe.html"' in index and "Læsø" in index


def test_small_kommune_is_disclosure_controlled(made):
    out, _ = made
    page = (out / "serviceudvikling" / "laesoe.html").read_text(encoding="utf-8")
    assert "&lt;5" in page or "<5" in page


def test_failed_run_keeps_the_good_report_and_names_the_error(made, monkeypatch):
    out, _ = made
    target = out / "serviceudvikling" / "hele-landet.html"
    before = target.read_bytes()
    monkeypatch.setattr(report, "read_parameter_file", lambda tema: {"startaar": 2030, "slutaar": 2024})
    with pytest.raises(ReportError) as err:
        report.run(["serviceudvikling"], ["Hele landet"], workers=1, output=out, progress=False)
    # Danish, naming the failed report; the details are in .message
    assert str(err.value) == ("1 af 1 rapporter kunne ikke laves: serviceudvikling / Hele landet. "
                              "De tidligere udgaver er bevaret.")
    assert "Hele landet" in err.value.message and "InvalidYearsError" in err.value.message
    assert "2030" in err.value.message
    assert target.read_bytes() == before


def test_unknown_geography_is_rejected_before_running(tmp_path):
    with pytest.raises(UnknownGeographyError, match="Atlantis"):
        report.run(["serviceudvikling"], ["Atlantis"], output=tmp_path, progress=False)
    assert not (tmp_path / "serviceudvikling").exists()


def test_cli_run_and_errors(tmp_path):
    exe = [sys.executable, "-m", "vidensdata.cli"]
    bad = subprocess.run([*exe, "run", "--geografi", "Aarhuus", "--output", str(tmp_path)], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "Aarhuus" in bad.stderr and "Aarhus" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = subprocess.run([*exe, "run", "--tema", "nope", "--output", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "serviceudvikling" in bad.stderr
    ok = subprocess.run([*exe, "run", "--tema", "serviceudvikling", "--geografi", "Samsø", "--output", str(tmp_path),
                         "--no-progress"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "1 of 1 reports" in ok.stdout
    assert (tmp_path / "serviceudvikling" / "samsoe.html").exists()


def test_cli_data_commands():
    exe = [sys.executable, "-m", "vidensdata.cli"]
    listed = subprocess.run([*exe, "data", "list"], capture_output=True, text=True, check=True).stdout
    assert "ydelsesmodtagere" in listed and "[SYNTETISK]" in listed
    status = subprocess.run([*exe, "data", "status"], capture_output=True, text=True, check=True).stdout
    assert "synthetic register extract" in status and "embedded snapshot" in status
