package probation

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// shadowRef computes the comparison figures from the full score streams.
type shadowRef struct {
	champ, cand           []float64
	champAlert, candAlert []bool
}

func (r *shadowRef) add(w ShadowWindow) {
	r.champ = append(r.champ, w.ChampionScore)
	r.cand = append(r.cand, w.CandidateScore)
	r.champAlert = append(r.champAlert, w.ChampionAlert)
	r.candAlert = append(r.candAlert, w.CandidateAlert)
}

func (r *shadowRef) figures() (agreement, mean, p95 float64) {
	var agree int
	var diffs []float64
	for i := range r.champ {
		if r.champAlert[i] == r.candAlert[i] {
			agree++
		}
		d := math.Abs(r.champ[i] - r.cand[i])
		if !math.IsNaN(d) && !math.IsInf(d, 0) {
			diffs = append(diffs, d)
		}
	}
	var sum float64
	for _, d := range diffs {
		sum += d
	}
	slices.Sort(diffs)
	return float64(agree) / float64(len(r.champ)), sum / float64(len(diffs)), diffs[int(math.Ceil(0.95*float64(len(diffs))))-1]
}

func TestShadowExact(t *testing.T) {
	s := NewShadow()
	if st := s.Stats(); st != (ShadowStats{}) {
		t.Fatalf("empty stats %+v", st)
	}
	r := rand.New(rand.NewPCG(9, 10))
	var ref shadowRef
	for i := range 1000 {
		c := r.Float64()
		w := ShadowWindow{
			ChampionScore:    c,
			CandidateScore:   c + r.NormFloat64()*0.05,
			ChampionAlert:    c > 0.8,
			CandidateAlert:   c > 0.75,
			CandidateLatency: time.Duration(1+i%100) * 100 * time.Microsecond,
		}
		if i%97 == 0 {
			w.CandidateScore = math.NaN()
		}
		s.Observe(w)
		ref.add(w)
	}
	st := s.Stats()
	agreement, mean, p95 := ref.figures()
	if st.Windows != 1000 || st.NonFinite != 11 {
		t.Errorf("windows %d non-finite %d, want 1000 and 11", st.Windows, st.NonFinite)
	}
	if st.Agreement != agreement || math.Abs(st.MeanAbsDiff-mean) > 1e-12 || st.P95AbsDiff != p95 {
		t.Errorf("stats %+v, reference agreement %v mean %v p95 %v", st, agreement, mean, p95)
	}
	// Latencies 0.1..10 ms evenly: p50 5 ms, p99 9.9 ms, each within one
	// bucket above.
	for _, q := range []struct {
		got, want time.Duration
	}{{st.CandidateP50, 5 * time.Millisecond}, {st.CandidateP99, 9900 * time.Microsecond}} {
		if q.got < q.want || float64(q.got) > float64(q.want)*1.045 {
			t.Errorf("latency quantile %v, want within a bucket above %v", q.got, q.want)
		}
	}
}

// Beyond the reservoir the p95 is a sample's: close to the stream's.
func TestShadowReservoir(t *testing.T) {
	s := NewShadow()
	var ref shadowRef
	r := rand.New(rand.NewPCG(11, 12))
	for range 50 * ShadowReservoir {
		w := ShadowWindow{ChampionScore: 0.5, CandidateScore: 0.5 + r.ExpFloat64()*0.01}
		s.Observe(w)
		ref.add(w)
	}
	st := s.Stats()
	_, mean, p95 := ref.figures()
	if math.Abs(st.MeanAbsDiff-mean) > 1e-9 || st.Agreement != 1 {
		t.Errorf("mean %v agreement %v, want %v and 1", st.MeanAbsDiff, st.Agreement, mean)
	}
	// The p95 of an exponential with mean 0.01 is 0.03; a uniform sample of
	// 1024 puts its p95 within about ±10 % of the stream's.
	if math.Abs(st.P95AbsDiff-p95)/p95 > 0.1 {
		t.Errorf("reservoir p95 %v, stream p95 %v", st.P95AbsDiff, p95)
	}
	// Deterministic: the same stream gives the same figures.
	s2 := NewShadow()
	for i := range ref.champ {
		s2.Observe(ShadowWindow{ChampionScore: ref.champ[i], CandidateScore: ref.cand[i]})
	}
	if s2.Stats() != st {
		t.Errorf("second run %+v, first %+v", s2.Stats(), st)
	}
}

func TestShadowObserveDoesNotAllocate(t *testing.T) {
	s := NewShadow()
	i := 0
	if a := testing.AllocsPerRun(3*ShadowReservoir, func() {
		i++
		s.Observe(ShadowWindow{ChampionScore: float64(i % 7), CandidateScore: float64(i % 5), CandidateLatency: time.Millisecond})
	}); a != 0 {
		t.Errorf("Observe allocates %v times", a)
	}
}
