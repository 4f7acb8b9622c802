package democity

import (
	"fmt"
	"strings"
)

// sourceLead opens an issue's description with how it came in.
var sourceLead = map[string]string{
	"hotline_12345": "市民来电反映：", "hotline_12319": "市民来电反映：", "grid_patrol": "网格员巡查发现：",
	"citizen_app": "市民随手拍：", "sensor": "设备告警：", "open311": "",
}

var placeSuffixes = []string{"附近", "门口", "东侧", "西侧", "南侧", "北侧", "周边", "对面"}

// describe writes the issue's description and address.
func (g *issueGen) describe(is *Issue, cat issueCat, anchor int) {
	var place string
	if anchor >= 0 {
		p := g.c.Points[anchor]
		place = p.Name
		if cat.anchorP < 0.9 && !strings.HasSuffix(place, "周边") {
			place += oneOf(g.r, placeSuffixes)
		}
		is.Address = "宜兴市" + g.c.Areas[g.c.street(p.Grid)].Name + p.Name
	} else {
		road := oneOf(g.r, g.c.Areas[is.Grid].Roads)
		place = road + oneOf(g.r, []string{"", "附近", fmt.Sprintf("%d号附近", between(g.r, 1, 688))})
		is.Address = fmt.Sprintf("宜兴市%s%s%d号", g.c.Areas[g.c.street(is.Grid)].Name, road, between(g.r, 1, 688))
	}
	is.Description = sourceLead[is.Source] + strings.Replace(oneOf(g.r, cat.texts), "{p}", place, 1)
}

// tag fills in what depends on the source: reporter and hotline ticket number.
// Issues get no photos: a photo is the id of an uploaded file (table photos), and
// the demo city has none.
func (g *issueGen) tag(is *Issue) {
	switch is.Source {
	case "hotline_12345", "hotline_12319":
		line := strings.TrimPrefix(is.Source, "hotline_")
		key := fmt.Sprintf("%s-%d", line, is.Created.In(local).Year())
		g.external[key]++
		is.ExternalID = fmt.Sprintf("%s-%07d", key, g.external[key])
		is.Reporter = caller(g.r)
	case "grid_patrol":
		is.Reporter = g.c.Areas[is.Grid].Manager
	case "citizen_app":
		m := mobile(g.r)
		is.Reporter = "市民" + m[:3] + "****" + m[7:]
	case "open311":
		is.Reporter = "open311"
	case "sensor":
		is.Reporter = fmt.Sprintf("%s YX-%05d", sensorDevices[is.Category], g.c.Lattice.CellOf(is.At))
	}
}
