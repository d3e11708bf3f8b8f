package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/cluetrain/cluetrain/models"
)

// apiServer is the portal served on a loopback port, driven by a real HTTP
// client, with every API answer checked against the OpenAPI document the
// server itself serves.
type apiServer struct {
	t    *testing.T
	ta   *testApp
	base string
	http *http.Client
	v    validator.Validator
	mu   sync.Mutex
}

var openAPIValidator struct {
	once sync.Once
	v    validator.Validator
	err  []error
}

func serveAPI(t *testing.T, ta *testApp) *apiServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ta.fiber.Listener(ln) }()
	t.Cleanup(func() { _ = ta.fiber.ShutdownWithTimeout(5 * time.Second) })
	s := &apiServer{t: t, ta: ta, base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 20 * time.Second}}

	resp, err := s.http.Get(s.base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("openapi.json: %d, cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	openAPIValidator.once.Do(func() {
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			openAPIValidator.err = []error{err}
			return
		}
		openAPIValidator.v, openAPIValidator.err = validator.NewValidator(doc)
		if openAPIValidator.err == nil {
			if ok, errs := openAPIValidator.v.ValidateDocument(); !ok {
				for _, e := range errs {
					openAPIValidator.err = append(openAPIValidator.err, e)
				}
			}
		}
	})
	if openAPIValidator.err != nil {
		t.Fatalf("the OpenAPI document: %v", openAPIValidator.err)
	}
	s.v = openAPIValidator.v
	return s
}

// apiResult is one answer.
type apiResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r apiResult) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// call sends a request with the key (none when "") and a body (JSON-encoded
// unless it is a string), checks the answer against the document, and
// fails the test unless the status is want.
func (s *apiServer) call(method, path, key string, body any, want int) apiResult {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	res := apiResult{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, want, excerptOf(string(raw)))
	}
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		s.t.Errorf("%s %s set a cookie: %s", method, path, c)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	s.mu.Lock()
	ok, errs := s.v.ValidateHttpResponse(req, resp)
	s.mu.Unlock()
	if !ok && resp.StatusCode == http.StatusNotFound && len(errs) > 0 && errs[0].ValidationType == "path" {
		ok = true // a path the document rightly does not know
	}
	if !ok {
		for _, e := range errs {
			s.t.Errorf("%s %s (%d) does not match the OpenAPI document: %s %s %v", method, path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
		}
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != mimeProblem {
		s.t.Errorf("%s %s: an error as %q, not %s", method, path, resp.Header.Get("Content-Type"), mimeProblem)
	}
	return res
}

// apiKey makes a key of the scope and returns it.
func apiKey(t *testing.T, db *models.DB, name, scope string) string {
	t.Helper()
	_, token, err := models.CreateAPIKey(context.Background(), db, name, scope)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
