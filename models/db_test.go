package models_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

func TestOpenRefusesUnknownSchemes(t *testing.T) {
	for _, u := range []string{"mysql://x", "sqlite:", "file.db"} {
		if _, err := models.Open(context.Background(), u, time.Second, nil); err == nil || !strings.HasPrefix(err.Error(), "DATABASE_URL: ") {
			t.Errorf("Open(%q) = %v, want a DATABASE_URL error", u, err)
		}
	}
}

func TestOpenGivesUpOnAnUnreachableDatabase(t *testing.T) {
	// A port nobody listens on: every attempt is refused, and Open retries
	// until its wait is over, then names the database without its password.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = models.Open(context.Background(), "postgres://cluetrain:s3cret@"+addr+"/db?sslmode=disable", 600*time.Millisecond, nil)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !strings.Contains(msg, "did not answer within 600ms") || strings.Contains(msg, "s3cret") || !strings.Contains(msg, addr) {
		t.Errorf("error = %q; want the address, the wait and no password", msg)
	}
	if !models.Unavailable(err) {
		t.Errorf("Unavailable(%v) = false, want true: pages answer 503 when the database is down", err)
	}
}
