package store

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// A URL with several hosts goes to the one that takes writes unless it says
// otherwise, and every URL gets a connect timeout per host unless it has one.
func TestConfigureFailover(t *testing.T) {
	t.Setenv("PGTARGETSESSIONATTRS", "")
	t.Setenv("PGCONNECT_TIMEOUT", "")
	for _, c := range []struct {
		url            string
		readWrite      bool
		connectTimeout time.Duration
	}{
		{"postgres://u@h1:5432/db", false, defaultConnectTimeout},
		{"postgres://u@h1:5432/db?sslmode=prefer", false, defaultConnectTimeout},
		{"postgres://u@h1:5432,h2:5433/db", true, defaultConnectTimeout},
		{"postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write&connect_timeout=2", true, 2 * time.Second},
		{"postgres://u@h1:5432,h2:5433/db?target_session_attrs=any", false, defaultConnectTimeout},
		{"postgres://u@h1/db?target_session_attrs=read-write", true, defaultConnectTimeout},
		{"host=h1,h2 port=5432,5433 dbname=db", true, defaultConnectTimeout},
		{"host=h1,h2 dbname=db target_session_attrs=standby", false, defaultConnectTimeout},
	} {
		cfg, err := pgxpool.ParseConfig(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		configureFailover(cfg, c.url)
		if got := cfg.ConnConfig.ValidateConnect != nil && cfg.PrepareConn != nil; got != c.readWrite {
			t.Errorf("%s: read-write checks %v, want %v", c.url, got, c.readWrite)
		}
		if cfg.ConnConfig.ConnectTimeout != c.connectTimeout {
			t.Errorf("%s: connect timeout %v, want %v", c.url, cfg.ConnConfig.ConnectTimeout, c.connectTimeout)
		}
		if cfg.PingTimeout != pingTimeout {
			t.Errorf("%s: ping timeout %v", c.url, cfg.PingTimeout)
		}
	}
}
