package migrations_test

import (
	"context"
	"testing"

	"citymap/migrations"
	"citymap/server/dbtest"
)

func TestAllOrdered(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range all {
		if i > 0 && m.Version <= all[i-1].Version {
			t.Errorf("%s is not after %s", m.Name, all[i-1].Name)
		}
		if m.SQL == "" {
			t.Errorf("%s is empty", m.Name)
		}
	}
	if got := migrations.Latest(); got != all[len(all)-1].Version {
		t.Errorf("Latest() = %d, want %d", got, all[len(all)-1].Version)
	}
}

func TestApplyTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	first, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := migrations.All()
	if len(first) != len(all) {
		t.Fatalf("first run applied %d of %d migrations", len(first), len(all))
	}
	schema := schemaFingerprint(t, st.Pool)
	second, err := st.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 {
		t.Errorf("second run applied %v", second)
	}
	if again := schemaFingerprint(t, st.Pool); again != schema {
		t.Error("the schema changed on the second run")
	}
	if err := st.Ready(ctx); err != nil {
		t.Errorf("Ready after migrating: %v", err)
	}
}

func TestReadyBeforeMigrating(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	if _, err := st.Pool.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY,
		name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	if err := st.Ready(ctx); err == nil {
		t.Error("Ready on an unmigrated database reported no error")
	}
}
