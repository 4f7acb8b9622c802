package democity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/store"
)

// The demo city's volunteer-activity menu (文明实践活动菜单): for the three months
// before Now's, Now's and the next, activities in a share of the communities,
// with sign-ups and, for those held, attendance. Drawn from their own random
// stream; written with two statements.

var activityThemes = []struct{ title, description string }{
	{"垃圾分类宣传进小区", "志愿者入户讲解垃圾分类知识，现场指导分类投放"},
	{"文明交通劝导", "在路口和公交站台劝导行人、非机动车文明出行"},
	{"社区环境清洁日", "清理楼道杂物、绿化带垃圾和小广告"},
	{"敬老院慰问演出", "为老人表演节目、陪伴聊天、整理房间"},
	{"关爱留守儿童课堂", "作业辅导、安全教育和手工课"},
	{"义诊义剪进社区", "测血压、健康咨询、为老人理发"},
	{"反诈宣传讲座", "民警讲解常见电信诈骗手法，现场安装反诈App"},
	{"消防安全演练", "讲解灭火器使用方法，组织居民疏散演练"},
	{"书香社区读书会", "共读好书、分享心得，推广全民阅读"},
	{"文明养犬宣传", "倡导牵绳遛犬、及时清理粪便"},
	{"移风易俗宣讲", "倡导婚事新办、丧事简办、节俭养德"},
	{"河道保洁志愿行", "沿河捡拾垃圾、劝导不文明行为"},
}

var activityPlaces = []string{"社区新时代文明实践站", "社区党群服务中心", "小区中心广场", "社区居民活动室", "社区日间照料中心"}

// activityRow is one generated activity with its sign-ups.
type activityRow struct {
	community            int // index in Areas
	title, desc, place   string
	unit                 string
	starts, ends, create time.Time
	capacity             int
	status               string
	signups              []signupRow
}

type signupRow struct {
	name, phone string
	signed      time.Time
	attended    bool
}

// buildActivities generates the menu: every third community, one to three
// activities a month.
func (c *City) buildActivities() []activityRow {
	r := newRand(c.Opt.Seed, "activities")
	now := c.Opt.Now
	first := time.Date(now.In(local).Year(), now.In(local).Month(), 1, 0, 0, 0, 0, local)
	var out []activityRow
	for k, ci := range c.comms {
		if k%3 != 0 {
			continue
		}
		for m := -3; m <= 1; m++ {
			month := first.AddDate(0, m, 0)
			days := month.AddDate(0, 1, -1).Day()
			for n := 1 + r.IntN(3); n > 0; n-- {
				out = append(out, c.activity(r, ci, month, days, now))
			}
		}
	}
	return out
}

func (c *City) activity(r *rand.Rand, ci int, month time.Time, days int, now time.Time) activityRow {
	theme := oneOf(r, activityThemes)
	starts := month.AddDate(0, 0, r.IntN(days)).Add(time.Duration(oneOf(r, []int{9, 14, 19})) * time.Hour)
	a := activityRow{community: ci, title: theme.title, desc: theme.description, place: oneOf(r, activityPlaces),
		unit: c.Areas[ci].Office, starts: starts, ends: starts.Add(2 * time.Hour), capacity: 10 + 5*r.IntN(7),
		status: "planned"}
	if chance(r, 0.25) {
		a.unit = oneOf(r, []string{"cgj", "zjj", "jtj", "sthjj", "scjgj"})
	}
	a.create = starts.AddDate(0, 0, -10-r.IntN(10))
	if a.create.After(now) {
		a.create = now.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
	}
	past := a.ends.Before(now)
	switch {
	case past && chance(r, 0.9):
		a.status = "done"
	case chance(r, 0.06):
		a.status = "cancelled"
	}
	want := int(float64(a.capacity) * (0.3 + 0.7*r.Float64()))
	if !past {
		want /= 2
	}
	seen := map[string]bool{}
	for range want {
		s := signupRow{name: personName(r), phone: mobile(r)}
		if seen[s.phone] {
			continue
		}
		seen[s.phone] = true
		until := starts
		if now.Before(until) {
			until = now
		}
		span := until.Sub(a.create)
		if span <= 0 {
			continue
		}
		s.signed = a.create.Add(time.Duration(r.Int64N(int64(span))))
		s.attended = a.status == "done" && chance(r, 0.82)
		a.signups = append(a.signups, s)
	}
	return a
}

// writeActivities writes the menu and its sign-ups; the contact keys under
// the database's secret, as the sign-up API makes them.
func (c *City) writeActivities(ctx context.Context, tx pgx.Tx) (int64, error) {
	var secret string
	if err := tx.QueryRow(ctx, `SELECT value #>> '{}' FROM settings WHERE key = 'contact_key_secret'`).Scan(&secret); err != nil {
		return 0, fmt.Errorf("contact key secret: %w", err)
	}
	acts := c.buildActivities()
	n := len(acts)
	comm, month, title, desc, place, unit, status := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	starts, ends, created := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	capacity, signups, attended := make([]int, n), make([]int, n), make([]int, n)
	var sAct []int
	var sName, sKey []string
	var sAt []time.Time
	var sAttended []bool
	for i, a := range acts {
		comm[i], month[i], title[i], desc[i], place[i], unit[i], status[i] = c.Areas[a.community].Code,
			store.ActivityMonth(a.starts), a.title, a.desc, a.place, a.unit, a.status
		starts[i], ends[i], created[i], capacity[i], signups[i] = a.starts, a.ends, a.create, a.capacity, len(a.signups)
		for _, s := range a.signups {
			key, _ := store.ContactKey([]byte(secret), s.phone)
			sAct, sName, sKey, sAt, sAttended = append(sAct, i+1), append(sName, s.name), append(sKey, key),
				append(sAt, s.signed), append(sAttended, s.attended)
			if s.attended {
				attended[i]++
			}
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO activities (id, community_code, month, title, description, starts_at, ends_at,
			place, geom, unit, capacity, status, signups, attended, created_by, created_at, updated_at)
		SELECT x.id, x.comm, x.month, x.title, x.descr, x.starts, x.ends, x.place,
			-- spread over the community, the same for the seed
			ST_GeometryN(ST_GeneratePoints(ar.geom, 1, x.id::int), 1),
			x.unit, x.capacity, x.status, x.signups, x.attended, 'seed:demo-city', x.created, x.created
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::int[], $12::int[], $13::int[])
			WITH ORDINALITY AS x(comm, month, title, descr, place, unit, status, starts, ends, created, capacity,
				signups, attended, id)
		JOIN areas ar ON ar.code = x.comm`,
		comm, month, title, desc, place, unit, status, starts, ends, created, capacity, signups, attended)
	if err != nil {
		return 0, fmt.Errorf("activities: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO activity_signups (activity_id, name, contact_key, signed_at, attended, attended_at)
		SELECT x.a, x.nm, x.k, x.at, x.att, CASE WHEN x.att THEN ac.starts_at END
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[]) AS x(a, nm, k, at, att)
		JOIN activities ac ON ac.id = x.a`,
		sAct, sName, sKey, sAt, sAttended)
	if err != nil {
		return 0, fmt.Errorf("activity sign-ups: %w", err)
	}
	return int64(n), nil
}
