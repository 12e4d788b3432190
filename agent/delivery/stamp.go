package delivery

import "strconv"

// Stamp appends payload to dst with `"seq":N,` (and `"historical":true,`)
// inserted right after the opening '{', without parsing the rest: the agent
// stores v1 JSON objects without those two members and they are decided
// only at publish time. A payload that is not a JSON object (its first
// non-space byte is not '{') is appended unchanged.
func Stamp(dst, payload []byte, seq uint64, historical bool) []byte {
	i := skipSpace(payload, 0)
	if i == len(payload) || payload[i] != '{' {
		return append(dst, payload...)
	}
	dst = append(dst, payload[:i+1]...)
	dst = append(dst, `"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	if historical {
		dst = append(dst, `,"historical":true`...)
	}
	if j := skipSpace(payload, i+1); j < len(payload) && payload[j] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, payload[i+1:]...)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stampedLen bounds len(Stamp(nil, payload, seq, true)).
func stampedLen(payload []byte) int {
	return len(payload) + len(`"seq":18446744073709551615,"historical":true,`)
}
