package main

import (
	"flag"
	"fmt"
	"time"

	"citymap/server/parking"
)

// parkingOptions are serve's flags for parking: the MQTT sensor feed and the
// city's time zone, in which tidal windows are read.
type parkingOptions struct {
	mqttURL, clientID, timezone string
}

func addParkingFlags(fs *flag.FlagSet) *parkingOptions {
	o := &parkingOptions{}
	fs.StringVar(&o.mqttURL, "mqtt-url", envOr("CITYMAP_MQTT_URL", ""),
		"MQTT broker of the parking sensors, e.g. mqtt://127.0.0.1:1883; empty is off (env CITYMAP_MQTT_URL)")
	fs.StringVar(&o.clientID, "mqtt-client-id", envOr("CITYMAP_MQTT_CLIENT_ID", ""),
		"this instance's MQTT session, the same across restarts and different per instance; "+
			"default citymap-HOSTNAME (env CITYMAP_MQTT_CLIENT_ID)")
	fs.StringVar(&o.timezone, "timezone", envOr("CITYMAP_TIMEZONE", parking.DefaultTimezone),
		"the city's time zone, in which tidal parking windows are read (env CITYMAP_TIMEZONE)")
	return o
}

// location loads the time zone, and checks the broker URL so that a typo stops
// serve instead of leaving the sensor feed silently off.
func (o *parkingOptions) location() (*time.Location, error) {
	if err := parking.CheckMQTTURL(o.mqttURL); err != nil {
		return nil, fmt.Errorf("--mqtt-url: %w", err)
	}
	loc, err := time.LoadLocation(o.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone: %w", err)
	}
	return loc, nil
}
