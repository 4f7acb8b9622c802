package democity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// The demo city's campaign work: special campaigns (专项行动) over the last
// months, tasks in every state (some overdue), and the leaders linked to the
// streets (挂钩定片). Drawn from their own random stream, so the rest of the city
// is unchanged.

// demoCampaign is a campaign of the demo city; starts and ends are days
// relative to Now.
type demoCampaign struct {
	code, name, description string
	start, end              int
	categories              []string
	streets                 int // how many streets it covers (0: the whole city)
	lead                    string
	tasks                   int
}

var demoCampaigns = []demoCampaign{
	{"CXSR-2026", "城乡市容环境秩序综合整治", "集中整治占道经营、乱堆乱放、乱张贴、非机动车乱停放等市容环境秩序问题",
		-75, 15, []string{"main_road", "back_alley", "commercial_street", "residential"}, 0, "cgj", 40},
	{"TS-NMSC", "农贸市场提升行动", "十二项提升行动之一：农贸市场环境卫生、经营秩序、公益宣传全面提升",
		-60, 30, []string{"farmers_market"}, 0, "scjgj", 20},
	{"TS-BJXX", "背街小巷提升行动", "十二项提升行动之一：背街小巷路面、照明、保洁和秩序提升",
		-45, 45, []string{"back_alley"}, 4, "cgj", 20},
	{"TS-JTZX", "交通秩序提升行动", "十二项提升行动之一：交通路口、公交站台、车站周边交通秩序和文明出行",
		-30, 60, []string{"intersection", "bus_stop", "station"}, 0, "gaj", 20},
	{"TS-JMXQ", "居民小区提升行动", "十二项提升行动之一：老旧小区环境、停车和垃圾分类提升",
		-120, -31, []string{"residential"}, 3, "zjj", 15},
}

var leaderPosts = []string{"市委副书记", "副市长", "市人大常委会副主任", "市政协副主席", "市委常委、宣传部部长",
	"市委常委、政法委书记", "市委常委、组织部部长", "副市长", "市人大常委会副主任", "市政协副主席"}

// taskRow is one generated task with its history.
type taskRow struct {
	campaign  int // index in demoCampaigns
	title     string
	indicator string
	unit      string
	owner     string
	phone     string
	point     int // index in City.Points
	created   time.Time
	due       time.Time
	status    string
	events    []taskEventRow
}

type taskEventRow struct {
	action, from, to, actor, note string
	at                            time.Time
}

