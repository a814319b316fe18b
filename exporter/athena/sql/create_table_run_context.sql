-- run_context: one row per accepted run (written once by the orchestrator).
-- Columns, in file order, must match exporter/_contract.py (tests/test_athena_sql.py checks).
-- The partition keys are in the object path only, never in the Parquet files.
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.run_context (
    schema_version STRING,
    accepted_at TIMESTAMP,
    request_source STRING,
    request_id STRING,
    requester STRING,
    code_version STRING,
    points_per_shard BIGINT,
    shard_count BIGINT,
    point_count BIGINT,
    config_fingerprint STRING,
    config_json STRING,
    status STRING,
    exporter_version STRING
)
PARTITIONED BY (run_date DATE, run_id STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${root}/run_context/'
TBLPROPERTIES ('ara.schema_version' = '${schema_version}')
