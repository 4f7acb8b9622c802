-- PostGIS holds the spatial truth: predicates, indexes, validity.
CREATE EXTENSION IF NOT EXISTS postgis;
