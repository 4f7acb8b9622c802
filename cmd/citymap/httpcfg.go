package main

import (
	"flag"
	"fmt"
	"time"

	"citymap/server"
)

// httpEnv maps serve's flags that bound slow and idle clients to their
// environment variables.
var httpEnv = map[string]string{
	"read-header-timeout": "CITYMAP_READ_HEADER_TIMEOUT",
	"read-timeout":        "CITYMAP_READ_TIMEOUT",
	"idle-timeout":        "CITYMAP_IDLE_TIMEOUT",
	"max-header-bytes":    "CITYMAP_MAX_HEADER_BYTES",
	"compress-off":        "CITYMAP_COMPRESS_OFF",
}

func addHTTPFlags(fs *flag.FlagSet) *server.HTTPConfig {
	c := &server.HTTPConfig{}
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 10*time.Second,
		"time a client has to send a request's headers (env CITYMAP_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second,
		"time a client has to send a whole request, body included (env CITYMAP_READ_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second,
		"how long an idle keep-alive connection is kept (env CITYMAP_IDLE_TIMEOUT)")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", 64<<10,
		"largest request line and headers, in bytes (env CITYMAP_MAX_HEADER_BYTES)")
	fs.BoolVar(&c.CompressOff, "compress-off", false,
		"send answers uncompressed: no gzip or zstd, e.g. behind a proxy that compresses (env CITYMAP_COMPRESS_OFF)")
	return c
}

// httpConfig applies the environment under the flags and checks the values.
func httpConfig(fs *flag.FlagSet, c *server.HTTPConfig) (server.HTTPConfig, error) {
	if err := setFromEnv(fs, httpEnv); err != nil {
		return server.HTTPConfig{}, err
	}
	if c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.IdleTimeout <= 0 || c.MaxHeaderBytes <= 0 {
		return server.HTTPConfig{}, fmt.Errorf("--read-header-timeout, --read-timeout, --idle-timeout and --max-header-bytes must be positive")
	}
	return *c, nil
}
