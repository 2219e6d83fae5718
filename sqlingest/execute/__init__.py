"""Stage 5 — execute a plan on Spark: read sources, stage each model's query, validate it against its contract,
write it with its materialization's SQL, then hand the table to the checks stage."""
