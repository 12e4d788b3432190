package api

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/internal/testtool"
)

// pageSeries is an hour of scores every 30 s for two models: a pump whose
// score climbs through both thresholds in the last ten minutes, and a
// steady fan.
func pageSeries(now time.Time) []Series {
	rng := rand.New(rand.NewPCG(1, 2))
	pump := Series{Model: "pump-anomaly", Version: "4", Warn: 5.68, Alarm: 11.4, Alert: fleet.AlertAlarm,
		Drift: 0.31, DriftActive: true, LatencyP50: 0.0021, LatencyP99: 0.0094}
	fan := Series{Model: "fan-anomaly", Version: "2", Warn: 3, Alarm: 6, Alert: fleet.AlertOK,
		Drift: 0.02, LatencyP50: 0.0008, LatencyP99: 0.0031}
	for i := range 120 {
		t := now.Add(time.Duration(i-120) * 30 * time.Second)
		p := 1.8 + 0.6*rng.Float64()
		if i >= 100 {
			p += float64(i-100) * 0.6
		}
		pump.Points = append(pump.Points, Point{t, math.Round(p*1000) / 1000})
		fan.Points = append(fan.Points, Point{t, math.Round((1+0.4*math.Sin(float64(i)/8)+0.2*rng.Float64())*1000) / 1000})
	}
	return []Series{pump, fan}
}

func chromium(t *testing.T, args ...string) string {
	t.Helper()
	bin := testtool.Find(t, "chromium", "chromium", "/usr/bin/chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

var (
	attrRe    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	sectionRe = regexp.MustCompile(`<section [^>]*data-model="([^"]+)"`)
	lineRe    = regexp.MustCompile(`<(polyline|line|span)\s[^>]*>`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(tag, -1) {
		m[a[1]] = a[2]
	}
	return m
}

// TestPageInChromium loads the live page in headless Chromium from a
// server that requires a token (the page takes it from #token=), lets its
// scripts run, and checks the rendered DOM: one plot per model whose line
// holds exactly the recent scores, in time order, with the thresholds,
// alert state, drift and latency, and that it keeps polling.
func TestPageInChromium(t *testing.T) {
	now := time.Now()
	src := &fakeSource{series: pageSeries(now)}
	base := serveTCP(t, src, Options{Token: "page-token"})
	dom := chromium(t, "--virtual-time-budget=5000", "--dump-dom", base+"/#token=page-token")

	idx := sectionRe.FindAllStringSubmatchIndex(dom, -1)
	if len(idx) != 2 {
		t.Fatalf("rendered %d model sections, want 2; DOM:\n%s", len(idx), dom)
	}
	for i, want := range src.series {
		end := len(dom)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		sec := dom[idx[i][0]:end]
		if name := dom[idx[i][2]:idx[i][3]]; name != want.Model {
			t.Fatalf("section %d is %q, want %q", i, name, want.Model)
		}
		var line map[string]string
		thresholds := map[string]float64{}
		alert := ""
		for _, tag := range lineRe.FindAllString(sec, -1) {
			a := attrs(tag)
			switch {
			case a["class"] == "score":
				line = a
			case strings.HasPrefix(a["class"], "th-"):
				thresholds[strings.TrimPrefix(a["class"], "th-")], _ = strconv.ParseFloat(a["data-value"], 64)
			case a["data-alert"] != "":
				alert = a["data-alert"]
			}
		}
		if line == nil {
			t.Fatalf("%s: no score line in\n%s", want.Model, sec)
		}
		scores := strings.Fields(line["data-scores"])
		pts := strings.Fields(line["points"])
		if len(scores) != len(want.Points) || len(pts) != len(want.Points) || line["data-count"] != strconv.Itoa(len(want.Points)) {
			t.Fatalf("%s: plot has %d scores, %d points, count %q; want %d", want.Model, len(scores), len(pts), line["data-count"], len(want.Points))
		}
		prevX := math.Inf(-1)
		for j, p := range want.Points {
			if got, err := strconv.ParseFloat(scores[j], 64); err != nil || got != p.Score {
				t.Fatalf("%s: score %d is %q, want %g", want.Model, j, scores[j], p.Score)
			}
			xy := strings.Split(pts[j], ",")
			x, errX := strconv.ParseFloat(xy[0], 64)
			if len(xy) != 2 || errX != nil || x <= prevX {
				t.Fatalf("%s: point %d %q is not after the previous one", want.Model, j, pts[j])
			}
			prevX = x
		}
		// A higher score is drawn higher (smaller y): compare the extremes.
		lo, hi := 0, 0
		for j, p := range want.Points {
			if p.Score < want.Points[lo].Score {
				lo = j
			}
			if p.Score > want.Points[hi].Score {
				hi = j
			}
		}
		yOf := func(j int) float64 { v, _ := strconv.ParseFloat(strings.Split(pts[j], ",")[1], 64); return v }
		if !(yOf(hi) < yOf(lo)) {
			t.Errorf("%s: the highest score is not drawn above the lowest", want.Model)
		}
		if thresholds["warn"] != want.Warn || thresholds["alarm"] != want.Alarm {
			t.Errorf("%s: thresholds drawn %v, want warn %g alarm %g", want.Model, thresholds, want.Warn, want.Alarm)
		}
		if alert != want.Alert {
			t.Errorf("%s: alert %q, want %q", want.Model, alert, want.Alert)
		}
		if !strings.Contains(sec, "drift (PSI) "+strconv.FormatFloat(want.Drift, 'f', 3, 64)) {
			t.Errorf("%s: drift not shown", want.Model)
		}
		if !strings.Contains(sec, "p99") {
			t.Errorf("%s: latency not shown", want.Model)
		}
	}
	// 5 s of page time at one poll per 2 s: the page updates itself.
	if n := src.polls.Load(); n < 2 {
		t.Errorf("the page fetched /v1/series %d times in 5 s, want it to poll", n)
	}
	if !strings.Contains(dom, "pump-07") {
		t.Error("page does not show the device from /v1/status")
	}
}

// TestPageScreenshot refreshes docs/api-page.png for the README when
// AXLE_API_SCREENSHOT names the output file.
func TestPageScreenshot(t *testing.T) {
	out := os.Getenv("AXLE_API_SCREENSHOT")
	if out == "" {
		t.Skip("set AXLE_API_SCREENSHOT=path to write a screenshot of the page")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		t.Fatal(err)
	}
	base := serveTCP(t, &fakeSource{series: pageSeries(time.Now())}, Options{})
	chromium(t, "--virtual-time-budget=5000", "--hide-scrollbars", "--window-size=1200,800", "--screenshot="+out, base+"/")
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
}
