package coordsys

import (
	"math"

	"github.com/paulmach/orb"
)

// Parameters of the GCJ-02 algorithm: the Krasovsky 1940 ellipsoid.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
	xPi         = math.Pi * 3000.0 / 180.0
)

// Inverses are solved by fixed-point iteration; the offsets vary by far less
// than a degree per degree, so a handful of steps reaches the tolerance.
const (
	inverseTolerance = 1e-9 // degrees, about 0.1 mm
	inverseMaxSteps  = 30
)

// OutOfChina reports whether p lies outside the rough bounding box in which
// GCJ-02 applies; there the obfuscation is the identity.
func OutOfChina(p orb.Point) bool {
	return p[0] < 72.004 || p[0] > 137.8347 || p[1] < 0.8293 || p[1] > 55.8271
}

// WGS84ToGCJ02 applies the GCJ-02 obfuscation.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	d := gcjDelta(p)
	return orb.Point{p[0] + d[0], p[1] + d[1]}
}

// GCJ02ToWGS84 inverts the obfuscation iteratively. The common one-step
// inverse (subtract the offset computed at the GCJ point) is off by up to a
// few metres, enough to put an issue in the neighbouring grid cell.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return invert(WGS84ToGCJ02, p)
}

// GCJ02ToBD09 applies Baidu's additional rotation and shift.
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Hypot(x, y) + 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*xPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 inverts GCJ02ToBD09, refining Baidu's published approximate
// inverse so that round trips stay well below a metre.
func BD09ToGCJ02(p orb.Point) orb.Point {
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*xPi)
	guess := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	return refine(GCJ02ToBD09, p, guess)
}

// WGS84ToBD09 goes through GCJ-02, as Baidu does.
func WGS84ToBD09(p orb.Point) orb.Point {
	return GCJ02ToBD09(WGS84ToGCJ02(p))
}

// BD09ToWGS84 goes through GCJ-02, as Baidu does.
func BD09ToWGS84(p orb.Point) orb.Point {
	return GCJ02ToWGS84(BD09ToGCJ02(p))
}

// invert solves forward(x) = target starting from the target itself.
func invert(forward func(orb.Point) orb.Point, target orb.Point) orb.Point {
	return refine(forward, target, target)
}

// refine improves guess until forward(guess) is within inverseTolerance of
// target, stopping after inverseMaxSteps in case the box edge of GCJ-02
// (where the offset jumps to zero) makes the iteration oscillate.
func refine(forward func(orb.Point) orb.Point, target, guess orb.Point) orb.Point {
	for range inverseMaxSteps {
		got := forward(guess)
		dx, dy := got[0]-target[0], got[1]-target[1]
		if math.Abs(dx) < inverseTolerance && math.Abs(dy) < inverseTolerance {
			break
		}
		guess = orb.Point{guess[0] - dx, guess[1] - dy}
	}
	return guess
}

// gcjDelta is the GCJ-02 offset (dlon, dlat) in degrees at WGS-84 point p.
func gcjDelta(p orb.Point) orb.Point {
	x, y := p[0]-105.0, p[1]-35.0
	dLat := transformLat(x, y)
	dLon := transformLon(x, y)
	radLat := p[1] / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = dLat * 180.0 / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = dLon * 180.0 / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return orb.Point{dLon, dLat}
}

func transformLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func transformLon(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}
