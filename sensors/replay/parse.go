package replay

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxLine bounds one line of a recording; longer lines are an error, not an
// allocation.
const MaxLine = 1 << 20

// MaxFields bounds the fields of one line.
const MaxFields = 4096

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// splitCSV splits one line at delim into fields (appended to dst[:0]),
// honouring double-quoted fields with "" escapes. A quoted field cannot span
// lines. Surrounding spaces of unquoted fields are trimmed.
func splitCSV(dst [][]byte, line []byte, delim byte) ([][]byte, error) {
	dst = dst[:0]
	for i := 0; ; {
		if len(dst) == MaxFields {
			return dst, fmt.Errorf("more than %d fields", MaxFields)
		}
		for i < len(line) && line[i] == ' ' && delim != ' ' {
			i++
		}
		if i < len(line) && line[i] == '"' {
			// Quoted: unescape in place; the result is never longer.
			w, start := i, i
			i++
			for {
				if i >= len(line) {
					return dst, fmt.Errorf("field %d: unterminated quote", len(dst)+1)
				}
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						line[w] = '"'
						w, i = w+1, i+2
						continue
					}
					i++
					break
				}
				line[w] = line[i]
				w, i = w+1, i+1
			}
			dst = append(dst, line[start:w])
			for i < len(line) && line[i] == ' ' && delim != ' ' {
				i++
			}
			if i == len(line) {
				return dst, nil
			}
			if line[i] != delim {
				return dst, fmt.Errorf("field %d: text after closing quote", len(dst))
			}
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], delim)
		if j < 0 {
			dst = append(dst, bytes.TrimRight(line[i:], " "))
			return dst, nil
		}
		dst = append(dst, bytes.TrimRight(line[i:i+j], " "))
		i += j + 1
	}
}

// splitFields splits a whitespace-separated ASCII line (tabs or spaces, any
// run of them), as in the IMS bearing files.
func splitFields(dst [][]byte, line []byte) ([][]byte, error) {
	dst = dst[:0]
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return dst, nil
		}
		if len(dst) == MaxFields {
			return dst, fmt.Errorf("more than %d fields", MaxFields)
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		dst = append(dst, line[i:j])
		i = j
	}
}

// errNotNumber is wrapped by parseValue for text that is not a number.
var errNotNumber = errors.New("not a number")

// parseValue parses a numeric cell. Empty cells and NaN spellings are NaN,
// which the quality checks downstream turn into an invalid sample.
func parseValue(b []byte) (float64, error) {
	switch string(b) {
	case "", "NaN", "nan", "NA", "N/A", "null":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is %w", truncate(b), errNotNumber)
	}
	return v, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// timeParser parses a time cell into Unix ns.
type timeParser func([]byte) (int64, error)

// newTimeParser understands "unix" (seconds, fractional allowed), "unix_ms",
// "rfc3339" and any Go reference layout such as "2006.01.02.15.04.05" (UTC).
func newTimeParser(format string) (timeParser, error) {
	switch format {
	case "unix", "unix_ms":
		mult := 1e9
		if format == "unix_ms" {
			mult = 1e6
		}
		return func(b []byte) (int64, error) {
			v, err := strconv.ParseFloat(string(b), 64)
			if err != nil || math.IsNaN(v) || math.Abs(v*mult) > math.MaxInt64/2 {
				return 0, fmt.Errorf("%q is not a %s time", truncate(b), format)
			}
			return int64(math.Round(v * mult)), nil
		}, nil
	case "rfc3339", "":
		format = time.RFC3339Nano
	}
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	if t, err := time.Parse(format, ref.Format(format)); err != nil || !t.Equal(ref) || !strings.Contains(format, "2006") {
		return nil, fmt.Errorf("%q is not unix, unix_ms, rfc3339 or a Go time layout with date and time", format)
	}
	return func(b []byte) (int64, error) {
		t, err := time.Parse(format, string(b))
		if err != nil {
			return 0, fmt.Errorf("%q does not match time format %q", truncate(b), format)
		}
		return t.UnixNano(), nil
	}, nil
}
