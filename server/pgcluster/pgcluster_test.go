package pgcluster

import "testing"

// A synchronous standby holds every committed row when the primary crashes,
// and takes writes once promoted.
func TestPromoteSynchronousStandby(t *testing.T) {
	c := New(t)
	p := c.Primary("primary")
	p.Exec("postgres", "CREATE TABLE t (n int)")
	s := c.Standby(p, "standby")
	p.Synchronous(s)
	p.Exec("postgres", "INSERT INTO t SELECT generate_series(1, 1000)")
	p.Stop("immediate")
	s.Promote()
	s.Exec("postgres", "INSERT INTO t VALUES (1001)")
	var n int
	if err := s.QueryRow("postgres", "SELECT count(*) FROM t", nil, &n); err != nil {
		t.Fatal(err)
	}
	if n != 1001 {
		t.Errorf("%d rows on the promoted standby, want 1001", n)
	}
	var standby bool
	if err := s.QueryRow("postgres", "SELECT pg_is_in_recovery()", nil, &standby); err != nil || standby {
		t.Errorf("promoted standby still in recovery (%v)", err)
	}
}
