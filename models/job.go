package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"
)

// The delivery queue: mail, digests, upkeep (and anything else that must
// happen after a change, never be lost, and happen once) are jobs in the
// jobs table, enqueued in the transaction of the change that calls for them.
//
// A job is claimed by counting the attempt and pushing its run_at past a
// lease. Finishing it is fenced by that attempt number, so a worker whose
// lease ran out can no longer overwrite what a later attempt recorded. A
// worker that dies mid-job leaves it to be claimed again when the lease
// runs out: at worst the work is done twice, never lost. On PostgreSQL the
// claim skips rows another instance is claiming (FOR UPDATE SKIP LOCKED);
// SQLite has one writer at a time anyway.

// Job states.
const (
	JobReady  = "ready"  // waiting for run_at, or claimed until run_at
	JobDone   = "done"   // finished
	JobFailed = "failed" // gave up; admins may retry it
)

// Job is one piece of queued work.
type Job struct {
	bun.BaseModel `bun:"table:jobs"`

	ID          int64      `bun:"id,pk,autoincrement"`
	Kind        string     `bun:"kind"`
	Key         string     `bun:"key"`
	Args        string     `bun:"args"`
	State       string     `bun:"state"`
	Attempts    int        `bun:"attempts"`
	MaxAttempts int        `bun:"max_attempts"`
	RunAt       time.Time  `bun:"run_at"`
	LastError   string     `bun:"last_error"`
	CreatedAt   time.Time  `bun:"created_at"`
	FinishedAt  *time.Time `bun:"finished_at"`
}

// Decode unmarshals the job's arguments into v.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal([]byte(j.Args), v); err != nil {
		return fmt.Errorf("job %d (%s) arguments: %w", j.ID, j.Kind, err)
	}
	return nil
}

// NewJob describes work to enqueue.
type NewJob struct {
	Kind        string
	Key         string // names the work; the same key is stored once
	Args        any
	RunAt       time.Time // zero: now
	MaxAttempts int       // zero: DefaultMaxAttempts
}

// DefaultMaxAttempts spreads retries over about a day with RetryDelay.
const DefaultMaxAttempts = 14

// enqueue stores jobs inside the caller's transaction; a job whose key is
// already there (pending, done or failed) is left as it is. It reports how
// many were new.
func enqueue(ctx context.Context, tx bun.IDB, now time.Time, jobs ...NewJob) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	rows := make([]Job, len(jobs))
	for i, nj := range jobs {
		args, err := json.Marshal(nj.Args)
		if err != nil {
			return 0, fmt.Errorf("encode %s job: %w", nj.Kind, err)
		}
		rows[i] = Job{
			Kind: nj.Kind, Key: nj.Key, Args: string(args), State: JobReady,
			MaxAttempts: nj.MaxAttempts, RunAt: nj.RunAt, CreatedAt: now,
		}
		if rows[i].MaxAttempts <= 0 {
			rows[i].MaxAttempts = DefaultMaxAttempts
		}
		if rows[i].RunAt.IsZero() {
			rows[i].RunAt = now
		}
	}
	res, err := tx.NewInsert().Model(&rows).On("CONFLICT (key) DO NOTHING").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", jobs[0].Kind, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Enqueue stores jobs in a transaction of their own (for work that no
// change calls for, such as the daily digest); see enqueue.
func Enqueue(ctx context.Context, db *DB, jobs ...NewJob) (int, error) {
	var n int
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		n, err = enqueue(ctx, tx, db.Now(), jobs...)
		return err
	})
	return n, err
}

