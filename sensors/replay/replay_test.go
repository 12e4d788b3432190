package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t *testing.T, rate float64, opts string) *Player {
	t.Helper()
	s, err := Open(context.Background(), sensors.Spec{Name: "r", Driver: "replay", Rate: rate, Options: sensortest.Options(opts)}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p := s.(*Player)
	p.cfg.Start = t0
	p.started, p.start = true, t0.UnixNano()
	t.Cleanup(func() { p.Close() })
	return p
}

type row struct {
	t    time.Duration // since t0
	vals []float64
}

// drain streams until the player ends (or n rows when it loops).
func drain(t *testing.T, p *Player, n int) ([]row, error) {
	t.Helper()
	var rows []row
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := p.Stream(ctx, func(b *sensors.Batch) error {
		for i := range b.Len() {
			if !b.Valid[i] {
				t.Errorf("row %d invalid", len(rows))
			}
			rows = append(rows, row{time.Duration(b.Times[i] - t0.UnixNano()), append([]float64(nil), b.Values[i*b.Stride:(i+1)*b.Stride]...)})
			if len(rows) == n {
				cancel()
				return nil
			}
		}
		return nil
	})
	return rows, err
}

func TestCSVWithHeader(t *testing.T) {
	// A BOM, CRLF ends, quoted names and values, a text column, blank lines.
	file := writeFile(t, "pump.csv", "\ufeffid,\"Temp, [C]\",type,\"current \"\"A\"\"\"\r\n"+
		"1, 20.5 ,L,\"3\"\r\n"+
		"\r\n"+
		"2,21.5,M,4\r\n"+
		"3,,H,5\r\n")
	p := open(t, 10, fmt.Sprintf(`
file: %s
realtime: false
columns:
  - {name: temp_k, column: "Temp, [C]", unit: K, offset: 273.15, min: 200, max: 400}
  - {name: current, column: 'current "A"', unit: A, scale: 0.5}
  - {name: id, column: 0}
`, file))
	chans := p.Channels()
	if len(chans) != 3 || chans[0] != (sensors.Channel{Name: "temp_k", Unit: "K", Min: 200, Max: 400}) ||
		chans[1].Unit != "A" || chans[2].Min != 0 || chans[2].Max != 0 {
		t.Fatalf("channels %+v", chans)
	}
	rows, err := drain(t, p, -1)
	if !errors.Is(err, ErrEnd) || !errors.Is(err, sensors.ErrEnd) || !errors.Is(err, io.EOF) {
		t.Fatalf("Stream ended with %v, want ErrEnd", err)
	}
	want := []row{
		{0, []float64{293.65, 1.5, 1}},
		{100 * time.Millisecond, []float64{294.65, 2, 2}},
		{200 * time.Millisecond, []float64{math.NaN(), 2.5, 3}},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		for c := range w.vals {
			g := rows[i].vals[c]
			if rows[i].t != w.t || !(math.Abs(g-w.vals[c]) < 1e-9 || math.IsNaN(g) && math.IsNaN(w.vals[c])) {
				t.Errorf("row %d: %v %v, want %v %v", i, rows[i].t, rows[i].vals, w.t, w.vals)
			}
		}
	}
	var s sensors.Sample
	if err := p.Read(context.Background(), &s); !errors.Is(err, ErrEnd) {
		t.Errorf("Read after the end: %v", err)
	}
}

func TestASCIILoopAndDefaults(t *testing.T) {
	file := writeFile(t, "snap", "# two channels\n0.1\t-0.2\n0.3  0.4\n0.5\t0.6\n")
	p := open(t, 4, "{file: "+file+", format: ascii, realtime: false, loop: true, burst: 500ms}")
	if c := p.Channels(); len(c) != 2 || c[0].Name != "c0" || c[1].Name != "c1" {
		t.Fatalf("default channels %+v", c)
	}
	var sizes []int
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := p.Stream(ctx, func(b *sensors.Batch) error {
		sizes = append(sizes, b.Len())
		for i := range b.Len() {
			if want := time.Duration(n) * 250 * time.Millisecond; time.Duration(b.Times[i]-t0.UnixNano()) != want {
				t.Fatalf("sample %d at %v, want %v", n, time.Duration(b.Times[i]-t0.UnixNano()), want)
			}
			if want := []float64{0.1, 0.3, 0.5}[n%3]; b.Values[i*2] != want {
				t.Fatalf("sample %d = %v, want %v (looping)", n, b.Values[i*2], want)
			}
			n++
		}
		if n >= 10 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[2 2 2 2 2]" {
		t.Errorf("batch sizes %v, want 2 samples per 500 ms burst at 4 Hz", sizes)
	}
}

func TestTimeColumnSpeedAndLoop(t *testing.T) {
	file := writeFile(t, "ims.csv", ",Datetime,B1\n0,2003.10.22.12.06.24,0.1\n1,2003.10.22.12.16.24,0.2\n2,2003.10.22.12.36.24,0.3\n")
	clk := pace.NewVirtual(t0)
	p := open(t, 0, "{file: "+file+", time_column: Datetime, time_format: '2006.01.02.15.04.05', columns: [{name: b1, column: B1, unit: g}], speed: 600, loop: true, burst: 1ms}")
	p.clock = clk
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	err := p.Stream(ctx, func(b *sensors.Batch) error {
		for i := range b.Len() {
			off := time.Duration(b.Times[i] - t0.UnixNano())
			got = append(got, fmt.Sprintf("%v=%v@%v", off, b.Values[i], clk.Now().Sub(t0)))
		}
		if len(got) == 5 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Data time keeps the recorded spacing; at 600× a 10 min step takes 1 s;
	// the loop restarts one 20 min step after the last row.
	want := "[0s=0.1@0s 10m0s=0.2@1s 30m0s=0.3@3s 50m0s=0.1@5s 1h0m0s=0.2@6s]"
	if fmt.Sprint(got) != want {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	back := writeFile(t, "back.csv", "t,v\n10,1\n9,2\n")
	p = open(t, 0, "{file: "+back+", time_column: t, time_format: unix, realtime: false}")
	if _, err := drain(t, p, -1); err == nil || !strings.Contains(err.Error(), "back.csv:3: time goes backwards") {
		t.Errorf("backwards time: %v", err)
	}
}

func TestReadPaced(t *testing.T) {
	file := writeFile(t, "v.csv", "v\n1\n2\n3\n")
	clk := pace.NewVirtual(t0)
	p := open(t, 2, "{file: "+file+", speed: 2}")
	p.clock = clk
	var s sensors.Sample
	for i := range 3 {
		if err := p.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		if s.Values[0] != float64(i+1) || !s.Time.Equal(t0.Add(time.Duration(i)*500*time.Millisecond)) ||
			!clk.Now().Equal(t0.Add(time.Duration(i)*250*time.Millisecond)) {
			t.Errorf("read %d: %v at %v, clock %v", i, s.Values, s.Time.Sub(t0), clk.Now().Sub(t0))
		}
	}
	p.Close()
	if err := p.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestBadRowsAndOptions(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.csv")
	os.WriteFile(long, []byte("a\n1\n"+strings.Repeat("9", MaxLine+10)+"\n"), 0o644)
	cases := []struct {
		rate      float64
		text      string
		opts      string
		openErr   string
		streamErr string
	}{
		{10, "a,b\n1,2\n3,x\n", "", "", "bad.csv:3: column \"b\": \"x\" is not a number"},
		{10, "a,b\n1,2\n3\n", "", "", "bad.csv:3: 1 fields, want at least 2"},
		{10, "a,b\n1,2\n\"3,4\n", "", "", "bad.csv:3: field 1: unterminated quote"},
		{10, "a,b\n1,2\n", "columns: [{name: x, column: c}]", `option columns[0].column: "c" is not in the header of`, ""},
		{10, "a,b\n1,2\n", "columns: [{name: x, column: 5}]", "index 5 is outside the 2 columns", ""},
		{10, "1 2\n", "format: ascii\ncolumns: [{name: x, column: b}]", "not a 0-based column index", ""},
		{10, "a,b\n", "", "no data rows", ""},
		{10, "", "", "empty file, want a header line", ""},
		{10, "a,b\nx,y\n", "", "no numeric column", ""},
		{10, "a\n1\n", "format: tsv", "option format", ""},
		{10, "a\n1\n", "delimiter: ';;'", "option delimiter", ""},
		{10, "a\n1\n", "speed: -1", "option speed", ""},
		{10, "a\n1\n", "burst: 2h", "option burst", ""},
		{0, "a\n1\n", "", "rate: 0 must be in", ""},
		{10, "t,a\n1,1\n", "time_column: t", "conflicts with time_column", ""},
		{0, "t,a\n1,1\n", "time_column: t\ntime_format: yesterday", "option time_format", ""},
		{0, "t,a\n1,1\n", "time_format: unix", "option time_format: set without time_column", ""},
		{10, "a\n1\n", "columns: [{name: x, column: a}, {name: x, column: a}]", "columns[1].name: \"x\" used twice", ""},
		{10, "a\n1\n", "columns: [{name: x, column: a, scale: 0}]", "columns[0].scale", ""},
		{10, "a\n1\n", "columns: [{name: x, column: a, min: 2, max: 1}]", "columns[0]: min 2 is not below max 1", ""},
		{10, "a\n1\n", "format: ascii\nheader: true", "ascii files have no header", ""},
		{10, "a\n1\n", "colour: red", "colour", ""},
	}
	for _, tc := range cases {
		file := filepath.Join(dir, "bad.csv")
		os.WriteFile(file, []byte(tc.text), 0o644)
		opts := "file: " + file + "\nrealtime: false\n" + tc.opts
		s, err := Open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(opts)}, nil)
		if tc.openErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.openErr) || !strings.HasPrefix(err.Error(), "replay: ") {
				t.Errorf("%q / %q: Open error %v, want %q", tc.text, tc.opts, err, tc.openErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: Open: %v", tc.text, err)
			continue
		}
		rows, err := drain(t, s.(*Player), -1)
		s.Close()
		if err == nil || !strings.Contains(err.Error(), tc.streamErr) || len(rows) != 1 {
			t.Errorf("%q: Stream gave %d rows and %v, want 1 row then %q", tc.text, len(rows), err, tc.streamErr)
		}
	}
	if _, err := Open(context.Background(), sensors.Spec{Rate: 1, Options: sensortest.Options("file: " + long)}, nil); err != nil {
		t.Fatal(err)
	} else if s, _ := Open(context.Background(), sensors.Spec{Rate: 1, Options: sensortest.Options("{file: " + long + ", realtime: false}")}, nil); s != nil {
		_, err := drain(t, s.(*Player), -1)
		if err == nil || !strings.Contains(err.Error(), "long.csv:3: line longer than") {
			t.Errorf("long line: %v", err)
		}
		s.Close()
	}
	if _, err := Open(context.Background(), sensors.Spec{Rate: 1, Options: sensortest.Options("file: /nonexistent/x.csv")}, nil); err == nil || !strings.Contains(err.Error(), "option file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCallbackError(t *testing.T) {
	p := open(t, 10, "{file: "+writeFile(t, "a.csv", "a\n1\n2\n")+", realtime: false}")
	boom := errors.New("boom")
	if err := p.Stream(context.Background(), func(*sensors.Batch) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Stream: %v", err)
	}
}

// datasets returns $AXLE_DATASETS_DIR or skips.
func datasets(t *testing.T) string {
	dir := os.Getenv("AXLE_DATASETS_DIR")
	if dir == "" {
		t.Skip("AXLE_DATASETS_DIR not set; the tests above cover the parser with small files")
	}
	return dir
}

func TestIMSRawSnapshot(t *testing.T) {
	file := filepath.Join(datasets(t), "ims_bearing", "raw_1st_test", "2003.10.22.12.06.24")
	p := open(t, 20480, "{file: "+file+", format: ascii, realtime: false, columns: [{name: b1_x, column: 0, unit: m/s^2, scale: 9.80665}, {name: b4_y, column: 7, unit: g}]}")
	rows, err := drain(t, p, -1)
	if !errors.Is(err, ErrEnd) {
		t.Fatal(err)
	}
	if len(rows) != 20480 || rows[20479].t != time.Second-time.Second/20480 {
		t.Fatalf("%d rows, last at %v; want 20480 in one second", len(rows), rows[len(rows)-1].t)
	}
	if math.Abs(rows[0].vals[0]+0.022*9.80665) > 1e-15 || rows[0].vals[1] != -0.142 {
		t.Errorf("first row %v", rows[0].vals)
	}
	// SOURCES.md: mean |x| of bearing 1-A over samples 2..20480 is the
	// first value of 1st_test_resmaple_10minutes.csv.
	sum := 0.0
	for _, r := range rows[1:] {
		sum += math.Abs(r.vals[0] / 9.80665)
	}
	if got := sum / 20479; math.Abs(got-0.10414785878216577) > 1e-12 {
		t.Errorf("mean |b1_x| = %.17g g, SOURCES.md says 0.10414785878216577", got)
	}
}

func TestIMSTenMinuteCSV(t *testing.T) {
	file := filepath.Join(datasets(t), "ims_bearing", "2nd_test_resmaple_10minutes.csv")
	p := open(t, 0, "{file: '"+file+"', realtime: false, time_column: Datetime, time_format: '2006.01.02.15.04.05', columns: [{name: b1, column: Bearing 1, unit: g}]}")
	rows, err := drain(t, p, -1)
	if !errors.Is(err, ErrEnd) {
		t.Fatal(err)
	}
	if len(rows) != 984 || rows[1].t != 10*time.Minute || rows[0].vals[0] != 0.05833287758191331 {
		t.Fatalf("%d rows, second at %v, first %v", len(rows), rows[1].t, rows[0].vals)
	}
	// The run ends in an outer race failure of bearing 1: 0.45 g shortly
	// before the rig stopped, against under 0.1 g in the first day.
	peak := func(rs []row) float64 {
		m := 0.0
		for _, r := range rs {
			m = max(m, r.vals[0])
		}
		return m
	}
	if early, late := peak(rows[:144]), peak(rows[len(rows)-10:]); early > 0.1 || late < 0.4 {
		t.Errorf("bearing 1 peaks at %v g on day one and %v g at the end", early, late)
	}
	if span := rows[len(rows)-1].t; span < 6*24*time.Hour || span > 8*24*time.Hour {
		t.Errorf("test 2 spans %v, want about a week", span)
	}
}

func TestAI4I(t *testing.T) {
	file := filepath.Join(datasets(t), "ai4i2020", "ai4i2020.csv")
	p := open(t, 1, "{file: "+file+", realtime: false, columns: [{name: air_temp, column: 'Air temperature [K]', unit: degC, offset: -273.15}, {name: rpm, column: 'Rotational speed [rpm]', unit: rpm}, {name: torque, column: 'Torque [Nm]', unit: N*m}]}")
	rows, err := drain(t, p, -1)
	if !errors.Is(err, ErrEnd) {
		t.Fatal(err)
	}
	if len(rows) != 10000 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[0].vals; math.Abs(r[0]-(298.1-273.15)) > 1e-9 || r[1] != 1551 || r[2] != 42.8 {
		t.Errorf("first row %v", r)
	}
	for i, r := range rows {
		if r.vals[1] < 1168 || r.vals[1] > 2886 || r.vals[2] < 3.8 || r.vals[2] > 76.6 {
			t.Fatalf("row %d outside the documented ranges: %v", i, r.vals)
		}
	}
}

// BenchmarkStreamASCII measures parsing a 20 kHz 8-channel IMS-style file:
// one op = one second of data.
func BenchmarkStreamASCII(b *testing.B) {
	var sb strings.Builder
	for i := range 20480 {
		for c := range 8 {
			if c > 0 {
				sb.WriteByte('\t')
			}
			fmt.Fprintf(&sb, "%.3f", math.Sin(float64(i*(c+1))))
		}
		sb.WriteByte('\n')
	}
	file := filepath.Join(b.TempDir(), "snap")
	os.WriteFile(file, []byte(sb.String()), 0o644)
	s, err := Open(context.Background(), sensors.Spec{Rate: 20480, Options: sensortest.Options("{file: " + file + ", format: ascii, realtime: false, loop: true}")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	n, total := 0, b.N*20480
	s.(*Player).Stream(ctx, func(bt *sensors.Batch) error {
		if n += bt.Len(); n >= total {
			cancel()
		}
		return nil
	})
}
