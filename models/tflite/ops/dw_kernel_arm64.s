//go:build !purego

#include "textflag.h"

// DWREQ requantizes the 4 int32 sums in acc in place with requantNEON's
// arithmetic (requantize32's), taking the next 4 channels' add (R19),
// multiplier (R20) and int64 shift (R21), advancing the pointers; V29 zp,
// V28 lo, V27 hi, V30 ones and V31 zero are set, V0-V11 are scratch.
#define DWREQ(acc) \
	VORR   acc.B16, acc.B16, V0.B16; \
	VLD1.P 16(R19), [V1.S4]; \
	VADD   V1.S4, V0.S4, V0.S4; \
	VLD1.P 16(R20), [V2.S4]; \
	VLD1.P 32(R21), [V3.D2, V4.D2]; \
	WORD   $0x0EA12865; \
	WORD   $0x4EA12885; \
	WORD   $0x4EBF64A6; \
	WORD   $0x4EBF6CA7; \
	WORD   $0x4EA64400; \
	WORD   $0x6EA2B400; \
	VSUB   V7.S4, V31.S4, V8.S4; \
	WORD   $0x6EA847C9; \
	VSUB   V30.S4, V9.S4, V9.S4; \
	VAND   V9.B16, V0.B16, V10.B16; \
	WORD   $0x4F3F0529; \
	WORD   $0x6F21040B; \
	VADD   V11.S4, V9.S4, V9.S4; \
	VSUB   V10.S4, V9.S4, V9.S4; \
	WORD   $0x6F210529; \
	WORD   $0x4EA74400; \
	VADD   V9.S4, V0.S4, V0.S4; \
	VADD   V29.S4, V0.S4, V0.S4; \
	WORD   $0x4EBC6400; \
	WORD   $0x4EBB6C00; \
	VORR   V0.B16, V0.B16, acc.B16

// The WORDs in DWREQ, in order: XTN V5.2S, V3.2D; XTN2 V5.4S, V4.2D
// (shifts); SMAX V6 = max(s, 0) (left); SMIN V7 = min(s, 0) (-right);
// SSHL V0 by V6; SQRDMULH V0 by V2 (h); USHL V9 = 1 << right; SSHR V9 #1;
// USHR V11 = h >> 31 (threshold sign); USHR V9 #31 (1 when rem >
// threshold); SSHL V0 by V7 (h >> right); SMAX V0 with lo; SMIN V0 with hi.

// func dwRowI8NEON(out, in *int8, taps, ftaps *int, ntaps int, f *int8, add, mult *int32, shift *int, b16, b8, npix, inStep, c int, xo, zp, lo, hi int32)
//
// Per pixel, per block of 16 channels: x+xo (int16) times f (int16)
// accumulates exactly into V16-V19 with SMLAL/SMLAL2 over all taps; then
// each 4 are requantized and the 16 results (already in int8 range)
// narrowed with XTN into 16 output bytes. Then a block of 8 channels in
// V16-V17.
TEXT ·dwRowI8NEON(SB), NOSPLIT, $0-128
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD npix+88(FP), R2
	MOVD ntaps+32(FP), R13
	MOVD inStep+96(FP), R14
	MOVD c+104(FP), R15
	MOVW xo+112(FP), R12
	MOVW zp+116(FP), R10
	VDUP R10, V29.S4
	MOVW lo+120(FP), R10
	VDUP R10, V28.S4
	MOVW hi+124(FP), R10
	VDUP R10, V27.S4
	MOVW $1, R10
	VDUP R10, V30.S4
	VEOR V31.B16, V31.B16, V31.B16

i8pix:
	MOVD $0, R3
	MOVD b16+72(FP), R4
	CBZ  R4, i8tail

i8blk:
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VDUP R12, V7.H8
	MOVD taps+16(FP), R5
	MOVD ftaps+24(FP), R6
	MOVD $0, R7
	MOVD f+40(FP), R8
	ADD  R3, R8, R8
	ADD  R3, R1, R9

