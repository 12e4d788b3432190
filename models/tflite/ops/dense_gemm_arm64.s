//go:build !purego

#include "textflag.h"

// Go's arm64 assembler has no mnemonics for the signed widening NEON
// instructions or FMLA by element, so those are WORDs with the
// instruction in the comment.

// func gemmI8NEON(a, wp *int8, acc *int32, n, k, blocks int)
//
// Per step of 16 depths: activations widen to int16 (SXTL), so each depth
// pair is one 32-bit lane that DUP broadcasts against a widened pair-layout
// weight vector [c0k0 c0k1 c1k0 c1k1 | c2k0 c2k1 c3k0 c3k1]; SMLAL/SMLAL2
// accumulate exact int32 products, and ADDP folds each channel's even and
// odd lanes at the end.
TEXT ·gemmI8NEON(SB), NOSPLIT, $0-48
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	LSL  $2, R4, R4             // bytes per block
	MOVD blocks+40(FP), R5

i8block:
	VEOR V0.B16, V0.B16, V0.B16 // c0, c1 lanes
	VEOR V1.B16, V1.B16, V1.B16 // c2, c3 lanes
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8

i8step:
	VLD1.P 16(R6), [V2.B16]
	VLD1.P 64(R7), [V16.B16, V17.B16, V18.B16, V19.B16]
	WORD $0x0F08A443 // SXTL V3.8H, V2.8B
	WORD $0x4F08A444 // SXTL2 V4.8H, V2.16B
	WORD $0x0F08A614 // SXTL V20.8H, V16.8B
	WORD $0x4F08A615 // SXTL2 V21.8H, V16.16B
	VDUP V3.S[0], V22.S4
	VDUP V3.S[1], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A634 // SXTL V20.8H, V17.8B
	WORD $0x4F08A635 // SXTL2 V21.8H, V17.16B
	VDUP V3.S[2], V22.S4
	VDUP V3.S[3], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A654 // SXTL V20.8H, V18.8B
	WORD $0x4F08A655 // SXTL2 V21.8H, V18.16B
	VDUP V4.S[0], V22.S4
	VDUP V4.S[1], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A674 // SXTL V20.8H, V19.8B
	WORD $0x4F08A675 // SXTL2 V21.8H, V19.16B
	VDUP V4.S[2], V22.S4
	VDUP V4.S[3], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	SUBS $1, R8, R8
	BNE  i8step

	VADDP V1.S4, V0.S4, V0.S4   // [c0 c1 c2 c3]
	VST1.P [V0.S4], 16(R2)
	ADD   R4, R1, R1
	SUBS  $1, R5, R5
	BNE   i8block
	RET

// func gemmF32NEON(a, wp, acc *float32, n, k, blocks int)
//
// Per step of 4 depths: FMLA by element multiplies the 4 channel weights of
// depth i by a[i], into four accumulators summed at the end of the block.
TEXT ·gemmF32NEON(SB), NOSPLIT, $0-48
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	LSL  $4, R4, R4             // bytes per block
	MOVD blocks+40(FP), R5

f32block:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8

