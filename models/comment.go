package models

import (
	"time"

	"github.com/uptrace/bun"
)

// Comment is a reply under an idea.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`

	ID        int64      `bun:"id,pk,autoincrement"`
	IdeaID    int64      `bun:"idea_id"`
	AuthorID  int64      `bun:"author_id"`
	Body      string     `bun:"body"`
	BodyHTML  string     `bun:"body_html"`
	IsStaff   bool       `bun:"is_staff"`
	HiddenAt  *time.Time `bun:"hidden_at"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`

	Author *User `bun:"rel:belongs-to,join:author_id=id"`
}
