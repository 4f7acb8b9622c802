package server

import (
	"context"
	"log/slog"
	"time"

	"citymap/server/parking"
)

// startParking serves the parking API and starts the MQTT sensor feed when a
// broker is configured; a feed that cannot start is logged, not fatal, since
// the HTTP intake still works (serve checks the URL before it gets here).
func (s *Server) startParking() {
	s.park = parking.New(s.store, s.auth, parking.Config{Location: s.cfg.Timezone,
		MQTT: parking.MQTTConfig{URL: s.cfg.MQTTURL, ClientID: s.cfg.MQTTClientID, TopicPrefix: s.cfg.MQTTTopicPrefix}})
	s.mux.Add(s.park.Routes()...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.park.Start(ctx); err != nil {
		slog.Error("parking: sensor feed not started", "err", err)
	}
}

// stopParking commits and acknowledges the readings in hand, then leaves the
// broker, which keeps the session and queues what arrives meanwhile.
func (s *Server) stopParking() { s.park.Close() }
