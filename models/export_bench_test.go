package models_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// BenchmarkExportImport exports a seeded SQLite portal to a file and loads
// it into an empty one, reporting the document's size and the most heap
// either step held. The size comes from EXPORT_BENCH_IDEAS (default
// 10,000 ideas, with ten votes an idea):
//
//	EXPORT_BENCH_IDEAS=100000 go test ./models -run '^$' -bench ExportImport -benchtime 1x -timeout 30m
func BenchmarkExportImport(b *testing.B) {
	ideas := 10000
	if v, err := strconv.Atoi(os.Getenv("EXPORT_BENCH_IDEAS")); err == nil && v > 0 {
		ideas = v
	}
	ctx := context.Background()
	src := dbtest.Open(b, "sqlite")
	start := time.Now()
	if _, err := models.Seed(ctx, src, models.SeedOptions{Users: ideas / 5, Ideas: ideas, Votes: ideas * 10, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d ideas, %d votes in %s", ideas, ideas*10, time.Since(start).Round(time.Millisecond))
	path := filepath.Join(b.TempDir(), "portal.json")
	b.Run("export", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriterSize(f, 1<<16)
			peak := watchHeap()
			if _, err := models.Export(ctx, src, w, nil); err != nil {
				b.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(peak()>>20), "MB-peak-heap")
			f.Close()
		}
		if info, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(info.Size()>>20), "MB-document")
		}
	})
	b.Run("import", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dst := dbtest.Open(b, "sqlite")
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			peak := watchHeap()
			if _, err := models.ImportCluetrain(ctx, dst, bufio.NewReaderSize(f, 1<<16), strconv.Itoa(i), nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(peak()>>20), "MB-peak-heap")
			f.Close()
		}
	})
}

// watchHeap samples the heap until the returned function is called, which
// returns the largest heap seen.
func watchHeap() func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}
