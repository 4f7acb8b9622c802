// Package parking serves smart and tidal parking: occupancy readings from
// sensors and lot systems (POST /api/v1/parking/occupancy and MQTT), zones open
// to the public near a point (GET /api/v1/parking/available) and a zone with its
// windows and recent history (GET /api/v1/parking/zones/{code}).
//
// Every accepted reading is committed with its change to the changes feed, so
// the live stream and the tile caches follow without a word from this package.
// When a tidal zone is open is decided by the rule of package tidal, in the
// city's time zone.
package parking

import (
	"context"
	"log/slog"
	"time"
	_ "time/tzdata" // the city's zone must load on hosts without a zoneinfo database

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/routes"
	"citymap/server/store"
)

// DefaultTimezone is the city's time zone unless configured: all of China keeps
// Beijing time.
const DefaultTimezone = "Asia/Shanghai"

// Config is what the parking service needs besides the store.
type Config struct {
	// Location is the city's time zone, in which windows are read; nil is
	// DefaultTimezone.
	Location *time.Location
	// MQTT is the sensor feed; an empty URL leaves it off.
	MQTT MQTTConfig
}

// Parking is the parking service of one instance.
type Parking struct {
	store *store.Store
	auth  *auth.Authenticator
	loc   *time.Location
	mqtt  *subscriber
	now   func() time.Time
}

// New returns the service. A Location that is nil falls back to
// DefaultTimezone.
func New(st *store.Store, a *auth.Authenticator, cfg Config) *Parking {
	loc := cfg.Location
	if loc == nil {
		loc, _ = time.LoadLocation(DefaultTimezone) // embedded by time/tzdata
	}
	p := &Parking{store: st, auth: a, loc: loc, now: time.Now}
	if cfg.MQTT.URL != "" {
		p.mqtt = newSubscriber(cfg.MQTT, st, p.now)
	}
	return p
}

// Routes lists the parking routes and who may call them. Lot systems and
// sensor gateways hold reporter tokens, the role of systems that only submit;
// reading is for every role but them. A batch of readings is light when small
// (a gateway's few), heavy when big.
func (p *Parking) Routes() []routes.Route {
	return []routes.Route{
		routes.For("POST /api/v1/parking/occupancy", p.postOccupancy, limit.Light, access.Submitters).By(limit.ByBatchSize),
		routes.For("GET /api/v1/parking/available", p.available, limit.Medium, access.Readers),
		routes.For("GET /api/v1/parking/zones/{code}", p.zone, limit.Light, access.Readers),
	}
}

// Start connects to the MQTT broker when one is configured; the connection is
// kept up, and re-made with backoff, until Close. It warns when the database
// reads windows in another time zone than the service, since tiles and
// features would then disagree with the API.
func (p *Parking) Start(ctx context.Context) error {
	if tz, err := p.store.CityTimezone(ctx); err == nil && tz != p.loc.String() {
		slog.Warn("parking: the database's citymap.timezone differs from the server's",
			"database", tz, "server", p.loc.String())
	}
	if p.mqtt == nil {
		return nil
	}
	return p.mqtt.start()
}

// Close stops the MQTT subscriber after the readings it holds are committed
// and acknowledged; unacknowledged ones are redelivered by the broker.
func (p *Parking) Close() {
	if p.mqtt != nil {
		p.mqtt.stop()
	}
}
