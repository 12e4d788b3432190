package cmdlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t *testing.T, path string, c *clock, max int) *Log {
	t.Helper()
	l, err := Open(path, Options{Now: c.now, MaxEntries: max})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func seen(t *testing.T, l *Log, id string, until time.Time) bool {
	t.Helper()
	s, err := l.Seen(id, until)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSeenSurvivesReopenUntilExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "commands.db")
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := open(t, path, c, 0)
	if seen(t, l, "a", c.t.Add(time.Hour)) {
		t.Fatal("a new id was reported as seen")
	}
	if !seen(t, l, "a", c.t.Add(time.Hour)) {
		t.Fatal("a repeated id was not reported as seen")
	}
	if seen(t, l, "b", c.t.Add(2*time.Hour)) {
		t.Fatal("b was reported as seen")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = open(t, path, c, 0)
	if l.Len() != 2 {
		t.Fatalf("after reopen Len = %d, want 2", l.Len())
	}
	if !seen(t, l, "a", c.t.Add(time.Hour)) {
		t.Fatal("a was forgotten by a restart")
	}
	// After a's time has passed it is pruned and counts as new; b stays.
	c.t = c.t.Add(90 * time.Minute)
	if seen(t, l, "a", c.t.Add(time.Hour)) {
		t.Fatal("a was still remembered after its expiry")
	}
	if !seen(t, l, "b", c.t.Add(time.Hour)) {
		t.Fatal("b was forgotten before its expiry")
	}
	c.t = c.t.Add(3 * time.Hour)
	if seen(t, l, "c", c.t.Add(-time.Second)) {
		t.Fatal("an already expired id was reported as seen")
	}
	if l.Len() != 0 {
		t.Fatalf("Len = %d after every id expired, want 0 (expired ids are pruned, past ones not stored)", l.Len())
	}
}

func TestSizeIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "commands.db")
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := open(t, path, c, 10)
	for i := range 25 {
		if seen(t, l, fmt.Sprint("id", i), c.t.Add(time.Duration(i+1)*time.Minute)) {
			t.Fatalf("id%d reported as seen", i)
		}
	}
	if l.Len() != 10 {
		t.Fatalf("Len = %d, want the bound 10", l.Len())
	}
	// The ones that would expire first went; the latest are remembered.
	if !seen(t, l, "id24", c.t.Add(time.Hour)) {
		t.Error("the newest id was dropped")
	}
	l.Close()
	l = open(t, path, c, 10)
	if l.Len() != 10 {
		t.Fatalf("after reopen Len = %d, want 10", l.Len())
	}
}

func TestBadIDs(t *testing.T) {
	c := &clock{time.Now()}
	l := open(t, filepath.Join(t.TempDir(), "commands.db"), c, 0)
	for _, id := range []string{"", strings.Repeat("x", MaxIDLen+1)} {
		if _, err := l.Seen(id, c.t.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "cmdlog: id must be") {
			t.Errorf("id of %d bytes: err = %v", len(id), err)
		}
	}
}

func TestCorruptFileIsMovedAside(t *testing.T) {
	for name, write := range map[string]func(t *testing.T, path string){
		"garbage": func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"malformed entry": func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket(bucketIDs)
				if err != nil {
					return err
				}
				return b.Put([]byte("x"), []byte("short"))
			})
			if err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "commands.db")
			write(t, path)
			c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := open(t, path, c, 0)
			moved, cause := l.Recovered()
			if moved == "" || !errors.Is(cause, ErrCorrupt) {
				t.Fatalf("Recovered() = %q, %v; want a moved file and ErrCorrupt", moved, cause)
			}
			if _, err := os.Stat(moved); err != nil {
				t.Errorf("the damaged file is not kept: %v", err)
			}
			if seen(t, l, "a", c.t.Add(time.Hour)) || !seen(t, l, "a", c.t.Add(time.Hour)) {
				t.Error("the fresh log does not work")
			}
		})
	}
}

func TestUnreadableFileIsAnErrorAndLeftAlone(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "commands.db")
	l := open(t, path, &clock{time.Now()}, 0)
	l.Close()
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v; want a permission error naming the file", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("file was moved: %v", err)
	}
}

// FuzzOpen feeds arbitrary bytes as the file: Open never panics, and the
// log it returns always works.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.db")
	l, err := Open(good, Options{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := l.Seen("a", time.Now().Add(time.Hour)); err != nil {
		f.Fatal(err)
	}
	l.Close()
	b, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	half := append([]byte(nil), b...)
	for i := len(half) / 2; i < len(half); i++ {
		half[i] ^= 0x5a
	}
	f.Add(half)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "commands.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer l.Close()
		if _, err := l.Seen("x", time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Seen on the opened log: %v", err)
		}
		if s, err := l.Seen("x", time.Now().Add(time.Hour)); err != nil || !s {
			t.Fatalf("repeat: %v %v", s, err)
		}
	})
}
