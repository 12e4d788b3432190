//go:build !purego

#include "textflag.h"

// func dwI16NEON(acc *int32, x *int16, f *int8, n int)
//
// 16 channels per step: f widened to int16 (SXTL), then SMLAL/SMLAL2 add
// the int32 products of the int16 lanes to the four accumulator vectors.
TEXT ·dwI16NEON(SB), NOSPLIT, $0-32
	MOVD acc+0(FP), R0
	MOVD x+8(FP), R1
	MOVD f+16(FP), R2
	MOVD n+24(FP), R3

dwi16step:
	VLD1.P 32(R1), [V2.H8, V3.H8]
	VLD1.P 16(R2), [V1.B16]
	VLD1   (R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD   $0x0F08A424                            // SXTL V4.8H, V1.8B
	WORD   $0x4F08A425                            // SXTL2 V5.8H, V1.16B
	WORD   $0x0E648050                            // SMLAL V16.4S, V2.4H, V4.4H
	WORD   $0x4E648051                            // SMLAL2 V17.4S, V2.8H, V4.8H
	WORD   $0x0E658072                            // SMLAL V18.4S, V3.4H, V5.4H
	WORD   $0x4E658073                            // SMLAL2 V19.4S, V3.8H, V5.8H
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	SUBS   $1, R3, R3
	BNE    dwi16step
	RET
