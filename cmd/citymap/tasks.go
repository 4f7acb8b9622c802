package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func init() {
	register("tasks", "apply the indicators' task rules: unfixed overdue findings become tasks (tasks spawn)", runTasks)
}

// runTasks is `citymap tasks spawn`, for a cron job: every inspection finding
// whose indicator has a task rule and whose case is still open past its
// deadline becomes a task of the case's unit (once).
func runTasks(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "spawn" {
		return errors.New("usage: citymap tasks spawn")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := st.SpawnOverdueTasks(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("created %d task(s) %v\n", len(ids), ids)
	return nil
}
