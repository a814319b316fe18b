"""A shard's rows on their way into its two Parquet objects, in bounded memory.

:class:`ShardBuffer` keeps the rows of the current row group as plain Python lists (one per
column); every ``row_group_size`` rows it turns them into one Arrow row group per dataset and
writes it through :class:`pyarrow.parquet.ParquetWriter` into a spool file
(:meth:`~exporter._storage.Storage.spool`). Memory is one row group, whatever the shard's size.

Rows are stored sorted by ``point_index`` (the contract's sort key). Points added in ascending
order — what every worker loop does — stream straight through. Points added out of order are
still stored sorted: each row group is sorted before it is written, and when row groups overlap,
:meth:`ColumnSpool.finish` rewrites the spool window by window of ``point_index`` values (each
window at most one row group), reading only the row groups whose statistics overlap the window.
That costs extra reads but never more than about two row groups of memory.

Validation is not done here: the writer hands in rows it has validated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import _contract as contract

__all__ = ["DEFAULT_ROW_GROUP_SIZE", "PARQUET_COMPRESSION", "ColumnSpool", "ShardBuffer"]

PARQUET_COMPRESSION = "snappy"
#: Rows per Parquet row group (and per in-memory buffer) of a shard object.
DEFAULT_ROW_GROUP_SIZE = 65_536
_METRICS_TYPE = contract.OUTCOMES.arrow_schema().field("metrics").type


class ColumnSpool:
    """One dataset's object being built in a spool file, one sorted row group at a time."""

    def __init__(
        self, dataset: contract.Dataset, new_file: Callable[[], Path], row_group_size: int
    ) -> None:
        self.schema = dataset.arrow_schema()
        self._new_file = new_file
        self._row_group_size = row_group_size
        self.path: Path | None = None
        self._writer: pq.ParquetWriter | None = None
        #: (first, last) point_index of each row group written, in order.
        self._groups: list[tuple[int, int]] = []

    def _open(self) -> pq.ParquetWriter:
        self.path = self._new_file()
        return pq.ParquetWriter(self.path, self.schema, compression=PARQUET_COMPRESSION)

    def write(self, table: pa.Table, first: int, last: int) -> None:
        """Append ``table`` (sorted by point_index, from ``first`` to ``last``) as a row group."""
        if self._writer is None:
            self._writer = self._open()
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._groups.append((first, last))

    def finish(self) -> Path | None:
        """Close the spool; returns the finished file (None when nothing was written)."""
        if self._writer is None:
            return None
        self._writer.close()
        self._writer = None
        assert self.path is not None
        ordered = all(a[1] < b[0] for a, b in itertools.pairwise(self._groups))
        if not ordered:
            self._rewrite_sorted()
        return self.path

    def _rewrite_sorted(self) -> None:
        assert self.path is not None
        source_path = self.path
        source = pq.ParquetFile(source_path)
        writer = self._open()
        try:
            low = min(g[0] for g in self._groups)
            high = max(g[1] for g in self._groups)
            for start in range(low, high + 1, self._row_group_size):
                stop = start + self._row_group_size  # at most row_group_size distinct indexes
                parts = []
                for i, (first, last) in enumerate(self._groups):
                    if last < start or first >= stop:
                        continue
                    group = source.read_row_group(i)
                    index = group.column("point_index")
                    keep = pc.and_(pc.greater_equal(index, start), pc.less(index, stop))
                    parts.append(group.filter(keep))
                window = pa.concat_tables(parts).sort_by("point_index") if parts else None
                if window is not None and window.num_rows:  # a gap in a sparse shard: no group
                    writer.write_table(window, row_group_size=window.num_rows)
        finally:
            writer.close()
            source.close()
            source_path.unlink(missing_ok=True)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class ShardBuffer:
    """Column buffers of one shard, flushed as row groups into one spool per dataset.

    The writer appends a validated row by appending to every list attribute below (the lists are
    public so the writer's fast path can bind their ``append`` methods), then calls
    :meth:`row_added`.
    """

    def __init__(
        self,
        *,
        shard_id: int,
        attempt: int,
        write_id: str | None = None,
        datasets: tuple[contract.Dataset, ...],
        new_file: Callable[[], Path],
        row_group_size: int,
    ) -> None:
        self.shard_id = shard_id
        self.attempt = attempt
        self.write_id = write_id
        self.row_group_size = row_group_size
        self.spools = {d.name: ColumnSpool(d, new_file, row_group_size) for d in datasets}
        self.rows = 0  # rows flushed so far
        self.point_index: list[int] = []
        self.param_hash: list[str] = []
        self.param_count: list[int] = []
        self.params_json: list[str] = []
        #: the failed rows' errors by position in the buffer (most rows have none)
        self.errors: dict[int, str] = {}
        self.started_at: list[datetime] = []
        self.finished_at: list[datetime] = []
        # the metrics map, flattened: row i's entries are at offsets[i]:offsets[i+1]
        self.metric_keys: list[str] = []
        self.metric_values: list[float] = []
        self.metric_offsets: list[int] = [0]

    @property
    def buffered(self) -> int:
        return len(self.point_index)

    def flush(self) -> None:
        """Write the buffered rows as one row group of each dataset."""
        n = len(self.point_index)
        if n == 0:
            return
        # constant columns are built once per row group, not as per-row Python lists
        write_id = pa.repeat(self.write_id, n) if self.write_id else pa.nulls(n, pa.string())
        common: dict[str, Any] = {
            "schema_version": pa.repeat(contract.SCHEMA_VERSION, n),
            "shard_id": pa.repeat(self.shard_id, n),
            "point_index": self.point_index,
            "param_hash": self.param_hash,
            "write_id": write_id,
        }
        tables: dict[str, pa.Table] = {}
        if contract.EFFECTIVE_PARAMS.name in self.spools:
            tables[contract.EFFECTIVE_PARAMS.name] = pa.Table.from_pydict(
                {**common, "param_count": self.param_count, "params_json": self.params_json},
                schema=self.spools[contract.EFFECTIVE_PARAMS.name].schema,
            )
        duration = [
            (f - s).total_seconds() * 1000.0
            for s, f in zip(self.started_at, self.finished_at, strict=True)
        ]
        succeeded = not self.errors
        error = [self.errors.get(i) for i in range(n)] if self.errors else []
        tables[contract.OUTCOMES.name] = pa.Table.from_pydict(
            {
                **common,
                "status": pa.repeat("succeeded", n)
                if succeeded
                else ["succeeded" if e is None else "failed" for e in error],
                "error_message": pa.nulls(n, pa.string()) if succeeded else error,
                "attempt": pa.repeat(self.attempt, n),
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "duration_ms": duration,
                "metrics": pa.MapArray.from_arrays(
                    pa.array(self.metric_offsets, pa.int32()),
                    pa.array(self.metric_keys, pa.string()),
                    pa.array(self.metric_values, pa.float64()),
                    type=_METRICS_TYPE,
                ),
            },
            schema=self.spools[contract.OUTCOMES.name].schema,
        )
        index = self.point_index
        ascending = index == sorted(index)  # no duplicates in a shard: strictly ascending
        first, last = (index[0], index[-1]) if ascending else (min(index), max(index))
        for name, table in tables.items():
            rows = table if ascending else table.sort_by("point_index")
            self.spools[name].write(rows, first, last)
        self.rows += n
        for column in (
            self.point_index,
            self.param_hash,
            self.param_count,
            self.params_json,
            self.started_at,
            self.finished_at,
            self.metric_keys,
            self.metric_values,
        ):
            column.clear()
        del self.metric_offsets[1:]
        self.errors.clear()

    def finish(self) -> list[tuple[str, Path]]:
        """Flush the rest and close the spools: (dataset name, finished file), params first."""
        self.flush()
        done = []
        for name, spool in self.spools.items():
            path = spool.finish()
            if path is not None:
                done.append((name, path))
        return done

    def discard(self) -> None:
        """Drop every spool file (buffered rows are dropped with the buffer)."""
        for spool in self.spools.values():
            spool.discard()
