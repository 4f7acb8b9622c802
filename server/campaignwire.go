package server

import (
	"context"

	"citymap/server/campaign"
)

// startCampaign serves the campaign API (indicators, tasks, documents,
// campaigns, leaders) and, when Config.TaskRules is set, applies the
// indicators' task rules in the background at that interval.
func (s *Server) startCampaign(context.Context) (func(), error) {
	api := campaign.New(s.store, s.auth, s.cfg.DataDir)
	s.mux.Add(api.Routes()...)
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.TaskRules > 0 {
		go api.RunTaskRules(ctx, s.cfg.TaskRules)
	}
	return cancel, nil
}
