package monitor

import (
	"fmt"
	"io"
	"strings"
)

// Labels renders Prometheus label pairs, in the order given, as
// {k1="v1",k2="v2"}, escaping values as the text format requires.
func Labels(kv ...string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(kv[i+1])
		fmt.Fprintf(&b, "%s=\"%s\"", sanitize(kv[i]), v)
	}
	b.WriteByte('}')
	return b.String()
}

// WriteHistogramSeries writes the bucket, sum and count lines of h as the
// histogram name with labels (from Labels, may be empty); the caller
// writes the TYPE line once per name.
func WriteHistogramSeries(w io.Writer, name, labels string, h *Histogram) error {
	inner := strings.TrimSuffix(strings.TrimPrefix(labels, "{"), "}")
	sep := ""
	if inner != "" {
		sep = ","
	}
	var b strings.Builder
	var cum uint64
	for i, le := range latencyBounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(&b, "%s_bucket{%s%sle=\"%s\"} %d\n", name, inner, sep, formatFloat(le), cum)
	}
	cum += h.counts[len(latencyBounds)].Load()
	fmt.Fprintf(&b, "%s_bucket{%s%sle=\"+Inf\"} %d\n%s_sum%s %s\n%s_count%s %d\n",
		name, inner, sep, cum, name, labels, formatFloat(float64(h.sumNs.Load())/1e9), name, labels, cum)
	_, err := io.WriteString(w, b.String())
	return err
}
