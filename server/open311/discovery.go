package open311

import "net/http"

// changeset is when this API last changed in a way clients may notice; bump it
// with every such change, as discovery promises.
const changeset = "2026-11-26T00:00:00Z"

// specification is the URL that identifies GeoReport v2 in discovery.
const specification = "http://wiki.open311.org/GeoReport_v2"

type discoveryDoc struct {
	Changeset  string        `json:"changeset" xml:"changeset"`
	Contact    string        `json:"contact" xml:"contact"`
	KeyService string        `json:"key_service" xml:"key_service"`
	Endpoints  []endpointDoc `json:"endpoints" xml:"endpoints>endpoint"`
}

type endpointDoc struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// discovery is GET /open311/v2/discovery.{json,xml}: where the API is and what
// it speaks.
func (h *Handler) discovery(c *call) error {
	writeDoc(c.w, c.format, http.StatusOK, "discovery", discoveryDoc{
		Changeset: changeset, Contact: h.Contact, KeyService: h.KeyService,
		Endpoints: []endpointDoc{{
			Specification: specification,
			URL:           baseURL(c.r) + "/open311/v2/",
			Changeset:     changeset,
			Type:          "production",
			Formats:       []string{"application/json", "text/xml"},
		}},
	})
	return nil
}
