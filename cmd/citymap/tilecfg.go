package main

import (
	"flag"
	"fmt"
	"strconv"

	"citymap/server/tiles"
)

// tileOptions are serve's flags for the vector tiles and the basemap under them.
type tileOptions struct {
	cacheMB                  int
	basemap, style, tianditu string
}

func addTileFlags(fs *flag.FlagSet) *tileOptions {
	o := &tileOptions{}
	fs.IntVar(&o.cacheMB, "tile-cache-mb", 256,
		"memory for the vector tile cache in MB; 0 turns it off (env CITYMAP_TILE_CACHE_MB)")
	fs.StringVar(&o.basemap, "basemap", envOr("CITYMAP_BASEMAP", ""),
		"the map under citymap's layers: tianditu-vec, tianditu-img (天地图, with --tianditu-key), "+
			"xyz:<tile URL template>, style:<MapLibre style URL> or none; basemaps in GCJ-02 or BD-09 "+
			"(AMap, Baidu, Tencent) are refused (env CITYMAP_BASEMAP)")
	fs.StringVar(&o.tianditu, "tianditu-key", envOr("CITYMAP_TIANDITU_KEY", ""),
		"the city's 天地图 key (a browser key: the pages fetch the tiles) for --basemap tianditu-* (env CITYMAP_TIANDITU_KEY)")
	fs.StringVar(&o.style, "basemap-style", envOr("CITYMAP_BASEMAP_STYLE", ""),
		"the same as --basemap style:URL (env CITYMAP_BASEMAP_STYLE)")
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
	spec := o.basemap
	if o.style != "" {
		if spec != "" && spec != "style:"+o.style {
			return tiles.Config{}, fmt.Errorf("--basemap %q and --basemap-style %q: give one", spec, o.style)
		}
		spec = "style:" + o.style
	}
	style, raster, err := tiles.ParseBasemap(spec, o.tianditu)
	if err != nil {
		return tiles.Config{}, fmt.Errorf("--basemap (CITYMAP_BASEMAP): %w", err)
	}
	return tiles.Config{CacheBytes: int64(o.cacheMB) << 20, BasemapStyle: style, BasemapRaster: raster}, nil
}
