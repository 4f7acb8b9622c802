package parking_test

import (
	"citymap/server/dbtest"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"citymap/server/auth"
	"citymap/server/parking"
)

// EnvMQTT is the broker that `make test` starts (scripts/mqtt.sh).
const EnvMQTT = "CITYMAP_TEST_MQTT_URL"

// feed is a subscriber configuration of its own: topics under a prefix and a
// session no other test shares, so tests can run side by side on one broker.
type feed struct {
	t      testing.TB
	e      *env
	broker string
	cfg    parking.MQTTConfig
}

func newFeed(t testing.TB, e *env) *feed {
	t.Helper()
	broker := dbtest.Env(t, EnvMQTT, "Mosquitto")
	tag := randomTag()
	return &feed{t: t, e: e, broker: broker, cfg: parking.MQTTConfig{URL: broker, ClientID: "citymap-test-" + tag,
		TopicPrefix: "citymap-test-" + tag, SessionExpiry: 5 * time.Minute}}
}

func randomTag() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs a parking service with the feed's MQTT configuration, as an
// instance does; the returned function stops it.
func (f *feed) start() func() {
	f.t.Helper()
	p := parking.New(f.e.Store, auth.NewAuthenticator(f.e.Store.TokenByHash), parking.Config{MQTT: f.cfg})
	if err := p.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			p.Close()
		}
	}
	f.t.Cleanup(stop)
	return stop
}

// publisher is a sensor gateway: it publishes with QoS 1 and waits for the
// broker's acknowledgement.
type publisher struct {
	t   testing.TB
	cli *paho.Client
	f   *feed
}

func (f *feed) publisher() *publisher {
	f.t.Helper()
	u, err := url.Parse(f.broker)
	if err != nil {
		f.t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		f.t.Fatal(err)
	}
	cli := paho.NewClient(paho.ClientConfig{Conn: conn, ClientID: "sensor-" + randomTag()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Connect(ctx, &paho.Connect{ClientID: cli.ClientID(), CleanStart: true, KeepAlive: 30}); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = cli.Disconnect(&paho.Disconnect{}) })
	return &publisher{t: f.t, cli: cli, f: f}
}

func (p *publisher) send(zone, payload string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := p.cli.Publish(ctx, &paho.Publish{QoS: 1, Topic: p.f.cfg.TopicPrefix + "/parking/" + zone + "/occupancy",
		Payload: []byte(payload)})
	if err != nil {
		p.t.Fatal(err)
	}
}

func reading(occupied int, at time.Time) string {
	return fmt.Sprintf(`{"occupied":%d,"at":%q}`, occupied, at.Format(time.RFC3339Nano))
}

// eventually polls cond for up to ten seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// warmUp publishes readings until one is applied: the subscription exists
// from then on, and the broker keeps it in the session.
func (f *feed) warmUp(pub *publisher, zone string) time.Time {
	f.t.Helper()
	at := f.e.zone(zone).At
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		at = at.Add(time.Second)
		pub.send(zone, reading(1, at))
		time.Sleep(100 * time.Millisecond)
		if f.e.zone(zone).At.Equal(at) {
			return at
		}
	}
	f.t.Fatal("the subscriber applied no reading")
	return at
}

func TestMQTTReadings(t *testing.T) {
	e := newEnv(t)
	f := newFeed(t, e)
	f.start()
	pub := f.publisher()
	codes := e.smartZones(2)
	at := f.warmUp(pub, codes[0])
	seq := e.Int(`SELECT seq FROM change_counter`)

	// a reading with a time, one that is not a reading, one for no zone, then a
	// bare count (taken at arrival): the bad ones are acknowledged and dropped,
	// and do not hold up those behind them
	pub.send(codes[0], reading(4, at.Add(time.Second)))
	pub.send(codes[0], `{"occupied":"four"}`)
	pub.send("NO-SUCH-ZONE", reading(4, at))
	pub.send(codes[1], "17")
	eventually(t, "the bare count", func() bool { return e.zone(codes[1]).Occupied == 17 })
	if z := e.zone(codes[0]); z.Occupied != 4 || !z.At.Equal(at.Add(time.Second)) {
		t.Errorf("zone %s: %+v, want 4 at %s", codes[0], z, at.Add(time.Second))
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE seq > $1 AND layer = 'parking'
		AND object_id = ANY($2)`, seq, codes); n != 2 {
		t.Errorf("%d change rows, want 2", n)
	}
	if n := e.Int(`SELECT count(*) FROM parking_readings r JOIN parking_zones z ON z.id = r.zone_id
		WHERE z.code = $1 AND r.occupied = 17 AND r.at > now() - interval '1 minute'`, codes[1]); n != 1 {
		t.Errorf("the bare count is not in the history")
	}
	// out of order: an older reading changes nothing
	pub.send(codes[0], reading(9, at.Add(-time.Minute)))
	pub.send(codes[1], "18")
	eventually(t, "the next count", func() bool { return e.zone(codes[1]).Occupied == 18 })
	if z := e.zone(codes[0]); z.Occupied != 4 {
		t.Errorf("zone %s went back to an older reading: %+v", codes[0], z)
	}
}

// TestMQTTQueuedWhileDown stops the instance, publishes, and starts it again
// with the same client id: the broker kept the session and the readings it
// queued reach the database.
func TestMQTTQueuedWhileDown(t *testing.T) {
	e := newEnv(t)
	f := newFeed(t, e)
	stop := f.start()
	pub := f.publisher()
	codes := e.smartZones(2)
	at := f.warmUp(pub, codes[0])
	stop()

	seq := e.Int(`SELECT seq FROM change_counter`)
	b := e.zone(codes[1])
	for i := 1; i <= 5; i++ {
		pub.send(codes[0], reading(10+i, at.Add(time.Duration(i)*time.Second)))
	}
	pub.send(codes[1], reading(b.Capacity+1, b.At.Add(time.Second)))
	time.Sleep(200 * time.Millisecond)
	if z := e.zone(codes[0]); !z.At.Equal(at) {
		t.Fatalf("a stopped instance applied a reading: %+v", z)
	}

	f.start()
	last := at.Add(5 * time.Second)
	eventually(t, "the queued readings", func() bool {
		z := e.zone(codes[0])
		return z.Occupied == 15 && z.At.Equal(last) && e.zone(codes[1]).Occupied == b.Capacity
	})
	if n := e.Int(`SELECT count(*) FROM parking_readings r JOIN parking_zones z ON z.id = r.zone_id
		WHERE z.code = $1 AND r.at > $2`, codes[0], at); n != 5 {
		t.Errorf("%d of the 5 queued readings are in the history", n)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE seq > $1 AND layer = 'parking'`, seq); n < 2 {
		t.Errorf("%d change rows, want at least 2", n)
	}
}
