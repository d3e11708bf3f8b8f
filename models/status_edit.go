package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// StatusInput is the status form as typed.
type StatusInput struct {
	Name, Color, Category, Position string
	OnRoadmap                       bool
}

// StatusSlug is a new status's slug: its name in lower case with spaces as
// underscores.
func StatusSlug(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.Join(strings.Fields(name), " ")), " ", "_")
}

func (in StatusInput) validate() (*Status, error) {
	v := &ValidationError{}
	s := &Status{Name: strings.Join(strings.Fields(in.Name), " "), Color: strings.ToLower(strings.TrimSpace(in.Color)),
		Category: in.Category, OnRoadmap: in.OnRoadmap}
	switch n := utf8.RuneCountInString(s.Name); {
	case n == 0:
		v.Add("name", "Give the status a name.")
	case n > 40:
		v.Add("name", "Keep the name to 40 characters or fewer.")
	case len(StatusSlug(s.Name)) > 50:
		v.Add("name", "Keep the name shorter.")
	}
	if len(s.Color) == 4 && s.Color[0] == '#' {
		s.Color = "#" + string([]byte{s.Color[1], s.Color[1], s.Color[2], s.Color[2], s.Color[3], s.Color[3]})
	}
	if _, ok := parseHex(s.Color); !ok {
		v.Add("color", "Give the colour as #rrggbb, for example #64748b.")
	}
	switch s.Category {
	case CategoryOpen, CategoryActive, CategoryDone, CategoryClosed:
	default:
		v.Add("category", "Choose open, active, done or closed.")
	}
	if p := strings.TrimSpace(in.Position); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 10000 {
			v.Add("position", "Give the position as a whole number from 0 to 10000.")
		}
		s.Position = n
	}
	if len(v.Fields) > 0 {
		return nil, v
	}
	return s, nil
}

// CreateStatus adds a status; its slug comes from its name.
func CreateStatus(ctx context.Context, db *DB, in StatusInput, admin *User) (*Status, error) {
	if !admin.IsAdmin() {
		return nil, fmt.Errorf("create status: %w", ErrForbidden)
	}
	s, err := in.validate()
	if err != nil {
		return nil, err
	}
	s.Slug = StatusSlug(s.Name)
	err = db.inTx(ctx, func(tx bun.Tx) error {
		taken, err := tx.NewSelect().Model((*Status)(nil)).Where("slug = ?", s.Slug).Exists(ctx)
		if err != nil {
			return err
		}
		if taken {
			v := &ValidationError{}
			v.Add("name", fmt.Sprintf("A status called %q already exists.", s.Slug))
			return v
		}
		if strings.TrimSpace(in.Position) == "" {
			if err := tx.NewSelect().Model((*Status)(nil)).ColumnExpr("COALESCE(MAX(position), 0) + 1").Scan(ctx, &s.Position); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(s).Exec(ctx); err != nil {
			return fmt.Errorf("insert status: %w", mapErr(err))
		}
		return recordAudit(ctx, tx, db.Now(), EventStatusCreated, admin.ID, "Status "+s.Slug, describeStatus(s))
	})
	if err != nil {
		return nil, fmt.Errorf("create status: %w", err)
	}
	return s, nil
}

func describeStatus(s *Status) string {
	road := "off the roadmap"
	if s.OnRoadmap {
		road = "on the roadmap"
	}
	return fmt.Sprintf("%s, %s, %s, %s, position %d", s.Name, s.Color, s.Category, road, s.Position)
}

// UpdateStatus renames, recolours, re-categorises or moves a status; its
// slug stays, so links and feeds keep working.
func UpdateStatus(ctx context.Context, db *DB, slug string, in StatusInput, admin *User) (*Status, error) {
	if !admin.IsAdmin() {
		return nil, fmt.Errorf("update status: %w", ErrForbidden)
	}
	s, err := in.validate()
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx bun.Tx) error {
		prev := new(Status)
		if err := tx.NewSelect().Model(prev).Where("slug = ?", slug).Scan(ctx); err != nil {
			return mapErr(err)
		}
		s.ID, s.Slug = prev.ID, prev.Slug
		if strings.TrimSpace(in.Position) == "" {
			s.Position = prev.Position
		}
		if prev.Category == CategoryOpen && s.Category != CategoryOpen {
			if err := keepOneOpen(ctx, tx, prev.ID); err != nil {
				return err
			}
		}
		if *prev == *s {
			return nil
		}
		if _, err := tx.NewUpdate().Model(s).WherePK().Column("name", "color", "category", "on_roadmap", "position").Exec(ctx); err != nil {
			return fmt.Errorf("update status: %w", mapErr(err))
		}
		return recordAudit(ctx, tx, db.Now(), EventStatusUpdated, admin.ID, "Status "+s.Slug, describeStatus(prev)+" → "+describeStatus(s))
	})
	if err != nil {
		return nil, fmt.Errorf("update status %q: %w", slug, err)
	}
	return s, nil
}

// keepOneOpen refuses to let the status with id stop being an open one
// when it is the last: new ideas start in the first open status.
func keepOneOpen(ctx context.Context, tx bun.IDB, id int64) error {
	others, err := tx.NewSelect().Model((*Status)(nil)).Where("category = ?", CategoryOpen).Where("id <> ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !others {
		v := &ValidationError{}
		v.Add("category", "New ideas start in an open status, and this is the last one. Add another open status first.")
		return v
	}
	return nil
}

// MergeStatus moves every idea in the status named slug to the status
// named into and removes the first, in one transaction. It answers how
// many ideas moved.
func MergeStatus(ctx context.Context, db *DB, slug, into string, admin *User) (int, error) {
	if !admin.IsAdmin() {
		return 0, fmt.Errorf("merge status: %w", ErrForbidden)
	}
	var moved int64
	err := db.inTx(ctx, func(tx bun.Tx) error {
		from, to := new(Status), new(Status)
		if err := tx.NewSelect().Model(from).Where("slug = ?", slug).Scan(ctx); err != nil {
			return mapErr(err)
		}
		v := &ValidationError{}
		if into == slug {
			v.Add("into", "Choose another status to merge this one into.")
			return v
		}
		if err := tx.NewSelect().Model(to).Where("slug = ?", into).Scan(ctx); err != nil {
			if mapErr(err) == ErrNotFound {
				v.Add("into", "Choose one of the statuses listed.")
				return v
			}
			return err
		}
		if from.Category == CategoryOpen && to.Category != CategoryOpen {
			if err := keepOneOpen(ctx, tx, from.ID); err != nil {
				ve := err.(*ValidationError)
				return &ValidationError{Fields: map[string]string{"into": ve.Fields["category"]}}
			}
		}
		now := db.Now()
		r, err := tx.NewUpdate().Table("ideas").Set("status_id = ?", to.ID).Set("updated_at = ?", now).
			Where("status_id = ?", from.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("move ideas: %w", err)
		}
		moved, _ = r.RowsAffected()
		if _, err := tx.NewDelete().Model(from).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("remove status: %w", mapErr(err))
		}
		return recordAudit(ctx, tx, now, EventStatusMerged, admin.ID, "Status "+from.Slug,
			fmt.Sprintf("Merged into %s: %d %s moved", to.Slug, moved, plural(int(moved), "idea", "ideas")))
	})
	if err != nil {
		return 0, fmt.Errorf("merge status %q: %w", slug, err)
	}
	return int(moved), nil
}
