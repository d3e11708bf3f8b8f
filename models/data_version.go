package models

import (
	"context"
	"fmt"
)

// DataVersion is a number that grows with every committed change to what
// signed-out pages show (ideas, comments, events, boards, statuses, people,
// settings). Triggers bump it in the writing transaction itself, so a page
// rendered after reading version v shows data at least as new as v.
func DataVersion(ctx context.Context, db *DB) (int64, error) {
	var v int64
	if err := db.bun.QueryRowContext(ctx, "SELECT COALESCE(SUM(version), 0) FROM data_versions").Scan(&v); err != nil {
		return 0, fmt.Errorf("data version: %w", mapErr(err))
	}
	return v, nil
}
