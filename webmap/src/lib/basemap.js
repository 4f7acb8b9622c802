// The basemap under citymap's layers (天地图's vector or imagery tiles, an XYZ
// template or a MapLibre style: serve --basemap) comes in the server's
// /style.json, which names its sources in metadata["citymap:basemap"]. The
// pages draw it wherever it answers; where it does not (a command center
// without internet, a key that expired) they go on with citymap's own layers,
// and a tile that fails is no error of the page's: said once, as a warning.

export function basemapSources(style) {
  const ids = style && style.metadata && style.metadata['citymap:basemap'];
  return new Set(Array.isArray(ids) ? ids : []);
}

// handleErrors replaces MapLibre's default (every error to the console): the
// basemap's failures are one warning, anything else is an error.
export function handleErrors(map, style) {
  const basemap = basemapSources(style);
  let warned = false;
  map.on('error', (e) => {
    if (e.sourceId && basemap.has(e.sourceId)) {
      if (!warned) console.warn('basemap unavailable, drawing citymap\'s layers alone:', e.error && e.error.message);
      warned = true;
      return;
    }
    console.error(e.error || e);
  });
}
