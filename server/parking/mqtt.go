package parking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"citymap/server/store"
)

// MQTTConfig is the sensor feed: readings arrive on
// {TopicPrefix}/parking/{zone code}/occupancy with QoS 1.
type MQTTConfig struct {
	// URL of the broker: mqtt://host:port (also tls://, ws://, wss://).
	URL string
	// ClientID names this instance's session at the broker. It must stay the
	// same across restarts, so that the readings queued while the instance was
	// down reach it, and differ between instances. Empty is "citymap-" and
	// the host name.
	ClientID string
	// TopicPrefix is the first topic level; empty is "citymap".
	TopicPrefix string
	// Group is the shared-subscription group: the instances of one city share
	// the stream, each reading going to one of them. Empty is "citymap".
	Group string
	// SessionExpiry is how long the broker keeps the session, and the readings
	// queued for it, while the instance is away; zero is 24 hours.
	SessionExpiry time.Duration
}

// How the subscriber batches: readings that arrive within batchWait of the
// first of a batch are committed in one transaction, up to batchMax of them.
const (
	batchWait = 5 * time.Millisecond
	batchMax  = 1000
	// ackInterval is how often paho sends the acknowledgements made ready;
	// brokers hold back further messages while too many are unacknowledged.
	ackInterval = 5 * time.Millisecond
	// receiveMaximum is how many unacknowledged messages the broker may send.
	receiveMaximum = 2000
	retryMax       = 10 * time.Second
)

func (c MQTTConfig) withDefaults() MQTTConfig {
	if c.ClientID == "" {
		host, _ := os.Hostname()
		c.ClientID = "citymap-" + host
	}
	if c.TopicPrefix == "" {
		c.TopicPrefix = "citymap"
	}
	if c.Group == "" {
		c.Group = "citymap"
	}
	if c.SessionExpiry <= 0 {
		c.SessionExpiry = 24 * time.Hour
	}
	return c
}

// message is one received reading on its way to the database.
type message struct {
	topic   string
	reading store.ParkingReading
	bad     error // why the message is no reading; it is acknowledged unwritten
	ack     func() error
}

// subscriber applies the readings of the MQTT feed. A message is acknowledged
// only after its reading is committed, so a reading is never lost: one whose
// instance stops first is redelivered, and applying it twice changes nothing
// (the second is stale).
type subscriber struct {
	cfg   MQTTConfig
	store *store.Store
	now   func() time.Time
	in    chan message
	cm    *autopaho.ConnectionManager
	// ctx ends the connection; work ends the batching loop, which is let
	// finish its batch first.
	ctx, work       context.Context
	cancel, endWork context.CancelFunc
	done            chan struct{}
	once            sync.Once
}

func newSubscriber(cfg MQTTConfig, st *store.Store, now func() time.Time) *subscriber {
	s := &subscriber{cfg: cfg.withDefaults(), store: st, now: now,
		in: make(chan message, batchMax), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.work, s.endWork = context.WithCancel(context.Background())
	return s
}

// filter is the subscription: shared, so that each reading reaches one
// instance of the group.
func (s *subscriber) filter() string {
	return "$share/" + s.cfg.Group + "/" + s.cfg.TopicPrefix + "/parking/+/occupancy"
}

// CheckMQTTURL reports whether a broker URL is one the subscriber can use
// (empty is: it turns MQTT off).
func CheckMQTTURL(raw string) error {
	_, err := mqttURL(raw)
	if raw == "" {
		return nil
	}
	return err
}

func mqttURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !slices.Contains(mqttSchemes, u.Scheme) {
		return nil, fmt.Errorf("%q is no broker URL: want mqtt://host:port (or tls://, ws://, wss://)", raw)
	}
	return u, nil
}

// mqttSchemes are the URL schemes autopaho connects with.
var mqttSchemes = []string{"mqtt", "tcp", "tls", "ssl", "mqtts", "ws", "wss"}

// start begins connecting; autopaho keeps the connection up from then on.
func (s *subscriber) start() error {
	u, err := mqttURL(s.cfg.URL)
	if err != nil {
		return err
	}
	cm, err := autopaho.NewConnection(s.ctx, s.clientConfig(u))
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	s.cm = cm
	go s.loop()
	slog.Info("parking: MQTT subscriber started", "broker", u.Redacted(), "client_id", s.cfg.ClientID,
		"filter", s.filter())
	return nil
}

func (s *subscriber) clientConfig(u *url.URL) autopaho.ClientConfig {
	receiveMax := uint16(receiveMaximum)
	return autopaho.ClientConfig{
		ServerUrls: []*url.URL{u},
		KeepAlive:  30,
		// a persistent session: the broker queues QoS 1 readings while we are away
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         uint32(s.cfg.SessionExpiry / time.Second),
		ReconnectBackoff:              autopaho.NewExponentialBackoff(500*time.Millisecond, 30*time.Second, time.Second, 2),
		ConnectTimeout:                10 * time.Second,
		ConnectPacketBuilder: func(c *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			if c.Properties == nil {
				c.Properties = &paho.ConnectProperties{}
			}
			c.Properties.ReceiveMaximum = &receiveMax
			return c, nil
		},
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			slog.Info("parking: MQTT connected", "session_present", ca.SessionPresent)
			go s.subscribe(cm)
		},
		OnConnectError: func(err error) { slog.Warn("parking: MQTT connect", "err", err) },
		ClientConfig: paho.ClientConfig{
			ClientID:                   s.cfg.ClientID,
			OnPublishReceived:          []func(paho.PublishReceived) (bool, error){s.receive},
			EnableManualAcknowledgment: true,
			SendAcksInterval:           ackInterval,
			OnClientError:              func(err error) { slog.Warn("parking: MQTT connection", "err", err) },
		},
	}
}

