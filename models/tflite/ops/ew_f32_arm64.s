//go:build !purego

#include "textflag.h"

// EWCLAMP clamps V0 and V1 like ewClamp with lo in V28 and hi in V27:
// FCMGT marks the lanes where lo > x (then x > hi) and BIT takes the
// bound there; NaN compares false and -0 is not below +0, so both pass
// (FMAX/FMIN would not keep -0).
#define EWCLAMP \
	WORD $0x6EA0E782; \
	WORD $0x6EA1E783; \
	VBIT V2.B16, V28.B16, V0.B16; \
	VBIT V3.B16, V28.B16, V1.B16; \
	WORD $0x6EBBE402; \
	WORD $0x6EBBE423; \
	VBIT V2.B16, V27.B16, V0.B16; \
	VBIT V3.B16, V27.B16, V1.B16

// The WORDs in EWCLAMP: FCMGT V2.4S, V28.4S, V0.4S; FCMGT V3.4S, V28.4S,
// V1.4S; FCMGT V2.4S, V0.4S, V27.4S; FCMGT V3.4S, V1.4S, V27.4S.

// func ewF32NEON(o, a, b *float32, n, kind int, lo, hi float32)
TEXT ·ewF32NEON(SB), NOSPLIT, $0-48
	MOVD  o+0(FP), R0
	MOVD  a+8(FP), R1
	MOVD  b+16(FP), R2
	MOVD  n+24(FP), R3
	MOVD  kind+32(FP), R4
	FMOVS lo+40(FP), F28
	VDUP  V28.S[0], V28.S4
	FMOVS hi+44(FP), F27
	VDUP  V27.S[0], V27.S4
	CMP   $1, R4
	BEQ   ewsub
	BGT   ewmul

ewadd:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R2), [V4.S4, V5.S4]
	WORD   $0x4E24D400                   // FADD V0.4S, V0.4S, V4.4S
	WORD   $0x4E25D421                   // FADD V1.4S, V1.4S, V5.4S
	EWCLAMP
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS   $1, R3, R3
	BNE    ewadd
	RET

ewsub:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R2), [V4.S4, V5.S4]
	WORD   $0x4EA4D400                   // FSUB V0.4S, V0.4S, V4.4S
	WORD   $0x4EA5D421                   // FSUB V1.4S, V1.4S, V5.4S
	EWCLAMP
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS   $1, R3, R3
	BNE    ewsub
	RET

ewmul:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R2), [V4.S4, V5.S4]
	WORD   $0x6E24DC00                   // FMUL V0.4S, V0.4S, V4.4S
	WORD   $0x6E25DC21                   // FMUL V1.4S, V1.4S, V5.4S
	EWCLAMP
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS   $1, R3, R3
	BNE    ewmul
	RET
