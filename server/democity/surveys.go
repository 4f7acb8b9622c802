package democity

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/survey"
)

// The demo city's questionnaire (问卷调查): one published survey over the
// whole city with the questionnaire indicators' questions (C01 知晓率 …
// C04), answered by a few hundred citizens spread over the communities, each
// community with a leaning of its own so that the planner's choropleth has
// something to tell. Drawn from its own random stream.

// demoSurveyCode is the demo survey's /s/{code}.
const demoSurveyCode = "wmcj"

// demoResponses is how many answered at scale 1.
const demoResponses = 400

func ptr(s string) *string { return &s }

func demoSurvey() survey.Definition {
	yesNo := func(yes, no string) []survey.Option {
		return []survey.Option{{ID: "yes", Text: yes, Positive: true}, {ID: "no", Text: no}}
	}
	return survey.Definition{Code: demoSurveyCode, Title: "文明城市创建市民问卷调查",
		Intro: "为了解市民对全国文明城市创建工作的知晓、支持和满意程度，特开展本次问卷调查。问卷匿名填写，约需2分钟。",
		Questions: []survey.Question{
			{ID: "Q1", Kind: survey.Single, Text: "您是否知道本市正在创建全国文明城市？", Required: true,
				Options: yesNo("知道", "不知道"), Indicator: ptr("C01"), Measure: ptr(survey.Awareness)},
			{ID: "Q2", Kind: survey.Single, Text: "您是否支持并愿意参与文明城市创建？", Required: true, Indicator: ptr("C02"),
				Options: []survey.Option{{ID: "support", Text: "支持，愿意参与", Positive: true}, {ID: "neutral", Text: "无所谓"},
					{ID: "against", Text: "不支持"}}},
			{ID: "Q3", Kind: survey.Rating, Text: "您对城市环境、秩序和服务的满意程度（1分很不满意，5分非常满意）", Required: true,
				Scale: 5, Indicator: ptr("C03"), Measure: ptr(survey.Satisfaction)},
			{ID: "Q4", Kind: survey.Multiple, Text: "您认为最需要改进的方面", Options: []survey.Option{
				{ID: "sanitation", Text: "环境卫生"}, {ID: "traffic", Text: "交通秩序"}, {ID: "market", Text: "农贸市场管理"},
				{ID: "facilities", Text: "公共设施"}, {ID: "manners", Text: "文明行为"}}},
			{ID: "Q5", Kind: survey.Rating, Text: "您对自身和周边市民文明行为的评价", Scale: 5, Indicator: ptr("C04"),
				Measure: ptr(survey.Satisfaction)},
			{ID: "Q6", Kind: survey.Text, Text: "您对文明城市创建还有哪些意见和建议？"},
		}}
}

var demoSuggestions = []string{"希望增加公共厕所的保洁频次", "小区周边停车难，建议增设停车位", "农贸市场地面积水，需要改进",
	"路口电动车闯红灯较多", "公园健身设施老化", "希望多组织志愿服务活动"}

// writeSurveys writes the published survey and its answers; it returns the
// number of answers.
func (c *City) writeSurveys(ctx context.Context, tx pgx.Tx) (int64, error) {
	d := demoSurvey()
	opens := c.Opt.Now.AddDate(0, 0, -30).Truncate(time.Hour)
	d.OpensAt = &opens
	if err := d.Check(func(string) bool { return true }); err != nil {
		return 0, fmt.Errorf("demo survey: %w", err)
	}
	questions, _ := json.Marshal(d.Questions)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO surveys (code, title, intro, questions, opens_at, status, published_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, 'published', $5, 'reviewer:创建办', $5) RETURNING id`,
		d.Code, d.Title, d.Intro, questions, opens).Scan(&id)
	if err != nil || len(c.comms) == 0 {
		return 0, err
	}
	r := newRand(c.Opt.Seed, "surveys")
	// each community leans: its share of the aware and of the satisfied
	lean := make([]float64, len(c.comms))
	for i := range lean {
		lean[i] = 0.55 + 0.4*r.Float64()
	}
	n := int(math.Max(1, math.Round(demoResponses*math.Min(c.Opt.Scale, 5))))
	span := c.Opt.Now.Sub(opens)
	rows := make([][]any, n)
	for i := range rows {
		ci := r.IntN(len(c.comms))
		p := lean[ci]
		a := map[string]any{"Q1": pick(r.Float64() < p+0.2, "yes", "no"), "Q2": pick(r.Float64() < p, "support", "neutral"),
			"Q3": rating(r.Float64(), p)}
		if r.Float64() < 0.7 {
			a["Q4"] = []string{[]string{"sanitation", "traffic", "market", "facilities", "manners"}[r.IntN(5)]}
		}
		if r.Float64() < 0.8 {
			a["Q5"] = rating(r.Float64(), p)
		}
		if r.Float64() < 0.15 {
			a["Q6"] = demoSuggestions[r.IntN(len(demoSuggestions))]
		}
		body, _ := json.Marshal(a)
		key := make([]byte, 32) // a demo respondent: no phone behind it
		for j := range key {
			key[j] = byte(r.UintN(256))
		}
		at := opens.Add(time.Duration(r.Int64N(int64(span))))
		rows[i] = []any{id, key, c.Areas[c.comms[ci]].Code, pick(r.Float64() < 0.7, "chosen", "position"), body, at}
	}
	return copyRows(ctx, tx, "survey_responses", []string{"survey_id", "respondent", "community_code", "located_by",
		"answers", "created_at"}, n, func(i int) []any { return rows[i] })
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// rating draws a rating of 5 that is 4 or 5 with probability p.
func rating(u, p float64) int {
	switch {
	case u < p*0.45:
		return 5
	case u < p:
		return 4
	case u < p+(1-p)*0.6:
		return 3
	case u < p+(1-p)*0.85:
		return 2
	}
	return 1
}
