package build

import (
	"bytes"
	"testing"
)

func TestStrings(t *testing.T) {
	// Two strings: count 2, offsets 16, 18, 18, then "hi".
	want := []byte{2, 0, 0, 0, 16, 0, 0, 0, 18, 0, 0, 0, 18, 0, 0, 0, 'h', 'i'}
	if got := Strings("hi", ""); !bytes.Equal(got, want) {
		t.Errorf("Strings(\"hi\", \"\") = %v, want %v", []byte(got), want)
	}
	if got := Strings(); !bytes.Equal(got, []byte{0, 0, 0, 0, 8, 0, 0, 0}) {
		t.Errorf("Strings() = %v", []byte(got))
	}
}
