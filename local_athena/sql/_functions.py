"""The Trino functions the local endpoint executes, and the check that a query uses no other.

Every function call is checked by its name **as written in the Trino SQL**
(:func:`refused_call`, before anything is transpiled: sqlglot parses many DuckDB-only names
into the expression types of Trino functions, e.g. ``len`` into ``exp.Length``, so a check of
the parsed types alone would let them through). A name Trino does not have fails as on Athena
(``FUNCTION_NOT_FOUND: line 1:8: Function 'list_value' not registered``), even when DuckDB has
it; a Trino function not listed in :data:`SUPPORTED_FUNCTIONS` fails with NOT_SUPPORTED: DuckDB's
function of that name may differ from Trino's (docs/athena-parity.md). Each listed name was
checked to transpile to a DuckDB function with Trino's result on the types this project uses,
or is one of the ports (:mod:`._rewrite`; tests/test_athena_functions.py). A refusal always
names the function as Athena does: as written, or (written without a call, ``current_time``)
by Trino's name, never by sqlglot's expression type or DuckDB's function.
"""

from __future__ import annotations

import re

from sqlglot import Dialect, TokenType, exp

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "TRINO_FUNCTIONS",
    "function_name",
    "refused_call",
    "unsupported_function",
    "written_calls",
]

SUPPORTED_FUNCTIONS = frozenset(
    {
        # aggregates
        "count",
        "count_if",
        "sum",
        "min",
        "max",
        "avg",
        "array_agg",
        "bool_and",
        "bool_or",
        "arbitrary",
        "any_value",
        "approx_distinct",  # exact: count(DISTINCT x)
        "approx_percentile",  # exact: docs/athena-parity.md, "Functions"
        "listagg",
        # conditionals, casts
        "coalesce",
        "if",
        "nullif",
        "case",
        "cast",
        "try_cast",
        "try",
        "greatest",
        "least",
        # strings
        "concat",
        "length",
        "lower",
        "upper",
        "trim",
        "ltrim",
        "rtrim",
        "substr",
        "substring",
        "replace",
        "strpos",
        "position",
        "split_part",
        "split",
        "starts_with",
        "reverse",
        "lpad",
        "rpad",
        "regexp_like",
        "regexp_extract",
        "regexp_replace",
        # numbers
        "abs",
        "round",
        "floor",
        "ceil",
        "ceiling",
        "sqrt",
        "power",
        "pow",
        "ln",
        "exp",
        "mod",
        "sign",
        "is_nan",
        "is_finite",
        "is_infinite",
        "nan",
        "infinity",
        "truncate",
        "random",
        "rand",
        "e",
        "pi",
        "log2",
        "log10",
        "typeof",
        # dates and times
        "current_date",
        "current_timestamp",
        "now",
        "date",
        "date_add",
        "date_diff",
        "date_trunc",
        "date_format",
        "date_parse",
        "format_datetime",
        "parse_datetime",
        "from_iso8601_timestamp",
        "from_iso8601_date",
        "to_unixtime",
        "from_unixtime",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "millisecond",
        "quarter",
        "week",
        "week_of_year",
        "year_of_week",
        "yow",
        "day_of_week",
        "dow",
        "day_of_month",
        "day_of_year",
        "doy",
        "last_day_of_month",
        "to_milliseconds",
        "current_timezone",
        "localtimestamp",
        "extract",
        "at_timezone",
        "with_timezone",
        # arrays and maps
        "array",
        "cardinality",
        "element_at",
        "array_sort",
        "array_join",
        "array_distinct",
        "contains",
        "sequence",
        "slice",
        "reduce",
        "transform",
        "filter",
        "map",
        "map_keys",
        "map_values",
        "map_from_entries",
        "unnest",
        "flatten",
        "array_position",
        # JSON (ports of Trino's code: local_athena/sql/_trino.py)
        "json_extract_scalar",
        "json_extract",
        "json_format",
        "json_parse",
        # hashing, binary
        "to_hex",
        "from_hex",
        "md5",
        "sha256",
        "to_utf8",
        # window functions
        "row_number",
        "rank",
        "dense_rank",
        "lag",
        "lead",
        "first_value",
        "last_value",
        # ROW(...), Trino's row constructor (a DuckDB struct)
        "row",
    }
)

