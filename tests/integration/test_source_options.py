"""Reader options in both documented places reach Spark; generic file options decide which files are listed;
``env_var()``/``var()`` in a source path (issue #15)."""

from __future__ import annotations

from sqlingest.project import load_project
from sqlingest.sources import load_source

CSV = """
name: land.items
layer: source
source:
  format: csv
  path: "{{ env_var('SQLINGEST_TEST_LANDING', 'in') }}/{{ var('feed') }}"
  sep: ";"
  options: {nullValue: NA, pathGlobFilter: "*.csv"}
columns:
  - {name: id, type: bigint}
  - {name: name, type: string}
"""


def test_csv_options_and_templated_path(lakehouse, project, monkeypatch):
    monkeypatch.delenv("SQLINGEST_TEST_LANDING", raising=False)
    root = project({"contracts/land/items.source.yml": CSV,
                    "in/items/a.csv": "id;name\n1;x\n2;NA\n",
                    "in/items/notes.txt": "id;name\n9;never listed\n"}, head="vars: {feed: items}\n")
    contract = load_project(root).contracts["source:land.items"]
    assert contract.source.path == "in/items"
    read = load_source(contract, root).read(lakehouse.spark)
    assert [f.rsplit("/", 1)[-1] for f in read.inputs] == ["a.csv"]
    rows = sorted((r["id"], r["name"], r["_rescued_data"]) for r in read.frame.collect())
    assert rows == [(1, "x", None), (2, None, None)]
