package models

import (
	"time"

	"github.com/uptrace/bun"
)

// Vote is one person's support for one idea.
type Vote struct {
	bun.BaseModel `bun:"table:votes"`

	IdeaID    int64     `bun:"idea_id,pk"`
	UserID    int64     `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at"`
}

// Subscription is a user following an idea.
type Subscription struct {
	bun.BaseModel `bun:"table:subscriptions"`

	IdeaID    int64     `bun:"idea_id,pk"`
	UserID    int64     `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at"`
}