#: Every function Trino has (https://trino.io/docs/current/functions/list.html, "List of
#: functions and operators"; the geospatial ST_ functions lower-cased) and the call forms of its
#: syntax (ROW(...), UNNEST(...)). A call of any other name fails with FUNCTION_NOT_FOUND, as on
#: Athena; a name here that is not in SUPPORTED_FUNCTIONS with NOT_SUPPORTED.
_TRINO_NAMES = (
    "abs acos all_match any_match any_value approx_distinct approx_most_frequent approx_percentile",
    "approx_set arbitrary array_agg array_distinct array_except array_first array_histogram",
    "array_intersect array_join array_last array_max array_min array_position array_remove",
    "array_sort array_union arrays_overlap asin at_timezone atan atan2 avg",
    "bar beta_cdf bing_tile bing_tile_at bing_tile_coordinates bing_tile_polygon bing_tile_quadkey",
    "bing_tile_zoom_level bing_tiles_around bit_count bitwise_and bitwise_and_agg",
    "bitwise_left_shift bitwise_not bitwise_or bitwise_or_agg bitwise_right_shift",
    "bitwise_right_shift_arithmetic bitwise_xor bool_and bool_or",
    "cardinality cast cbrt ceil ceiling char2hexint checksum chr classify classifier coalesce",
    "codepoint collect color combinations concat concat_ws contains contains_sequence",
    "convex_hull_agg corr cos cosh cosine_distance cosine_similarity count count_if covar_pop",
    "covar_samp crc32 cume_dist current_date current_groups current_time current_timestamp",
    "current_timezone current_user",
    "date date_add date_diff date_format date_parse date_trunc day day_of_month day_of_week",
    "day_of_year degrees dense_rank dow doy",
    "e element element_at empty_approx_set ends_with evaluate_classifier_predictions every",
    "exclude_columns extract exp",
    "features filter first first_value flatten floor format format_datetime format_number",
    "from_base from_base32 from_base64 from_base64url from_big_endian_32 from_big_endian_64",
    "from_encoded_polyline from_geojson_geometry from_hex from_ieee754_32 from_ieee754_64",
    "from_iso8601_date from_iso8601_timestamp from_iso8601_timestamp_nanos from_unixtime",
    "from_unixtime_nanos from_utf8 fusion",
    "geometric_mean geometry_collect_agg geometry_from_hadoop_shape geometry_invalid_reason",
    "geometry_nearest_points geometry_to_bing_tiles geometry_union geometry_union_agg",
    "great_circle_distance greatest",
    "hamming_distance hash_counts histogram hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 hour",
    "human_readable_seconds",
    "if index infinity intersection intersection_cardinality inverse_beta_cdf inverse_normal_cdf",
    "is_finite is_infinite is_json_scalar is_nan",
    "jaccard_index json json_array json_array_contains json_array_get json_array_length",
    "json_exists json_extract json_extract_scalar json_format json_object json_parse json_query",
    "json_scalar json_serialize json_size json_value",
    "kurtosis",
    "lag last last_day_of_month last_value lead learn_classifier learn_libsvm_classifier",
    "learn_libsvm_regressor learn_regressor least length levenshtein_distance",
    "line_interpolate_point line_interpolate_points line_locate_point listagg ln localtime",
    "localtimestamp log log10 log2 lower lpad ltrim luhn_check",
    "make_set_digest map map_agg map_concat map_entries map_filter map_from_entries map_keys",
    "map_union map_values map_zip_with match_number max max_by md5 merge merge_set_digest",
    "millisecond min min_by minute mod month multimap_agg multimap_from_entries murmur3",
    "nan next ngrams none_match normal_cdf normalize now nth_value ntile nullif numeric_histogram",
    "objectid objectid_timestamp",
    "parse_datetime parse_duration parse_data_size percent_rank permute pi position pow power prev",
    "qdigest_agg quarter",
    "radians rand random random_string rank reduce reduce_agg regexp_count regexp_extract",
    "regexp_extract_all regexp_like regexp_position regexp_replace regexp_split regress",
    "regr_intercept regr_slope render repeat replace reverse rgb round row_number rpad rtrim",
    "second sequence set sha1 sha256 sha512 shuffle sign simplify_geometry sin sinh skewness slice",
    "soundex spatial_partitioning spatial_partitions split split_part split_to_map",
    "split_to_multimap spooky_hash_v2_32 spooky_hash_v2_64 sqrt",
    "st_area st_asbinary st_asewkb st_asewkt st_astext st_boundary st_buffer st_centroid",
    "st_collect st_contains st_convexhull st_coorddim st_crosses st_difference st_dimension",
    "st_disjoint st_distance st_endpoint st_envelope st_envelopeaspts st_equals st_exteriorring",
    "st_force2d st_force3d st_geometries st_geometryfromtext st_geometryn st_geometrytype",
    "st_geomfrombinary st_geomfromewkt st_geomfromkml st_interiorringn st_interiorrings",
    "st_intersection st_intersects st_isclosed st_isempty st_isring st_issimple st_isvalid",
    "st_length st_linefromtext st_linemerge st_linestring st_makeline st_makepolygon",
    "st_minimumboundingcircle st_multi st_multipoint st_normalize st_numgeometries",
    "st_numinteriorring st_numpoints st_orientedenvelope st_overlaps st_point st_pointn",
    "st_pointonsurface st_points st_polygon st_polygonize st_relate st_reduceprecision st_setsrid",
    "st_srid st_startpoint st_symdifference st_touches st_transform st_union st_voronoipolygons",
    "st_within st_x st_xmax st_xmin st_y st_ymax st_ymin st_z",
    "starts_with stddev stddev_pop stddev_samp strpos substr substring sum",
    "tan tanh tdigest_agg theta_sketch_cardinality theta_sketch_union timestamp_objectid timezone",
    "timezone_hour timezone_minute title_case to_base to_base32 to_base64 to_base64url",
    "to_big_endian_32 to_big_endian_64 to_char to_date to_encoded_polyline to_geojson_geometry",
    "to_geometry to_hex to_ieee754_32 to_ieee754_64 to_iso8601 to_milliseconds",
    "to_spherical_geography to_timestamp to_unixtime to_utf8 transform transform_keys",
    "transform_values translate trim trim_array truncate try try_cast typeof",
    "upper url_decode url_encode url_extract_fragment url_extract_host url_extract_parameter",
    "url_extract_path url_extract_protocol url_extract_port url_extract_query uuid",
    "value_at_quantile values_at_quantiles var_pop var_samp variance version",
    "week week_of_year width_bucket wilson_interval_lower wilson_interval_upper with_timezone",
    "word_stem",
    "xxhash64",
    "year year_of_week yow",
    "zip zip_with",
    "row unnest",
)
TRINO_FUNCTIONS = frozenset(name for line in _TRINO_NAMES for name in line.split())

