-- effective_params: the fully resolved parameters of each planned point of an exported shard.
-- Columns, in file order, must match exporter/_contract.py (tests/test_athena_sql.py checks).
-- The partition keys are in the object path only, never in the Parquet files.
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.effective_params (
    schema_version STRING,
    shard_id BIGINT,
    point_index BIGINT,
    param_hash STRING,
    param_count INT,
    params_json STRING,
    write_id STRING
)
PARTITIONED BY (run_date DATE, run_id STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${root}/effective_params/'
TBLPROPERTIES ('ara.schema_version' = '${schema_version}')
