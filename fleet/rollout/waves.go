package rollout

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxWaves bounds the number of waves of one rollout.
const MaxWaves = 20

// ParsePercent reads "2%", "2.5%" or "2" as a percentage between 0 and 100.
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	p, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
		return 0, fmt.Errorf("rollout: percentage %q: want a number from 0 to 100, like 2%%", s)
	}
	return p, nil
}

// ParseWaves reads cumulative wave sizes such as "5%,25%,100%": strictly
// increasing percentages, each above 0, the last one 100.
func ParseWaves(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) > MaxWaves {
		return nil, fmt.Errorf("rollout: waves %q: %d waves, limit %d", s, len(parts), MaxWaves)
	}
	ws := make([]float64, 0, len(parts))
	for i, p := range parts {
		v, err := ParsePercent(p)
		if err != nil {
			return nil, fmt.Errorf("rollout: waves: wave %d: %w", i+1, err)
		}
		ws = append(ws, v)
	}
	if err := checkWaves(ws); err != nil {
		return nil, err
	}
	return ws, nil
}

func checkWaves(ws []float64) error {
	if len(ws) == 0 || len(ws) > MaxWaves {
		return fmt.Errorf("rollout: waves: %d waves, want 1 to %d", len(ws), MaxWaves)
	}
	for i, v := range ws {
		if math.IsNaN(v) || v <= 0 || v > 100 {
			return fmt.Errorf("rollout: waves: wave %d is %g%%, want above 0 and at most 100", i+1, v)
		}
		if i > 0 && v <= ws[i-1] {
			return fmt.Errorf("rollout: waves: wave %d (%g%%) must be larger than wave %d (%g%%): sizes are cumulative", i+1, v, i, ws[i-1])
		}
	}
	if ws[len(ws)-1] != 100 {
		return fmt.Errorf("rollout: waves: the last wave is %g%%, it must be 100%%", ws[len(ws)-1])
	}
	return nil
}

// position places a device on the unit interval by the hash of its id, so
// the order does not depend on the list's order or on the other devices.
func position(device string) uint64 {
	h := sha256.Sum256([]byte(device))
	return binary.BigEndian.Uint64(h[:8])
}

// Assign splits devices into waves for the cumulative percentages waves:
// devices are ordered by the hash of their id and wave i ends at
// ⌈waves[i]·n/100⌉, so the same list always gives the same canaries, every
// wave that can hold a device holds at least one, and a device that joins
// later lands where its hash puts it. Duplicates count once.
func Assign(devices []string, waves []float64) [][]string {
	ds := slices.Clone(devices)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	slices.SortFunc(ds, func(a, b string) int {
		pa, pb := position(a), position(b)
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([][]string, len(waves))
	start := 0
	for i, w := range waves {
		// The small slack keeps 7% of 100 at 7 despite binary rounding.
		end := int(math.Ceil(w*float64(len(ds))/100 - 1e-9))
		end = min(max(end, start), len(ds))
		out[i] = ds[start:end:end]
		start = end
	}
	return out
}
