"""Text tables on the local Athena endpoint: the CSV and delimited-text tables dbt-athena's seeds
create, read and written as Athena does.

* ``ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'`` (a seed uploaded as CSV:
  https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html): every field a string, quotes
  and separator from the SerDe properties, ``skip.header.line.count``;
* no ROW FORMAT and no STORED AS, ``ROW FORMAT DELIMITED …`` or ``STORED AS TEXTFILE`` (a seed
  inserted row by row): the LazySimpleSerDe over TEXTFILE
  (https://docs.aws.amazon.com/athena/latest/ug/create-table.html: TEXTFILE is the default;
  https://docs.aws.amazon.com/athena/latest/ug/lazy-simple-serde.html), fields split on
  ``field.delim`` (default ``\\001``), ``\\N`` NULL, each field parsed as its column's type;
* ``INSERT INTO`` such a table and a CTAS with ``format='TEXTFILE'`` write text files
  (GZIP-compressed by default: https://docs.aws.amazon.com/athena/latest/ug/
  compression-formats.html);
* formats the endpoint cannot read (ORC, a JSON SerDe, …) are registered as Athena registers
  them and refused, named, when a statement reads or writes them.

One in-process endpoint for the module (its own region, so its own Glue), a fresh database and
bucket per test; the last test runs ``dbt seed --target athena`` on a two-seed project.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _athena_endpoint import athena_query, create_results_bucket, s3_keys, scratch_database
from _dbt_scenario import Dbt

from local_athena import LocalAthena

pytestmark = [pytest.mark.s3]

REGION = "eu-north-1"  # apart from the other endpoint modules' Glue catalogs

OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

#: a seed as dbt reads it: a quoted comma, a doubled quote, an empty row, a header
SEED_CSV = (
    "id,name,amount,day,flag\n"
    '1,"a, with comma",1.5,2024-01-02,true\n'
    "2,,,,\n"
    '3,"quote "" inside",2.25,2024-02-29,false\n'
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION) as server:
        create_results_bucket(server)
        yield server


@pytest.fixture
def scratch(endpoint: LocalAthena) -> tuple[str, str]:
    """A fresh database and bucket: (database, bucket)."""
    return scratch_database(endpoint, "text")


def _ok(endpoint: LocalAthena, sql: str, db: str) -> list[tuple[str | None, ...]]:
    state, reason, _, rows = athena_query(endpoint, sql, db)
    assert state == "SUCCEEDED", (sql, reason)
    return rows


def _typed(endpoint: LocalAthena, sql: str, db: str) -> tuple[list[tuple[str, str]], list[Any]]:
    state, reason, columns, rows = athena_query(endpoint, sql, db)
    assert state == "SUCCEEDED", (sql, reason)
    return columns, rows


def _failed(endpoint: LocalAthena, sql: str, db: str) -> str:
    state, reason, _, _ = athena_query(endpoint, sql, db)
    assert state == "FAILED" and reason, (sql, state)
    return reason


def _sorted(rows: list[tuple[str | None, ...]]) -> list[tuple[str | None, ...]]:
    return sorted(rows, key=lambda r: tuple((v is None, v or "") for v in r))


def _glue(endpoint: LocalAthena, db: str, name: str) -> dict[str, Any]:
    table: dict[str, Any] = endpoint.client("glue").get_table(DatabaseName=db, Name=name)["Table"]
    return table


def _put(endpoint: LocalAthena, bucket: str, key: str, body: bytes) -> None:
    endpoint.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def _get(endpoint: LocalAthena, bucket: str, key: str) -> bytes:
    body: bytes = endpoint.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def _dbt_csv(tmp_path: Path, text: str) -> bytes:
    """The CSV dbt-athena uploads for a seed (impl.py ``upload_seed_to_s3``): the seed read
    by dbt's agate loader, written by agate's ``to_csv(quoting=csv.QUOTE_NONNUMERIC)``."""
    from dbt_common.clients import agate_helper

    seed = tmp_path / "seed.csv"
    seed.write_text(text)
    out = tmp_path / "upload.csv"
    agate_helper.from_csv(str(seed), []).to_csv(str(out), quoting=csv.QUOTE_NONNUMERIC)
    return out.read_bytes()


# --- OpenCSVSerde: the seed uploaded as CSV --------------------------------------------------


def test_a_seed_uploaded_as_csv_reads_and_casts_as_dbt_athena_sends_it(
    endpoint: LocalAthena, scratch: tuple[str, str], tmp_path: Path
) -> None:
    """dbt-athena's seed by upload (seeds/helpers.sql ``create_csv_table_upload``): the CSV
    in S3, a string-column OpenCSVSerde table over it with ``skip.header.line.count`` = 1, a
    CTAS casting ``nullif(col, '')``. Athena registers TEXTFILE for a ROW FORMAT without STORED
    AS (create-table.html) and reads each quoted field whole, a doubled quote as one quote,
    an empty field as '' (csv-serde.html)."""
    db, bucket = scratch
    body = _dbt_csv(tmp_path, SEED_CSV)
    assert body.startswith(b'"id","name","amount","day","flag"\n"1","a, with comma","1.5"')
    _put(endpoint, bucket, "seeds/s__dbt_tmp/s__dbt_tmp.csv", body)
    _ok(
        endpoint,
        f"create external table `{db}`.`s__dbt_tmp` (`id` string, `name` string, "
        "`amount` string, `day` string, `flag` string)\n"
        "    row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n"
        f"    location 's3://{bucket}/seeds/s__dbt_tmp'\n"
        "    tblproperties (\n      'skip.header.line.count'='1'\n    )",
        db,
    )
    table = _glue(endpoint, db, "s__dbt_tmp")
    sd = table["StorageDescriptor"]
    assert (sd["InputFormat"], sd["OutputFormat"]) == (TEXT_INPUT, TEXT_OUTPUT)
    assert sd["SerdeInfo"]["SerializationLibrary"] == OPEN_CSV
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert "skip.header.line.count" not in sd["SerdeInfo"]["Parameters"]

    columns, rows = _typed(endpoint, f'select * from "{db}"."s__dbt_tmp" order by id', db)
    assert columns == [(n, "varchar") for n in ("id", "name", "amount", "day", "flag")]
    assert rows == [
        ("1", "a, with comma", "1.5", "2024-01-02", "True"),
        ("2", "", "", "", ""),
        ("3", 'quote " inside', "2.25", "2024-02-29", "False"),
    ]
    _ok(
        endpoint,
        f'create table "awsdatacatalog"."{db}"."s"\n    with (\n      table_type=\'hive\',\n'
        f"      is_external=true,external_location='s3://{bucket}/tables/s',\n"
        "      format='parquet'\n    )\n    as\n      select\n"
        '        cast(nullif("id", \'\') as integer) as "id",\n'
        '        cast(nullif("name", \'\') as varchar) as "name",\n'
        '        cast(nullif("amount", \'\') as double) as "amount",\n'
        '        cast(nullif("day", \'\') as date) as "day",\n'
        '        cast(nullif("flag", \'\') as boolean) as "flag"\n'
        f'    from\n        "awsdatacatalog"."{db}"."s__dbt_tmp"',
        db,
    )
    _ok(endpoint, f"drop table if exists `{db}`.`s__dbt_tmp`", db)
    columns, rows = _typed(endpoint, "select * from s order by id", db)
    assert columns == [
        ("id", "integer"),
        ("name", "varchar"),
        ("amount", "double"),
        ("day", "date"),
        ("flag", "boolean"),
    ]
    assert rows == [
        ("1", "a, with comma", "1.5", "2024-01-02", "true"),
        ("2", None, None, None, None),
        ("3", 'quote " inside', "2.25", "2024-02-29", "false"),
    ]


def test_open_csv_serde_properties_and_non_string_columns(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """The SerDe's ``separatorChar``/``quoteChar``/``escapeChar`` properties; a field past a
    line's end is NULL, an extra one ignored. A non-string column is parsed from the field
    (BIGINT, BOOLEAN, DOUBLE; DATE as days since 1970); a value that does not parse fails the
    query with HIVE_BAD_DATA, or reads NULL with ``use.null.for.invalid.data``
    (csv-serde.html, "Considerations for non-string data", "Using NULL for invalid data")."""
    db, bucket = scratch
    _put(
        endpoint,
        bucket,
        "pipes/data.csv",
        b"'a|b'|'it\\'s'|7\n'x'|y\n'q'|'r'|9|extra\n",
    )
    _ok(
        endpoint,
        "create external table pipes (a string, b string, n bigint) "
        "row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        'with serdeproperties ("separatorChar" = "|", "quoteChar" = "\'", "escapeChar" = "\\\\") '
        f"stored as textfile location 's3://{bucket}/pipes/'",
        db,
    )
    params = _glue(endpoint, db, "pipes")["StorageDescriptor"]["SerdeInfo"]["Parameters"]
    assert (params["separatorChar"], params["quoteChar"], params["escapeChar"]) == ("|", "'", "\\")
    assert sorted(_ok(endpoint, "select a, b, n from pipes", db)) == [
        ("a|b", "it's", "7"),
        ("q", "r", "9"),
        ("x", "y", None),
    ]

    _put(endpoint, bucket, "typed/data.csv", b'"1","true","2.5","19723"\n"","maybe","x","y"\n')
    ddl = (
        "create external table {name} (n bigint, f boolean, d double, day date) "
        "row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        f"location 's3://{bucket}/typed/'"
    )
    _ok(endpoint, ddl.format(name="typed"), db)
    reason = _failed(endpoint, "select * from typed", db)
    assert reason.startswith("HIVE_BAD_DATA: Error parsing field value '' for field 0"), reason
    _ok(
        endpoint,
        ddl.format(name="lenient") + " tblproperties ('use.null.for.invalid.data'='true')",
        db,
    )
    columns, rows = _typed(endpoint, "select * from lenient order by n", db)
    assert [t for _, t in columns] == ["bigint", "boolean", "double", "date"]
    assert rows == [("1", "true", "2.5", "2024-01-01"), (None, None, None, None)]


def test_insert_into_a_csv_table_quotes_every_field(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """An INSERT INTO an OpenCSVSerde table writes every value quoted, a quote inside doubled
    (the writer's escape is the quote unless ``escapeChar`` is set) and a NULL as nothing,
    which reads back as '' (Trino's CsvSerializer, bug for bug OpenCSVSerde's:
    lib/trino-hive-formats ``line/csv``); its columns must all be strings."""
    db, bucket = scratch
    _ok(
        endpoint,
        "create external table c (a string, b string) row format serde "
        f"'org.apache.hadoop.hive.serde2.OpenCSVSerde' location 's3://{bucket}/c/'",
        db,
    )
    _ok(endpoint, "insert into c values ('say \"hi\", then go', 'x'), (NULL, 'y')", db)
    (key,) = s3_keys(endpoint, bucket, "c/")
    assert sorted(gzip.decompress(_get(endpoint, bucket, key)).decode().splitlines()) == [
        '"say ""hi"", then go","x"',
        ',"y"',
    ]
    assert sorted(_ok(endpoint, "select a, b from c", db)) == [
        ("", "y"),
        ('say "hi", then go', "x"),
    ]
    _ok(
        endpoint,
        "create external table c2 (a string, n int) row format serde "
        f"'org.apache.hadoop.hive.serde2.OpenCSVSerde' location 's3://{bucket}/c2/'",
        db,
    )
    reason = _failed(endpoint, "insert into c2 values ('a', 1)", db)
    assert reason.startswith("NOT_SUPPORTED") and "column n of type int" in reason


# --- LazySimpleSerDe: the seed inserted row by row -------------------------------------------


def test_a_table_without_a_format_is_lazy_simple_text_and_round_trips_an_insert(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """dbt-athena's seed by insert (``create_csv_table_insert``) creates the table with
    columns and a LOCATION only: Athena's default is TEXTFILE with the LazySimpleSerDe
    (create-table.html), then ``insert into … values`` batches. The values come back with
    their types; the file is text (``\\001`` between fields, ``\\N`` for NULL), GZIP as
    Athena writes text by default (compression-formats.html), named ``….gz``."""
    db, bucket = scratch
    _ok(
        endpoint,
        f"create external table `{db}`.`ins` (`s` string, `v` varchar(5), `i` int, "
        "`b` bigint, `d` double, `m` decimal(10,2), `f` boolean, `day` date, `ts` timestamp)\n"
        f"    location 's3://{bucket}/ins/'",
        db,
    )
    sd = _glue(endpoint, db, "ins")["StorageDescriptor"]
    assert (sd["InputFormat"], sd["OutputFormat"]) == (TEXT_INPUT, TEXT_OUTPUT)
    assert sd["SerdeInfo"] == {
        "SerializationLibrary": LAZY,
        "Parameters": {"serialization.format": "1"},
    }
    _ok(
        endpoint,
        f'insert into "awsdatacatalog"."{db}"."ins" ("s", "v", "i", "b", "d", "m", "f", "day", '
        '"ts") values\n'
        "  ('a, \"b\"', 'abc', 1, BIGINT '9007199254740993', DOUBLE '0.1', DECIMAL '3.25', "
        "TRUE, DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05.678'),\n"
        "  ('', NULL, -2, NULL, DOUBLE '-1e300', DECIMAL '-0.50', FALSE, NULL, "
        "TIMESTAMP '1999-12-31 23:59:59.000'),\n"
        "  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
        db,
    )
    columns, rows = _typed(endpoint, "select * from ins order by i", db)
    assert columns == [
        ("s", "varchar"),
        ("v", "varchar"),
        ("i", "integer"),
        ("b", "bigint"),
        ("d", "double"),
        ("m", "decimal"),
        ("f", "boolean"),
        ("day", "date"),
        ("ts", "timestamp"),
    ]
    assert rows == [
        ("", None, "-2", None, "-1.0E300", "-0.50", "false", None, "1999-12-31 23:59:59.000"),
        (
            'a, "b"',
            "abc",
            "1",
            "9007199254740993",
            "0.1",
            "3.25",
            "true",
            "2024-01-02",
            "2024-01-02 03:04:05.678",
        ),
        (None, None, None, None, None, None, None, None, None),
    ]
    (key,) = s3_keys(endpoint, bucket, "ins/")
    assert key.endswith(".gz")
    lines = gzip.decompress(_get(endpoint, bucket, key)).decode().splitlines()
    assert "\\N\x01" * 8 + "\\N" in lines
    assert 'a, "b"\x01abc\x011\x019007199254740993\x010.1\x013.25\x01true\x012024-01-02\x01' in (
        "\n".join(lines)
    )


def test_delimited_text_null_text_and_values_that_do_not_parse(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """ROW FORMAT DELIMITED is the LazySimpleSerDe with its clauses as properties
    (serde-create-a-table.html): ``field.delim``, ``serialization.null.format``. A field equal
    to the NULL text is NULL, a missing field NULL, an extra one ignored, an empty line a row
    whose first string is ''. A field that does not parse as its column's type (an integer
    ``abc``, out of range, a boolean ``yes``, a date ``soon``) reads as NULL, as Athena's
    (Trino's) Hive text reader decodes it; a malformed DOUBLE fails the query (HIVE_BAD_DATA)
    (lib/trino-hive-formats, encodings/text: LongEncoding, BooleanEncoding, DateEncoding,
    DoubleEncoding)."""
    db, bucket = scratch
    _put(
        endpoint,
        bucket,
        "delim/part-0",
        b"one,1,true,2024-01-02\nNA,abc,yes,soon\nthree,99999999999,NA\n\nfive,5,false,2024-1-5,x\n",
    )
    _ok(
        endpoint,
        "create external table delim (s string, n int, f boolean, day date) "
        "row format delimited fields terminated by ',' null defined as 'NA' "
        f"location 's3://{bucket}/delim/'",
        db,
    )
    params = _glue(endpoint, db, "delim")["StorageDescriptor"]["SerdeInfo"]["Parameters"]
    assert params["field.delim"] == "," and params["serialization.null.format"] == "NA"
    assert _sorted(_ok(endpoint, "select * from delim", db)) == _sorted(
        [
            ("one", "1", "true", "2024-01-02"),
            (None, None, None, None),
            ("three", None, None, None),
            ("", None, None, None),
            ("five", "5", "false", "2024-01-05"),
        ]
    )
    _put(endpoint, bucket, "dbl/part-0", b"1.5\x01x\nabc\x01y\n")
    _ok(
        endpoint,
        f"create external table dbl (d double, s string) location 's3://{bucket}/dbl/'",
        db,
    )
    assert _failed(endpoint, "select * from dbl", db).startswith("HIVE_BAD_DATA: Invalid double")


def test_a_partitioned_text_table_prunes_and_counts_the_text_bytes(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """A partitioned text table reads like a Parquet one: the partition values as constants,
    a filter on them reading only that partition's files; DataScannedInBytes is the size of
    the text objects read (the endpoint counts whole objects, docs/athena-parity.md). INSERT
    INTO writes each partition's rows under its folder and registers new partitions."""
    db, bucket = scratch
    _ok(
        endpoint,
        "create external table p (s string, n bigint) partitioned by (d string) "
        f"stored as textfile location 's3://{bucket}/p/'",
        db,
    )
    _ok(endpoint, "insert into p values ('a', 1, 'x'), ('b', 2, 'y'), ('c', 3, 'y')", db)
    assert sorted(_ok(endpoint, "show partitions p", db)) == [("d=x",), ("d=y",)]
    (x_key,) = s3_keys(endpoint, bucket, "p/d=x/")
    (y_key,) = s3_keys(endpoint, bucket, "p/d=y/")
    x_size = len(_get(endpoint, bucket, x_key))
    y_size = len(_get(endpoint, bucket, y_key))
    assert sorted(_ok(endpoint, "select s, n, d from p", db)) == [
        ("a", "1", "x"),
        ("b", "2", "y"),
        ("c", "3", "y"),
    ]
    assert _ok(endpoint, "select s, n from p where d = 'y' order by n", db) == [
        ("b", "2"),
        ("c", "3"),
    ]
    last = endpoint.history()[-1]
    assert last.partitions_read == frozenset({(db, "p", ("y",))})
    assert last.data_scanned == y_size != x_size + y_size
    # a partition added over text written elsewhere
    _put(endpoint, bucket, "elsewhere/z.txt", b"z\x0126\n")
    _ok(endpoint, f"alter table p add partition (d = 'z') location 's3://{bucket}/elsewhere/'", db)
    assert _ok(endpoint, "select s, n from p where d = 'z'", db) == [("z", "26")]


def test_hidden_objects_of_a_text_table_are_not_read(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """As for Parquet tables (tests/test_athena_endpoint_rules.py): objects whose name, or a
    folder's under the location, starts with ``_`` or ``.`` are not data (Trino's
    HiveFileIterator; Hadoop's hiddenFileFilter)."""
    db, bucket = scratch
    for key, body in [
        ("h/data.csv", b"a,1\n"),
        ("h/_SUCCESS", b"b,2\n"),
        ("h/.hidden.csv", b"c,3\n"),
        ("h/_temporary/0/part-0", b"d,4\n"),
        ("h/more.txt", b"e,5\n"),
    ]:
        _put(endpoint, bucket, key, body)
    _ok(
        endpoint,
        "create external table h (s string, n int) row format delimited "
        f"fields terminated by ',' location 's3://{bucket}/h/'",
        db,
    )
    assert sorted(_ok(endpoint, "select s, n from h", db)) == [("a", "1"), ("e", "5")]


def test_a_ctas_writes_textfile_with_its_field_delimiter(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """A CTAS with ``format = 'TEXTFILE'`` and ``field_delimiter`` (create-table-as.html):
    a LazySimpleSerDe table with that ``field.delim``, its files GZIP text."""
    db, bucket = scratch
    _ok(
        endpoint,
        f"create table t with (format = 'TEXTFILE', field_delimiter = ',', external_location = "
        f"'s3://{bucket}/t/') as select * from (values (1, 'a'), (2, null)) as v (n, s)",
        db,
    )
    sd = _glue(endpoint, db, "t")["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"] == LAZY
    assert sd["SerdeInfo"]["Parameters"]["field.delim"] == ","
    assert sd["InputFormat"] == TEXT_INPUT
    (key,) = s3_keys(endpoint, bucket, "t/")
    assert sorted(gzip.decompress(_get(endpoint, bucket, key)).decode().splitlines()) == [
        "1,a",
        "2,\\N",
    ]
    assert _ok(endpoint, "select n, s from t order by n", db) == [("1", "a"), ("2", None)]


def test_formats_the_endpoint_cannot_read_are_registered_and_refused_by_name(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """Athena creates tables of its other formats (create-table.html: ORC, AVRO, ION, …;
    SerDes such as the OpenX JSON SerDe); the endpoint registers them as Athena does and a
    statement reading or writing one fails NOT_SUPPORTED naming the format, never reading it
    as something else. A CTAS format other than PARQUET and TEXTFILE fails likewise."""
    db, bucket = scratch
    _put(endpoint, bucket, "orc/data", b"not orc")
    _ok(
        endpoint,
        f"create external table o (a string) stored as orc location 's3://{bucket}/orc/'",
        db,
    )
    sd = _glue(endpoint, db, "o")["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
    assert sd["InputFormat"] == "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"
    assert "stored as ORC" in _failed(endpoint, "select * from o", db)
    assert "stored as ORC" in _failed(endpoint, "insert into o values ('x')", db)
    _ok(
        endpoint,
        "create external table j (a string) row format serde 'org.openx.data.jsonserde.JsonSerDe' "
        f"location 's3://{bucket}/json/'",
        db,
    )
    reason = _failed(endpoint, "select * from j", db)
    assert reason.startswith("NOT_SUPPORTED") and "org.openx.data.jsonserde.JsonSerDe" in reason
    reason = _failed(
        endpoint,
        f"create table c with (format = 'JSON', external_location = 's3://{bucket}/c/') "
        "as select 1 as n",
        db,
    )
    assert reason.startswith("NOT_SUPPORTED: CTAS with format='json'"), reason
    _put(endpoint, bucket, "snappy/part-0.snappy", b"\x00\x01")
    _ok(endpoint, f"create external table sn (a string) location 's3://{bucket}/snappy/'", db)
    assert "SNAPPY-compressed" in _failed(endpoint, "select * from sn", db)


# --- dbt seed, both ways -----------------------------------------------------------------------


@pytest.mark.dbt
def test_dbt_seed_by_upload_and_by_insert(
    endpoint: LocalAthena, scratch: tuple[str, str], tmp_path: Path
) -> None:
    """``dbt seed --target athena`` on a project of two seeds, one uploaded as CSV (the
    default) and one inserted (``seed_by_insert``), each read back with its types.

    The uploaded seed holds no timestamp and the inserted one no number: dbt-athena casts a
    timestamp column with ``try(date_parse(…))`` and inserts every number as a ``DECIMAL '…'``
    literal, which the endpoint does not execute yet (date_parse) or refuses into an integer
    or double column (INSERT's coercion), outside these text tables."""
    db, bucket = scratch
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: text_seeds\nversion: '1.0'\nconfig-version: 2\nprofile: athena_run_analytics\n"
        "seed-paths: ['seeds']\n"
        "seeds:\n  text_seeds:\n    inserted:\n      +seed_by_insert: true\n"
    )
    (project / "seeds" / "uploaded.csv").write_text(SEED_CSV)
    (project / "seeds" / "inserted.csv").write_text(
        "name,day,flag,at\n"
        '"a, with comma",2024-01-02,true,2024-01-02 03:04:05\n'
        ",,,\n"
        '"quote "" inside",2024-02-29,false,2024-02-29 00:00:00\n'
    )
    env = {
        **endpoint.env(bucket),
        "ARA_DBT_SCHEMA": db,
        "ARA_ATHENA_NUM_RETRIES": "0",
        "ARA_ATHENA_POLL_INTERVAL": "0.02",
    }
    dbt = Dbt(tmp_path / "dbt", "s3://unused", env=env, project_dir=project)
    dbt.run("seed", "--target", "athena")

    columns, rows = _typed(endpoint, "select * from uploaded order by id", db)
    assert columns == [
        ("id", "integer"),
        ("name", "varchar"),
        ("amount", "double"),
        ("day", "date"),
        ("flag", "boolean"),
    ]
    assert rows == [
        ("1", "a, with comma", "1.5", "2024-01-02", "true"),
        ("2", None, None, None, None),
        ("3", 'quote " inside', "2.25", "2024-02-29", "false"),
    ]
    assert s3_keys(endpoint, bucket, "dbt/") and not [
        k for k in s3_keys(endpoint, bucket, "") if k.endswith(".csv")
    ]  # the uploaded CSV is deleted once the table is built

    sd = _glue(endpoint, db, "inserted")["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"] == LAZY and sd["InputFormat"] == TEXT_INPUT
    columns, rows = _typed(endpoint, "select * from inserted order by day", db)
    assert columns == [
        ("name", "varchar"),
        ("day", "date"),
        ("flag", "boolean"),
        ("at", "timestamp"),
    ]
    assert rows == [
        ("a, with comma", "2024-01-02", "true", "2024-01-02 03:04:05.000"),
        ('quote " inside', "2024-02-29", "false", "2024-02-29 00:00:00.000"),
        (None, None, None, None),
    ]
