"""The report's per-micro-batch section for streaming models."""

from sqlingest.runs.report import render


def batch(i: int, status: str = "success", **extra) -> dict:
    return {"batch_id": i, "status": status, "rows_in": 10 * (i + 1), "rows_quarantined": i, "rows_dropped": 0,
            "offsets": {"start": [{"t": {"0": 4 * i}}], "end": [{"t": {"0": 4 * i + 4}}]}, **extra}


def test_streaming_models_chart_each_micro_batch_and_list_failed_ones():
    model = {"name": "bronze.events", "relation": "lake.b.events", "materialization": "streaming",
             "status": "error", "checks": [], "batches": [batch(0), batch(1), batch(2, "error", error="range(x)")]}
    html = render([{"run_id": "r1", "models": [model]}], project="p")
    section = html.split('aria-label="rows per micro-batch"')[1]
    assert section.count('class="series"') == 3            # rows_in, rows_quarantined, rows_dropped
    assert "r1 batch 1" in section and "r1 batch 2" not in section.split("failed micro-batch")[0]
    failed = section.split("failed micro-batch")[1]
    assert "r1 batch 2" in failed and "{&quot;t&quot;: {&quot;0&quot;: 8}}" in failed and "range(x)" in failed


def test_batch_models_have_no_micro_batch_section():
    model = {"name": "silver.x", "relation": "lake.s.x", "materialization": "merge", "status": "success",
             "checks": [], "rows_in": 3}
    assert "micro-batch" not in render([{"run_id": "r1", "models": [model]}], project="p")
