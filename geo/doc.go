// Package geo is the root of citymap's pure-geometry packages: coordinate
// systems (coordsys), web-map tile math (tile), GeoJSON checks (validate), the
// spatial index of live-stream subscriptions (subindex) and the cells of
// PostGIS's hexagon grid (hexgrid).
// Nothing under geo does I/O, so the HTTP layer, the importer and the tile
// cache can share it and test it without a database; PostGIS stays the final
// judge of anything stored.
package geo
