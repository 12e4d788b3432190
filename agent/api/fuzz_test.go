package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodePredict feeds arbitrary bodies to the predict decoder: it must
// never panic, and what it accepts must be a non-empty batch of equally
// long instances that survives a round trip through the row format.
func FuzzDecodePredict(f *testing.F) {
	for _, s := range []string{
		`{"instances": [[1, 2, 3], [4, 5, 6]]}`,
		`{"inputs": [[1.5, -2e3, 0]]}`,
		`{"signature_name": "serving_default", "instances": [[[1], [2]], [[3], [4]]]}`,
		`{"instances": [1, 2, 3]}`,
		`{"instances": [[1, 2], [3]]}`,
		`{"instances": [[[1, 2], [3]]]}`,
		`{"instances": [[1, "x"]]}`,
		`{"instances": {"a": [1]}}`,
		`{"instances": [[1e39]]}`,
		`{"instances": null}`,
		`{"instances": [], "inputs": [1]}`,
		`{"instances": [[[[[[[[[[1]]]]]]]]]]}`,
		`{"x": 1}`,
		`[]`,
		``,
		`{"instances": [[1,2,3]]} trailing`,
		`{"instances": [[true, null]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodePredict(body)
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "%!") {
				t.Fatalf("bad error message %q", err)
			}
			return
		}
		if len(req.Instances) == 0 {
			t.Fatal("accepted an empty batch")
		}
		n := len(req.Instances[0])
		for i, inst := range req.Instances {
			if len(inst) != n || n == 0 {
				t.Fatalf("instance %d has %d values, instance 0 has %d", i, len(inst), n)
			}
		}
		again, err := json.Marshal(map[string]any{"instances": req.Instances})
		if err != nil {
			t.Fatal(err)
		}
		req2, err := decodePredict(again)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		for i := range req.Instances {
			if !slices.Equal(req.Instances[i], req2.Instances[i]) {
				t.Fatalf("round trip changed instance %d: %v -> %v", i, req.Instances[i], req2.Instances[i])
			}
		}
	})
}
