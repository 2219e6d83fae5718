"""A version stored before the contract model gained a field (with a default) is still the same contract."""

from sqlingest.project.contract import Contract
from sqlingest.registry.file_store import FileStore
from sqlingest.registry.store import same_contract

BASE = {"name": "retail.orders", "layer": "source", "source": {"format": "json", "path": "x/*.json"},
        "columns": [{"name": "id", "type": "bigint"}]}


def test_a_field_added_to_the_model_later_does_not_count_as_a_change(tmp_path):
    today = Contract.model_validate(BASE).model_dump(mode="json", exclude_none=True)
    stored = {k: v for k, v in today.items() if k != "mapping"}   # as stored before `mapping:` existed
    assert "mapping" in today
    assert same_contract(stored, today)
    assert not same_contract(stored, {**today, "columns": [{"name": "id", "type": "int"}]})

    store = FileStore(tmp_path)
    first = store.publish("source:retail.orders", stored)
    again, created = store.publish_with_status("source:retail.orders", today)
    assert (again.version, created) == (first.version, False)
