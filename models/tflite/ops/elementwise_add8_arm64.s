//go:build !purego

#include "textflag.h"

// Offsets of the add8Consts fields (TestAdd8ConstsLayout checks them).
#define K_OFF1 0
#define K_OFF2 32
#define K_M1 64
#define K_M2 96
#define K_MASK1 128
#define K_MASK2 160
#define K_THR1 192
#define K_THR2 224
#define K_MO 288
#define K_MASKO 320
#define K_THO 352
#define K_ZP 384
#define K_LO 416
#define K_HI 448
#define K_L1 512
#define K_L2 528
#define K_LO_ 544
#define K_E1 560
#define K_E2 576
#define K_EO 592
#define K_NEG 608

// Go's assembler lacks these NEON forms; they are encoded by hand from
// register numbers (TestAdd8FastMatchesReference runs them under qemu).
// All work on 4 int32 lanes (.4S) unless named otherwise.
#define ADD4S(d, n, m) WORD $(0x4EA08400 | (m)<<16 | (n)<<5 | (d))
#define SUB4S(d, n, m) WORD $(0x6EA08400 | (m)<<16 | (n)<<5 | (d))
#define AND16B(d, n, m) WORD $(0x4E201C00 | (m)<<16 | (n)<<5 | (d))
#define EOR16B(d, n, m) WORD $(0x6E201C00 | (m)<<16 | (n)<<5 | (d))
#define SSHL4S(d, n, m) WORD $(0x4EA04400 | (m)<<16 | (n)<<5 | (d))
#define SQRDMULH4S(d, n, m) WORD $(0x6EA0B400 | (m)<<16 | (n)<<5 | (d))
#define SMAX4S(d, n, m) WORD $(0x4EA06400 | (m)<<16 | (n)<<5 | (d))
#define SMIN4S(d, n, m) WORD $(0x4EA06C00 | (m)<<16 | (n)<<5 | (d))
#define USHR4S31(d, n) WORD $(0x6F210400 | (n)<<5 | (d))
#define SXTL8H(d, n) WORD $(0x0F08A400 | (n)<<5 | (d))   // .8H from .8B
#define UXTL8H(d, n) WORD $(0x2F08A400 | (n)<<5 | (d))
#define SXTL4S(d, n) WORD $(0x0F10A400 | (n)<<5 | (d))   // .4S from the low .4H
#define SXTL24S(d, n) WORD $(0x4F10A400 | (n)<<5 | (d))  // .4S from the high .4H
#define SQXTN4H(d, n) WORD $(0x0E614800 | (n)<<5 | (d))  // low .4H from .4S
#define SQXTN28H(d, n) WORD $(0x4E614800 | (n)<<5 | (d)) // high .4H from .4S
#define SQXTN8B(d, n) WORD $(0x0E214800 | (n)<<5 | (d))  // .8B from .8H
#define SQXTUN8B(d, n) WORD $(0x2E212800 | (n)<<5 | (d)) // unsigned .8B from .8H

// Constant registers: V16 off1, V17 off2, V18 m1, V19 m2, V20 mask1,
// V21 mask2, V22 thr1, V23 thr2, V24 neg, V25 mo, V26 masko, V27 tho,
// V28 zp, V29 lo, V30 hi, V31 l1, V15 l2, V14 lo_, V13 -e1, V12 -e2,
// V11 -eo. V6 and V7 are scratch.
#define DUPW(off, v) \
	MOVW off(R4), R5 \
	VDUP R5, v.S4

#define DUPNEG(off, v) \
	MOVD off(R4), R5 \
	NEG  R5, R5 \
	VDUP R5, v.S4

