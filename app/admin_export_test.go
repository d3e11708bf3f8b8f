package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestAdminsDownloadTheExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		p := dbtest.People(t, db)
		dbtest.PostIdea(t, db, p.Ann, "Take my data with me", "")
		admin := ta.client()
		admin.signInAs(p.Admin)
		resp := admin.get("/admin/export")
		doc := wantStatus(t, resp, http.StatusOK)
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="cluetrain-portal.test-`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var parsed struct {
			Format string            `json:"format"`
			Ideas  []json.RawMessage `json:"ideas"`
			Users  []json.RawMessage `json:"users"`
		}
		if err := json.Unmarshal([]byte(doc), &parsed); err != nil || parsed.Format != "cluetrain" || len(parsed.Ideas) != 1 || len(parsed.Users) != 4 {
			t.Fatalf("download: %v %+v", err, parsed)
		}
		// Staff and members may not; visitors are asked to sign in.
		for _, u := range []*models.User{p.Staff, p.Ann} {
			c := ta.client()
			c.signInAs(u)
			wantStatus(t, c.get("/admin/export"), http.StatusForbidden)
		}
		wantStatus(t, ta.client().get("/admin/export"), http.StatusSeeOther)
	})
}
