package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/live"
	"citymap/server/store"
)

// wait bounds every wait of these tests: far above what any step needs, so that
// only a real failure reaches it.
const wait = 15 * time.Second

// testConfig makes heartbeats frequent: tests use them to learn that nothing more
// is coming.
func testConfig() live.Config {
	return live.Config{Heartbeat: 50 * time.Millisecond}
}

// instance is one citymap server on a test database.
type instance struct {
	srv *server.Server
	ts  *httptest.Server
}

func startInstance(t *testing.T, st *store.Store, cfg live.Config) *instance {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Live: cfg}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	in := &instance{srv: srv, ts: ts}
	t.Cleanup(in.stop)
	return in
}

// stop closes the instance's streams, then its HTTP server; calling it twice is fine.
func (in *instance) stop() {
	in.srv.Close()
	in.ts.Close()
}

func (in *instance) wsURL() string { return "ws" + strings.TrimPrefix(in.ts.URL, "http") + "/live" }

// metric reads one value from the instance's /metrics.
func (in *instance) metric(t *testing.T, name string) float64 {
	t.Helper()
	body := in.metrics(t)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks %s:\n%s", name, body)
	return 0
}

// has says whether /metrics has a sample of name.
func (in *instance) has(t *testing.T, name string) bool {
	t.Helper()
	return strings.Contains("\n"+in.metrics(t), "\n"+name+" ")
}

func (in *instance) metrics(t *testing.T) string {
	t.Helper()
	res, err := http.Get(in.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// token creates a token with this role and area scope.
func token(t *testing.T, st *store.Store, role string, areas ...string) string {
	t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(context.Background(), "test-"+role, role, areas, hash, nil); err != nil {
		t.Fatal(err)
	}
	return tok
}

// Test fixtures live in a made-up district 999999 so that they never meet the
// demo city's codes.
const (
	gridA = "99999900100101" // street 999999001, community 999999001001
	gridB = "99999900200101" // street 999999002
)

// newIssue inserts an issue at (x, y) in grid with category; it is not yet in the
// feed.
func newIssue(t *testing.T, st *store.Store, x, y float64, category, grid string) int64 {
	t.Helper()
	var id int64
	err := st.Pool.QueryRow(context.Background(), `INSERT INTO issues
		(source, category, geom, deadline, grid_code, community_code, street_code, description)
		VALUES ('sensor', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326), now() + interval '1 day',
		        $4, left($4, 12), left($4, 9), 'live test')
		RETURNING id`, category, x, y, grid).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// newIssues inserts n issues spread over grid A's neighbourhood.
func newIssues(t *testing.T, st *store.Store, n int) []int64 {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `INSERT INTO issues
		(source, category, geom, deadline, grid_code, community_code, street_code)
		SELECT 'sensor', 'manhole_cover', ST_SetSRID(ST_MakePoint(119.8 + i / 1e5, 31.3), 4326),
		       now() + interval '1 day', $2, left($2, 12), left($2, 9)
		FROM generate_series(1, $1) i
		RETURNING id`, n, gridA)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// touch records a change of each issue in one transaction, the way the API does,
// and returns the last sequence number.
func touch(ctx context.Context, st *store.Store, ids ...int64) (int64, error) {
	var seq int64
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE issues SET version = version + 1, updated_at = now()
			WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		var err error
		seq, err = store.AppendUpserts(ctx, tx, "issues", ids)
		return err
	})
	return seq, err
}

func mustTouch(t *testing.T, st *store.Store, ids ...int64) int64 {
	t.Helper()
	seq, err := touch(context.Background(), st, ids...)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// ageChanges moves the changes before seq three months into the past, into
// months the pruner drops at any retention under two months, and gives those
// months their partitions (the rows wait in the DEFAULT partition until then).
func ageChanges(t *testing.T, st *store.Store, before int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `UPDATE changes SET committed_at = committed_at - interval '3 months'
		WHERE seq < $1`, before); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MaintainPartitions(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func head(t *testing.T, st *store.Store) int64 {
	t.Helper()
	h, err := store.FeedHead(context.Background(), st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// frame is any message the server sends.
type frame struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq"`
	Layer   string          `json:"layer"`
	Op      string          `json:"op"`
	ID      string          `json:"id"`
	Feature json.RawMessage `json:"feature"`
	Error   struct{ Code, Message string }
}

// wsClient is a test websocket client whose frames a goroutine collects.
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	// closeErr is how the connection ended, readable once frames is closed
	closeErr error
}

func dial(t *testing.T, url, tok string) *wsClient {
	t.Helper()
	c := dialQuiet(t, url, tok, nil)
	c.start()
	return c
}

// dialQuiet connects without reading, for clients that play slow.
func dialQuiet(t *testing.T, url, tok string, d *websocket.Dialer) *wsClient {
	t.Helper()
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, res, err := d.Dial(url, http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, res)
	}
	c := &wsClient{t: t, conn: conn, frames: make(chan frame, 1<<16)}
	t.Cleanup(func() { _ = conn.Close() })
	return c
}

func (c *wsClient) start() {
	go func() {
		defer close(c.frames)
		for {
			_, data, err := c.conn.ReadMessage()
			if err != nil {
				c.closeErr = err
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.closeErr = fmt.Errorf("bad frame %q: %w", data, err)
				return
			}
			c.frames <- f
		}
	}()
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = c.conn.WriteMessage(websocket.TextMessage, []byte(s))
	} else {
		err = c.conn.WriteJSON(v)
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) next() frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection ended: %v", c.closeErr)
		}
		return f
	case <-time.After(wait):
		c.t.Fatal("timed out waiting for a frame")
	}
	return frame{}
}