// writeCampaigns writes the campaigns, their tasks and events, and the
// leaders; it returns the number of tasks.
func (c *City) writeCampaigns(ctx context.Context, tx pgx.Tx) (int64, error) {
	r := newRand(c.Opt.Seed, "campaigns")
	ids := make([]int64, len(demoCampaigns))
	for i, dc := range demoCampaigns {
		var areas []string
		if dc.streets > 0 {
			for _, s := range c.streets[:min(dc.streets, len(c.streets))] {
				areas = append(areas, c.Areas[s].Code)
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO campaigns (code, name, description, starts_on, ends_on, areas,
				point_categories, lead_unit, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
			dc.code, dc.name, dc.description, c.day(dc.start), c.day(dc.end), nonNilStrings(areas), dc.categories,
			dc.lead, c.Opt.Now.AddDate(0, 0, dc.start-7)).Scan(&ids[i])
		if err != nil {
			return 0, fmt.Errorf("campaign %s: %w", dc.code, err)
		}
	}
	tasks := c.buildTasks(r)
	if err := c.insertTasks(ctx, tx, tasks, ids); err != nil {
		return 0, err
	}
	return int64(len(tasks)), c.writeLeaders(ctx, tx, r)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// day is the city's date days after Now.
func (c *City) day(days int) string {
	return c.Opt.Now.In(local).AddDate(0, 0, days).Format(time.DateOnly)
}

// buildTasks hands the campaigns' indicators at chosen points to their lead
// units, with histories that end in every status.
func (c *City) buildTasks(r *rand.Rand) []taskRow {
	var out []taskRow
	for ci, dc := range demoCampaigns {
		points := c.campaignPoints(dc)
		if len(points) == 0 {
			continue
		}
		start := c.Opt.Now.AddDate(0, 0, dc.start)
		for k := 0; k < dc.tasks; k++ {
			p := points[r.IntN(len(points))]
			pt := c.Points[p]
			ind := oneOf(r, fieldLeaves(pt.Category))
			created := start.Add(time.Duration(r.IntN(20*24)) * time.Hour).Truncate(time.Minute)
			if created.After(c.Opt.Now) {
				created = c.Opt.Now.Add(-time.Hour)
			}
			t := taskRow{campaign: ci, indicator: ind.Code, unit: ind.LeadUnit, point: p,
				title: fmt.Sprintf("%s：%s整改提升", pt.Name, ind.Name), owner: personName(r), phone: mobile(r),
				created: created, due: created.AddDate(0, 0, between(r, 7, 30))}
			c.taskHistory(r, &t)
			out = append(out, t)
		}
	}
	return out
}

// campaignPoints lists the points of a campaign's categories and areas.
func (c *City) campaignPoints(dc demoCampaign) []int {
	var streets []string
	if dc.streets > 0 {
		for _, s := range c.streets[:min(dc.streets, len(c.streets))] {
			streets = append(streets, c.Areas[s].Code)
		}
	}
	var out []int
	for i, p := range c.Points {
		if !slices.Contains(dc.categories, p.Category) {
			continue
		}
		if streets != nil && !slices.Contains(streets, c.Areas[p.Grid].Code[:9]) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// leaf is a field indicator of the catalogue.
type leaf struct{ Code, Name, LeadUnit string }

// fieldLeaves lists the catalogue's field indicators checked at a category
// that name a lead unit.
func fieldLeaves(category string) []leaf {
	var out []leaf
	for _, row := range Catalog().Rows {
		if row.MaxPoints != nil && row.LeadUnit != "" && slices.Contains(row.PointCategories, category) {
			out = append(out, leaf{row.Code, row.Name, row.LeadUnit})
		}
	}
	return out
}

const reviewerActor = "reviewer:市创建办"

// taskHistory draws how far a task got by Now and its events.
func (c *City) taskHistory(r *rand.Rand, t *taskRow) {
	now := c.Opt.Now
	unitActor := "unit:" + t.owner
	add := func(action, from, to, actor, note string, at time.Time) bool {
		if at.After(now) {
			return false
		}
		t.events = append(t.events, taskEventRow{action, from, to, actor, note, at})
		t.status = to
		return true
	}
	add("create", "", "open", reviewerActor, "", t.created)
	span := t.due.Sub(t.created)
	at := t.created.Add(time.Duration(uniform(r, 0.05, 0.3) * float64(span))).Truncate(time.Minute)
	if chance(r, 0.12) || !add("start", "open", "in_progress", unitActor, "已安排人员开展整改", at) {
		return // never begun
	}
	at = at.Add(time.Duration(uniform(r, 0.1, 0.4) * float64(span))).Truncate(time.Minute)
	add("progress", "in_progress", "in_progress", unitActor, oneOf(r, []string{"已完成现场清理，持续巡查", "已约谈经营户并签订承诺书",
		"已联系维修单位，材料已进场", "已增派保洁人员，每日两次巡查"}), at)
	if chance(r, 0.2) {
		return // still in progress (and overdue when past due)
	}
	at = at.Add(time.Duration(uniform(r, 0.1, 0.5) * float64(span))).Truncate(time.Minute)
	if !add("submit", "in_progress", "submitted", unitActor, "整改完成，附整改前后对比照片", at) {
		return
	}
	at = at.Add(time.Duration(between(r, 4, 72)) * time.Hour)
	if chance(r, 0.25) {
		if !add("return", "submitted", "returned", reviewerActor, "整改不到位，复查仍有问题，请继续整改", at) {
			return
		}
		at = at.Add(time.Duration(between(r, 24, 120)) * time.Hour)
		if chance(r, 0.4) || !add("submit", "returned", "submitted", unitActor, "已再次整改，请复查", at) {
			return
		}
		at = at.Add(time.Duration(between(r, 4, 48)) * time.Hour)
	}
	if chance(r, 0.15) {
		return // awaiting the 创建办's review
	}
	add("accept", "submitted", "done", reviewerActor, "复查合格，同意销号", at)
}

// insertTasks writes the tasks, places them and writes their events.
func (c *City) insertTasks(ctx context.Context, tx pgx.Tx, tasks []taskRow, campaigns []int64) error {
	for _, t := range tasks {
		pt := c.Points[t.point]
		var submitted, done *time.Time
		for _, e := range t.events {
			switch e.to {
			case "submitted":
				submitted = &e.at
			case "done":
				done = &e.at
			}
		}
		last := t.events[len(t.events)-1].at
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO tasks (title, indicator_code, campaign_id, unit, owner, owner_phone,
				point_codes, area_code, geom, due_at, status, created_by, created_at, submitted_at, done_at,
				version, updated_at)
			SELECT $1, $2, $3, $4, $5, $6, ARRAY[p.code], p.grid_code, ST_PointOnSurface(p.geom), $7, $8, $9, $10,
				$11, $12, $13, $14 FROM points p WHERE p.code = $15 RETURNING id`,
			t.title, t.indicator, campaigns[t.campaign], t.unit, t.owner, t.phone, t.due, t.status, reviewerActor,
			t.created, submitted, done, len(t.events), last, pt.Code).Scan(&id)
		if err != nil {
			return fmt.Errorf("task at %s: %w", pt.Code, err)
		}
		for _, e := range t.events {
			var from *string
			if e.from != "" {
				from = &e.from
			}
			_, err := tx.Exec(ctx, `INSERT INTO task_events (task_id, action, from_status, to_status, actor, note, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, e.action, from, e.to, e.actor, e.note, e.at)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// writeLeaders links a leader to each street, and a few to single
// communities too.
func (c *City) writeLeaders(ctx context.Context, tx pgx.Tx, r *rand.Rand) error {
	for i, s := range c.streets {
		areas := []string{c.Areas[s].Code}
		post := leaderPosts[i%len(leaderPosts)]
		_, err := tx.Exec(ctx, `INSERT INTO leaders (name, post, areas) VALUES ($1, $2, $3)
			ON CONFLICT (name, post) DO UPDATE SET areas = EXCLUDED.areas`, personName(r), post, areas)
		if err != nil {
			return err
		}
	}
	return nil
}
