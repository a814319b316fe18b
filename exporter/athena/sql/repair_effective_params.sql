-- Recovery: register every partition folder under the effective_params table's location that the
-- catalog does not know yet. Adds only; never drops a partition. Slow on a large table:
-- prefer add_partitions.sql for each new run (see docs/runbook.md).
MSCK REPAIR TABLE ${database}.effective_params
