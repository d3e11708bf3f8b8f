// Package migrations holds the numbered schema migrations, embedded in the
// binary. One set of files serves SQLite and PostgreSQL: SQL files are
// rendered as Go templates with TemplateData before they run.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// All is the ordered set of migrations.
var All = migrate.NewMigrations()

func init() {
	if err := All.Discover(files); err != nil {
		panic(err)
	}
}

// TemplateData is what the SQL templates may ask about the dialect.
type TemplateData struct {
	PG bool
}
