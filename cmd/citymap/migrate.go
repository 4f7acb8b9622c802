package main

import (
	"context"
	"fmt"
)

func init() {
	register("migrate", "apply the database migrations that are missing", runMigrate)
}

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlags("migrate")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	for _, name := range applied {
		fmt.Println("applied", name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Println("schema is current")
	}
	return err
}
