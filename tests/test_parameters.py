import pytest

from vidensdata import parameters
from vidensdata.errors import ParameterError, UnknownDatasetError
from vidensdata.themes import tema


@pytest.fixture()
def home(tmp_path, monkeypatch, repo):
    import shutil

    shutil.copytree(repo / "data" / "snapshots", tmp_path / "data" / "snapshots")
    shutil.copytree(repo / "notebooks", tmp_path / "notebooks")
    shutil.copytree(repo / "parameters", tmp_path / "parameters")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("VIDENSDATA_HOME", str(tmp_path))
    return tmp_path


def test_reads_the_committed_parameter_file(home):
    values = parameters.read_parameter_file("serviceudvikling")
    assert values == {"startaar": 2014, "slutaar": 2024, "ydelser": "alle"}


@pytest.mark.parametrize("text, match", [
    ("startaar: [2014\n", "not valid YAML at line"),
    ("- 2014\n- 2015\n", "must be a mapping"),
    ("startaar: '2014'\n", "must be of type int"),
    ("startår: 2014\n", "unknown parameter 'startår'"),
    ("startaar: 2014\nfarve: blaa\n", "unknown parameter 'farve'"),
])
def test_malformed_parameter_files_are_rejected(home, text, match):
    (home / "parameters" / "serviceudvikling.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=match):
        parameters.read_parameter_file("serviceudvikling")


def test_unknown_theme(home):
    with pytest.raises(UnknownDatasetError, match="serviceudvikling"):
        tema("serviceudvikl")
