package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// fiderFixture is a small Fider backup written from Fider's public schema:
// one JSON array per table, rows keyed by column name, numbers for
// statuses and roles, as its admin export writes them.
func fiderFixture() map[string]any {
	at := func(day int) string { return time.Date(2024, 3, day, 10, 0, 0, 0, time.UTC).Format(time.RFC3339Nano) }
	return map[string]any{
		"tenants.json": []any{map[string]any{"id": 1, "name": "Acme", "subdomain": "acme"}},
		"users.json": []any{
			map[string]any{"id": 1, "tenant_id": 1, "name": "Ann Admin", "email": "ann@example.com", "role": 3, "status": 1, "created_at": at(1), "avatar_type": 1, "api_key": nil},
			map[string]any{"id": 2, "tenant_id": 1, "name": "Bob", "email": "BOB@example.com", "role": 1, "status": 1, "created_at": at(1)},
			map[string]any{"id": 3, "tenant_id": 1, "name": "Carol", "email": "", "role": 1, "status": 1, "created_at": at(2)},
			map[string]any{"id": 4, "tenant_id": 1, "name": "", "email": "", "role": 1, "status": 2, "created_at": at(2)},
			map[string]any{"id": 5, "tenant_id": 1, "name": "Dan", "email": "dan@example.com", "role": 1, "status": 3, "created_at": at(3)},
		},
		"user_providers.json": []any{
			map[string]any{"user_id": 3, "tenant_id": 1, "provider": "_acme", "provider_uid": "acme-42", "created_at": at(2)},
			map[string]any{"user_id": 1, "tenant_id": 1, "provider": "google", "provider_uid": 1234567, "created_at": at(1)},
		},
		"tags.json": []any{
			map[string]any{"id": 11, "tenant_id": 1, "name": "Billing", "slug": "billing", "color": "0000FF", "is_public": true, "created_at": at(1)},
			map[string]any{"id": 10, "tenant_id": 1, "name": "Mobile", "slug": "mobile", "color": "FF0000", "is_public": true, "created_at": at(1)},
			map[string]any{"id": 12, "tenant_id": 1, "name": "Internal", "slug": "internal", "color": "000000", "is_public": false, "created_at": at(1)},
		},
		"post_tags.json": []any{
			map[string]any{"post_id": 100, "tag_id": 11, "tenant_id": 1, "created_at": at(4), "created_by_id": 1},
			map[string]any{"post_id": 100, "tag_id": 10, "tenant_id": 1, "created_at": at(4), "created_by_id": 1},
			map[string]any{"post_id": 100, "tag_id": 12, "tenant_id": 1, "created_at": at(4), "created_by_id": 1},
			map[string]any{"post_id": 101, "tag_id": 12, "tenant_id": 1, "created_at": at(4), "created_by_id": 1},
			map[string]any{"post_id": 102, "tag_id": 11, "tenant_id": 1, "created_at": at(4), "created_by_id": 1},
		},
		"posts.json": []any{
			map[string]any{"id": 100, "tenant_id": 1, "number": 1, "title": "Dark mode", "slug": "dark-mode", "user_id": 3, "status": 1, "created_at": at(4),
				"description": "Please, @[Bob] agrees.\n\n![shot](fider-image:attachments/abc-screen.png)",
				"response":    "Working on it", "response_user_id": 1, "response_date": at(6), "original_id": nil, "is_approved": true},
			// Fider's export writes text that looks like a number as a number.
			map[string]any{"id": 101, "tenant_id": 1, "number": 2, "title": 2024, "slug": "2024", "description": "Calendar", "user_id": 2, "status": 2,
				"created_at": at(5), "response": "Shipped", "response_user_id": 1, "response_date": at(9), "original_id": nil, "is_approved": nil},
			map[string]any{"id": 102, "tenant_id": 1, "number": 3, "title": "Invoices as PDF", "slug": "invoices-as-pdf", "description": "", "user_id": 4, "status": 0,
				"created_at": at(5), "response": nil, "response_user_id": nil, "response_date": nil, "original_id": nil},
			map[string]any{"id": 103, "tenant_id": 1, "number": 4, "title": "Spam spam", "slug": "spam-spam", "description": "buy", "user_id": 5, "status": 6,
				"created_at": at(6), "response": "Removed", "response_user_id": 1, "response_date": at(7), "original_id": nil},
			map[string]any{"id": 104, "tenant_id": 1, "number": 5, "title": "Night theme", "slug": "night-theme", "description": "", "user_id": 1, "status": 5,
				"created_at": at(7), "response": "", "response_user_id": 1, "response_date": at(8), "original_id": 100},
			map[string]any{"id": 105, "tenant_id": 1, "number": 6, "title": "Export to CSV", "slug": "export-to-csv", "description": "Please", "user_id": 2, "status": 4,
				"created_at": at(7), "response": "Next quarter", "response_user_id": 1, "response_date": at(8), "original_id": nil},
		},
		"post_votes.json": []any{
			vote(100, 1, at(4)), vote(100, 2, at(5)), vote(100, 3, at(5)),
			vote(101, 2, at(6)), vote(101, 5, at(6)),
			vote(103, 1, at(6)),
			vote(104, 3, at(7)),
			vote(105, 1, at(8)), vote(105, 2, at(8)), vote(105, 3, at(8)), vote(105, 4, at(9)),
			vote(999, 1, at(9)), // a post the backup does not hold
		},
		"comments.json": []any{
			map[string]any{"id": 200, "tenant_id": 1, "post_id": 100, "user_id": 2, "content": "Thanks @[Ann Admin]", "created_at": at(6), "edited_at": nil, "deleted_at": nil},
			map[string]any{"id": 201, "tenant_id": 1, "post_id": 100, "user_id": 1, "content": "We are on it", "created_at": at(7), "edited_at": at(8), "deleted_at": nil},
			map[string]any{"id": 202, "tenant_id": 1, "post_id": 101, "user_id": 3, "content": "rude words", "created_at": at(8), "deleted_at": at(9), "deleted_by_id": 1},
			map[string]any{"id": 203, "tenant_id": 1, "post_id": 105, "user_id": 2, "content": 12345, "created_at": at(9)},
			map[string]any{"id": 204, "tenant_id": 1, "post_id": 999, "user_id": 2, "content": "lost", "created_at": at(9)},
		},
		"attachments.json":                 []any{},
		"notifications.json":               []any{},
		"email_verifications.json":         []any{},
		"blobs/attachments/abc-screen.png": "\x89PNG fake",
	}
}

func vote(post, user int, at string) map[string]any {
	return map[string]any{"post_id": post, "user_id": user, "tenant_id": 1, "created_at": at}
}

// writeZip writes the members: strings as they are, anything else as JSON.
func writeZip(t *testing.T, members map[string]any) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, v := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := v.(string)
		if !ok {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		if _, err := w.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "backup.zip")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// openURL opens a database the command line wrote.
func openURL(t *testing.T, dbURL string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), dbURL, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// tableCounts is the number of rows of every table an import writes.
func tableCounts(t *testing.T, db *models.DB) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, table := range []string{"users", "identities", "boards", "ideas", "votes", "comments", "events", "subscriptions", "import_keys", "jobs", "notifications"} {
		m[table] = dbtest.Count(t, db, "SELECT count(*) FROM "+table)
	}
	return m
}