i8tap:
	MOVD (R5)(R7<<3), R10
	MOVD (R6)(R7<<3), R11
	ADD  R9, R10, R10
	ADD  R8, R11, R11
	VLD1 (R10), [V0.B16]
	VLD1 (R11), [V1.B16]
	WORD $0x0F08A402     // SXTL V2.8H, V0.8B
	WORD $0x4F08A403     // SXTL2 V3.8H, V0.16B
	VADD V7.H8, V2.H8, V2.H8
	VADD V7.H8, V3.H8, V3.H8
	WORD $0x0F08A424     // SXTL V4.8H, V1.8B
	WORD $0x4F08A425     // SXTL2 V5.8H, V1.16B
	WORD $0x0E648050     // SMLAL V16.4S, V2.4H, V4.4H
	WORD $0x4E648051     // SMLAL2 V17.4S, V2.8H, V4.8H
	WORD $0x0E658072     // SMLAL V18.4S, V3.4H, V5.4H
	WORD $0x4E658073     // SMLAL2 V19.4S, V3.8H, V5.8H
	ADD  $1, R7, R7
	CMP  R13, R7
	BLT  i8tap

	MOVD add+48(FP), R19
	ADD  R3<<2, R19, R19
	MOVD mult+56(FP), R20
	ADD  R3<<2, R20, R20
	MOVD shift+64(FP), R21
	ADD  R3<<3, R21, R21
	DWREQ(V16)
	DWREQ(V17)
	DWREQ(V18)
	DWREQ(V19)
	WORD $0x0E612A14     // XTN V20.4H, V16.4S
	WORD $0x4E612A34     // XTN2 V20.8H, V17.4S
	WORD $0x0E612A55     // XTN V21.4H, V18.4S
	WORD $0x4E612A75     // XTN2 V21.8H, V19.4S
	WORD $0x0E212A96     // XTN V22.8B, V20.8H
	WORD $0x4E212AB6     // XTN2 V22.16B, V21.8H
	ADD  R3, R0, R10
	VST1 [V22.B16], (R10)
	ADD  $16, R3, R3
	SUBS $1, R4, R4
	BNE  i8blk

i8tail:
	MOVD b8+80(FP), R4
	CBZ  R4, i8next
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VDUP R12, V7.H8
	MOVD taps+16(FP), R5
	MOVD ftaps+24(FP), R6
	MOVD $0, R7
	MOVD f+40(FP), R8
	ADD  R3, R8, R8
	ADD  R3, R1, R9

i8tap8:
	MOVD (R5)(R7<<3), R10
	MOVD (R6)(R7<<3), R11
	ADD  R9, R10, R10
	ADD  R8, R11, R11
	VLD1 (R10), [V0.B8]
	VLD1 (R11), [V1.B8]
	WORD $0x0F08A402     // SXTL V2.8H, V0.8B
	VADD V7.H8, V2.H8, V2.H8
	WORD $0x0F08A424     // SXTL V4.8H, V1.8B
	WORD $0x0E648050     // SMLAL V16.4S, V2.4H, V4.4H
	WORD $0x4E648051     // SMLAL2 V17.4S, V2.8H, V4.8H
	ADD  $1, R7, R7
	CMP  R13, R7
	BLT  i8tap8

	MOVD add+48(FP), R19
	ADD  R3<<2, R19, R19
	MOVD mult+56(FP), R20
	ADD  R3<<2, R20, R20
	MOVD shift+64(FP), R21
	ADD  R3<<3, R21, R21
	DWREQ(V16)
	DWREQ(V17)
	WORD $0x0E612A14     // XTN V20.4H, V16.4S
	WORD $0x4E612A34     // XTN2 V20.8H, V17.4S
	WORD $0x0E212A96     // XTN V22.8B, V20.8H
	ADD  R3, R0, R10
	VST1 [V22.B8], (R10)

i8next:
	ADD  R14, R1, R1
	ADD  R15, R0, R0
	SUBS $1, R2, R2
	BNE  i8pix
	RET

// func dwRowF32NEON(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b16, b4, npix, inStepBytes, cBytes int, lo, hi float32)
//
// Blocks of 16 channels keep four FMLA chains in V16-V19 over the taps,
// then blocks of 4 one; FMAX and FMIN pass a NaN through as Go's max and
// min do.
TEXT ·dwRowF32NEON(SB), NOSPLIT, $0-104
	MOVD  out+0(FP), R0
	MOVD  in+8(FP), R1
	MOVD  npix+72(FP), R2
	MOVD  ntaps+32(FP), R13
	MOVD  inStepBytes+80(FP), R14
	MOVD  cBytes+88(FP), R15
	FMOVS lo+96(FP), F28
	VDUP  V28.S[0], V28.S4
	FMOVS hi+100(FP), F27
	VDUP  V27.S[0], V27.S4