#define CONSTS \
	DUPW(K_OFF1, V16) \
	DUPW(K_OFF2, V17) \
	DUPW(K_M1, V18) \
	DUPW(K_M2, V19) \
	DUPW(K_MASK1, V20) \
	DUPW(K_MASK2, V21) \
	DUPW(K_THR1, V22) \
	DUPW(K_THR2, V23) \
	DUPW(K_NEG, V24) \
	DUPW(K_MO, V25) \
	DUPW(K_MASKO, V26) \
	DUPW(K_THO, V27) \
	DUPW(K_ZP, V28) \
	DUPW(K_LO, V29) \
	DUPW(K_HI, V30) \
	DUPW(K_L1, V31) \
	DUPW(K_L2, V15) \
	DUPW(K_LO_, V14) \
	DUPNEG(K_E1, V13) \
	DUPNEG(K_E2, V12) \
	DUPNEG(K_EO, V11)

// RDPOT divides lanes of R by 2^e (NE holds -e) rounding half away from
// zero: the remainder is compared with mask>>1, one higher for negative
// lanes, and the carry is the sign bit of threshold - remainder. SSHL by
// a negative count is the arithmetic right shift.
#define RDPOT(R, MASK, THR, NE) \
	AND16B(6, R, MASK) \
	USHR4S31(7, R) \
	ADD4S(7, 7, THR) \
	SUB4S(7, 7, 6) \
	USHR4S31(7, 7) \
	SSHL4S(R, R, NE) \
	ADD4S(R, R, 7)

// TERM turns the widened codes in R into the scaled input term. SQRDMULH
// is exactly the reference's doubling high multiply, and SSHL by 32 or
// more clears the lanes as Go's wrapping multiply by 1<<left does.
#define TERM(R, OFF, L, M, MASK, THR, NE) \
	ADD4S(R, R, OFF) \
	SSHL4S(R, R, L) \
	SQRDMULH4S(R, R, M) \
	RDPOT(R, MASK, THR, NE)

// RESULT leaves in X the 4 clamped int32 results of the codes widened into
// X and Y; SUB negates the second term as (t ^ -1) - -1.
#define RESULT(X, Y) \
	TERM(X, 16, 31, 18, 20, 22, 13) \
	TERM(Y, 17, 15, 19, 21, 23, 12) \
	EOR16B(Y, Y, 24) \
	SUB4S(Y, Y, 24) \
	ADD4S(X, X, Y) \
	SSHL4S(X, X, 14) \
	SQRDMULH4S(X, X, 25) \
	RDPOT(X, 26, 27, 11) \
	ADD4S(X, X, 28) \
	SMAX4S(X, X, 29) \
	SMIN4S(X, X, 30)

// STEP computes 8 results from the codes at (R0) and (R1), widened to
// int16 by WIDEN, into the int16 lanes of V2; the clamp keeps them in
// the output's 8-bit range, so the saturating narrows are exact.
#define STEP(WIDEN) \
	VLD1.P 8(R0), [V0.B8] \
	VLD1.P 8(R1), [V1.B8] \
	WIDEN(0, 0) \
	WIDEN(1, 1) \
	SXTL4S(2, 0) \
	SXTL4S(3, 1) \
	SXTL24S(4, 0) \
	SXTL24S(5, 1) \
	RESULT(2, 3) \
	RESULT(4, 5) \
	SQXTN4H(2, 2) \
	SQXTN28H(2, 4)

// func add8NEONS(x, y, o *byte, n int, k *add8Consts)
TEXT ·add8NEONS(SB), NOSPLIT, $0-40
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD o+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	CONSTS

s8step:
	STEP(SXTL8H)
	SQXTN8B(2, 2)
	VST1.P [V2.B8], 8(R2)
	SUBS   $1, R3, R3
	BNE    s8step
	RET

// func add8NEONU(x, y, o *byte, n int, k *add8Consts)
//
// The codes widen unsigned; the results, in 0..255, narrow unsigned.
TEXT ·add8NEONU(SB), NOSPLIT, $0-40
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD o+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	CONSTS

u8step:
	STEP(UXTL8H)
	SQXTUN8B(2, 2)
	VST1.P [V2.B8], 8(R2)
	SUBS   $1, R3, R3
	BNE    u8step
	RET