// expect reads the next frame, which must be of this type; heartbeats, which come
// at any time, are skipped unless asked for.
func (c *wsClient) expect(typ string) frame {
	c.t.Helper()
	f := c.next()
	for f.Type == "heartbeat" && typ != "heartbeat" {
		f = c.next()
	}
	if f.Type != typ {
		c.t.Fatalf("got %+v, want a %s frame", f, typ)
	}
	return f
}

// subscribe sends a subscription and returns the sequence number it answers with.
func (c *wsClient) subscribe(sub map[string]any) int64 {
	c.t.Helper()
	sub["type"] = "subscribe"
	c.send(sub)
	return c.expect("subscribed").Seq
}

// changesThrough collects change frames until the client has everything up to
// seq: a change or heartbeat at or past it. Heartbeats only ever name a sequence
// number the client has every matching change up to.
func (c *wsClient) changesThrough(seq int64) []frame {
	c.t.Helper()
	var out []frame
	for {
		f := c.next()
		switch f.Type {
		case "change":
			out = append(out, f)
		case "heartbeat":
		default:
			c.t.Fatalf("unexpected frame %+v", f)
		}
		if f.Seq >= seq {
			return out
		}
	}
}

// closeCode waits for the connection to end and returns its close code and reason.
func (c *wsClient) closed() (int, string) {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.frames:
			if ok {
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(c.closeErr, &ce) {
				c.t.Fatalf("connection ended without a close frame: %v", c.closeErr)
			}
			return ce.Code, ce.Text
		case <-time.After(wait):
			c.t.Fatal("timed out waiting for the close")
		}
	}
}

// ids lists the object ids of change frames.
func ids(frames []frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.ID
	}
	return out
}

// seqs lists the sequence numbers of change frames.
func seqs(frames []frame) []int64 {
	out := make([]int64, len(frames))
	for i, f := range frames {
		out[i] = f.Seq
	}
	return out
}

// checkRun fails unless frames are exactly the changes from..to, in order.
func checkRun(t *testing.T, frames []frame, from, to int64) {
	t.Helper()
	if int64(len(frames)) != to-from+1 {
		t.Fatalf("got %d changes, want %d (%d..%d)", len(frames), to-from+1, from, to)
	}
	for i, f := range frames {
		if f.Seq != from+int64(i) {
			t.Fatalf("change %d has seq %d, want %d: missing, duplicated or out of order", i, f.Seq, from+int64(i))
		}
	}
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return dbtest.New(t)
}

// openAgain opens a second pool on st's database, as another process would.
func openAgain(t *testing.T, st *store.Store) *store.Store {
	t.Helper()
	other, err := store.Open(context.Background(), st.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	return other
}

// newArea inserts district 999999 and its street 999999001, a small square west of
// the test issues, and returns the street's id.
func newArea(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var id int64
	err := st.Pool.QueryRow(context.Background(), `
		WITH d AS (
			INSERT INTO areas (code, name, level, geom)
			VALUES ('999999', 'Test district', 'district',
			        ST_Multi(ST_MakeEnvelope(119.6, 31.1, 120.0, 31.5, 4326)))
			RETURNING id)
		INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT '999999001', 'Test street', 'street', d.id,
		       ST_Multi(ST_MakeEnvelope(119.70, 31.20, 119.72, 31.22, 4326)) FROM d
		RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func touchArea(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		_, err := store.AppendUpserts(ctx, tx, "areas", []int64{id})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
