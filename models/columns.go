package models

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Columns as a portable document sees them: each is a boolean, a time, a
// whole number, a real number or text, whatever the engine calls it, so a
// value read from one engine is written to the other as what it means.

type columnKind int

const (
	kindText columnKind = iota
	kindBool
	kindTime
	kindInt
	kindFloat
	kindBytes // binary, base64 in the document
	kindSkip  // derived by the database (PostgreSQL's search vector)
)

type column struct {
	name string
	kind columnKind
}

// kindOf reads a column's kind from the engine's name for its type.
func kindOf(dbType string) columnKind {
	t := strings.ToUpper(dbType)
	switch {
	case t == "TSVECTOR":
		return kindSkip
	case t == "BLOB", t == "BYTEA":
		return kindBytes
	case strings.Contains(t, "BOOL"):
		return kindBool
	case strings.Contains(t, "TIMESTAMP"), strings.Contains(t, "DATE"):
		return kindTime
	case strings.Contains(t, "INT"):
		return kindInt
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOAT"), strings.Contains(t, "DOUBLE"), strings.Contains(t, "NUMERIC"):
		return kindFloat
	}
	return kindText
}

// columnKinds names and kinds the columns of a result.
func columnKinds(rows *sql.Rows) ([]column, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(types))
	for i, t := range types {
		cols[i] = column{name: t.Name(), kind: kindOf(t.DatabaseTypeName())}
	}
	return cols, nil
}

// timeLayouts are the ways a time may come back from SQLite as text.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// export turns a value as the driver read it into what the document holds.
func (c column) export(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		if c.kind == kindBytes {
			return base64.StdEncoding.EncodeToString(b), nil
		}
		v = string(b)
	}
	switch c.kind {
	case kindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case string:
			return x == "1" || strings.EqualFold(x, "true"), nil
		}
	case kindTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		case string:
			t, err := parseTime(x)
			if err != nil {
				return nil, err
			}
			return t.Format(time.RFC3339Nano), nil
		}
	case kindInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case kindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return fmt.Sprint(v), nil
	}
	return nil, fmt.Errorf("unexpected %T for a column of kind %d", v, c.kind)
}

// load turns a value of the document (decoded with UseNumber) into what
// the target engine stores in the column.
func (c column) load(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case kindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case kindTime:
		if s, ok := v.(string); ok {
			return parseTime(s)
		}
	case kindInt:
		if n, ok := v.(json.Number); ok {
			return n.Int64()
		}
	case kindFloat:
		if n, ok := v.(json.Number); ok {
			return n.Float64()
		}
	case kindText:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case kindBytes:
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return b, nil
			}
		}
	}
	return nil, fmt.Errorf("column %s: %v is not a valid value", c.name, v)
}
