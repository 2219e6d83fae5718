"""The data-health report in headless Chromium, on a project with a history of good and bad runs: the charts'
data (read from the rendered Plotly figures), the overview's numbers, navigation, legends inside their charts, and
the readings that used to mislead (an idle rerun, a passing `test` after a failed build)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sqlingest.cli import main
from sqlingest.runs.report import chart_time
from tests.browser import Browser
from tests.conftest import REPO
from tests.integration.test_quality_actions import files

CHECKS = ("  - {type: accepted_values, column: kind, values: [buy, sell], action: quarantine}\n"
          "  - {type: range, column: amount, max: 1000}\n")


def runs(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / ".sqlingest" / "runs").glob("*.json"))]


def test_report_in_chromium_shows_the_history_of_good_and_bad_runs(lakehouse, project, tmp_path):
    root = project(files(CHECKS))
    (root / "data/a.csv").write_text("id,kind,amount\n1,buy,10\n2,sell,20\n3,oops,30\n4,buy,40\n")
    assert main(["build", "--project-dir", str(root)]) == 0           # 4 read → 3 published, 1 quarantined
    assert main(["build", "--project-dir", str(root)]) == 0           # no new file: no new input
    (root / "data/b.csv").write_text("id,kind,amount\n5,buy,5000\n6,nope,1\n")
    assert main(["build", "--project-dir", str(root)]) == 1           # range(amount) fails: nothing published
    assert main(["test", "--project-dir", str(root), "--select", "gold.events"]) == 0  # the table is fine again
    check_report(root, tmp_path)


def check_report(root: Path, tmp_path: Path) -> None:
    """The report of that history, in Chromium."""
    history = runs(root)
    assert [r["command"] for r in history] == ["build", "build", "build", "test"]
    output = tmp_path / "report.html"
    assert main(["report", "--project-dir", str(root), "--output", str(output)]) == 0
    at = [chart_time(r["started_at"]) for r in history]
    ids = [r["run_id"] for r in history]

    with Browser(tmp_path / "chrome") as browser:
        browser.open(output.as_uri())
        charts = int(browser.wait("document.body.getAttribute('data-rendered')"))
        # the status chart; rows for both datasets; checks and failing rows for gold.events
        assert charts == int(browser.js("document.body.getAttribute('data-charts')")) == 5
        assert browser.errors == []

        def figure(key: str) -> dict:
            """The figure as Plotly drew it (the graph div's own data), keyed by trace name."""
            return {t["name"]: t for t in browser.js(
                f"JSON.parse(JSON.stringify(document.getElementById('fig-{key}').data))")}

        # rows over time: one point per run that read rows, at the run's start, named by its run
        rows = figure("ds-gold-events-rows")
        assert rows["read"]["x"] == [at[0], at[2]] and rows["read"]["y"] == [4, 2]
        assert rows["published"]["y"] == [3, 0] and rows["published"]["text"] == ["3", "0"]
        assert rows["quarantined"]["y"] == [1, 1]
        assert [c[0] for c in rows["read"]["customdata"]] == [ids[0], ids[2]]
        assert rows["no new input"]["x"] == [at[1]] and rows["no new input"]["text"] == ["no new input"]
        assert browser.js("document.getElementById('fig-ds-gold-events-rows')._fullLayout.xaxis.type") == "date"
        # check pass rate per run, the test run included (a quarantine is a warn: 1 of 2 passed in the first build)
        assert figure("ds-gold-events-checks")["checks passed (%)"]["y"] == [50.0, 100.0, 0.0, 100.0]
        assert figure("ds-gold-events-checks")["checks passed (%)"]["x"] == at
        # failing rows per check: the range check's failure in the third build
        failing = figure("ds-gold-events-failing-rows")
        assert failing["range(amount)"]["y"][2] == 1 and failing["accepted_values(kind)"]["y"][0] == 1
        # every legend lies inside its chart (none clipped)
        clipped = browser.js("""[...document.querySelectorAll('[data-figure]')].filter(n => {
            var l = n.querySelector('.legend'); if (!l) return false;
            var a = n.getBoundingClientRect(), b = l.getBoundingClientRect();
            return b.left < a.left - 1 || b.right > a.right + 1 || b.top < a.top - 1 || b.bottom > a.bottom + 1;
          }).map(n => n.dataset.figure)""")
        assert clipped == []

        # the overview: the latest statuses (the passing test), and what the failed build and the idle rerun
        # must not hide: the last quarantine and the last failing checks
        def tile(metric: str) -> str:
            return browser.js(f"document.querySelector('[data-metric={metric}] .n').textContent")

        assert tile("datasets") == "2" and tile("failing-checks") == "0" and tile("quarantined") == "1"
        assert tile("slo-breaches") == "—"
        assert browser.js("document.querySelector('[data-metric=datasets] [data-status=success]').textContent") \
            == "2 ok"
        gold_row = browser.js("document.querySelector('#overview-table tr[data-dataset=\"gold.events\"]').innerText")
        assert "2 read → 0 published, 1 quarantined" in gold_row and ids[2] in gold_row
        section = browser.js("document.getElementById('ds-gold-events').innerText")
        assert f"Last checks that did not pass — run {ids[2]} (build)" in section
        assert f"the latest run ({ids[3]}, test) passed them" in section
        assert "range(amount)" in section and "1 row has amount above 1000" in section
        assert "Sample quarantined rows" in section and "nope" in section

        # navigation: the side bar's and the overview table's links scroll to the dataset's section
        browser.click("nav a[data-dataset='gold.events']")
        browser.wait("location.hash === '#ds-gold-events'")
        assert abs(browser.js("document.getElementById('ds-gold-events').getBoundingClientRect().top")) < 5
        browser.click("nav a[href='#overview']")
        browser.wait("location.hash === '#overview'")
        browser.click("#overview-table tr[data-dataset='bronze.raw'] a")
        browser.wait("location.hash === '#ds-bronze-raw'")

        browser.js("window.scrollTo(0, 0)")
        shot = browser.screenshot(tmp_path / "report.png")
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
        if os.environ.get("SQLINGEST_UPDATE_SCREENSHOTS"):
            shutil.copy(tmp_path / "report.png", REPO / "docs" / "img" / "report.png")
