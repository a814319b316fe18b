{#- Read one effective parameter by name, typed, on either engine:

        {{ param_value('beta') }}                       -- double (the default)
        {{ param_value('population', 'bigint') }}
        {{ param_value('model', 'string') }}
        {{ param_value('schedule', 'json') }}           -- arrays / objects as JSON text

    `column` is the canonical-JSON column (params_json). The rule is the same on DuckDB and
    Athena and never fails a query: a value that is not of the requested kind gives null.

        type     the JSON value                          gives
        double   a number (integer or float)             the nearest double
        bigint   an integer token within bigint          the integer
                 a float (2.5, 1e-07), an integer
                 beyond bigint (2^64 - 1)                null
        boolean  true / false                            the boolean
        string   a string                                its text (unquoted, unescaped)
                 a number                                its exported text (1e-07, 6.02e+23, 3)
                 true / false                            'true' / 'false'
        json     a number                                its exported text
                 anything else                           its JSON text (see docs/athena-parity.md)
        any      null, absent, or another kind           null

    A value of another kind never converts: the string "0.15" read as double is null, and so is
    the float 0.15 read as bigint (no rounding, no error). -#}
{% macro param_value(name, type='double', column='params_json') -%}
    {{ return(adapter.dispatch('param_value', 'athena_run_analytics')(name, type, column)) }}
{%- endmacro %}

{#- The rule, written once over three engine-specific pieces (macros/cross_engine/json_value_text.sql, json_value_scalar.sql, json_number_text.sql):
    json_value_text (the engine's JSON text of the value), json_value_scalar (a scalar's text)
    and json_number_text (a number's text as exported). -#}
{% macro default__param_value(name, type, column) -%}
    {%- set sql_type = athena_run_analytics.sql_type(type) -%}
    {%- set name = athena_run_analytics.checked_name(name) -%}
    {%- set text = athena_run_analytics.json_value_text(column, name) -%}
    {%- set scalar = athena_run_analytics.json_value_scalar(column, name) -%}
    {%- set first = "substr(" ~ text ~ ", 1, 1)" -%}
    {%- set is_number = first ~ " in ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')" -%}
    {%- set is_boolean = text ~ " in ('true', 'false')" -%}
    {%- if sql_type == 'double' -%}
        case when {{ is_number }} then cast({{ scalar }} as double) end
    {%- elif sql_type == 'bigint' -%}
        case
            when {{ is_number }} and {{ scalar }} not like '%.%' and lower({{ scalar }}) not like '%e%'
                then try_cast({{ scalar }} as bigint)
        end
    {%- elif sql_type == 'boolean' -%}
        case when {{ is_boolean }} then {{ text }} = 'true' end
    {%- elif sql_type == 'varchar' -%}
        case
            when {{ is_number }} then {{ athena_run_analytics.json_number_text(scalar) }}
            when {{ first }} = '"' or {{ is_boolean }} then {{ scalar }}
        end
    {%- else -%}
        case
            when {{ is_number }} then {{ athena_run_analytics.json_number_text(scalar) }}
            else {{ text }}
        end
    {%- endif -%}
{%- endmacro %}
