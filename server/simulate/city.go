package simulate

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/paulmach/orb/geojson"
)

// LoadCity reads what the plan draws from through the server's APIs, as the
// dispatcher: the categories (and Open311's required attributes), the
// inspection points, the smart parking lots and the field indicators. Every
// list is sorted by code, so that a seed plans the same day on the same city.
func (r *Runner) LoadCity(ctx context.Context) (City, error) {
	r.defaults()
	var c City
	var err error
	if c.Categories, err = r.categories(ctx); err != nil {
		return c, fmt.Errorf("categories: %w", err)
	}
	if c.Places, err = r.places(ctx); err != nil {
		return c, fmt.Errorf("points: %w", err)
	}
	if c.Zones, err = r.zones(ctx); err != nil {
		return c, fmt.Errorf("parking: %w", err)
	}
	if c.Indicators, err = r.indicators(ctx); err != nil {
		return c, fmt.Errorf("indicators: %w", err)
	}
	return c, nil
}

func (r *Runner) categories(ctx context.Context) ([]Category, error) {
	var list struct {
		Categories []struct {
			Code   string
			NameZH string `json:"name_zh"`
		}
	}
	if err := r.get(ctx, "/api/v1/categories", r.Tokens.Dispatcher, &list); err != nil {
		return nil, err
	}
	var services []service
	key := "?api_key=" + url.QueryEscape(r.Tokens.Hotline311)
	if err := r.get(ctx, "/open311/v2/services.json"+key, "", &services); err != nil {
		return nil, err
	}
	out := make([]Category, 0, len(list.Categories))
	for _, lc := range list.Categories {
		c := Category{Code: lc.Code, Name: lc.NameZH}
		i := slices.IndexFunc(services, func(s service) bool { return s.Code == lc.Code })
		if i >= 0 && services[i].Metadata {
			var err error
			if c.Required, err = r.required(ctx, lc.Code, key); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Category) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

// service is an Open311 service as the list shows it.
type service struct {
	Code     string `json:"service_code"`
	Metadata bool   `json:"metadata"`
}

// required reads the required list attributes of a service and their values.
func (r *Runner) required(ctx context.Context, code, key string) (map[string][]string, error) {
	var def struct {
		Attributes []struct {
			Code     string
			Required bool
			Values   []struct{ Key string }
		}
	}
	if err := r.get(ctx, "/open311/v2/services/"+url.PathEscape(code)+".json"+key, "", &def); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, a := range def.Attributes {
		if !a.Required {
			continue
		}
		for _, v := range a.Values {
			out[a.Code] = append(out[a.Code], v.Key)
		}
	}
	return out, nil
}

// features reads a whole OGC collection.
func (r *Runner) features(ctx context.Context, collection string) ([]*geojson.Feature, error) {
	body, err := r.call(ctx, "GET", "/ogc/collections/"+collection+"/items?limit=10000", r.Tokens.Dispatcher, "", nil)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		return nil, err
	}
	return fc.Features, nil
}

func (r *Runner) places(ctx context.Context) ([]Place, error) {
	fs, err := r.features(ctx, "points")
	if err != nil {
		return nil, err
	}
	out := make([]Place, 0, len(fs))
	for _, f := range fs {
		if f.Geometry == nil {
			continue
		}
		at := f.Geometry.Bound().Center()
		out = append(out, Place{Code: f.Properties.MustString("code", ""), Name: f.Properties.MustString("name", ""),
			Category: f.Properties.MustString("category", ""), Lon: at[0], Lat: at[1]})
	}
	slices.SortFunc(out, func(a, b Place) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

func (r *Runner) zones(ctx context.Context) ([]Zone, error) {
	fs, err := r.features(ctx, "parking")
	if err != nil {
		return nil, err
	}
	var out []Zone
	for _, f := range fs {
		if f.Properties.MustString("kind", "") == "smart" {
			out = append(out, Zone{Code: f.Properties.MustString("code", ""), Capacity: f.Properties.MustInt("capacity", 0)})
		}
	}
	slices.SortFunc(out, func(a, b Zone) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

// indicator is a node of the catalogue tree.
type indicator struct {
	Code            string
	Name            string
	MaxPoints       *float64 `json:"max_points"`
	PointCategories []string `json:"point_categories"`
	Children        []indicator
}

func (r *Runner) indicators(ctx context.Context) ([]Indicator, error) {
	var tree struct{ Indicators []indicator }
	if err := r.get(ctx, "/api/v1/indicators?kind=field", r.Tokens.Dispatcher, &tree); err != nil {
		return nil, err
	}
	var out []Indicator
	var walk func([]indicator)
	walk = func(ns []indicator) {
		for _, n := range ns {
			if len(n.Children) > 0 {
				walk(n.Children)
			} else if n.MaxPoints != nil && *n.MaxPoints > 0 && len(n.PointCategories) > 0 {
				out = append(out, Indicator{Code: n.Code, Name: n.Name, MaxPoints: *n.MaxPoints, Categories: n.PointCategories})
			}
		}
	}
	walk(tree.Indicators)
	slices.SortFunc(out, func(a, b Indicator) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

func (r *Runner) get(ctx context.Context, path, token string, out any) error {
	body, err := r.call(ctx, "GET", path, token, "", nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, out)
}
