package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistoryRecordAndFilter(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openStore(t, root, Options{Now: func() time.Time { return now }})
	lineage := map[string]any{"parent": "1.0.0", "dataset_sha256": "ab12", "auc": 0.97}
	b := bundleFor("1.1.0")
	if _, err := s.Install(ctx, "pump", "1.1.0", bytes.NewReader(b), sumOf(b), InstallOptions{Audit: Audit{KeyID: "RWQ1", Lineage: lineage}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	gate := Entry{Model: "pump", Version: "1.1.0", Action: ActionGate, Reason: "p99 latency over SLO", Details: map[string]any{"p99_us": 5300.0, "slo_us": 4000.0}}
	if err := s.Record(ctx, gate); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, Entry{Model: "../x", Action: "gate"}); err == nil || !strings.Contains(err.Error(), "model name") {
		t.Fatalf("record with a bad model name: %v", err)
	}
	if err := s.Record(ctx, Entry{Model: "pump"}); err == nil || !strings.Contains(err.Error(), "empty action") {
		t.Fatalf("record without action: %v", err)
	}
	huge := Entry{Model: "pump", Action: "gate", Reason: strings.Repeat("x", maxEntryBytes)}
	if err := s.Record(ctx, huge); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("oversized entry: %v", err)
	}

	all, err := ReadHistory(root, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(all), all)
	}
	in := all[0]
	if in.Action != ActionInstall || in.KeyID != "RWQ1" || in.Lineage["parent"] != "1.0.0" || in.Lineage["auc"] != 0.97 || !in.Time.Equal(now.Add(-time.Hour)) {
		t.Fatalf("install entry %+v", in)
	}
	g := all[1]
	if g.Action != ActionGate || g.Details["p99_us"] != 5300.0 || g.Reason != gate.Reason || !g.Time.Equal(now) {
		t.Fatalf("gate entry %+v", g)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{Model: "pump"}, 2},
		{Filter{Model: "fan"}, 0},
		{Filter{Action: ActionGate}, 1},
		{Filter{Version: "1.1.0", Action: ActionInstall}, 1},
		{Filter{Since: now}, 1},
		{Filter{Since: now.Add(time.Second)}, 0},
	} {
		got, err := s.History(tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("filter %+v: %d entries (%v), want %d", tc.f, len(got), err, tc.want)
		}
	}
}

// A crash in the middle of an append leaves a line without its newline:
// readers skip it and Open cuts it so the next entry is whole.
func TestHistoryTornLastLine(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{})
	for _, v := range []string{"1", "2"} {
		if err := s.Record(ctx, Entry{Model: "m", Version: v, Action: ActionGate}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(root, historyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"time":"2026-01-01T00:00:00Z","model":"m","ver`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	got, err := ReadHistory(root, Filter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("with a torn last line: %d entries, %v; want the 2 whole ones", len(got), err)
	}
	s2 := openStore(t, root, Options{})
	if err := s2.Record(ctx, Entry{Model: "m", Version: "3", Action: ActionGate}); err != nil {
		t.Fatal(err)
	}
	got, err = ReadHistory(root, Filter{})
	if err != nil || len(got) != 3 || got[2].Version != "3" {
		t.Fatalf("after reopen and append: %+v, %v", got, err)
	}
}

func TestHistoryDamagedLine(t *testing.T) {
	root := t.TempDir()
	data := `{"model":"m","action":"install"}` + "\n" + "garbage\n" + `{"model":"m","action":"activate"}` + "\n"
	if err := os.WriteFile(filepath.Join(root, historyFile), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadHistory(root, Filter{})
	if err == nil || !strings.Contains(err.Error(), historyFile) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("damaged middle line: %v", err)
	}
	long := strings.Repeat("x", maxEntryBytes+10) + "\n"
	if err := os.WriteFile(filepath.Join(root, historyFile), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHistory(root, Filter{}); err == nil || !strings.Contains(err.Error(), "line 1: longer than") {
		t.Fatalf("overlong line: %v", err)
	}
}

func TestHistoryRotation(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	const limit = 2000
	s := openStore(t, root, Options{HistoryMaxBytes: limit})
	const n = 100
	for i := range n {
		if err := s.Record(ctx, Entry{Model: "m", Action: ActionGate, Details: map[string]any{"i": float64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{historyFile, historyRotated} {
		st, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > limit {
			t.Fatalf("%s is %d bytes, over the %d limit", name, st.Size(), limit)
		}
	}
	got, err := s.History(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got) >= n {
		t.Fatalf("%d entries kept of %d, want a bounded tail", len(got), n)
	}
	// What is kept is the newest run, in order, ending with the last one.
	for i, e := range got {
		if want := float64(n - len(got) + i); e.Details["i"] != want {
			t.Fatalf("entry %d has i=%v, want %v", i, e.Details["i"], want)
		}
	}
}