f32pix:
	MOVD $0, R3
	MOVD b16+56(FP), R4
	CBZ  R4, f32tail

f32blk:
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	MOVD taps+16(FP), R5
	MOVD ftaps+24(FP), R6
	MOVD $0, R7
	MOVD f+40(FP), R8
	ADD  R3, R8, R8
	ADD  R3, R1, R9

f32tap:
	MOVD  (R5)(R7<<3), R10
	MOVD  (R6)(R7<<3), R11
	ADD   R10<<2, R9, R10
	ADD   R11<<2, R8, R11
	VLD1  (R10), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1  (R11), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA V4.S4, V0.S4, V16.S4
	VFMLA V5.S4, V1.S4, V17.S4
	VFMLA V6.S4, V2.S4, V18.S4
	VFMLA V7.S4, V3.S4, V19.S4
	ADD   $1, R7, R7
	CMP   R13, R7
	BLT   f32tap

	MOVD bias+48(FP), R10
	ADD  R3, R10, R10
	VLD1 (R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD $0x4E34D610     // FADD V16.4S, V16.4S, V20.4S
	WORD $0x4E35D631     // FADD V17.4S, V17.4S, V21.4S
	WORD $0x4E36D652     // FADD V18.4S, V18.4S, V22.4S
	WORD $0x4E37D673     // FADD V19.4S, V19.4S, V23.4S
	WORD $0x4E3CF610     // FMAX V16.4S, V16.4S, V28.4S
	WORD $0x4E3CF631     // FMAX V17.4S, V17.4S, V28.4S
	WORD $0x4E3CF652     // FMAX V18.4S, V18.4S, V28.4S
	WORD $0x4E3CF673     // FMAX V19.4S, V19.4S, V28.4S
	WORD $0x4EBBF610     // FMIN V16.4S, V16.4S, V27.4S
	WORD $0x4EBBF631     // FMIN V17.4S, V17.4S, V27.4S
	WORD $0x4EBBF652     // FMIN V18.4S, V18.4S, V27.4S
	WORD $0x4EBBF673     // FMIN V19.4S, V19.4S, V27.4S
	ADD  R3, R0, R10
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R10)
	ADD  $64, R3, R3
	SUBS $1, R4, R4
	BNE  f32blk

f32tail:
	MOVD b4+64(FP), R4
	CBZ  R4, f32next

f32blk4:
	VEOR V16.B16, V16.B16, V16.B16
	MOVD taps+16(FP), R5
	MOVD ftaps+24(FP), R6
	MOVD $0, R7
	MOVD f+40(FP), R8
	ADD  R3, R8, R8
	ADD  R3, R1, R9

f32tap4:
	MOVD  (R5)(R7<<3), R10
	MOVD  (R6)(R7<<3), R11
	ADD   R10<<2, R9, R10
	ADD   R11<<2, R8, R11
	VLD1  (R10), [V0.S4]
	VLD1  (R11), [V4.S4]
	VFMLA V4.S4, V0.S4, V16.S4
	ADD   $1, R7, R7
	CMP   R13, R7
	BLT   f32tap4

	MOVD bias+48(FP), R10
	ADD  R3, R10, R10
	VLD1 (R10), [V20.S4]
	WORD $0x4E34D610     // FADD V16.4S, V16.4S, V20.4S
	WORD $0x4E3CF610     // FMAX V16.4S, V16.4S, V28.4S
	WORD $0x4EBBF610     // FMIN V16.4S, V16.4S, V27.4S
	ADD  R3, R0, R10
	VST1 [V16.S4], (R10)
	ADD  $16, R3, R3
	SUBS $1, R4, R4
	BNE  f32blk4

f32next:
	ADD  R14, R1, R1
	ADD  R15, R0, R0
	SUBS $1, R2, R2
	BNE  f32pix
	RET
