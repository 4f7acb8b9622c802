package server

import (
	"context"

	"citymap/server/tiles"
)

// startTiles serves the vector tiles, their TileJSON and the style, with a tile
// cache that follows the live hub's changes. Its stop releases the renderer's
// connections.
func (s *Server) startTiles(context.Context) (func(), error) {
	t, err := tiles.New(s.store, s.auth, s.cfg.Tiles, s.obs.registry)
	if err != nil {
		return nil, err
	}
	s.tiles = t
	s.mux.Add(t.Routes()...)
	t.Follow(s.obs.live)
	return t.Close, nil
}
