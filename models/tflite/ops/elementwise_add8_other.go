//go:build (!amd64 && !arm64) || purego

package ops

// Without a vector kernel (other architectures, and the purego tag) the
// portable loop of ewAdd8Rows does every element.
func add8Vec[T int8 | uint8](*ewAdd8, []T, []T, []T) int { return 0 }
