package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"citymap/geo/coordsys"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
)

// MaxBatchBody bounds a batch request: 10,000 items of about a kilobyte each,
// with room to spare.
const MaxBatchBody = 16 << 20

// batchInput is POST /api/v1/issues/batch. Items stay raw until each is decoded
// on its own, so that one malformed item is rejected alone instead of failing
// the whole batch.
type batchInput struct {
	Items []json.RawMessage `json:"items"`
}

// batchResult is one item's outcome, in input order.
type batchResult struct {
	Index  int            `json:"index"`
	Status string         `json:"status"` // created, existing or rejected
	ID     int64          `json:"id,omitempty"`
	Error  *respond.Error `json:"error,omitempty"`
}

type batchAnswer struct {
	Created  int           `json:"created"`
	Existing int           `json:"existing"`
	Rejected int           `json:"rejected"`
	Results  []batchResult `json:"results"`
}

// createIssues is POST /api/v1/issues/batch, the intake of hotline systems: 200
// with one result per item. Sending the same batch again creates nothing: items
// with an external_id come back "existing".
func (a *API) createIssues(w http.ResponseWriter, r *http.Request) {
	var in batchInput
	if err := respond.Decode(w, r, MaxBatchBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch {
	case len(in.Items) == 0:
		// an empty batch is a sender's bug, not a batch that went well
		respond.Fail(w, r, respond.Field("items", "required", "items (a non-empty array of issues) is required"))
		return
	case len(in.Items) > store.MaxIssueBatch:
		respond.Fail(w, r, respond.Field("items", "too_many",
			fmt.Sprintf("at most %d items per batch, got %d", store.MaxIssueBatch, len(in.Items))))
		return
	}
	sys, err := querySys(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	results := make([]batchResult, len(in.Items))
	var issues []store.NewIssue
	var pos []int // pos[k] is the input index of issues[k]
	for i, raw := range in.Items {
		results[i] = batchResult{Index: i}
		n, rerr := decodeItem(raw, sys, p.Source)
		if rerr != nil {
			results[i].Status, results[i].Error = store.BatchRejected, rerr
			continue
		}
		issues = append(issues, n)
		pos = append(pos, i)
	}
	out, err := a.store.CreateIssues(r.Context(), p.IssueActor(), issues)
	if err != nil {
		fail(w, r, err)
		return
	}
	for k, res := range out {
		br := &results[pos[k]]
		br.Status, br.ID = res.Status, res.ID
		if res.Err != nil {
			br.Error = respond.Invalid(res.Err)
		}
	}
	respond.JSON(w, http.StatusOK, summarize(results))
}

// decodeItem decodes and checks one batch item as strictly as a single intake.
func decodeItem(raw json.RawMessage, sys coordsys.System, source string) (store.NewIssue, *respond.Error) {
	var in issueInput
	if err := respond.DecodeItem(raw, &in); err != nil {
		return store.NewIssue{}, err
	}
	return in.newIssue(sys, source)
}

func summarize(results []batchResult) batchAnswer {
	ans := batchAnswer{Results: results}
	for _, r := range results {
		switch r.Status {
		case store.BatchCreated:
			ans.Created++
		case store.BatchExisting:
			ans.Existing++
		default:
			ans.Rejected++
		}
	}
	return ans
}
