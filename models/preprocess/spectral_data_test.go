package preprocess

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// IMS test rig (Rexnord ZA-2115 at 2000 rpm): ball pass frequency of the
// outer race as published with the data set (Qiu et al., 2006).
const (
	imsRate = 20480.0 // 20,480 samples per 1-s snapshot
	imsBPFO = 236.4
)

// imsSnapshot reads one channel of a raw IMS snapshot, skipping the test
// when AXLE_DATASETS_DIR is not set.
func imsSnapshot(t *testing.T, name string, col int) []float64 {
	t.Helper()
	dir := os.Getenv("AXLE_DATASETS_DIR")
	if dir == "" {
		t.Skip("AXLE_DATASETS_DIR not set")
	}
	f, err := os.Open(filepath.Join(dir, "ims_bearing", "raw_1st_test", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var x []float64
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 8 {
			t.Fatalf("%s:%d: %d columns, want 8", name, line, len(cols))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[col]), 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", name, line, err)
		}
		x = append(x, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(x) != 20480 {
		t.Fatalf("%s: %d samples, want 20480", name, len(x))
	}
	return x
}

// seedOuterRaceFault adds impacts at BPFO, each ringing a 4 kHz resonance
// (inside the envelope band) with peak amplitude peak (g).
func seedOuterRaceFault(x []float64, peak float64) []float64 {
	out := append([]float64(nil), x...)
	for t0 := 0.0; t0 < float64(len(x))/imsRate; t0 += 1 / imsBPFO {
		start := int(math.Ceil(t0 * imsRate))
		for i := start; i < len(x) && i < start+200; i++ {
			d := float64(i)/imsRate - t0
			out[i] += peak * math.Exp(-d*1500) * math.Sin(2*math.Pi*4000*d)
		}
	}
	return out
}

// The raw IMS snapshots in the data folder are from the healthy start of
// test 1 (the degraded part exists there only as 10-minute mean |x|
// values). So the envelope feature is checked against the reference on the
// real signal, shown to be steady between the two healthy snapshots 4.6 h
// apart, and shown to rise when an outer-race fault is seeded onto the real
// background vibration.
func TestIMSBearingEnvelope(t *testing.T) {
	a := imsSnapshot(t, "2003.10.22.12.06.24", 0) // bearing 1, x
	b := imsSnapshot(t, "2003.10.22.16.44.13", 0)
	env := "envelope(lo=3000, hi=5000, freq=236.4, tol=3, harmonics=2)"
	off := "envelope(lo=3000, hi=5000, freq=180, tol=3, harmonics=2)" // no defect of this bearing there
	decls := []string{env, off, "band_energy(lo=3000, hi=5000)", "spectral_kurtosis(lo=3000, hi=5000, nperseg=128)", CrestFactor}

	// Against the float64 reference on 2048 real samples.
	short := a[:2048]
	got := features(t, imsRate, short, 100, decls...)
	closeTo(t, "real "+env, got[0], refEnvelope(short, imsRate, 3000, 5000, imsBPFO, 3, 2), 1e-4)
	closeTo(t, "real band_energy", got[2], refBandEnergy(short, imsRate, 3000, 5000, true), 1e-5)
	closeTo(t, "real spectral_kurtosis", got[3], refSpectralKurtosis(short, imsRate, 3000, 5000, 128), 1e-4)

	// Whole 1-s snapshots.
	ha := features(t, imsRate, a, 0, decls...)
	hb := features(t, imsRate, b, 0, decls...)
	rms := 0.0
	for _, v := range demean(a) {
		rms += v * v / float64(len(a))
	}
	rms = math.Sqrt(rms)
	faulty := features(t, imsRate, seedOuterRaceFault(a, 2*rms), 0, decls...)
	t.Logf("healthy 12:06 %v\nhealthy 16:44 %v\nseeded fault  %v", ha, hb, faulty)
	if r := ha[0] / hb[0]; r < 0.5 || r > 2 {
		t.Errorf("envelope at BPFO of two healthy snapshots differs by %.2f×", r)
	}
	if faulty[0] < 3*ha[0] {
		t.Errorf("envelope at BPFO with a seeded fault = %g, healthy %g: want ≥ 3×", faulty[0], ha[0])
	}
	if faulty[1] > 1.5*ha[1] {
		t.Errorf("envelope at 180 Hz rose from %g to %g: the rise must be at BPFO", ha[1], faulty[1])
	}
}
