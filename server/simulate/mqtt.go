package simulate

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// Sensors publishes readings as the lots' sensor gateway does: to
// {prefix}/parking/{zone}/occupancy with QoS 1, the feed the server
// subscribes to (server/parking).
type Sensors struct {
	cli    *paho.Client
	prefix string
}

// DialSensors connects to the broker at raw (mqtt:// or tcp://).
func DialSensors(ctx context.Context, raw, prefix, clientID string) (*Sensors, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "mqtt" && u.Scheme != "tcp") {
		return nil, fmt.Errorf("%q is no broker URL simulate speaks: want mqtt://host:port", raw)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	cli := paho.NewClient(paho.ClientConfig{Conn: conn, ClientID: clientID})
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Connect(cctx, &paho.Connect{ClientID: clientID, CleanStart: true, KeepAlive: 30}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	if prefix == "" {
		prefix = "citymap"
	}
	return &Sensors{cli: cli, prefix: prefix}, nil
}

// Publish sends one reading and waits for the broker's acknowledgement.
func (s *Sensors) Publish(ctx context.Context, zone string, occupied int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := s.cli.Publish(ctx, &paho.Publish{QoS: 1, Topic: s.prefix + "/parking/" + zone + "/occupancy",
		Payload: []byte(strconv.Itoa(occupied))})
	return err
}

// Close leaves the broker.
func (s *Sensors) Close() error { return s.cli.Disconnect(&paho.Disconnect{}) }
