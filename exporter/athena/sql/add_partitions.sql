-- Incremental partition registration (`ara athena add-partitions`, or
-- exporter.register_run_partitions from the orchestrator): rendered once per table with the new
-- run's partition. IF NOT EXISTS makes it a no-op when the partition is already registered; it
-- never drops or rewrites anything. ${location} is the contract's partition folder
-- ({root}/{table}/run_date=YYYY-MM-DD/run_id={run_id}/).
ALTER TABLE ${database}.${table} ADD IF NOT EXISTS
PARTITION (run_date = '${run_date}', run_id = '${run_id}')
LOCATION '${location}'
