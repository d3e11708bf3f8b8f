package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// The queue runner works the jobs table (see models/job.go): it claims due
// jobs, runs each with its kind's handler, and records the outcome. Any
// number of instances may run one; the claim keeps each job to one of them
// at a time. Shutting down stops claiming and lets the jobs under way
// finish.

// QueueConfig tunes the runner; the zero value is what the portal uses.
type QueueConfig struct {
	Workers int           // jobs run at once; 4 when 0
	Poll    time.Duration // how often an idle runner looks for due jobs; 500ms when 0
	Lease   time.Duration // how long a claim lasts; 30s when 0
}

// jobHandler does one job. An error is retried later unless permanent.
type jobHandler func(ctx context.Context, j *models.Job) error

// permanentError marks a failure that retrying cannot mend.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error { return permanentError{err} }

type queue struct {
	db       *models.DB
	log      *slog.Logger
	cfg      QueueConfig
	handlers map[string]jobHandler
	wake     chan struct{}
	metrics  *metrics
}

func newQueue(db *models.DB, log *slog.Logger, cfg QueueConfig) *queue {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	return &queue{db: db, log: log, cfg: cfg, handlers: map[string]jobHandler{}, wake: make(chan struct{}, 1)}
}

// handle registers the handler of a kind of job.
func (q *queue) handle(kind string, h jobHandler) { q.handlers[kind] = h }

// nudge asks the runner to look for due jobs now rather than at its next
// poll (a change on this instance has just enqueued some).
func (q *queue) nudge() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run works the queue until ctx is cancelled, then waits for the jobs
// under way. Periodic work (the digest, upkeep) is enqueued by every
// runner under keys that name the period, so it is stored, and done, once.
func (q *queue) run(ctx context.Context) {
	slots := make(chan struct{}, q.cfg.Workers)
	var running sync.WaitGroup
	defer running.Wait()
	var lastSchedule time.Time
	for {
		if time.Since(lastSchedule) > time.Minute {
			if err := q.schedule(ctx); err != nil && ctx.Err() == nil {
				q.log.Warn("schedule periodic jobs", "err", err)
			}
			lastSchedule = time.Now()
		}
		claimed, free, err := q.claim(ctx, slots, &running)
		if err != nil && ctx.Err() == nil {
			q.log.Warn("claim jobs", "err", err)
		}
		if free > 0 && claimed == free {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-time.After(q.cfg.Poll):
		}
	}
}

// claim takes as many due jobs as there are free slots and starts them.
func (q *queue) claim(ctx context.Context, slots chan struct{}, running *sync.WaitGroup) (claimed, free int, err error) {
	free = cap(slots) - len(slots)
	if free == 0 || ctx.Err() != nil {
		return 0, free, nil
	}
	due, err := models.JobsDue(ctx, q.db)
	if err != nil || !due {
		return 0, free, err
	}
	jobs, err := models.ClaimJobs(ctx, q.db, free, q.cfg.Lease)
	if err != nil {
		return 0, free, err
	}
	for i := range jobs {
		slots <- struct{}{}
		running.Add(1)
		go func(j *models.Job) {
			defer running.Done()
			defer func() { <-slots; q.nudge() }()
			// The job runs to its end even while the process shuts down,
			// within its lease, after which another claim may take it.
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.cfg.Lease-time.Second)
			defer cancel()
			q.work(jctx, j)
		}(&jobs[i])
	}
	return len(jobs), free, nil
}

// work runs one claimed job and records how it went.
func (q *queue) work(ctx context.Context, j *models.Job) {
	h, ok := q.handlers[j.Kind]
	var err error
	if !ok {
		err = permanent(fmt.Errorf("no handler for jobs of kind %q", j.Kind))
	} else {
		err = safely(ctx, h, j)
	}
	if err == nil {
		q.metrics.jobDone(j.Kind, "done")
		if _, ferr := models.FinishJob(ctx, q.db, j); ferr != nil {
			q.log.Error("record finished job", "job", j.ID, "kind", j.Kind, "err", ferr)
		}
		return
	}
	var pe permanentError
	perm := errors.As(err, &pe)
	level, outcome := slog.LevelWarn, "retry"
	if perm || j.Attempts >= j.MaxAttempts {
		level, outcome = slog.LevelError, "failed"
	}
	q.metrics.jobDone(j.Kind, outcome)
	q.log.Log(ctx, level, "job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "permanent", perm, "err", err)
	if _, ferr := models.FailJob(ctx, q.db, j, err, perm); ferr != nil {
		q.log.Error("record failed job", "job", j.ID, "kind", j.Kind, "err", ferr)
	}
}

// safely runs a handler, turning a panic into a failed attempt.
func safely(ctx context.Context, h jobHandler, j *models.Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job panicked: %v", r)
		}
	}()
	return h(ctx, j)
}

// schedule enqueues the periodic jobs: tomorrow's digest of new ideas, due
// each morning at 08:00 UTC, and this hour's upkeep.
func (q *queue) schedule(ctx context.Context) error {
	now := q.db.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	digestAt := day.Add(8 * time.Hour)
	if !now.Before(digestAt) {
		day, digestAt = day.Add(24*time.Hour), digestAt.Add(24*time.Hour)
	}
	hour := now.Truncate(time.Hour)
	_, err := models.Enqueue(ctx, q.db,
		models.NewJob{Kind: models.JobDigest, Key: "digest:" + day.Format(time.DateOnly), Args: models.DigestArgs{Day: day}, RunAt: digestAt},
		models.NewJob{Kind: models.JobCleanup, Key: "cleanup:" + strconv.FormatInt(hour.Unix(), 10), Args: struct{}{}, RunAt: hour, MaxAttempts: 3},
	)
	return err
}

// RunDueJobs works every job that is due now, one after another, and
// returns when none is left: the queue's work without its timing, for
// commands and tests that want it done now.
func (a *App) RunDueJobs(ctx context.Context) error {
	for {
		jobs, err := models.ClaimJobs(ctx, a.db, 1, a.queue.cfg.Lease)
		if err != nil || len(jobs) == 0 {
			return err
		}
		a.queue.work(ctx, &jobs[0])
	}
}
