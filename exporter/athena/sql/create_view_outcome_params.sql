-- A convenience view: each outcome with the effective parameters its point ran with, joined on
-- the contract's join keys (run_id, shard_id, point_index) inside the same run_date partition.
-- The dbt models remain the main analytics path; this view is for ad-hoc queries.
-- Filter on run_date / run_id to read only one run's partitions.
CREATE OR REPLACE VIEW ${database}.outcome_params AS
SELECT
    o.run_date,
    o.run_id,
    o.shard_id,
    o.point_index,
    o.param_hash,
    o.status,
    o.error_message,
    o.attempt,
    o.started_at,
    o.finished_at,
    o.duration_ms,
    o.metrics,
    p.param_count,
    p.params_json
FROM ${database}.outcomes AS o
LEFT JOIN ${database}.effective_params AS p
    ON
        o.run_date = p.run_date
        AND o.run_id = p.run_id
        AND o.shard_id = p.shard_id
        AND o.point_index = p.point_index
