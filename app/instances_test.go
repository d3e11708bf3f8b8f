package app

import (
	"context"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Three instances schedule the periodic work (the digest, the hourly
// upkeep) each on its own clock tick; it is stored, and so done, once.
func TestPeriodicWorkIsScheduledOnceAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		instances := []*testApp{newTestApp(t, db), newTestApp(t, db), newTestApp(t, db)}
		for range 2 {
			for _, ta := range instances {
				if err := ta.queue.schedule(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, kind := range []string{models.JobDigest, models.JobCleanup} {
			if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs WHERE kind = ?", kind); n != 1 {
				t.Errorf("%d %s jobs after six schedulings by three instances, want 1", n, kind)
			}
		}
		// Each instance works the queue; the upkeep runs once.
		for _, ta := range instances {
			ta.runJobs()
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs WHERE kind = ? AND state = ? AND attempts = 1", models.JobCleanup, models.JobDone); n != 1 {
			t.Errorf("the upkeep ran %d times in one attempt, want once", n)
		}
	})
}
