package tiles_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A small decoder of Mapbox Vector Tiles (the vector_tile.proto of the MVT 2.1
// specification) for the tests: layers, features with their ids, properties
// and geometry types, and the positions of point features. The server never
// decodes tiles; PostGIS encodes them.

type mvtLayer struct {
	name     string
	extent   uint64
	features []mvtFeature
}

type mvtFeature struct {
	id     uint64
	hasID  bool
	typ    uint64 // 1 point, 2 line string, 3 polygon
	props  map[string]any
	points [][2]int64 // the MoveTo positions of a point feature
}

// protoReader walks the fields of one protobuf message.
type protoReader struct {
	b   []byte
	err error
}

func (r *protoReader) varint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// next returns the next field's number, wire type and, for length-delimited
// and fixed fields, its bytes; ok is false at the end or on an error.
func (r *protoReader) next() (field, wire uint64, data []byte, val uint64, ok bool) {
	if len(r.b) == 0 || r.err != nil {
		return 0, 0, nil, 0, false
	}
	key := r.varint()
	field, wire = key>>3, key&7
	switch wire {
	case 0:
		val = r.varint()
	case 1, 5:
		n := 8
		if wire == 5 {
			n = 4
		}
		if len(r.b) < n {
			r.err = errors.New("short fixed field")
			return 0, 0, nil, 0, false
		}
		data, r.b = r.b[:n], r.b[n:]
	case 2:
		n := r.varint()
		if uint64(len(r.b)) < n {
			r.err = errors.New("short length-delimited field")
			return 0, 0, nil, 0, false
		}
		data, r.b = r.b[:n], r.b[n:]
	default:
		r.err = fmt.Errorf("unsupported wire type %d", wire)
		return 0, 0, nil, 0, false
	}
	return field, wire, data, val, r.err == nil
}

func packed(b []byte) []uint64 {
	r := protoReader{b: b}
	var out []uint64
	for len(r.b) > 0 && r.err == nil {
		out = append(out, r.varint())
	}
	return out
}

func unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// decodeMVT decodes a whole tile into its layers by name.
func decodeMVT(b []byte) (map[string]mvtLayer, error) {
	out := map[string]mvtLayer{}
	r := protoReader{b: b}
	for {
		field, _, data, _, ok := r.next()
		if !ok {
			break
		}
		if field != 3 {
			continue
		}
		l, err := decodeLayer(data)
		if err != nil {
			return nil, err
		}
		out[l.name] = l
	}
	return out, r.err
}

func decodeLayer(b []byte) (mvtLayer, error) {
	var l mvtLayer
	var keys []string
	var values []any
	var raw [][]byte
	r := protoReader{b: b}
	for {
		field, _, data, val, ok := r.next()
		if !ok {
			break
		}
		switch field {
		case 1:
			l.name = string(data)
		case 2:
			raw = append(raw, data)
		case 3:
			keys = append(keys, string(data))
		case 4:
			values = append(values, decodeValue(data))
		case 5:
			l.extent = val
		}
	}
	for _, fb := range raw {
		f, err := decodeFeature(fb, keys, values)
		if err != nil {
			return l, err
		}
		l.features = append(l.features, f)
	}
	return l, r.err
}

func decodeValue(b []byte) any {
	r := protoReader{b: b}
	field, _, data, val, ok := r.next()
	if !ok {
		return nil
	}
	switch field {
	case 1:
		return string(data)
	case 2:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(data)))
	case 3:
		return math.Float64frombits(binary.LittleEndian.Uint64(data))
	case 4:
		return float64(int64(val))
	case 5:
		return float64(val)
	case 6:
		return float64(unzigzag(val))
	case 7:
		return val != 0
	}
	return nil
}

func decodeFeature(b []byte, keys []string, values []any) (mvtFeature, error) {
	f := mvtFeature{props: map[string]any{}}
	r := protoReader{b: b}
	var geom []uint64
	for {
		field, _, data, val, ok := r.next()
		if !ok {
			break
		}
		switch field {
		case 1:
			f.id, f.hasID = val, true
		case 2:
			tags := packed(data)
			for i := 0; i+1 < len(tags); i += 2 {
				if tags[i] >= uint64(len(keys)) || tags[i+1] >= uint64(len(values)) {
					return f, errors.New("tag out of range")
				}
				f.props[keys[tags[i]]] = values[tags[i+1]]
			}
		case 3:
			f.typ = val
		case 4:
			geom = packed(data)
		}
	}
	if f.typ == 1 {
		f.points = movePoints(geom)
	}
	return f, r.err
}

// movePoints reads the MoveTo commands of a point geometry.
func movePoints(cmds []uint64) [][2]int64 {
	var out [][2]int64
	var x, y int64
	for i := 0; i < len(cmds); {
		id, count := cmds[i]&7, int(cmds[i]>>3)
		i++
		if id != 1 {
			break
		}
		for range count {
			if i+1 >= len(cmds) {
				return out
			}
			x += unzigzag(cmds[i])
			y += unzigzag(cmds[i+1])
			i += 2
			out = append(out, [2]int64{x, y})
		}
	}
	return out
}
