// Package coordsys converts between WGS-84 and the two obfuscated systems of
// Chinese consumer maps: GCJ-02 (AMap, Tencent, Apple in China) and BD-09
// (Baidu). Hotline apps and citizen reports arrive in those systems, while
// citymap stores WGS-84 only, so every input is converted on entry.
//
// The GCJ-02 offset is the widely reverse-engineered approximation (Krasovsky
// ellipsoid constants, as in eviltransform and coordtransform); it agrees with
// the official one to within about a metre, which is below the accuracy of
// the phone fixes it is applied to.
package coordsys

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// System names a geographic coordinate system as it appears in the
// coord_sys query parameter.
type System string

// The supported systems.
const (
	WGS84 System = "wgs84"
	GCJ02 System = "gcj02"
	BD09  System = "bd09"
)

// Parse accepts a system name case-insensitively; an empty name means WGS-84
// because that is what GeoJSON (RFC 7946) assumes.
func Parse(s string) (System, error) {
	switch sys := System(strings.ToLower(strings.TrimSpace(s))); sys {
	case "":
		return WGS84, nil
	case WGS84, GCJ02, BD09:
		return sys, nil
	}
	return "", fmt.Errorf("unknown coordinate system %q (want wgs84, gcj02 or bd09)", s)
}

// ToWGS84 converts p from sys to WGS-84. Unknown systems are treated as
// WGS-84; callers validate names with Parse first.
func ToWGS84(sys System, p orb.Point) orb.Point {
	switch sys {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return BD09ToWGS84(p)
	}
	return p
}

// FromWGS84 converts a WGS-84 point to sys, for clients that draw on a
// Chinese base map.
func FromWGS84(sys System, p orb.Point) orb.Point {
	switch sys {
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return WGS84ToBD09(p)
	}
	return p
}

// Geometry returns a copy of g with every coordinate converted from sys to
// WGS-84; g itself is left untouched because callers may still log or echo
// the original input.
func Geometry(sys System, g orb.Geometry) orb.Geometry {
	if g == nil {
		return nil
	}
	g = orb.Clone(g)
	if sys == WGS84 || sys == "" {
		return g
	}
	return project.Geometry(g, func(p orb.Point) orb.Point { return ToWGS84(sys, p) })
}