// enqueueBatches enqueues many jobs in chunks, so no statement grows past
// what a driver takes in one go.
func enqueueBatches(ctx context.Context, tx bun.IDB, now time.Time, jobs []NewJob) (int, error) {
	total := 0
	for i := 0; i < len(jobs); i += 500 {
		n, err := enqueue(ctx, tx, now, jobs[i:min(i+500, len(jobs))]...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// JobsDue reports whether any job may be claimed now: a cheap read of the
// due index, so idle workers never take the write lock.
func JobsDue(ctx context.Context, db *DB) (bool, error) {
	n, err := db.bun.NewSelect().Table("jobs").
		Where("state = ?", JobReady).Where("run_at <= ?", db.Now()).
		Limit(1).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("jobs due: %w", mapErr(err))
	}
	return n > 0, nil
}

// ClaimJobs claims up to limit due jobs for lease: each comes back with
// its attempt counted, and no other claim gets it until the lease runs out.
func ClaimJobs(ctx context.Context, db *DB, limit int, lease time.Duration) ([]Job, error) {
	now := db.Now()
	due := db.bun.NewSelect().Table("jobs").Column("id").
		Where("state = ?", JobReady).Where("run_at <= ?", now).
		OrderExpr("run_at, id").Limit(int64(limit))
	if db.pg {
		due = due.For("UPDATE SKIP LOCKED")
	}
	var jobs []Job
	err := db.inTx(ctx, func(tx bun.Tx) error {
		return tx.NewUpdate().Model((*Job)(nil)).
			Set("attempts = attempts + 1").
			Set("run_at = ?", now.Add(lease)).
			Where("id IN (?)", due).
			Returning("*").
			Scan(ctx, &jobs)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return jobs, nil
}

// FinishJob records a claimed job as done. It changes nothing (and says
// so) when the claim has lapsed and another attempt has begun.
func FinishJob(ctx context.Context, db *DB, j *Job) (bool, error) {
	res, err := db.bun.NewUpdate().Model((*Job)(nil)).
		Set("state = ?", JobDone).Set("finished_at = ?", db.Now()).Set("last_error = ''").
		Where("id = ?", j.ID).Where("attempts = ?", j.Attempts).Where("state = ?", JobReady).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("finish job %d: %w", j.ID, mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FailJob records a failed attempt: the job is tried again after
// RetryDelay, or, when permanent or out of attempts, marked failed for
// admins to see.
func FailJob(ctx context.Context, db *DB, j *Job, cause error, permanent bool) (bool, error) {
	now := db.Now()
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	q := db.bun.NewUpdate().Model((*Job)(nil)).Set("last_error = ?", msg).
		Where("id = ?", j.ID).Where("attempts = ?", j.Attempts).Where("state = ?", JobReady)
	if permanent || j.Attempts >= j.MaxAttempts {
		q = q.Set("state = ?", JobFailed).Set("finished_at = ?", now)
	} else {
		q = q.Set("run_at = ?", now.Add(RetryDelay(j.Attempts)))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("fail job %d: %w", j.ID, mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RetryDelay is how long to wait after the given failed attempt: about
// 5 seconds after the first, doubling after each one up to six hours, with
// a fifth either way of jitter so that retries from one outage spread out.
func RetryDelay(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// FailedJobs lists the jobs that gave up, newest first.
func FailedJobs(ctx context.Context, db *DB, limit int) ([]Job, error) {
	var jobs []Job
	err := db.bun.NewSelect().Model(&jobs).
		Where("state = ?", JobFailed).
		OrderExpr("finished_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed jobs: %w", mapErr(err))
	}
	return jobs, nil
}

// RetryJob puts a failed job back in the queue, due now, with its attempts
// counted afresh.
func RetryJob(ctx context.Context, db *DB, id int64) error {
	res, err := db.bun.NewUpdate().Model((*Job)(nil)).
		Set("state = ?", JobReady).Set("attempts = 0").Set("run_at = ?", db.Now()).Set("finished_at = NULL").
		Where("id = ?", id).Where("state = ?", JobFailed).Exec(ctx)
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, mapErr(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("retry job %d: %w", id, ErrNotFound)
	}
	return nil
}

// QueueDepth counts the jobs waiting to run (claimed ones included).
func QueueDepth(ctx context.Context, db *DB) (int, error) {
	n, err := db.bun.NewSelect().Table("jobs").Where("state = ?", JobReady).Count(ctx)
	return int(n), mapErr(err)
}

// PurgeJobs deletes jobs that finished before the cutoff (done ones; failed
// ones stay for admins until they are a month old).
func PurgeJobs(ctx context.Context, db *DB, doneBefore time.Time) (int, error) {
	res, err := db.bun.NewDelete().Model((*Job)(nil)).
		WhereGroup(" AND ", func(q *bun.DeleteQuery) *bun.DeleteQuery {
			return q.Where("state = ? AND finished_at < ?", JobDone, doneBefore).
				WhereOr("state = ? AND finished_at < ?", JobFailed, doneBefore.Add(-23*24*time.Hour))
		}).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge jobs: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// FailedJobCount counts the jobs that gave up and wait for an admin.
func FailedJobCount(ctx context.Context, db *DB) (int, error) {
	n, err := db.bun.NewSelect().Table("jobs").Where("state = ?", JobFailed).Count(ctx)
	return int(n), mapErr(err)
}
