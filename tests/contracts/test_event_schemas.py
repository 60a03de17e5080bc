"""The events are a public API: their JSON schemas are snapshotted, and every subject is wired.

A schema change must come with a ``SCHEMA_VERSION`` bump: the new version gets a new snapshot
file and the old one stays as the record of what subscribers of that version receive.
Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/contracts``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from kubeopt_common.bus.streams import stream_for
from kubeopt_common.events import ALL_EVENTS, DeadLetter, Event, Subject
from kubeopt_common.events.subjects import PREFIX
from tests.settings import SuiteSettings

SNAPSHOTS = Path(__file__).parent / "snapshots"
# DeadLetter is not an Event (no envelope, no SCHEMA_VERSION); it is versioned by the v1 prefix.
DEAD_LETTER_VERSION = 1


def _snapshot_name(subject: Subject, version: int) -> str:
    return f"{subject.value.removeprefix(PREFIX + '.')}.v{version}.json"


CONTRACTS: list[tuple[str, type[BaseModel]]] = [
    *((_snapshot_name(e.SUBJECT, e.SCHEMA_VERSION), e) for e in ALL_EVENTS),
    (_snapshot_name(Subject.DEAD_LETTER, DEAD_LETTER_VERSION), DeadLetter),
]


def _render(model: type[BaseModel]) -> str:
    return (
        json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def _diff(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"snapshot/{name}", f"current/{name}", lineterm=""
    )
    return "\n".join(list(lines)[:60])


def _without_descriptions(node: object) -> object:
    """The schema minus prose: a docstring edit is not a contract change."""
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def snapshot_problem(model: type[BaseModel], path: Path, *, update: bool) -> str | None:
    """Why ``model``'s schema disagrees with the snapshot at ``path`` (None when it agrees)."""
    current = _render(model)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
        return None
    if not path.exists():
        return (
            f"no schema snapshot {path.name} for {model.__name__}: a new event or a new "
            "SCHEMA_VERSION needs one; create it with UPDATE_SNAPSHOTS=1"
        )
    stored = path.read_text(encoding="utf-8")
    if stored == current:
        return None
    if _without_descriptions(json.loads(stored)) == _without_descriptions(json.loads(current)):
        return (
            f"only the descriptions in the schema of {model.__name__} changed: refresh "
            f"{path.name} with UPDATE_SNAPSHOTS=1 (no version bump needed)"
        )
    return (
        f"the JSON schema of {model.__name__} changed but its version did not: subscribers of "
        f"{path.name} would break. Bump {model.__name__}.SCHEMA_VERSION (and create the new "
        "snapshot with UPDATE_SNAPSHOTS=1), or revert the change.\n"
        + _diff(stored, current, path.name)
    )


@pytest.mark.parametrize(("name", "model"), CONTRACTS, ids=[name for name, _ in CONTRACTS])
def test_schema_matches_its_snapshot(
    name: str, model: type[BaseModel], suite_settings: SuiteSettings
) -> None:
    problem = snapshot_problem(model, SNAPSHOTS / name, update=suite_settings.update_snapshots)
    if problem is not None:
        pytest.fail(problem, pytrace=False)


class _Before(BaseModel):
    """Version one."""

    model_config = ConfigDict(title="Thing")

    amount_nano_usd: int


class _Reworded(BaseModel):
    """Version one, better explained."""

    model_config = ConfigDict(title="Thing")

    amount_nano_usd: int


class _Renamed(BaseModel):
    """Version one."""

    model_config = ConfigDict(title="Thing")

    amount_micro_usd: int


def test_snapshot_check_tells_a_breaking_change_from_a_reworded_docstring(tmp_path: Path) -> None:
    path = tmp_path / "thing.v1.json"
    assert "UPDATE_SNAPSHOTS=1" in (snapshot_problem(_Before, path, update=False) or "")
    assert snapshot_problem(_Before, path, update=True) is None
    assert snapshot_problem(_Before, path, update=False) is None
    reworded = snapshot_problem(_Reworded, path, update=False) or ""
    assert "only the descriptions" in reworded
    renamed = snapshot_problem(_Renamed, path, update=False) or ""
    assert "changed but its version did not" in renamed
    assert "SCHEMA_VERSION" in renamed
    assert '+    "amount_micro_usd"' in renamed


def _concrete_events(base: type[Event]) -> set[type[Event]]:
    found: set[type[Event]] = set()
    for sub in base.__subclasses__():
        if "SUBJECT" in vars(sub):
            found.add(sub)
        found |= _concrete_events(sub)
    return found


def test_every_event_class_is_listed_in_all_events() -> None:
    missing = {e.__name__ for e in _concrete_events(Event)} - {e.__name__ for e in ALL_EVENTS}
    assert not missing, f"events with a SUBJECT but missing from ALL_EVENTS: {sorted(missing)}"


def test_every_event_has_its_own_subject() -> None:
    subjects = [e.SUBJECT for e in ALL_EVENTS]
    duplicated = sorted({s.value for s in subjects if subjects.count(s) > 1})
    assert not duplicated, f"subjects claimed by more than one event: {duplicated}"


def test_every_subject_has_an_event_and_a_stream() -> None:
    with_event = {e.SUBJECT for e in ALL_EVENTS}
    without = sorted(
        s.value for s in Subject if s is not Subject.DEAD_LETTER and s not in with_event
    )
    assert not without, f"subjects without an event class: {without}"
    for subject in Subject:
        if subject is not Subject.DEAD_LETTER:
            assert subject.value + ".>" in stream_for(subject).subjects


def test_dead_letters_have_a_stream() -> None:
    assert stream_for(Subject.DEAD_LETTER).name == "KUBEOPT_DEADLETTER"


def test_no_stale_snapshot_for_an_unknown_subject() -> None:
    known = {s.value.removeprefix(PREFIX + ".") for s in Subject}
    stale = sorted(
        p.name for p in SNAPSHOTS.glob("*.json") if p.name.rsplit(".v", 1)[0] not in known
    )
    assert not stale, f"snapshots of subjects that no longer exist: {stale}"
