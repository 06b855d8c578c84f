"""The README's map of the packages (its Layout section) names every package and room of the
tree, and nothing that is not there."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "index", "crawler", "web", "scheduler")


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Layout\n"):readme.index("\n## ", readme.index("## Layout\n") + 1)]


def test_every_package_and_room_is_on_the_map_and_everything_on_it_exists():
    named = set(re.findall(r"`((?:%s)(?:/[\w.]+)*/)`" % "|".join(PACKAGES), layout_section()))
    rooms = {path.parent.relative_to(ROOT).as_posix() + "/" for package in PACKAGES
             for path in (ROOT / package).rglob("__init__.py")}
    assert rooms - named == set(), "rooms the README's map does not name"
    assert {path for path in named if not (ROOT / path).is_dir()} == set(), "named on the map, not in the tree"


def test_the_files_the_map_names_exist():
    section = layout_section()
    for line in section.split("\n- ")[1:]:
        room = re.match(r"`([\w/]+/)`", line)
        if not room or not room.group(1).startswith(PACKAGES):
            continue
        for sub in re.split(r"\n  - ", line):
            where = re.match(r"`([\w/]+/)`", sub)
            base = ROOT / (where.group(1) if where else room.group(1))
            for name in re.findall(r"`([\w]+\.(?:py|json))`", sub):
                assert (base / name).exists() or (ROOT / room.group(1) / name).exists(), (base, name)