f32step:
	VLD1.P 16(R6), [V4.S4]
	VLD1.P 64(R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD $0x4F841200 // FMLA V0.4S, V16.4S, V4.S[0]
	WORD $0x4FA41221 // FMLA V1.4S, V17.4S, V4.S[1]
	WORD $0x4F841A42 // FMLA V2.4S, V18.4S, V4.S[2]
	WORD $0x4FA41A63 // FMLA V3.4S, V19.4S, V4.S[3]
	SUBS $1, R8, R8
	BNE  f32step

	WORD $0x4E21D400 // FADD V0.4S, V0.4S, V1.4S
	WORD $0x4E23D442 // FADD V2.4S, V2.4S, V3.4S
	WORD $0x4E22D400 // FADD V0.4S, V0.4S, V2.4S
	VST1.P [V0.S4], 16(R2)
	ADD    R4, R1, R1
	SUBS   $1, R5, R5
	BNE    f32block
	RET

// func dwI8NEON(acc *int32, x, f *int8, n int, xo int32)
//
// 16 channels per step: x+xo (int16) times f (int16) accumulates exactly
// into the int32 accumulators with SMLAL/SMLAL2.
TEXT ·dwI8NEON(SB), NOSPLIT, $0-36
	MOVD acc+0(FP), R0
	MOVD x+8(FP), R1
	MOVD f+16(FP), R2
	MOVD n+24(FP), R3
	MOVW xo+32(FP), R4
	VDUP R4, V7.H8

dwi8step:
	VLD1.P 16(R1), [V0.B16]
	VLD1.P 16(R2), [V1.B16]
	VLD1   (R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD $0x0F08A402 // SXTL V2.8H, V0.8B
	WORD $0x4F08A403 // SXTL2 V3.8H, V0.16B
	VADD V7.H8, V2.H8, V2.H8
	VADD V7.H8, V3.H8, V3.H8
	WORD $0x0F08A424 // SXTL V4.8H, V1.8B
	WORD $0x4F08A425 // SXTL2 V5.8H, V1.16B
	WORD $0x0E648050 // SMLAL V16.4S, V2.4H, V4.4H
	WORD $0x4E648051 // SMLAL2 V17.4S, V2.8H, V4.8H
	WORD $0x0E658072 // SMLAL V18.4S, V3.4H, V5.4H
	WORD $0x4E658073 // SMLAL2 V19.4S, V3.8H, V5.8H
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	SUBS   $1, R3, R3
	BNE    dwi8step
	RET

// func requantNEON(acc, add, mult *int32, shift *int, n int, zp, lo, hi int32)
//
// requantize32 on 4 channels per step (n steps), the result clamped into
// acc. SQRDMULH is exactly the reference's doubling high multiply
// ((x*q + 2^30) >> 31, saturating only at MinInt32*MinInt32), SSHL by a
// negative count is the arithmetic right shift, and the rounding is the
// branch-free form of requantize32.
TEXT ·requantNEON(SB), NOSPLIT, $0-52
	MOVD acc+0(FP), R0
	MOVD add+8(FP), R1
	MOVD mult+16(FP), R2
	MOVD shift+24(FP), R3
	MOVD n+32(FP), R4
	MOVW zp+40(FP), R5
	VDUP R5, V29.S4
	MOVW lo+44(FP), R5
	VDUP R5, V28.S4
	MOVW hi+48(FP), R5
	VDUP R5, V27.S4
	MOVW $1, R5
	VDUP R5, V30.S4
	VEOR V31.B16, V31.B16, V31.B16

rqstep:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VADD   V1.S4, V0.S4, V0.S4     // x = acc + add
	VLD1.P 16(R2), [V2.S4]         // q
	VLD1.P 32(R3), [V3.D2, V4.D2]  // shifts (int64)
	WORD $0x0EA12865 // XTN V5.2S, V3.2D
	WORD $0x4EA12885 // XTN2 V5.4S, V4.2D
	WORD $0x4EBF64A6 // SMAX V6.4S, V5.4S, V31.4S (left)
	WORD $0x4EBF6CA7 // SMIN V7.4S, V5.4S, V31.4S (-right)
	WORD $0x4EA64400 // SSHL V0.4S, V0.4S, V6.4S
	WORD $0x6EA2B400 // SQRDMULH V0.4S, V0.4S, V2.4S (h)
	VSUB V7.S4, V31.S4, V8.S4      // right
	WORD $0x6EA847C9 // USHL V9.4S, V30.4S, V8.4S (1<<right)
	VSUB V30.S4, V9.S4, V9.S4      // mask
	VAND V9.B16, V0.B16, V10.B16   // rem
	WORD $0x4F3F0529 // SSHR V9.4S, V9.4S, #1
	WORD $0x6F21040B // USHR V11.4S, V0.4S, #31
	VADD V11.S4, V9.S4, V9.S4      // threshold
	VSUB V10.S4, V9.S4, V9.S4
	WORD $0x6F210529 // USHR V9.4S, V9.4S, #31 (1 when rem > threshold)
	WORD $0x4EA74400 // SSHL V0.4S, V0.4S, V7.4S (h >> right)
	VADD V9.S4, V0.S4, V0.S4
	VADD V29.S4, V0.S4, V0.S4      // + zp
	WORD $0x4EBC6400 // SMAX V0.4S, V0.4S, V28.4S
	WORD $0x4EBB6C00 // SMIN V0.4S, V0.4S, V27.4S
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R4, R4
	BNE    rqstep
	RET