#: sqlglot expression classes that are syntax, not a function call Athena resolves by name
_SYNTAX = (
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.Unnest,
    exp.Lambda,
    exp.Array,
    exp.Struct,
    exp.Anonymous,
    exp.Extract,
    exp.Explode,
    exp.Paren,
    exp.Window,
    exp.Filter,
    exp.Bracket,
    exp.Coalesce,
    exp.Exists,
    exp.Subquery,
)
#: sqlglot names that differ from the Trino spelling
_ALIASES = {
    "array_size": "cardinality",
    "sort_array": "array_sort",
    "array_to_string": "array_join",
    "array_contains": "contains",
    "array_join": "array_join",
    "array_unique_agg": "array_agg",
    "str_position": "strpos",
    "split": "split",
    "stddev": "stddev",
    "count_if": "count_if",
    "ts_or_ds_to_date": "date",
    "time_str_to_time": "from_iso8601_timestamp",
    "json_extract_scalar": "json_extract_scalar",
    "parse_json": "json_parse",
    "json_format": "json_format",
    "regexp_extract": "regexp_extract",
    "regexp_like": "regexp_like",
    "current_timestamp": "current_timestamp",
    "date_add": "date_add",
    "date_diff": "date_diff",
    "timestamp_trunc": "date_trunc",
    "date_trunc": "date_trunc",
    "time_to_str": "date_format",
    "unix_to_time": "from_unixtime",
    "time_to_unix": "to_unixtime",
    "var_map": "map",
    "map_from_arrays": "map",
    "approx_quantile": "approx_percentile",
    "array_filter": "filter",
    "substring": "substr",
    "struct_extract": "element_at",
    "generate_series": "sequence",
    "generate_date_array": "sequence",
}


