package cql2

import (
	"github.com/paulmach/orb"
)

func isGeometryKeyword(upper string) bool {
	switch upper {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
		"BBOX", "ENVELOPE":
		return true
	}
	return false
}

// geometry parses a WKT literal, BBOX(minx, miny, maxx, maxy) or the
// pre-standard ENVELOPE(minx, maxx, maxy, miny) of older CQL drafts. Rings are
// checked when the caller validates the literal in the storage CRS.
func (p *parser) geometry(name token, upper string) (Expr, error) {
	if upper == "BBOX" || upper == "ENVELOPE" {
		return p.box(name, upper)
	}
	var g orb.Geometry
	var err error
	switch upper {
	case "POINT":
		var pt orb.Point
		pt, err = p.pointText()
		g = pt
	case "LINESTRING":
		var ls []orb.Point
		ls, err = p.positions(2)
		g = orb.LineString(ls)
	case "POLYGON":
		g, err = p.polygonText()
	case "MULTIPOINT":
		g, err = p.multiPointText()
	case "MULTILINESTRING":
		var mls orb.MultiLineString
		err = p.each(func() error {
			ls, err := p.positions(2)
			mls = append(mls, ls)
			return err
		})
		g = mls
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err = p.each(func() error {
			poly, err := p.polygonText()
			mp = append(mp, poly)
			return err
		})
		g = mp
	}
	if err != nil {
		return nil, err
	}
	return &Geometry{Geom: g}, nil
}

// each parses ( item {, item} ).
func (p *parser) each(item func() error) error {
	t := p.peek()
	if t.keyword("Z") || t.keyword("M") || t.keyword("ZM") {
		return unsupported(t.pos, "3D or measured coordinates")
	}
	if t.keyword("EMPTY") {
		return unsupported(t.pos, "EMPTY geometries")
	}
	if _, err := p.expect(tokLParen, "'('"); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		t := p.take()
		if t.kind == tokRParen {
			return nil
		}
		if t.kind != tokComma {
			return p.unexpected(t, "',' or ')' in the geometry")
		}
	}
}

func (p *parser) pointText() (orb.Point, error) {
	var pt orb.Point
	n := 0
	err := p.each(func() error {
		var err error
		if n++; n > 1 {
			return errorf(p.peek().pos, "a POINT has one position")
		}
		pt, err = p.position()
		return err
	})
	return pt, err
}

// positions parses ( x y, x y, ... ) with at least min positions.
func (p *parser) positions(min int) ([]orb.Point, error) {
	start := p.peek().pos
	var pts []orb.Point
	err := p.each(func() error {
		pt, err := p.position()
		pts = append(pts, pt)
		return err
	})
	if err == nil && len(pts) < min {
		return nil, errorf(start, "expected at least %d positions, found %d", min, len(pts))
	}
	return pts, err
}

func (p *parser) polygonText() (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.each(func() error {
		ring, err := p.positions(4)
		poly = append(poly, orb.Ring(ring))
		return err
	})
	return poly, err
}

// multiPointText accepts both MULTIPOINT((1 2), (3 4)) and MULTIPOINT(1 2, 3 4).
func (p *parser) multiPointText() (orb.MultiPoint, error) {
	var mp orb.MultiPoint
	err := p.each(func() error {
		if p.peek().kind == tokLParen {
			pt, err := p.pointText()
			mp = append(mp, pt)
			return err
		}
		pt, err := p.position()
		mp = append(mp, pt)
		return err
	})
	return mp, err
}

func (p *parser) position() (orb.Point, error) {
	var xy [2]float64
	for i := range xy {
		t, err := p.expect(tokNumber, "a coordinate")
		if err != nil {
			return orb.Point{}, err
		}
		n, err := number(t)
		if err != nil {
			return orb.Point{}, err
		}
		xy[i] = n.(*Number).Value
	}
	if t := p.peek(); t.kind == tokNumber {
		return orb.Point{}, unsupported(t.pos, "3D coordinates")
	}
	return orb.Point(xy), nil
}

func (p *parser) box(name token, upper string) (Expr, error) {
	var v []float64
	err := p.each(func() error {
		t, err := p.expect(tokNumber, "a number")
		if err != nil {
			return err
		}
		n, err := number(t)
		if err != nil {
			return err
		}
		v = append(v, n.(*Number).Value)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(v) == 6 {
		return nil, unsupported(name.pos, "3D %s", upper)
	}
	if len(v) != 4 {
		return nil, errorf(name.pos, "%s needs 4 numbers, found %d", upper, len(v))
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	if upper == "ENVELOPE" {
		b = orb.Bound{Min: orb.Point{v[0], v[3]}, Max: orb.Point{v[1], v[2]}}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return nil, errorf(name.pos, "%s: the minimum is above the maximum (boxes across the antimeridian are not supported)", upper)
	}
	return &Geometry{Geom: b}, nil
}
