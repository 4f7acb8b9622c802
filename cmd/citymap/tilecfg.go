package main

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"citymap/server/tiles"
)

// tileOptions are serve's flags for the vector tiles.
type tileOptions struct {
	cacheMB int
	basemap string
}

func addTileFlags(fs *flag.FlagSet) *tileOptions {
	o := &tileOptions{}
	fs.IntVar(&o.cacheMB, "tile-cache-mb", 256,
		"memory for the vector tile cache in MB; 0 turns it off (env CITYMAP_TILE_CACHE_MB)")
	fs.StringVar(&o.basemap, "basemap-style", envOr("CITYMAP_BASEMAP_STYLE", ""),
		"URL of a MapLibre style drawn under citymap's layers in /style.json; empty draws them on a plain "+
			"background (env CITYMAP_BASEMAP_STYLE)")
	return o
}

// config applies the environment under the flags: a flag given wins.
func (o *tileOptions) config(fs *flag.FlagSet) (tiles.Config, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := envOr("CITYMAP_TILE_CACHE_MB", ""); v != "" && !set["tile-cache-mb"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return tiles.Config{}, fmt.Errorf("CITYMAP_TILE_CACHE_MB: %w", err)
		}
		o.cacheMB = n
	}
	if o.cacheMB < 0 {
		return tiles.Config{}, fmt.Errorf("--tile-cache-mb must be 0 (off) or more")
	}
	if o.basemap != "" {
		u, err := url.Parse(o.basemap)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return tiles.Config{}, fmt.Errorf("--basemap-style must be an http(s) URL, not %q", o.basemap)
		}
	}
	return tiles.Config{CacheBytes: int64(o.cacheMB) << 20, BasemapStyle: o.basemap}, nil
}
