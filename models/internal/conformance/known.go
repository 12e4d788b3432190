package conformance

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// Status is the outcome of one case.
type Status string

// The outcomes of a case: it met its expectations, it did not, or it has
// nothing to check yet (golden pending).
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one case and, for Fail and Skip, why.
type Result struct {
	Status Status
	Detail string
}

// Known is a list of cases that fail today for a known reason, read from
// a file of lines "<key> <reason>" ('#' starts a comment line). A key is
// one or more space-separated fields, e.g. "<suite>/<case>" or
// "<delegate> <suite>/<case>". A conformance test fails on any failure
// not listed and on listed cases that pass, so the list only shrinks.
type Known struct {
	File    string
	reasons map[string]string
	seen    map[string]bool
}

// ReadKnown reads the list in file; keys have keyFields fields.
func ReadKnown(file string, keyFields int) (*Known, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	k := &Known{File: file, reasons: map[string]string{}, seen: map[string]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line
		fields := make([]string, 0, keyFields)
		for len(fields) < keyFields && rest != "" {
			var field string
			field, rest, _ = strings.Cut(rest, " ")
			fields = append(fields, field)
			rest = strings.TrimSpace(rest)
		}
		if len(fields) < keyFields {
			return nil, fmt.Errorf("%s:%d: want %d key fields, got %q", file, n, keyFields, line)
		}
		k.reasons[strings.Join(fields, " ")] = rest
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return k, nil
}

// Reason is why key is listed; ok is false when it is not. It records key
// as a case that exists.
func (k *Known) Reason(key string) (reason string, ok bool) {
	k.seen[key] = true
	reason, ok = k.reasons[key]
	return reason, ok
}

// Report judges the result of case key against the list: an unlisted
// failure, a listed case that passes and a listed case that skips are
// test errors; a listed failure is logged.
func (k *Known) Report(tb testing.TB, key string, r Result) {
	tb.Helper()
	_, listed := k.Reason(key)
	switch {
	case r.Status == Pass && listed:
		tb.Errorf("%s: passes now; remove it from %s", key, k.File)
	case r.Status == Skip && listed:
		tb.Errorf("%s: skipped (%s) but listed in %s", key, r.Detail, k.File)
	case r.Status == Fail && listed:
		tb.Logf("known failure %s: %s", key, r.Detail)
	case r.Status == Fail:
		tb.Errorf("FAIL %s: %s", key, r.Detail)
	}
}

// CheckAllSeen fails tb for every listed key that Reason or Report never
// saw: a list entry that is not a case.
func (k *Known) CheckAllSeen(tb testing.TB) {
	tb.Helper()
	var stale []string
	for key := range k.reasons {
		if !k.seen[key] {
			stale = append(stale, key)
		}
	}
	slices.Sort(stale)
	for _, key := range stale {
		tb.Errorf("%s is listed in %s but is not a case", key, k.File)
	}
}
