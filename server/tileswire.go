package server

import (
	"log/slog"

	"citymap/server/tiles"
)

// startTiles serves the vector tiles, their TileJSON and the style, with a tile
// cache that follows the live hub's changes: it needs startLive first.
func (s *Server) startTiles() {
	t, err := tiles.New(s.store, s.auth, s.cfg.Tiles, s.obs.registry)
	if err != nil {
		slog.Error("tiles: not served", "err", err)
		return
	}
	s.tiles = t
	s.mux.Add(t.Routes()...)
	t.Follow(s.obs.live)
}

// stopTiles releases the tile renderer's connections.
func (s *Server) stopTiles() {
	if s.tiles != nil {
		s.tiles.Close()
	}
}
