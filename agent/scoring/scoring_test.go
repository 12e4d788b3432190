package scoring

import (
	"strings"
	"testing"
)

func TestHysteresis(t *testing.T) {
	s, err := New(Thresholds{Warn: 1, Alarm: 2, Raise: 2, Clear: 3})
	if err != nil {
		t.Fatal(err)
	}
	scores := []float64{0.5, 2.5, 0.5, 2.5, 2.5, 1.5, 0.1, 0.1, 2.5, 0.1, 0.1}
	want := "ok ok ok ok alarm* alarm alarm ok* ok ok ok"
	var got []string
	for _, sc := range scores {
		st, ch := s.Update(sc)
		if ch {
			st += "*"
		}
		got = append(got, st)
	}
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("states\n got %s\nwant %s", g, want)
	}
	s.Update(2.5)
	if st, ch := s.Update(2.5); st != "alarm" || !ch {
		t.Fatalf("two windows above alarm gave %s %v", st, ch)
	}
	// Three windows below warn clear the alarm straight to ok.
	for i, want := range []string{"alarm", "alarm", "ok"} {
		st, ch := s.Update(0.1)
		if st != want || ch != (i == 2) {
			t.Fatalf("clear step %d: %s %v", i, st, ch)
		}
	}
}

func TestWarnOnlyAndDisabled(t *testing.T) {
	s, _ := New(Thresholds{Warn: 1, Raise: 1, Clear: 1})
	if st, ch := s.Update(5); st != "warn" || !ch {
		t.Fatalf("got %s %v, want warn (no alarm threshold)", st, ch)
	}
	off, _ := New(Thresholds{Raise: 1, Clear: 1})
	if st, _ := off.Update(1e9); st != "ok" {
		t.Fatalf("disabled thresholds gave %s", st)
	}
	if _, err := New(Thresholds{Warn: 3, Alarm: 2, Raise: 1, Clear: 1}); err == nil {
		t.Fatal("accepted warn above alarm")
	}
}
