package server

import (
	"context"
	"log/slog"
	"time"

	"citymap/server/parking"
)

// startParking serves the parking API and starts the MQTT sensor feed when a
// broker is configured. A feed that cannot start within 5 s (and ctx) is
// logged, not fatal: the broker may come up after the instance, the HTTP
// intake works meanwhile, and serve checks the URL before it gets here. Its
// stop commits and acknowledges the readings in hand, then leaves the broker,
// which keeps the session and queues what arrives meanwhile.
func (s *Server) startParking(ctx context.Context) (func(), error) {
	s.park = parking.New(s.store, s.auth, parking.Config{Location: s.cfg.Timezone,
		MQTT: parking.MQTTConfig{URL: s.cfg.MQTTURL, ClientID: s.cfg.MQTTClientID, TopicPrefix: s.cfg.MQTTTopicPrefix}})
	s.mux.Add(s.park.Routes()...)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.park.Start(ctx); err != nil {
		slog.Error("parking: sensor feed not started", "err", err)
	}
	return s.park.Close, nil
}