def function_name(node: exp.Func) -> str:
    """A function call's Trino name, from the expression type sqlglot parsed it into (lower
    case; the name as written is :func:`written_calls`')."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    name = str(node.sql_name()).lower()
    return _ALIASES.get(name, name)


def unsupported_function(tree: exp.Expression) -> str | None:
    """The Trino name of the first function in the tree the endpoint does not execute that
    :func:`refused_call` did not see, or None: a call written with its name and ``(`` carries
    the position of its name and was checked by that name; what is left are the functions
    written without a call (``current_time``, ``localtime``), named as Trino names them. A node
    sqlglot made up (``lower(to_hex(x))`` as LowerHex) has no Trino name and is not reported."""
    for node in tree.find_all(exp.Func):
        if node.meta.get("start") is not None:
            continue
        if isinstance(node, (*_SYNTAX, exp.Binary, exp.Unary, exp.Connector)):
            continue
        name = function_name(node)
        if name in TRINO_FUNCTIONS and name not in SUPPORTED_FUNCTIONS:
            return name
    return None


_ATHENA = Dialect.get_or_raise("athena")
#: names the parser reads with a parser of their own (CAST, TRY_CAST, EXTRACT, SAFE_CAST,
#: JSON_VALUE, STRING_AGG, …): their nodes carry no position, so they are found as tokens
_SPECIAL_FORMS = frozenset(_ATHENA.parser_class.FUNCTION_PARSERS)
_TYPE_TOKENS = frozenset(_ATHENA.parser_class.TYPE_TOKENS)
#: nodes that name something (a column, a table alias, a type) rather than call it
_NAMES = (
    exp.Identifier,
    exp.Column,
    exp.Table,
    exp.TableAlias,
    exp.Literal,
    exp.DataType,
    exp.Var,
    exp.Star,
)
_WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"')


def _position(sql: str, start: int) -> tuple[int, int]:
    """(line, column), both from 1, of a character of ``sql``, as Trino reports them."""
    line = sql.count("\n", 0, start) + 1
    return line, start - (sql.rfind("\n", 0, start) + 1) + 1


def written_calls(tree: exp.Expression, sql: str) -> list[tuple[str, int, int]]:
    """Every function call of the statement ``tree`` parsed from ``sql``: (name as written, lower
    case; line; column), in the order written. A call parsed by name carries the position of its
    name token (whatever expression type sqlglot made of it); the special forms are found among
    the tokens, a name followed by ``(`` that is not a type (``CHAR(3)``) nor after a dot."""
    found: dict[int, str] = {}
    for node in tree.walk():
        meta = node.meta
        start, end = meta.get("start"), meta.get("end")
        if start is None or end is None or isinstance(node, _NAMES):
            continue
        text = sql[start : end + 1]
        if _WORD.fullmatch(text) and sql[end + 1 :].lstrip().startswith("("):
            found[start] = text
    tokens = _ATHENA.tokenize(sql)
    for i, token in enumerate(tokens[:-1]):
        if (
            token.text.upper() in _SPECIAL_FORMS
            and tokens[i + 1].token_type == TokenType.L_PAREN
            and token.token_type not in _TYPE_TOKENS
            and (i == 0 or tokens[i - 1].token_type != TokenType.DOT)
        ):
            found.setdefault(token.start, token.text)
    calls = []
    for start, text in sorted(found.items()):
        name = text[1:-1].replace('""', '"') if text.startswith('"') else text
        calls.append((name.lower(), *_position(sql, start)))
    return calls


def refused_call(tree: exp.Expression, sql: str) -> tuple[str, str] | None:
    """(error name, message) of the first call in ``sql`` the endpoint must refuse, or None:
    FUNCTION_NOT_FOUND for a name Trino does not have (Athena's error), NOT_SUPPORTED for a
    Trino function the endpoint does not execute. ``TABLE(f(…))`` invokes the table function
    ``f`` (https://trino.io/docs/current/functions/table.html): the endpoint executes Trino's
    built-in ``sequence`` and refuses any other, naming ``f``."""
    calls = written_calls(tree, sql)
    for index, (name, line, column) in enumerate(calls):
        if name == "table":
            inner = calls[index + 1][0] if index + 1 < len(calls) else "table"
            if inner == "sequence":  # Trino's built-in table function (engine/_query.py)
                continue
            return (
                "NOT_SUPPORTED",
                f"table function {inner} (TABLE(...) in FROM) is not supported by the local "
                "Athena endpoint (docs/athena-parity.md)",
            )
        if name in SUPPORTED_FUNCTIONS and name in TRINO_FUNCTIONS:
            continue
        if name not in TRINO_FUNCTIONS:
            return (
                "FUNCTION_NOT_FOUND",
                f"line {line}:{column}: Function '{name}' not registered",
            )
        return (
            "NOT_SUPPORTED",
            f"function {name} is not supported by the local Athena endpoint "
            "(docs/athena-parity.md)",
        )
    return None
