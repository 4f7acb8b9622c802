package tiles

import (
	"fmt"

	"citymap/server/store"
)

// layer describes one tile layer for TileJSON and the style. What the tiles
// hold is rendered by store.RenderTile; the tests decode tiles and check that
// their properties are exactly the fields listed here.
type layer struct {
	name        string
	description string
	// minZoom and maxZoom bound the zooms the layer is meant for: clients
	// request nothing below minZoom and overzoom beyond maxZoom. The server
	// renders any zoom it is asked for.
	minZoom, maxZoom int
	fields           []field
}

type field struct{ name, description string }

// maxZoom is the deepest zoom of every layer: a z16 tile is about 600 m across
// in the city and its 4096 units resolve 15 cm, below what any layer needs.
const maxZoom = 16

var layers = []layer{
	{
		name: "areas",
		description: "The administrative hierarchy at the level the zoom shows: the district below z9, " +
			"streets (街道/镇) at z9–10, communities (社区) at z11–12, unit grids (单元网格) from z13.",
		minZoom: 6, maxZoom: maxZoom,
		fields: []field{
			{"code", "String: area code (district 6 digits, street 9, community 12, grid 14)"},
			{"name", "String: name"},
			{"level", "String: district, street, community or grid"},
			{"parent", "String: code of the parent area (absent for the district)"},
		},
	},
	{
		name:        "grids",
		description: "Unit grids (单元网格) with their grid managers, at every zoom.",
		minZoom:     11, maxZoom: maxZoom,
		fields: []field{
			{"code", "String: 14-digit grid code"},
			{"name", "String: name"},
			{"manager", "String: the grid manager"},
		},
	},
	{
		name: "parking",
		description: fmt.Sprintf("Parking zones: smart lots and tidal zones (潮汐车位), drawn as a point on their "+
			"surface up to z%d and as polygons deeper. open_now follows the clock: a tile is rendered "+
			"again at the next window boundary of the tidal zones it holds.", store.SurfacePointMaxZoom),
		minZoom: 11, maxZoom: maxZoom,
		fields: []field{
			{"code", "String: zone code"},
			{"name", "String: name"},
			{"kind", "String: smart or tidal"},
			{"capacity", "Number: spaces"},
			{"occupied", "Number: occupied spaces at the last sensor reading"},
			{"free", "Number: free spaces at the last sensor reading"},
			{"open_now", "Boolean: open to the public now (tidal zones: their windows and the holiday calendar)"},
		},
	},
	{
		name: "points",
		description: fmt.Sprintf("Inspection points (测评点位) of the civilized-city evaluation, drawn as a point "+
			"on their surface up to z%d and as their own geometry (point or polygon) deeper.", store.SurfacePointMaxZoom),
		minZoom: 11, maxZoom: maxZoom,
		fields: []field{
			{"code", "String: point code"},
			{"name", "String: name"},
			{"category", "String: point category (farmers_market, residential, back_alley, ...)"},
			{"unit", "String: responsible unit (责任单位)"},
			{"grid", "String: code of the unit grid it lies in"},
		},
	},
	{
		name: "issues",
		description: fmt.Sprintf("Open issues (cases not yet closed, rejected or merged). Up to z%d they are "+
			"clustered: one feature per cell of 1/%d of the tile a side, at the centroid of its issues, with "+
			"cluster, count and overdue_count. From z%d each open issue is a feature whose id is the issue "+
			"number. overdue follows the clock: a tile is rendered again when the next deadline in it passes.",
			store.IssueClusterMaxZoom, store.IssueClusterCells, store.IssueClusterMaxZoom+1),
		minZoom: 6, maxZoom: maxZoom,
		fields: []field{
			{"id", "Number: issue number (also the feature id)"},
			{"status", "String: reported, registered, dispatched, in_progress or resolved"},
			{"category", "String: issue category (component or event class)"},
			{"source", "String: hotline_12345, hotline_12319, grid_patrol, inspection, sensor, citizen_app or open311"},
			{"overdue", "Boolean: the deadline (as extended) has passed and the case is not suspended"},
			{"suspended", "Boolean: suspended (挂起), its clock stands: never overdue"},
			{"deadline", "String: deadline, RFC 3339 (UTC), as extended and moved by suspensions"},
			{"grid", "String: code of the unit grid it lies in"},
			{"cluster", fmt.Sprintf("Boolean: true on the clusters of z%d and below", store.IssueClusterMaxZoom)},
			{"count", "Number: open issues in the cluster"},
			{"overdue_count", "Number: overdue issues in the cluster"},
		},
	},
}

// layerByName finds a layer; ok is false for a name that is none.
func layerByName(name string) (layer, bool) {
	for _, l := range layers {
		if l.name == name {
			return l, true
		}
	}
	return layer{}, false
}

// feedLayers maps each layer of the changes feed to the tile layers its
// changes alter: a unit grid is drawn by the grids layer and, from z13, by the
// areas layer. Inspections change no tile.
var feedLayers = map[string][]string{
	"areas":   {"areas"},
	"grids":   {"areas", "grids"},
	"points":  {"points"},
	"parking": {"parking"},
	"issues":  {"issues"},
}
