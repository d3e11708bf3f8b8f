package models

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrNotFound is returned when a row does not exist (or may not be seen).
	ErrNotFound = errors.New("not found")
	// ErrBusy is returned when the database is momentarily too busy to write;
	// callers should ask the client to retry.
	ErrBusy = errors.New("database busy")
	// ErrConflict is returned when a unique rule would be broken.
	ErrConflict = errors.New("conflict")
	// ErrForbidden is returned when the actor may not do the thing.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable is returned when the database cannot be reached.
	ErrUnavailable = errors.New("database unavailable")
)

// ValidationError carries a message per form field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a message for a field (the first one wins).
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// Err returns the error if any field failed, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// RuleError is a refusal that breaks a product rule (voting on a closed idea,
// merging in a cycle); its message is safe to show.
type RuleError struct{ Msg string }

func (e *RuleError) Error() string { return e.Msg }

// mapErr turns driver errors into the few errors callers act on.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %v", ErrBusy, err)
		case sqlite3.SQLITE_CONSTRAINT:
			if se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
				return fmt.Errorf("%w: %v", ErrConflict, err)
			}
		}
	}
	if Unavailable(err) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %v", ErrConflict, err)
		case "40001", "40P01", "55P03":
			return fmt.Errorf("%w: %v", ErrBusy, err)
		}
	}
	return err
}

// Unavailable reports whether err means the database could not be reached
// (as opposed to a query that failed), so callers can answer 503.
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var ne *net.OpError
	return errors.Is(err, ErrUnavailable) || errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}
