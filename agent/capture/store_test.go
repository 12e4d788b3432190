package capture

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testCapture is a one-second 2-channel window plus 4 features; n varies
// its time and data. Every trigger's file has the same size (the meta pads
// the trigger name to 9 bytes) so budget tests can count captures.
func testCapture(tr Trigger, n int) Capture {
	samples := 100
	win := [][]float32{make([]float32, samples), make([]float32, samples)}
	for i := range samples {
		win[0][i] = float32(n) + float32(i)*0.25
		win[1][i] = -float32(i)
	}
	start := t0.Add(time.Duration(n) * time.Second)
	return Capture{
		Info: Info{Trigger: tr, Start: start, End: start.Add(time.Second), Sensor: "pump1",
			Model: "anomaly", ModelVersion: "1.2.0", Score: 0.5,
			Meta: map[string]string{"pad": strings.Repeat("x", 9-len(tr))}, Channels: []string{"ax", "ay"}, SampleRate: 100},
		Window:   win,
		Features: []float32{1, 2, 3, float32(n)},
	}
}

func fileSize(t *testing.T) int64 {
	t.Helper()
	c := testCapture(TriggerAlert, 1)
	c.ID = formatID(1)
	c.Samples, c.NumFeatures = 100, 4
	b, err := encode(&c)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b))
}

