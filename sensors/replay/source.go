package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// source reads rows of a recording and maps their columns to channel values.
type source struct {
	name    string // for errors: the file name
	r       io.ReadSeeker
	sc      *bufio.Scanner
	format  string
	delim   byte
	header  bool
	line    int
	fields  [][]byte
	names   []string // header names, when there is a header
	idx     []int    // field index of each channel
	scale   []float64
	offset  []float64
	timeIdx int // -1: no time column
	parseT  timeParser
	need    int // fields a row must have
}

// newSource reads the header (if any) and the first data row to resolve the
// column mapping, then rewinds.
func newSource(name string, r io.ReadSeeker, cfg *Config) (*source, error) {
	s := &source{name: name, r: r, format: cfg.Format, delim: cfg.Delimiter, header: cfg.Header, timeIdx: -1}
	if err := s.rewind(); err != nil {
		return nil, err
	}
	first, err := s.row()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: no data rows", name)
	}
	if err != nil {
		return nil, err
	}
	if cfg.TimeColumn != "" {
		if s.timeIdx, err = s.resolve(cfg.TimeColumn, len(first)); err != nil {
			return nil, fmt.Errorf("option time_column: %w", err)
		}
		if s.parseT, err = newTimeParser(cfg.TimeFormat); err != nil {
			return nil, fmt.Errorf("option time_format: %w", err)
		}
	}
	if len(cfg.Columns) == 0 {
		// Every numeric column of the first row except the time column.
		for i, f := range first {
			if _, err := strconv.ParseFloat(string(f), 64); err == nil && i != s.timeIdx {
				s.idx = append(s.idx, i)
				s.scale = append(s.scale, 1)
				s.offset = append(s.offset, 0)
			}
		}
		if len(s.idx) == 0 {
			return nil, fmt.Errorf("%s:%d: no numeric column to replay", name, s.line)
		}
	}
	for i, col := range cfg.Columns {
		k, err := s.resolve(col.Column, len(first))
		if err != nil {
			return nil, fmt.Errorf("option columns[%d].column: %w", i, err)
		}
		scale := 1.0
		if col.Scale != nil {
			scale = *col.Scale
		}
		s.idx, s.scale, s.offset = append(s.idx, k), append(s.scale, scale), append(s.offset, col.Offset)
	}
	s.need = max(s.timeIdx+1, 1)
	for _, k := range s.idx {
		s.need = max(s.need, k+1)
	}
	return s, s.rewind()
}

// resolve finds a column by header name, else by 0-based index.
func (s *source) resolve(ref string, fields int) (int, error) {
	for i, n := range s.names {
		if n == ref {
			return i, nil
		}
	}
	k, err := strconv.Atoi(ref)
	switch {
	case err != nil && s.header:
		return 0, fmt.Errorf("%q is not in the header of %s (columns: %s)", ref, s.name, strings.Join(s.names, ", "))
	case err != nil:
		return 0, fmt.Errorf("%q is not a 0-based column index (%s has no header)", ref, s.name)
	case k < 0 || k >= fields:
		return 0, fmt.Errorf("index %d is outside the %d columns of %s", k, fields, s.name)
	}
	return k, nil
}

// rewind goes back to the first data row.
func (s *source) rewind() error {
	if _, err := s.r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: rewind: %w", s.name, err)
	}
	s.sc = bufio.NewScanner(s.r)
	s.sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	s.line = 0
	if !s.header {
		return nil
	}
	hdr, err := s.row()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file, want a header line", s.name)
	}
	if err != nil {
		return err
	}
	if s.names == nil {
		for _, f := range hdr {
			s.names = append(s.names, string(f))
		}
	}
	return nil
}

// row returns the fields of the next non-blank line; io.EOF at the end.
func (s *source) row() ([][]byte, error) {
	for s.sc.Scan() {
		s.line++
		line := s.sc.Bytes()
		if s.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 || (s.format == FormatASCII && line[0] == '#') {
			continue
		}
		var err error
		if s.format == FormatASCII {
			s.fields, err = splitFields(s.fields, line)
		} else {
			s.fields, err = splitCSV(s.fields, line, s.delim)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", s.name, s.line, err)
		}
		return s.fields, nil
	}
	if err := s.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", s.name, s.line+1, MaxLine)
		}
		return nil, fmt.Errorf("%s:%d: %w", s.name, s.line+1, err)
	}
	return nil, io.EOF
}

// next reads one row into vals (one per channel) and returns its time
// (Unix ns) when there is a time column; io.EOF at the end.
func (s *source) next(vals []float64) (int64, error) {
	f, err := s.row()
	if err != nil {
		return 0, err
	}
	if len(f) < s.need {
		return 0, fmt.Errorf("%s:%d: %d fields, want at least %d", s.name, s.line, len(f), s.need)
	}
	for c, k := range s.idx {
		v, err := parseValue(f[k])
		if err != nil {
			return 0, fmt.Errorf("%s:%d: column %s: %w", s.name, s.line, s.colName(k), err)
		}
		vals[c] = v*s.scale[c] + s.offset[c]
	}
	if s.timeIdx < 0 {
		return 0, nil
	}
	t, err := s.parseT(f[s.timeIdx])
	if err != nil {
		return 0, fmt.Errorf("%s:%d: column %s: %w", s.name, s.line, s.colName(s.timeIdx), err)
	}
	return t, nil
}

func (s *source) colName(k int) string {
	if k < len(s.names) {
		return strconv.Quote(s.names[k])
	}
	return strconv.Itoa(k)
}

// channelName is the default name of field k when no columns are given.
func (s *source) channelName(k int) string {
	if k < len(s.names) && s.names[k] != "" {
		return s.names[k]
	}
	return "c" + strconv.Itoa(k)
}
