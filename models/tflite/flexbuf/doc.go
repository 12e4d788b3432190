// Package flexbuf reads FlexBuffers from untrusted bytes.
//
// TFLite custom operators (TFLite_Detection_PostProcess, the TFLite Micro
// signal library) keep their options as a FlexBuffers map in the operator's
// custom_options. This reader follows every offset only after checking it
// against the buffer, never panics, and reports what was wrong and where.
//
// Layout reminder (little-endian, read from the end):
//
//	buffer:  ... [root slot: W bytes] [root packed type] [W]
//	packed:  type<<2 | log2(width of the target's elements)
//	inline:  null, int, uint, float, bool live in the parent's slot
//	others:  the slot holds an unsigned offset back to the target
//	vector:  [size][elem 0]...[elem n-1] [packed type 0]...[packed type n-1]
//	typed:   [size][elem 0]...[elem n-1]           (fixed 2/3/4: no size)
//	map:     [keys offset][keys width][size][values...][types...]
//	         keys: typed vector of offsets to NUL-terminated strings
//	string:  [size][bytes][NUL]        key: [bytes][NUL]
package flexbuf