func open(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func add(t *testing.T, s *Store, c Capture) string {
	t.Helper()
	id, err := s.Add(c)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ids(infos []Info) []string {
	var out []string
	for _, in := range infos {
		out = append(out, in.ID)
	}
	return out
}

func TestAddReadRoundTrip(t *testing.T) {
	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	in := testCapture(TriggerUncertain, 7)
	id := add(t, s, in)
	got, err := s.Read(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.Trigger != TriggerUncertain || !got.Start.Equal(in.Start) || got.Score != in.Score ||
		got.Samples != 100 || got.NumFeatures != 4 || got.SampleRate != 100 {
		t.Fatalf("read back %+v", got.Info)
	}
	if !reflect.DeepEqual(got.Window, in.Window) || !reflect.DeepEqual(got.Features, in.Features) ||
		!reflect.DeepEqual(got.Channels, in.Channels) || !reflect.DeepEqual(got.Meta, in.Meta) {
		t.Fatal("window, features, channels or meta differ after the round trip")
	}
	// A capture without a score keeps NaN; features alone are enough.
	noScore := Capture{Info: Info{Trigger: TriggerCommand, Start: t0, End: t0, Score: math.NaN()}, Features: []float32{1}}
	got, err = s.Read(add(t, s, noScore))
	if err != nil || !math.IsNaN(got.Score) || got.Window != nil {
		t.Fatalf("no-score capture: %v %+v", err, got)
	}
}

func TestAddRejectsBadCaptures(t *testing.T) {
	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	bad := map[string]func(c *Capture){
		`"trigger"`:     func(c *Capture) { c.Trigger = "boom" },
		`"end"`:         func(c *Capture) { c.End = c.Start.Add(-time.Second) },
		`"samples"`:     func(c *Capture) { c.Window[1] = c.Window[1][:3] },
		`"channels"`:    func(c *Capture) { c.Channels = c.Channels[:1] },
		`"sample_rate"`: func(c *Capture) { c.SampleRate = 0 },
		`"score"`:       func(c *Capture) { c.Score = math.Inf(1) },
		`"labels"`:      func(c *Capture) { c.Labels = []string{""} },
		"raw window or": func(c *Capture) { c.Window, c.Channels, c.Features, c.SampleRate = nil, nil, nil, 0 },
	}
	for want, mutate := range bad {
		c := testCapture(TriggerAlert, 1)
		mutate(&c)
		if _, err := s.Add(c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v", want, err)
		}
	}
	if st := s.Stats(); st.Captures != 0 || st.Bytes != 0 {
		t.Fatalf("rejected captures were stored: %+v", st)
	}
}

func TestQuotaDropsOldestOfTheSameTrigger(t *testing.T) {
	size := fileSize(t)
	s := open(t, t.TempDir(), Options{Budget: 100 * size, Quotas: map[Trigger]int64{TriggerSample: 5 * size}})
	alert := add(t, s, testCapture(TriggerAlert, 0))
	var sample []string
	for n := range 40 {
		sample = append(sample, add(t, s, testCapture(TriggerSample, n+1)))
	}
	got := ids(s.List(Filter{Trigger: TriggerSample}))
	if !reflect.DeepEqual(got, sample[35:]) {
		t.Fatalf("sample captures kept %v, want the newest five %v", got, sample[35:])
	}
	st := s.Stats()
	if ts := st.Triggers[TriggerSample]; ts.Dropped != 35 || ts.Added != 40 || ts.Bytes != 5*size || ts.Captures != 5 {
		t.Fatalf("sample stats %+v", ts)
	}
	if ts := st.Triggers[TriggerAlert]; ts.Dropped != 0 || ts.Captures != 1 {
		t.Fatalf("alert capture touched by the sample quota: %+v", ts)
	}
	if _, err := s.Read(alert); err != nil {
		t.Fatal(err)
	}
	assertDiskMatches(t, s)
}

func TestBudgetDropsOldestOfAnyTrigger(t *testing.T) {
	size := fileSize(t)
	s := open(t, t.TempDir(), Options{Budget: 10 * size})
	var all []string
	for n := range 60 {
		all = append(all, add(t, s, testCapture(Triggers()[n%5], n)))
		if b := s.Stats().Bytes; b > 10*size {
			t.Fatalf("after capture %d the store holds %d bytes, budget %d", n, b, 10*size)
		}
	}
	if got := ids(s.List(Filter{})); !reflect.DeepEqual(got, all[50:]) {
		t.Fatalf("kept %v, want the newest ten %v", got, all[50:])
	}
	var dropped int64
	for _, ts := range s.Stats().Triggers {
		dropped += ts.Dropped
		if ts.Dropped != 10 {
			t.Errorf("each trigger lost 10 of its 12, got %+v", ts)
		}
	}
	if dropped != 50 {
		t.Fatalf("dropped %d, want 50", dropped)
	}
	assertDiskMatches(t, s)
}

func TestCaptureLargerThanQuotaIsRefused(t *testing.T) {
	size := fileSize(t)
	s := open(t, t.TempDir(), Options{Budget: 10 * size, Quotas: map[Trigger]int64{TriggerDrift: size - 1}})
	if _, err := s.Add(testCapture(TriggerDrift, 1)); err == nil || !strings.Contains(err.Error(), `"drift" limit`) {
		t.Fatalf("error %v", err)
	}
	if _, err := Open(t.TempDir(), Options{Budget: 10, Quotas: map[Trigger]int64{"x": 5}}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("unknown trigger in quotas: %v", err)
	}
	if _, err := Open(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("zero budget: %v", err)
	}
}

// assertDiskMatches checks that the accounting equals the files on disk.
func assertDiskMatches(t *testing.T, s *Store) {
	t.Helper()
	des, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(de.Name(), tempExt) {
			t.Errorf("temp file %s left behind", de.Name())
		}
		total += fi.Size()
	}
	if st := s.Stats(); st.Bytes != total || st.Captures+st.CorruptFiles != len(des) {
		t.Fatalf("stats say %d bytes in %d+%d files, disk has %d bytes in %d files", st.Bytes, st.Captures, st.CorruptFiles, total, len(des))
	}
}

func TestReopenRebuildsIndexAndRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	size := fileSize(t)
	o := Options{Budget: 20 * size, Quotas: map[Trigger]int64{TriggerAlert: 3 * size}}
	s := open(t, dir, o)
	for n := range 8 {
		add(t, s, testCapture(Triggers()[n%2], n))
	}
	before := s.List(Filter{})
	// A write that crashed before its rename.
	if err := os.WriteFile(filepath.Join(dir, ".000000000099.cap-123.tmp"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, o)
	if got := s2.List(Filter{}); !reflect.DeepEqual(ids(got), ids(before)) {
		t.Fatalf("after reopen %v, before %v", ids(got), ids(before))
	}
	if _, err := os.Stat(filepath.Join(dir, ".000000000099.cap-123.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp file not removed: %v", err)
	}
	assertDiskMatches(t, s2)
	if s2.Stats().Bytes != s.Stats().Bytes {
		t.Fatalf("bytes %d after reopen, %d before", s2.Stats().Bytes, s.Stats().Bytes)
	}
	// New IDs continue after the highest one on disk.
	id := add(t, s2, testCapture(TriggerDrift, 100))
	if id <= before[len(before)-1].ID {
		t.Fatalf("new id %s not after %s", id, before[len(before)-1].ID)
	}
	// A smaller budget at the next Open is enforced at once, oldest first.
	s3 := open(t, dir, Options{Budget: 2 * size})
	if got := ids(s3.List(Filter{})); len(got) != 2 || got[1] != id {
		t.Fatalf("after shrinking the budget kept %v", got)
	}
	assertDiskMatches(t, s3)
}

func TestCorruptFileSkippedAndCounted(t *testing.T) {
	dir := t.TempDir()
	size := fileSize(t)
	s := open(t, dir, Options{Budget: 100 * size})
	a := add(t, s, testCapture(TriggerAlert, 1))
	if _, err := os.Stat(filepath.Join(dir, a+fileExt)); err != nil {
		t.Fatal(err)
	}
	b := add(t, s, testCapture(TriggerAlert, 2))
	c := add(t, s, testCapture(TriggerAlert, 3))
	// Flip one data byte of a, truncate b.
	pa := filepath.Join(dir, a+fileExt)
	raw, err := os.ReadFile(pa)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-20] ^= 0xff
	if err := os.WriteFile(pa, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, b+fileExt), size/2); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, Options{Budget: 100 * size})
	if got := ids(s2.List(Filter{})); !reflect.DeepEqual(got, []string{c}) {
		t.Fatalf("listed %v, want only %s", got, c)
	}
	st := s2.Stats()
	if st.Corrupt != 2 || st.CorruptFiles != 2 || st.CorruptBytes != size+size/2 {
		t.Fatalf("stats %+v", st)
	}
	assertDiskMatches(t, s2)
	if _, err := s2.Read(a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read corrupt %s: %v", a, err)
	}
	// Corruption found by Read after Open: error, counted, out of the index.
	pc := filepath.Join(dir, c+fileExt)
	if err := os.Truncate(pc, size-1); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Read(c); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("read truncated: %v", err)
	}
	if st := s2.Stats(); st.Corrupt != 3 || st.Captures != 0 {
		t.Fatalf("after a corrupt read: %+v", st)
	}
	assertDiskMatches(t, s2)
	// Over budget, corrupt files go first.
	s3 := open(t, dir, Options{Budget: 3 * size})
	if id := add(t, s3, testCapture(TriggerSample, 9)); id <= c {
		t.Fatalf("new id %s reuses the name of a corrupt file (last %s)", id, c)
	}
	if st := s3.Stats(); st.Bytes > 3*size || st.Captures != 1 {
		t.Fatalf("corrupt files not evicted first: %+v", st)
	}
	assertDiskMatches(t, s3)
}

func TestLabelsPersistAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	size := fileSize(t)
	s := open(t, dir, Options{Budget: 100 * size})
	var all []string
	for n := range 6 {
		all = append(all, add(t, s, testCapture(TriggerSample, n*10)))
	}
	other := testCapture(TriggerSample, 20)
	other.Model = "other"
	otherID := add(t, s, other)
	if err := s.Label(all[0], "healthy"); err != nil {
		t.Fatal(err)
	}
	if err := s.Label(all[0], "healthy"); err != nil { // idempotent
		t.Fatal(err)
	}
	// Captures 2 and 3 cover 20s..21s and 30s..31s.
	n, err := s.LabelRange("anomaly", t0.Add(20500*time.Millisecond), t0.Add(30*time.Second), "bearing_outer_race")
	if err != nil || n != 2 {
		t.Fatalf("labelled %d, %v", n, err)
	}
	if err := s.Label("000000009999", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("label unknown id: %v", err)
	}
	if err := s.Label("../../etc/passwd", "x"); err == nil || !strings.Contains(err.Error(), "not a capture id") {
		t.Fatalf("label bad id: %v", err)
	}
	assertDiskMatches(t, s)
	s2 := open(t, dir, Options{Budget: 100 * size})
	want := map[string][]string{all[0]: {"healthy"}, all[2]: {"bearing_outer_race"}, all[3]: {"bearing_outer_race"}}
	for _, in := range s2.List(Filter{}) {
		if !reflect.DeepEqual(in.Labels, want[in.ID]) {
			t.Errorf("%s labels %v, want %v", in.ID, in.Labels, want[in.ID])
		}
	}
	c, err := s2.Read(otherID)
	if err != nil || len(c.Labels) != 0 {
		t.Fatalf("other model's capture labelled: %v %v", c, err)
	}
	got, err := s2.Read(all[2])
	if err != nil || !reflect.DeepEqual(got.Window, testCapture(TriggerSample, 20).Window) {
		t.Fatalf("relabelled capture lost its window: %v", err)
	}
}

