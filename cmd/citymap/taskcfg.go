package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// taskOptions are serve's settings of the indicators' task rules.
type taskOptions struct{ every time.Duration }

func addTaskFlags(fs *flag.FlagSet) *taskOptions {
	o := &taskOptions{}
	fs.DurationVar(&o.every, "task-rules", 10*time.Minute,
		"how often unfixed overdue findings become tasks (the indicators' task rules); 0 turns it off (env CITYMAP_TASK_RULES)")
	return o
}

// interval applies the environment under the flag: a flag given wins.
func (o *taskOptions) interval(fs *flag.FlagSet) (time.Duration, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "task-rules" })
	if v := os.Getenv("CITYMAP_TASK_RULES"); v != "" && !given {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("CITYMAP_TASK_RULES: %w", err)
		}
		o.every = d
	}
	if o.every < 0 {
		return 0, fmt.Errorf("--task-rules must not be negative")
	}
	return o.every, nil
}
