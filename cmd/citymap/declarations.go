package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"citymap/server/declarations"
)

func init() {
	register("declarations", "open the declarations owed and push their reminders (declarations open)", runDeclarations)
}

// runDeclarations is `citymap declarations open`, for a cron job: every
// declaration indicator's lead unit gets its declaration of the current and
// the past year's periods (once), and declarations that crossed into due
// within 7 days, 3 days or overdue are announced on the live stream (once
// per threshold).
func runDeclarations(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "open" {
		return errors.New("usage: citymap declarations open")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	created, reminded, err := declarations.Tick(ctx, st, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("opened %d declaration(s), announced %d reminder(s)\n", len(created), len(reminded))
	return nil
}
