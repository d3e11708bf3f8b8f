package app

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Every /api/v1 route the server registers is in the OpenAPI document with
// its method, and the document names no route the server lacks.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1") {
			t.Errorf("openapi %q", doc.OpenAPI)
		}
		param := regexp.MustCompile(`:([a-z_]+)`)
		served := map[string]bool{}
		for _, r := range ta.fiber.GetRoutes(true) {
			if !strings.HasPrefix(r.Path, apiPrefix+"/") || r.Method == "HEAD" || r.Method == "USE" {
				continue
			}
			key := strings.ToLower(r.Method) + " " + param.ReplaceAllString(r.Path, "{$1}")
			served[key] = true
		}
		documented := map[string]bool{}
		for path, ops := range doc.Paths {
			for m := range ops {
				switch m {
				case "get", "post", "put", "delete", "patch":
					documented[m+" "+path] = true
				}
			}
		}
		var missing, extra []string
		for k := range served {
			if !documented[k] {
				missing = append(missing, k)
			}
		}
		for k := range documented {
			if !served[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 || len(extra) > 0 || len(served) != 15 {
			t.Errorf("%d routes served; undocumented %v; documented but not served %v", len(served), missing, extra)
		}
	})
}
