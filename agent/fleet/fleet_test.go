package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const goodCommand = `{"v":1,"id":"c-8812","verb":"ping","issued_at":"2026-11-25T06:02:00Z","expires_at":"2026-11-25T06:07:00Z"}`

func TestDecodeCommand(t *testing.T) {
	c, err := DecodeCommand([]byte(goodCommand))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c-8812" || c.Verb != VerbPing || c.ExpiresAt.Sub(c.IssuedAt) != 5*time.Minute {
		t.Fatalf("decoded %+v", c)
	}
	withArgs := `{"v":1,"id":"d1","verb":"model.deploy","args":{"url":"x"},"expires_at":"2026-11-25T06:07:00Z","signature":"sig"}`
	if c, err := DecodeCommand([]byte(withArgs)); err != nil || string(c.Args) != `{"url":"x"}` || c.Signature != "sig" {
		t.Fatalf("command with args: %+v, %v", c, err)
	}

	bad := []struct{ name, payload, want string }{
		{"unknown field", `{"v":1,"id":"a","verb":"ping","expires_at":"2026-11-25T06:07:00Z","force":true}`, `unknown field "force"`},
		{"version 2", `{"v":2,"id":"a","verb":"ping","expires_at":"2026-11-25T06:07:00Z"}`, `"v" is 2`},
		{"no version", `{"id":"a","verb":"ping","expires_at":"2026-11-25T06:07:00Z"}`, `"v" is 0`},
		{"no id", `{"v":1,"verb":"ping","expires_at":"2026-11-25T06:07:00Z"}`, `"id" is missing`},
		{"long id", `{"v":1,"id":"` + strings.Repeat("x", 129) + `","verb":"ping","expires_at":"2026-11-25T06:07:00Z"}`, `longer than 128`},
		{"no verb", `{"v":1,"id":"a","expires_at":"2026-11-25T06:07:00Z"}`, `"verb" is missing`},
		{"no expiry", `{"v":1,"id":"a","verb":"ping"}`, `"expires_at" is missing`},
		{"bad time", `{"v":1,"id":"a","verb":"ping","expires_at":"tomorrow"}`, `decode command`},
		{"wrong type", `{"v":"1","id":"a","verb":"ping","expires_at":"2026-11-25T06:07:00Z"}`, `decode command`},
		{"trailing data", goodCommand + ` {}`, `trailing data`},
		{"not an object", `[1,2]`, `decode command`},
		{"empty", ``, `decode command`},
		{"oversized", `{"v":1,"id":"a","verb":"ping","args":"` + strings.Repeat("x", MaxCommandBytes) + `"}`, `limit`},
	}
	for _, b := range bad {
		_, err := DecodeCommand([]byte(b.payload))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want one containing %q", b.name, err, b.want)
		}
	}
}

func TestCheckExpiry(t *testing.T) {
	c, err := DecodeCommand([]byte(goodCommand))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckExpiry(c.ExpiresAt.Add(-time.Nanosecond)); err != nil {
		t.Errorf("a nanosecond before expiry: %v", err)
	}
	for _, at := range []time.Time{c.ExpiresAt, c.ExpiresAt.Add(time.Hour)} {
		if err := c.CheckExpiry(at); !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "c-8812") {
			t.Errorf("at %v: %v, want ErrExpired naming the command", at, err)
		}
	}
}

func TestTopics(t *testing.T) {
	tp := Topics{Prefix: DefaultPrefix, Device: "pump-07"}
	got := []string{tp.Status(), tp.Scores("pump-anomaly"), tp.Events(), tp.Metrics(), tp.Command(), tp.Result(), tp.GroupCommand("plant-a"), tp.AllCommand()}
	want := []string{"axle/pump-07/status", "axle/pump-07/scores/pump-anomaly", "axle/pump-07/events", "axle/pump-07/metrics",
		"axle/pump-07/cmd", "axle/pump-07/result", "axle/group/plant-a/cmd", "axle/all/cmd"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("topic %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestValidID(t *testing.T) {
	for _, ok := range []string{"pump-07", "a", "Line_3.motor", strings.Repeat("x", 128)} {
		if err := ValidID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	// Topic wildcards and separators must never reach a topic name.
	for _, bad := range []string{"", "a/b", "+", "#", "pump 7", "ü", strings.Repeat("x", 129)} {
		if err := ValidID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The README's examples of each payload decode strictly into these types
// and encode back to the same JSON: the documentation and the code agree.
func TestREADMEExamplesRoundTrip(t *testing.T) {
	examples := []struct {
		json string
		v    any
	}{
		{`{"v":1,"device":"pump-07","state":"online","agent":"v0.1.0","started_at":"2026-11-25T06:00:00Z","models":[{"name":"pump-anomaly","version":"1","runtime":"tflite-go"}],"sensors":["pump"],"ts":"2026-11-25T06:00:01Z"}`, &Status{}},
		{`{"v":1,"seq":1764050400000123,"ts":"2026-11-25T06:00:21.003Z","model":"pump-anomaly","version":"1","window":{"start":"2026-11-25T06:00:20Z","end":"2026-11-25T06:00:20.9997Z"},"score":14.2,"alert":"alarm"}`, &Score{}},
		{`{"v":1,"seq":1764050400000124,"ts":"2026-11-25T06:00:21.003Z","kind":"alert","severity":"critical","source":"pump-anomaly","message":"model pump-anomaly score 14.2: state alarm","data":{"model":"pump-anomaly","score":14.2,"state":"alarm","version":"1"}}`, &Event{}},
		{`{"v":1,"ts":"2026-11-25T06:01:00Z","values":{"backlog_records":0,"mqtt_publishes_total":61,"mqtt_reconnects_total":0,"outbox_bytes":4410,"outbox_records":12,"sensor_pump_samples_total":192000}}`, &Metrics{}},
		{`{"v":1,"seq":1764050400000190,"id":"c-8812","status":"done","result":{"agent":"v0.1.0","device":"pump-07"},"ts":"2026-11-25T06:02:00.01Z"}`, &Result{}},
	}
	for _, ex := range examples {
		d := json.NewDecoder(strings.NewReader(ex.json))
		d.DisallowUnknownFields()
		if err := d.Decode(ex.v); err != nil {
			t.Errorf("%T: %v", ex.v, err)
			continue
		}
		out, err := json.Marshal(ex.v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, []byte(ex.json)) {
			t.Errorf("%T does not round-trip:\n got %s\nwant %s", ex.v, out, ex.json)
		}
	}
}

// FuzzDecodeCommand: any bytes from the broker give a valid command or an
// error, never a panic, and an accepted command always has what the agent
// relies on.
func FuzzDecodeCommand(f *testing.F) {
	f.Add([]byte(goodCommand))
	f.Add([]byte(`{"v":1,"id":"d1","verb":"model.deploy","args":{"url":"x","sha256":"00"},"expires_at":"2026-11-25T06:07:00Z","signature":"sig"}`))
	f.Add([]byte(`{"v":1,"id":"a","verb":"ping","expires_at":"2026-11-25T06:07:00Z","x":1}`))
	f.Add([]byte(`{"v":1,"id":"a"} {}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			return
		}
		if c.V != Version || c.ID == "" || len(c.ID) > 128 || c.Verb == "" || c.ExpiresAt.IsZero() {
			t.Fatalf("accepted an incomplete command %+v from %q", c, b)
		}
	})
}
