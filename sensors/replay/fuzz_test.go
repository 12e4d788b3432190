package replay

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzSource feeds arbitrary bytes to the recording reader in both formats:
// it must return rows or errors, never panic, and never loop forever.
func FuzzSource(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n3,4\n"), false)
	f.Add([]byte("\ufeffid,\"x, y\",z\r\n1,\"2\"\"\",3\r\n\r\n4,,6\r\n"), false)
	f.Add([]byte("-0.022\t-0.039\t-0.183\n-0.105 -0.017  -0.164\n# c\n"), true)
	f.Add([]byte("a\n\"unterminated\n"), false)
	f.Add([]byte("a,b\n1e309,NaN\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, ascii bool) {
		cfg := Config{Format: FormatCSV, Delimiter: ',', Header: true}
		if ascii {
			cfg.Format, cfg.Header = FormatASCII, false
		}
		src, err := newSource("fuzz", bytes.NewReader(data), &cfg)
		if err != nil {
			return
		}
		vals := make([]float64, len(src.idx))
		for range len(data) + 1 {
			if _, err := src.next(vals); err != nil {
				if errors.Is(err, io.EOF) || err.Error() != "" {
					return
				}
			}
		}
		t.Fatalf("more rows than bytes in %q", data)
	})
}

// FuzzSplitCSV checks the field splitter: a line without quotes splits into
// exactly one more field than it has delimiters.
func FuzzSplitCSV(f *testing.F) {
	f.Add([]byte(`a,"b,c",d`))
	f.Add([]byte(`"x""y"`))
	f.Add([]byte(` 1 , 2 ,`))
	f.Add([]byte(`"a" ,b`))
	f.Fuzz(func(t *testing.T, line []byte) {
		quoted := bytes.IndexByte(line, '"') >= 0
		commas := bytes.Count(line, []byte{','})
		fields, err := splitCSV(nil, bytes.Clone(line), ',')
		if !quoted {
			if err != nil && commas < MaxFields {
				t.Fatalf("%q: %v", line, err)
			}
			if err == nil && len(fields) != commas+1 {
				t.Fatalf("%q: %d fields for %d commas", line, len(fields), commas)
			}
		}
		ws, _ := splitFields(nil, line)
		for _, w := range ws {
			if len(w) == 0 || bytes.ContainsAny(w, " \t") {
				t.Fatalf("%q: bad whitespace field %q", line, w)
			}
		}
	})
}
