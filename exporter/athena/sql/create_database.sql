-- The database every table and view of the bootstrap lives in.
CREATE DATABASE IF NOT EXISTS ${database}
