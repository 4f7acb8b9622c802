package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// taskOptions are serve's settings of a periodic job: the indicators' task
// rules, the declarations' checks.
type taskOptions struct {
	every     time.Duration
	flag, env string
}

func addTaskFlags(fs *flag.FlagSet) *taskOptions {
	o := &taskOptions{flag: "task-rules", env: "CITYMAP_TASK_RULES"}
	fs.DurationVar(&o.every, o.flag, 10*time.Minute,
		"how often unfixed overdue findings become tasks (the indicators' task rules); 0 turns it off (env CITYMAP_TASK_RULES)")
	return o
}

func addDeclarationFlags(fs *flag.FlagSet) *taskOptions {
	o := &taskOptions{flag: "declaration-checks", env: "CITYMAP_DECLARATION_CHECKS"}
	fs.DurationVar(&o.every, o.flag, 10*time.Minute,
		"how often the declarations owed are opened and their reminders (7 days, 3 days, overdue) pushed live; 0 turns it off (env CITYMAP_DECLARATION_CHECKS)")
	return o
}

// interval applies the environment under the flag: a flag given wins.
func (o *taskOptions) interval(fs *flag.FlagSet) (time.Duration, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == o.flag })
	if v := os.Getenv(o.env); v != "" && !given {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", o.env, err)
		}
		o.every = d
	}
	if o.every < 0 {
		return 0, fmt.Errorf("--%s must not be negative", o.flag)
	}
	return o.every, nil
}