// subscribe (re)subscribes on every connection: a resumed session keeps the
// subscription, but a session the broker dropped does not.
func (s *subscriber) subscribe(cm *autopaho.ConnectionManager) {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	_, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
		{Topic: s.filter(), QoS: 1},
	}})
	if err != nil && s.ctx.Err() == nil {
		slog.Error("parking: MQTT subscribe", "filter", s.filter(), "err", err)
	}
}

// receive runs on paho's delivery goroutine, one message at a time in order;
// it hands each to the batching loop and leaves acknowledging to it.
func (s *subscriber) receive(pr paho.PublishReceived) (bool, error) {
	m := s.parse(pr.Packet.Topic, pr.Packet.Payload)
	client, pkt := pr.Client, pr.Packet
	m.ack = func() error { return client.Ack(pkt) }
	select {
	case s.in <- m:
	case <-s.work.Done(): // stopping: unacknowledged, so the broker redelivers it
	}
	return true, nil
}

// parse reads a message: the zone from the topic, and from the payload either
// {"occupied": N, "at": RFC 3339} or a bare count N; without a time the
// reading is taken as of its arrival.
func (s *subscriber) parse(topic string, payload []byte) message {
	m := message{topic: topic}
	zone, ok := strings.CutPrefix(topic, s.cfg.TopicPrefix+"/parking/")
	zone, ok2 := strings.CutSuffix(zone, "/occupancy")
	if !ok || !ok2 || zone == "" || strings.Contains(zone, "/") {
		m.bad = fmt.Errorf("topic is not %s/parking/{zone}/occupancy", s.cfg.TopicPrefix)
		return m
	}
	m.reading, m.bad = parsePayload(payload, s.now())
	m.reading.Zone = zone
	return m
}

func parsePayload(payload []byte, now time.Time) (store.ParkingReading, error) {
	payload = bytes.TrimSpace(payload)
	if n, err := strconv.Atoi(string(payload)); err == nil {
		return store.ParkingReading{Occupied: n, At: now}, nil
	}
	var in struct {
		Occupied *int   `json:"occupied"`
		At       string `json:"at"`
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return store.ParkingReading{}, fmt.Errorf(`payload is neither a count nor {"occupied": N, "at": RFC 3339}`)
	}
	if in.Occupied == nil {
		return store.ParkingReading{}, fmt.Errorf("payload has no occupied")
	}
	r := store.ParkingReading{Occupied: *in.Occupied, At: now}
	if in.At != "" {
		at, err := time.Parse(time.RFC3339Nano, in.At)
		if err != nil {
			return r, fmt.Errorf("at %q is not an RFC 3339 time", in.At)
		}
		r.At = at
	}
	return r, nil
}

// loop commits the readings batch by batch until stop.
func (s *subscriber) loop() {
	defer close(s.done)
	for {
		batch, ok := s.next()
		if !ok {
			return
		}
		if !s.commit(batch) {
			return
		}
	}
}

// next waits for a message, then gathers those arriving within batchWait.
func (s *subscriber) next() ([]message, bool) {
	var batch []message
	select {
	case m := <-s.in:
		batch = append(batch, m)
	case <-s.work.Done():
		return nil, false
	}
	timer := time.NewTimer(batchWait)
	defer timer.Stop()
	for len(batch) < batchMax {
		select {
		case m := <-s.in:
			batch = append(batch, m)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// commit writes a batch, retrying with backoff while the database fails, and
// acknowledges its messages once it is written. It gives up, leaving them
// unacknowledged, only when the subscriber stops.
func (s *subscriber) commit(batch []message) bool {
	var readings []store.ParkingReading
	var pos []int
	for i, m := range batch {
		if m.bad == nil {
			readings, pos = append(readings, m.reading), append(pos, i)
		}
	}
	var outcomes []store.ReadingOutcome
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, retryMax) {
		var err error
		outcomes, err = s.apply(readings)
		if err == nil {
			break
		}
		slog.Error("parking: MQTT readings not written; retrying", "readings", len(readings), "err", err, "in", wait)
		select {
		case <-time.After(wait):
		case <-s.work.Done():
			return false
		}
	}
	for k, o := range outcomes {
		if o.Status == store.ReadingRejected {
			batch[pos[k]].bad = o.Err
		}
	}
	s.acknowledge(batch)
	return true
}

// apply writes readings under a deadline of its own: stopping lets a
// transaction under way finish rather than cancelling it.
func (s *subscriber) apply(readings []store.ParkingReading) ([]store.ReadingOutcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.store.ApplyParkingReadings(ctx, readings, s.now())
}

// acknowledge acknowledges every message of a committed batch, in order, and
// logs those that were no reading: a broker would redeliver those forever.
func (s *subscriber) acknowledge(batch []message) {
	for _, m := range batch {
		if m.bad != nil {
			slog.Warn("parking: MQTT reading rejected", "topic", m.topic, "reason", m.bad)
		}
		if err := m.ack(); err != nil {
			// the connection that brought it is gone; the broker redelivers it
			slog.Debug("parking: MQTT ack", "topic", m.topic, "err", err)
		}
	}
}

// stop lets the batch in hand commit (for up to a few seconds), then
// disconnects, keeping the session at the broker.
func (s *subscriber) stop() {
	s.once.Do(func() {
		s.endWork()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
		// acknowledgements leave on paho's ticker: give the last ones a tick
		time.Sleep(3 * ackInterval)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if s.cm != nil {
			_ = s.cm.Disconnect(ctx)
		}
		s.cancel()
	})
}
