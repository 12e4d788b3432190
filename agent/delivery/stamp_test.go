package delivery_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/axle-edge/axle/agent/delivery"
)

func TestStamp(t *testing.T) {
	cases := []struct {
		in   string
		seq  uint64
		hist bool
		want string
	}{
		{`{"v":1,"ts":"x"}`, 7, false, `{"seq":7,"v":1,"ts":"x"}`},
		{`{"v":1}`, 18446744073709551615, true, `{"seq":18446744073709551615,"historical":true,"v":1}`},
		{`{}`, 1, false, `{"seq":1}`},
		{` { } `, 2, true, ` {"seq":2,"historical":true } `},
		{"\n{\n\"a\":1}", 3, false, "\n{\"seq\":3,\n\"a\":1}"},
		{`[1,2]`, 4, true, `[1,2]`},
		{`"text"`, 5, false, `"text"`},
		{``, 6, false, ``},
	}
	for _, tc := range cases {
		got := delivery.Stamp([]byte("prefix:"), []byte(tc.in), tc.seq, tc.hist)
		if string(got) != "prefix:"+tc.want {
			t.Errorf("Stamp(%q, %d, %v) = %q, want %q", tc.in, tc.seq, tc.hist, got, "prefix:"+tc.want)
		}
	}
}

func TestStampDoesNotAllocateWithRoom(t *testing.T) {
	payload := []byte(`{"v":1,"ts":"2026-01-01T00:00:00Z","model":"pump","score":0.5,"alert":"ok"}`)
	dst := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() { dst = delivery.Stamp(dst[:0], payload, 123456789, true) })
	if allocs != 0 {
		t.Fatalf("Stamp allocated %v times into a large enough dst", allocs)
	}
}

// FuzzStamp: for any JSON object without seq/historical, the result is valid
// JSON holding every original member plus seq (and historical); anything
// else passes through unchanged. Never panics.
func FuzzStamp(f *testing.F) {
	for _, s := range []string{`{"v":1}`, `{}`, ` {"a":[1,{"b":2}]} `, `[]`, `{`, `}`, ``, `{"seq":1}`, "{\t}", `{"x":"{"}`} {
		f.Add([]byte(s), uint64(42), true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, seq uint64, hist bool) {
		out := delivery.Stamp(nil, payload, seq, hist)
		var orig map[string]json.RawMessage
		if json.Unmarshal(payload, &orig) != nil || orig == nil {
			if trimmed := bytes.TrimLeft(payload, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
				if !bytes.Equal(out, payload) {
					t.Fatalf("non-object %q changed to %q", payload, out)
				}
			}
			return
		}
		if _, ok := orig["seq"]; ok {
			return
		}
		if _, ok := orig["historical"]; ok {
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("Stamp(%q) = %q: invalid JSON: %v", payload, out, err)
		}
		var gotSeq uint64
		if err := json.Unmarshal(got["seq"], &gotSeq); err != nil || gotSeq != seq {
			t.Fatalf("seq = %s, want %d", got["seq"], seq)
		}
		if _, ok := got["historical"]; ok != hist {
			t.Fatalf("historical present = %v, want %v", ok, hist)
		}
		delete(got, "seq")
		delete(got, "historical")
		if len(got) != len(orig) {
			t.Fatalf("members %v, want %v", got, orig)
		}
		for k, v := range orig {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("member %q = %s, want %s", k, got[k], v)
			}
		}
	})
}
