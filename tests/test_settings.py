import ast
import re
from pathlib import Path

import pytest

import settings

ROOT = Path(__file__).parent.parent


def test_defaults_load_and_match_the_contract():
    config = settings.load({}, env_file="/nonexistent")
    assert config["NEWSWATCH_DATA_DIR"] == Path("./data")
    assert config["NEWSWATCH_OUTLETS"] == Path("./outlets.toml")
    assert config["NEWSWATCH_INDEX"] == "embedded"
    assert (config["NEWSWATCH_API_HOST"], config["NEWSWATCH_API_PORT"]) == ("127.0.0.1", 8000)
    assert config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"] is False
    assert "http" in config["NEWSWATCH_USER_AGENT"]


def test_environment_wins_over_dotenv_which_wins_over_default(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("NEWSWATCH_API_PORT=9001\nNEWSWATCH_API_HOST=0.0.0.0\n"
                        "NEWSWATCH_API_KEYS=a-key-of-sixteen-chars\n")
    config = settings.load({"NEWSWATCH_API_PORT": "9002"}, env_file=env_file)
    assert config["NEWSWATCH_API_PORT"] == 9002
    assert config["NEWSWATCH_API_HOST"] == "0.0.0.0"
    assert config["NEWSWATCH_WORKERS"] == 1


@pytest.mark.parametrize("name, value", [
    ("NEWSWATCH_API_PORT", "99999"),
    ("NEWSWATCH_API_PORT", "eighty"),
    ("NEWSWATCH_INDEX", "sqlite"),
    ("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES", "maybe"),
    ("NEWSWATCH_USER_AGENT", "Mozilla/5.0"),
    ("NEWSWATCH_WORKERS", "0"),
    ("NEWSWATCH_DOWNLOAD_DELAY", "-1"),
    ("ELASTICSEARCH_URL", "localhost:9200"),
    ("ELASTICSEARCH_REPLICAS", "1.5"),
    ("ELASTICSEARCH_REPLICAS", "-1"),
    ("NEWSWATCH_API_PORT", "abc"),
    ("NEWSWATCH_DOWNLOAD_TIMEOUT", "inf"),
    ("NEWSWATCH_DOWNLOAD_DELAY", "nan"),
    ("NEWSWATCH_MIN_INTERVAL", "5 minutes"),
    ("NEWSWATCH_MIN_INTERVAL", "2d"),  # longer than the default NEWSWATCH_MAX_INTERVAL (1d)
    ("NEWSWATCH_ADMIN_NOTIFY", "slack:#ops"),
    ("NEWSWATCH_ADMIN_NOTIFY", "email:ops@example.org"),  # e-mail without NEWSWATCH_SMTP_URL
])
def test_a_bad_value_stops_start_up_with_one_line_naming_it(name, value):
    with pytest.raises(settings.SettingsError) as raised:
        settings.load({name: value}, env_file="/nonexistent")
    message = str(raised.value)
    assert name in message and "\n" not in message


def test_elasticsearch_backend_needs_its_url():
    with pytest.raises(settings.SettingsError, match="ELASTICSEARCH_URL"):
        settings.load({"NEWSWATCH_INDEX": "elasticsearch"}, env_file="/nonexistent")


def test_every_setting_is_documented_in_settings_py_and_the_readme():
    source = (ROOT / "settings.py").read_text().splitlines()
    readme = (ROOT / "README.md").read_text()
    for setting in settings.SETTINGS:
        assert setting.doc.strip(), f"{setting.name} has no description"
        line = next(n for n, text in enumerate(source) if f'Setting("{setting.name}"' in text)
        assert source[line - 1].strip().startswith("#"), f"{setting.name} has no comment line in settings.py"
        assert re.search(rf"`{setting.name}`", readme), f"{setting.name} is not in README.md"


def test_every_setting_read_by_the_code_is_declared():
    declared = {s.name for s in settings.SETTINGS}
    used = set()
    for path in ROOT.glob("[cis]*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"(NEWSWATCH|ELASTICSEARCH)_[A-Z_]+", node.value):
                used.add(node.value)
    # Test hooks are not settings: README "Development" documents them.
    hooks = {"NEWSWATCH_FAULT_AFTER"}
    assert used <= declared | hooks, f"undeclared settings: {used - declared - hooks}"


def test_a_data_directory_that_is_a_file_is_one_line_naming_it(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(settings.SettingsError) as raised:
        settings.load({"NEWSWATCH_DATA_DIR": str(tmp_path / "file")}, env_file="/nonexistent")
    assert "NEWSWATCH_DATA_DIR" in str(raised.value) and "\n" not in str(raised.value)


def test_a_topics_file_that_is_set_must_exist_only_the_default_may_be_missing(tmp_path):
    assert settings.load({}, env_file="/nonexistent")["NEWSWATCH_TOPICS"] == Path("topics.toml")
    missing = str(tmp_path / "topcis.toml")
    with pytest.raises(settings.SettingsError) as refused:
        settings.load({"NEWSWATCH_TOPICS": missing}, env_file="/nonexistent")
    assert str(refused.value) == f"setting NEWSWATCH_TOPICS={missing!r}: no such file"


def start_up(environ: dict) -> settings.Config:
    """What every command does first: the settings, then the checks only the crawler can make."""
    from crawler.config.crawler_settings import check_crawler_settings

    config = settings.load(environ, env_file="/nonexistent")
    check_crawler_settings(config)
    return config


def test_a_names_file_with_an_unknown_table_or_key_stops_start_up(tmp_path):
    names = tmp_path / "names.toml"
    names.write_text('[aliases.person]\n"Kim Jong Un" = ["KJU"]\n\n[bogus]\nx = 1\n')
    with pytest.raises(settings.SettingsError, match=r"^setting NEWSWATCH_NAMES=.*\[bogus\]: unknown table"):
        start_up({"NEWSWATCH_NAMES": str(names)})
    names.write_text('[gazetteer]\ncountrys = ["Wakanda"]\n')
    with pytest.raises(settings.SettingsError, match=r"gazetteer.countrys: unknown key"):
        start_up({"NEWSWATCH_NAMES": str(names)})
    names.write_text('[gazetteer]\ncountries = ["Wakanda"]\n')
    assert start_up({"NEWSWATCH_NAMES": str(names)})["NEWSWATCH_NAMES"] == names


def test_a_model_that_does_not_load_stops_start_up_with_one_line_naming_the_setting():
    with pytest.raises(settings.SettingsError) as refused:
        start_up({"NEWSWATCH_NER_MODELS": " en=no_such_model"})
    assert str(refused.value) == ("setting NEWSWATCH_NER_MODELS=' en=no_such_model': "
                                  "model 'no_such_model' for 'en' is not installed")
    with pytest.raises(settings.SettingsError) as malformed:  # the form is the settings' own check
        settings.load({"NEWSWATCH_NER_MODELS": "english"}, env_file="/nonexistent")
    assert str(malformed.value) == "setting NEWSWATCH_NER_MODELS='english': 'english' is not LANGUAGE=MODEL"


def test_settings_import_nothing_of_ours_but_core():
    tree = ast.parse((ROOT / "settings.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    ours = {name.split(".")[0] for name in imported} & {"core", "index", "crawler", "web", "scheduler"}
    assert ours <= {"core"}, imported


def test_the_shipped_names_files_point_only_at_files_in_the_repository():
    import re

    root = Path(settings.__file__).parent
    shipped = sorted((root / "crawler").glob("*/data/*.toml"))
    assert len(shipped) == 3, shipped  # names, names_ko, sources
    for path in shipped:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                assert "../shared" not in line and "ENTITY-GUIDE" not in line, (path.name, line)
                for named in re.findall(r"[\w./-]+\.(?:md|toml|py)\b", line):
                    assert (root / named).exists() or (path.parent / named).exists(), (path.name, named)
