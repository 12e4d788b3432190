package ops

import "testing"

// TestFingerprint64 checks fingerprint64 against published FarmHash
// Fingerprint64 outputs: TensorFlow's own tests (tsl fingerprint_test.cc:
// "Hello", "World"; string_to_hash_bucket_op_test.py: "a" to "d") and the
// farmhash-na column of a public Go port's test table, covering every
// length path (0-16, 17-32, 33-64, and the block loop once and many
// times).
func TestFingerprint64(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"Hello", 15404698994557526151},
		{"World", 18308117990299812472},
		{"a", 12917804110809363939},
		{"b", 11795596070477164822},
		{"c", 11430444447143000872},
		{"d", 4470636696479570465},
		{"", 0x9ae16a3b2f90404f},
		{"ab", 0xaa8d6e5242ada51e},
		{"abcd", 0x1a5502de4a1f8101},
		{"abcdefgh", 0xfee9d22990c82909},
		{"0123456789'01234", 0x4283d4ef43627f64},
		{"0123456789=012345", 0x46a7416ed4861e3b},
		{"C is as portable as Stonehedge!!", 0xb944f8a16261e414},
		{"Discard medicine more than two years old.", 0xe8f89ab6df9bdd25},
		{"The days of the digital watch are numbered.  -Tom Stoppard", 0x2a578b80bb82147c},
		{"For every action there is an equal and opposite government program.", 0x55182f8859eca4ce},
		{"The fugacity of a constituent in a mixture of gases at a given temperature is proportional to its mole fraction.  Lewis-Randall Rule", 0x98eff6958c5e91a},
		{"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.", 0xc3f02c4ffd5d71e6},
	} {
		if got := fingerprint64([]byte(c.in)); got != c.want {
			t.Errorf("fingerprint64(%q) (%d bytes) = %#x, want %#x", c.in, len(c.in), got, c.want)
		}
	}
}