func TestListFilterAndDelete(t *testing.T) {
	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	a := add(t, s, testCapture(TriggerAlert, 0))
	d := add(t, s, testCapture(TriggerDrift, 10))
	x := testCapture(TriggerAlert, 20)
	x.Model = "other"
	xid := add(t, s, x)
	for _, tc := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{a, d, xid}},
		{Filter{Trigger: TriggerAlert}, []string{a, xid}},
		{Filter{Model: "anomaly"}, []string{a, d}},
		{Filter{From: t0.Add(500 * time.Millisecond), To: t0.Add(10 * time.Second)}, []string{a, d}},
		{Filter{From: t0.Add(15 * time.Second)}, []string{xid}},
		{Filter{To: t0.Add(-time.Second)}, nil},
	} {
		if got := ids(s.List(tc.f)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
	if err := s.Delete(d); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if got := ids(s.List(Filter{})); !reflect.DeepEqual(got, []string{a, xid}) {
		t.Fatalf("after delete %v", got)
	}
	if s.Stats().Triggers[TriggerDrift].Dropped != 0 {
		t.Fatal("delete counted as a drop")
	}
	assertDiskMatches(t, s)
}

func TestFileRemovedBehindTheStore(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Budget: 1 << 20})
	a := add(t, s, testCapture(TriggerAlert, 1))
	b := add(t, s, testCapture(TriggerAlert, 2))
	if err := os.Remove(filepath.Join(dir, a+fileExt)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read removed file: %v", err)
	}
	if got := ids(s.List(Filter{})); !reflect.DeepEqual(got, []string{b}) {
		t.Fatalf("listed %v", got)
	}
	assertDiskMatches(t, s)
}

func TestLabelRangeSkipsCorruptCaptures(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Budget: 1 << 20})
	var all []string
	for n := range 3 {
		all = append(all, add(t, s, testCapture(TriggerSample, n)))
	}
	if err := os.Truncate(filepath.Join(dir, all[1]+fileExt), 10); err != nil {
		t.Fatal(err)
	}
	n, err := s.LabelRange("anomaly", t0, t0.Add(time.Hour), "fault")
	if err != nil || n != 2 {
		t.Fatalf("labelled %d: %v", n, err)
	}
	if st := s.Stats(); st.Corrupt != 1 || st.Captures != 2 {
		t.Fatalf("stats %+v", st)
	}
	for _, in := range s.List(Filter{}) {
		if !reflect.DeepEqual(in.Labels, []string{"fault"}) {
			t.Errorf("%s labels %v", in.ID, in.Labels)
		}
	}
	assertDiskMatches(t, s)
}

// TestConcurrentUse runs Add, List, Label, Read and Stats at once (run it
// with -race); the accounting must match the disk afterwards.
func TestConcurrentUse(t *testing.T) {
	size := fileSize(t)
	s := open(t, t.TempDir(), Options{Budget: 8 * size, Quotas: map[Trigger]int64{TriggerSample: 3 * size}})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for n := range 20 {
				if _, err := s.Add(testCapture(Triggers()[(w+n)%5], n)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 40 {
			for _, in := range s.List(Filter{}) {
				// Either may lose the race with eviction: only other errors count.
				if err := s.Label(in.ID, "seen"); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
				if _, err := s.Read(in.ID); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
			}
			_ = s.Stats()
		}
	})
	wg.Wait()
	st := s.Stats()
	if st.Bytes > st.Budget || st.Triggers[TriggerSample].Bytes > 3*size || st.Corrupt != 0 {
		t.Fatalf("after concurrent use: %+v", st)
	}
	assertDiskMatches(t, s)
}

func BenchmarkAdd(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Budget: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	c := bigCapture()
	b.SetBytes(int64(3 * 3200 * 4))
	for b.Loop() {
		if _, err := s.Add(c); err != nil {
			b.Fatal(err)
		}
	}
}
