"""`sqlingest docs generate` / `docs serve` in headless Chromium: the demo's site (DAG edges, navigation, search,
column lineage compared with lineage derived by hand from the demo's SQL), the last run's status and check results
on a built project, and a `sqlingest init` project."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from sqlingest.cli import main
from tests.browser import Browser
from tests.conftest import REPO
from tests.demo import copy_demo
from tests.integration.test_quality_actions import files

# the demo's table lineage, read off its models' SQL (bronze.order_events is disabled without Kafka)
DEMO_EDGES = {
    ("source:retail.customers", "bronze.customers"), ("source:retail.order_lines", "bronze.order_lines"),
    ("source:retail.orders", "bronze.orders"), ("source:retail.products", "bronze.products"),
    ("bronze.customers", "silver.customers"), ("bronze.order_lines", "silver.order_lines"),
    ("bronze.orders", "silver.orders"), ("bronze.products", "silver.products"),
    ("silver.customers", "gold.customer_value"), ("silver.orders", "gold.customer_value"),
    ("silver.order_lines", "gold.customer_value"), ("silver.orders", "gold.daily_revenue"),
    ("silver.order_lines", "gold.daily_revenue"), ("silver.products", "gold.product_sales"),
    ("silver.order_lines", "gold.product_sales"),
}
# gold.daily_revenue.revenue = SUM(l.amount) over silver.order_lines; amount = quantity * unit_price in silver;
# bronze keeps the source's columns
REVENUE_EDGES = {
    ("silver.order_lines::amount", "gold.daily_revenue::revenue"),
    ("bronze.order_lines::quantity", "silver.order_lines::amount"),
    ("bronze.order_lines::unit_price", "silver.order_lines::amount"),
    ("source:retail.order_lines::quantity", "bronze.order_lines::quantity"),
    ("source:retail.order_lines::unit_price", "bronze.order_lines::unit_price"),
}
# silver.orders.order_id feeds the two order counts (COUNT(DISTINCT o.order_id), COUNT(t.order_id) through the
# CTE); join keys are not lineage
ORDER_ID_EDGES = {
    ("source:retail.orders::order_id", "bronze.orders::order_id"),
    ("bronze.orders::order_id", "silver.orders::order_id"),
    ("silver.orders::order_id", "gold.daily_revenue::orders"),
    ("silver.orders::order_id", "gold.customer_value::orders"),
}


def edges(browser: Browser, selector: str) -> set[tuple[str, str]]:
    return {tuple(e) for e in browser.js(
        f"[...document.querySelectorAll('{selector}')].map(e => [e.dataset.from, e.dataset.to])")}


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sqlingest", "docs", "serve", "--port", "0", "--project-dir",
                             str(root)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    line = proc.stdout.readline()
    assert line.startswith("serving target/docs/ at http://127.0.0.1:"), line
    return proc, line.split(" at ")[1].split()[0]


def test_docs_site_of_the_demo_in_chromium(tmp_path):
    root = copy_demo(tmp_path / "demo", config=True)
    assert main(["docs", "serve", "--project-dir", str(root)]) == 2  # nothing generated yet: a user error
    assert main(["docs", "generate", "--project-dir", str(root)]) == 0
    site = root / "target" / "docs"
    assert (site / "search-index.json").is_file() and (site / "lineage.json").is_file()
    assert "http" not in (site / "index.html").read_text().replace("http://www.w3.org/2000/svg", "")
    proc, url = serve(root)
    try:
        with urllib.request.urlopen(url + "search-index.json", timeout=10) as response:
            assert response.status == 200
        with Browser(tmp_path / "chrome") as browser:
            browser.open(url + "index.html")
            browser.wait("document.body.dataset.ready")
            assert edges(browser, "#dag .edge") == DEMO_EDGES
            # navigation: a DAG node opens the model's page, whose neighbours link on
            browser.click("#dag a[data-node='gold.daily_revenue']")
            browser.wait("document.body.dataset.page === 'gold.daily_revenue' && document.body.dataset.ready")
            page = browser.js("document.querySelector('main').innerText")
            assert "lake.gold.daily_revenue" in page and "Revenue and order counts per day" in page
            assert "SUM(l.amount)" in browser.js("document.getElementById('sql').innerText")
            assert "row_count(table)" in page and "not run yet" in page
            versions = browser.js("[...document.querySelectorAll('.registry tr[data-version]')]"
                                  ".map(r => r.dataset.version)")
            assert versions == ["1", "2"]
            browser.click("#neighbours a[data-node='silver.orders']")
            browser.wait("document.body.dataset.page === 'silver.orders' && document.body.dataset.ready")

            # search: a model by name, a column by name; the result opens the column with its lineage
            browser.type("#search", "daily rev")
            names = browser.wait("[...document.querySelectorAll('#search-results a')].map(a => a.dataset.name)")
            assert names[0] == "gold.daily_revenue"
            browser.js("document.getElementById('search').value = ''")
            browser.type("#search", "revenue")
            browser.wait("!!document.querySelector('#search-results a[data-name=\"gold.daily_revenue.revenue\"]')")
            browser.click("#search-results a[data-name='gold.daily_revenue.revenue']")
            browser.wait("document.getElementById('lineage') && !document.getElementById('lineage').hidden")
            assert browser.js("document.getElementById('lineage').dataset.column") == "gold.daily_revenue::revenue"
            assert edges(browser, "#lineage-svg .ledge") == REVENUE_EDGES
            assert browser.js("document.getElementById('lineage-sources').innerText").startswith(
                "silver.order_lines.amount")

            # from any column to its sources and consumers: click silver.orders.order_id on its page
            browser.open(url + "models/silver.orders.html")
            browser.wait("document.body.dataset.ready")
            browser.click("a.col-link[data-ref='silver.orders::order_id']")
            browser.wait("document.getElementById('lineage').dataset.column === 'silver.orders::order_id'")
            assert edges(browser, "#lineage-svg .ledge") == ORDER_ID_EDGES
            consumers = browser.js("document.getElementById('lineage-consumers').innerText").splitlines()
            assert consumers == ["gold.customer_value.orders", "gold.daily_revenue.orders"]
            # a node of the graph opens that column on its page
            browser.click("#lineage-svg g.lnode[data-ref='gold.daily_revenue::orders'] a")
            browser.wait("document.body.dataset.page === 'gold.daily_revenue' && "
                         "document.getElementById('lineage').dataset.column === 'gold.daily_revenue::orders'")
            assert browser.errors == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_docs_site_shows_the_last_run_and_works_in_a_new_project(lakehouse, project, tmp_path):
    checks = "  - {type: accepted_values, column: kind, values: [buy, sell], action: quarantine}\n"
    root = project(files(checks))
    assert main(["build", "--project-dir", str(root)]) == 0
    assert main(["docs", "generate", "--project-dir", str(root)]) == 0
    fresh = tmp_path / "fresh"
    assert main(["init", str(fresh)]) == 0
    assert main(["docs", "generate", "--project-dir", str(fresh)]) == 0
    with Browser(tmp_path / "chrome") as browser:
        browser.open((root / "target/docs/models/gold.events.html").as_uri())
        browser.wait("document.body.dataset.ready")
        last = browser.js("document.getElementById('last-run').innerText")
        assert "warn" in last and "6 read → 5 published, 1 quarantined" in last
        assert browser.js("document.querySelector('.check-results tr[data-check=\"accepted_values(kind)\"]')"
                          ".innerText").split("\t")[:4] == ["accepted_values(kind)", "warn", "quarantine", "1"]
        assert browser.js("document.querySelector('nav a[data-node=\"gold.events\"] .dot').className") == "dot warn"
        browser.open((fresh / "target/docs/index.html").as_uri())
        browser.wait("document.body.dataset.ready")
        models = browser.js("[...document.querySelectorAll('#models tr[data-node]')].map(r => r.dataset.node)")
        assert models and all(m.split(".")[0] in ("bronze", "silver", "gold") for m in models)
        assert edges(browser, "#dag .edge")
        assert browser.errors == []
