// Command citymap is the map server for unified city management and its tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"citymap/server/store"
)

// A command runs one subcommand with its own arguments.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(context.Context, []string) error) {
	commands[name] = command{summary, run}
}

// errUsage marks a failure that printing the flags explains.
var errUsage = errors.New("usage")

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "citymap: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(os.Stderr, "citymap %s: %v\n", os.Args[1], err)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: citymap COMMAND [flags]   (citymap COMMAND -h for its flags)")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("CITYMAP_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// newFlags makes a flag set for a subcommand whose errors go back to the caller.
func newFlags(name string) *flag.FlagSet {
	return flag.NewFlagSet("citymap "+name, flag.ContinueOnError)
}

// parse parses args, mapping a flag error to errUsage (flag has printed it).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// openStore connects to DATABASE_URL. CITYMAP_WORK_HOURS, when set, is the
// working day of its connections (every command that takes in issues or moves
// deadlines counts the same hours; serve --work-hours overrides it).
func openStore(ctx context.Context, opts ...store.Option) (*store.Store, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, errors.New("DATABASE_URL is not set (make run sets it for the project-local database)")
	}
	if v := os.Getenv("CITYMAP_WORK_HOURS"); v != "" {
		spec, err := store.ParseWorkHours(v)
		if err != nil {
			return nil, fmt.Errorf("CITYMAP_WORK_HOURS: %w", err)
		}
		opts = append([]store.Option{store.WorkHours(spec)}, opts...)
	}
	return store.Open(ctx, url, opts...)
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
