package open311

import (
	"context"
	"fmt"
	"net/http"

	"citymap/server/store"
)

// service is one entry of GET services: an issue category.
type service struct {
	Code        string `json:"service_code" xml:"service_code"`
	Name        string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

// definition is GET services/{code}: the attributes a request may carry.
type definition struct {
	Code       string      `json:"service_code" xml:"service_code"`
	Attributes []attribute `json:"attributes" xml:"attributes>attribute"`
}

type attribute struct {
	Variable            bool        `json:"variable" xml:"variable"`
	Code                string      `json:"code" xml:"code"`
	Datatype            string      `json:"datatype" xml:"datatype"`
	Required            bool        `json:"required" xml:"required"`
	DatatypeDescription opt[string] `json:"datatype_description" xml:"datatype_description"`
	Order               int         `json:"order" xml:"order"`
	Description         string      `json:"description" xml:"description"`
	Values              []value     `json:"values,omitempty" xml:"values>value"`
}

type value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// catalog is the categories by code and the unit names by code.
type catalog struct {
	categories map[string]store.IssueCategory
	order      []string // category codes in the store's order
	units      map[string]string
}

func (h *Handler) catalog(ctx context.Context) (catalog, error) {
	cats, err := h.store.IssueCategories(ctx)
	if err != nil {
		return catalog{}, err
	}
	units, err := h.store.ResponsibleUnits(ctx)
	if err != nil {
		return catalog{}, err
	}
	c := catalog{categories: map[string]store.IssueCategory{}, units: map[string]string{}}
	for _, cat := range cats {
		c.categories[cat.Code] = cat
		c.order = append(c.order, cat.Code)
	}
	for _, u := range units {
		c.units[u.Code] = u.Name
	}
	return c, nil
}

// unitName is the name of the category's default unit; nil means the street
// office of the location.
func (c catalog) unitName(cat store.IssueCategory) *string {
	if cat.Unit == nil {
		return nil
	}
	if name, ok := c.units[*cat.Unit]; ok {
		return &name
	}
	return cat.Unit
}

// services is GET /open311/v2/services.{json,xml}.
func (h *Handler) services(c *call) error {
	cl, err := h.catalog(c.r.Context())
	if err != nil {
		return err
	}
	out := make([]service, 0, len(cl.order))
	for _, code := range cl.order {
		out = append(out, c.lang.service(cl.categories[code], cl.unitName(cl.categories[code])))
	}
	writeList(c.w, c.format, http.StatusOK, "services", "service", out)
	return nil
}

// service describes a category in language l; unit is its default unit's name.
func (l lang) service(cat store.IssueCategory, unit *string) service {
	group := l.pick("事件", "event")
	if cat.Class == "component" {
		group = l.pick("部件", "component")
	}
	keywords := extras[cat.Code].keywords
	if keywords == "" {
		keywords = cat.NameZH + "," + cat.NameEN
	}
	return service{
		Code:        cat.Code,
		Name:        l.pick(cat.NameZH, cat.NameEN),
		Description: l.pick(cat.NameZH+"。", cat.NameEN+". ") + l.notice(cat.DeadlineAmount, cat.DeadlineUnit, unit),
		Metadata:    len(attributes(cat.Code)) > 0,
		Type:        "realtime",
		Keywords:    keywords,
		Group:       group,
	}
}

// notice states the category's deadline and who handles it: the service notice
// of every request, and part of the service's description.
func (l lang) notice(amount int, limitUnit string, unit *string) string {
	zh, en := fmt.Sprintf("%d 小时", amount), fmt.Sprintf("%d hours", amount)
	switch limitUnit {
	case store.LimitHours:
		zh, en = fmt.Sprintf("%d 个工作小时", amount), fmt.Sprintf("%d working hours", amount)
	case store.LimitWorkdays:
		zh, en = fmt.Sprintf("%d 个工作日", amount), fmt.Sprintf("%d working days", amount)
	}
	if unit == nil {
		return l.pick("处置时限 "+zh+"，由所在街道（镇）办事处处置。",
			"Handled within "+en+" by the street office of the location.")
	}
	return l.pick(fmt.Sprintf("处置时限 %s，责任单位：%s。", zh, *unit),
		fmt.Sprintf("Handled within %s by %s.", en, *unit))
}

// serviceDefinition is GET /open311/v2/services/{code}.{json,xml}.
func (h *Handler) serviceDefinition(c *call) error {
	cl, err := h.catalog(c.r.Context())
	if err != nil {
		return err
	}
	if _, ok := cl.categories[c.name]; !ok {
		return fail(http.StatusNotFound, "service_code %q not found", c.name)
	}
	d := definition{Code: c.name, Attributes: []attribute{}}
	for i, a := range attributes(c.name) {
		d.Attributes = append(d.Attributes, c.lang.attribute(a, i+1))
	}
	writeDoc(c.w, c.format, http.StatusOK, "service_definition", d)
	return nil
}

// attribute renders a definition in language l.
func (l lang) attribute(a attrDef, order int) attribute {
	out := attribute{Variable: true, Code: a.code, Datatype: a.datatype, Required: a.required,
		DatatypeDescription: optString(l.pick(a.hintZH, a.hintEN)), Order: order,
		Description: l.pick(a.zh, a.en)}
	for _, ch := range a.choices {
		out.Values = append(out.Values, value{Key: ch.key, Name: l.pick(ch.zh, ch.en)})
	}
	return out
}
