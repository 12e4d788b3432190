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
#define K_SGN 256
#define K_MO 288
#define K_MASKO 320
#define K_THO 352
#define K_ZP 384
#define K_LO 416
#define K_HI 448
#define K_NUDGE 480
#define K_L1 512
#define K_L2 528
#define K_LO_ 544
#define K_E1 560
#define K_E2 576
#define K_EO 592
#define K_NEG 608

// SRDHM sets R to the doubling high multiply of R's int32 lanes by the
// broadcast multiplier at M: (x*m + 2^30) >> 31 on the 64-bit products of
// the even and the odd lanes (equal to the reference's sign-dependent
// nudge and truncating division; m is never MinInt32, so no lane
// saturates). Bits 31..62 of each product are the result.
#define SRDHM(R, M) \
	VPSRLQ   $32, R, Y3 \
	VPMULDQ  M(R8), R, Y2 \
	VPMULDQ  M(R8), Y3, Y3 \
	VPADDQ   K_NUDGE(R8), Y2, Y2 \
	VPADDQ   K_NUDGE(R8), Y3, Y3 \
	VPSRLQ   $31, Y2, Y2 \
	VPSLLQ   $1, Y3, Y3 \
	VPBLENDD $0xAA, Y3, Y2, R

// RDPOT divides R's lanes by 2^e rounding half away from zero: the
// remainder is compared with mask>>1, one higher for negative lanes, and
// the carry is the sign bit of threshold - remainder.
#define RDPOT(R, MASK, THR, E) \
	VPAND  MASK(R8), R, Y2 \
	VPSRLD $31, R, Y3 \
	VPADDD THR(R8), Y3, Y3 \
	VPSUBD Y2, Y3, Y3 \
	VPSRLD $31, Y3, Y3 \
	VPSRAD E(R8), R, R \
	VPADDD Y3, R, R

// TERM turns the widened codes in R into the scaled input term.
#define TERM(R, OFF, L, M, MASK, THR, E) \
	VPADDD OFF(R8), R, R \
	VPSLLD L(R8), R, R \
	SRDHM(R, M) \
	RDPOT(R, MASK, THR, E)

// HALF computes 8 clamped int32 results from the codes at d(DI) and
// d(SI) into R, widening with WIDEN (VPMOVSXBD or VPMOVZXBD).
#define HALF(WIDEN, d, R) \
	WIDEN d(DI), R \
	TERM(R, K_OFF1, K_L1, K_M1, K_MASK1, K_THR1, K_E1) \
	WIDEN d(SI), Y1 \
	TERM(Y1, K_OFF2, K_L2, K_M2, K_MASK2, K_THR2, K_E2) \
	VPSIGND K_SGN(R8), Y1, Y1 \
	VPADDD  Y1, R, R \
	VPSLLD  K_LO_(R8), R, R \
	SRDHM(R, K_MO) \
	RDPOT(R, K_MASKO, K_THO, K_EO) \
	VPADDD  K_ZP(R8), R, R \
	VPMAXSD K_LO(R8), R, R \
	VPMINSD K_HI(R8), R, R

// func add8AVX2S(x, y, o *byte, n int, k *add8Consts)
//
// 16 elements per step in two halves of 8 int32 lanes; the clamp keeps
// results in int8, so the saturating packs are exact.
TEXT ·add8AVX2S(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ o+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), R8

s8step:
	HALF(VPMOVSXBD, 0, Y0)
	HALF(VPMOVSXBD, 8, Y4)
	VPACKSSDW    Y4, Y0, Y0         // a0-3 b0-3 | a4-7 b4-7
	VPERMQ       $0xD8, Y0, Y0      // a0-7 | b0-7
	VEXTRACTI128 $1, Y0, X1
	VPACKSSWB    X1, X0, X0
	VMOVDQU      X0, (DX)
	ADDQ         $16, DI
	ADDQ         $16, SI
	ADDQ         $16, DX
	DECQ         CX
	JNZ          s8step
	VZEROUPPER
	RET

// func add8AVX2U(x, y, o *byte, n int, k *add8Consts)
//
// add8AVX2S for uint8 codes: the clamp keeps results in 0..255, which the
// signed word pack keeps and the unsigned byte pack narrows exactly.
TEXT ·add8AVX2U(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ o+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), R8

u8step:
	HALF(VPMOVZXBD, 0, Y0)
	HALF(VPMOVZXBD, 8, Y4)
	VPACKSSDW    Y4, Y0, Y0
	VPERMQ       $0xD8, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKUSWB    X1, X0, X0
	VMOVDQU      X0, (DX)
	ADDQ         $16, DI
	ADDQ         $16, SI
	ADDQ         $16, DX
	DECQ         CX
	JNZ          u8step
	VZEROUPPER
	RET

// The AVX-512 forms of the macros above: broadcast constants, 16 lanes,
// K1 selecting the odd lanes; Z2 and Z3 are scratch.
#define SRDHM512(R, M) \
	VPSRLQ        $32, R, Z3 \
	VPMULDQ.BCST  M(R8), R, Z2 \
	VPMULDQ.BCST  M(R8), Z3, Z3 \
	VPADDQ.BCST   K_NUDGE(R8), Z2, Z2 \
	VPADDQ.BCST   K_NUDGE(R8), Z3, Z3 \
	VPSRLQ        $31, Z2, Z2 \
	VPSLLQ        $1, Z3, Z3 \
	VPBLENDMD     Z3, Z2, K1, R

#define RDPOT512(R, MASK, THR, E) \
	VPANDD.BCST MASK(R8), R, Z2 \
	VPSRLD      $31, R, Z3 \
	VPADDD.BCST THR(R8), Z3, Z3 \
	VPSUBD      Z2, Z3, Z3 \
	VPSRLD      $31, Z3, Z3 \
	VPSRAD      E(R8), R, R \
	VPADDD      Z3, R, R

#define TERM512(R, OFF, L, M, MASK, THR, E) \
	VPADDD.BCST OFF(R8), R, R \
	VPSLLD      L(R8), R, R \
	SRDHM512(R, M) \
	RDPOT512(R, MASK, THR, E)

// STEP512 computes 16 clamped int32 results from the codes at (DI) and
// (SI) into Z0; SUB negates the second term as (t ^ -1) - -1.
#define STEP512(WIDEN) \
	WIDEN (DI), Z0 \
	TERM512(Z0, K_OFF1, K_L1, K_M1, K_MASK1, K_THR1, K_E1) \
	WIDEN (SI), Z1 \
	TERM512(Z1, K_OFF2, K_L2, K_M2, K_MASK2, K_THR2, K_E2) \
	VPXORD.BCST K_NEG(R8), Z1, Z1 \
	VPSUBD.BCST K_NEG(R8), Z1, Z1 \
	VPADDD      Z1, Z0, Z0 \
	VPSLLD      K_LO_(R8), Z0, Z0 \
	SRDHM512(Z0, K_MO) \
	RDPOT512(Z0, K_MASKO, K_THO, K_EO) \
	VPADDD.BCST K_ZP(R8), Z0, Z0 \
	VPMAXSD.BCST K_LO(R8), Z0, Z0 \
	VPMINSD.BCST K_HI(R8), Z0, Z0

// func add8AVX512S(x, y, o *byte, n int, k *add8Consts)
TEXT ·add8AVX512S(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), DI
	MOVQ  y+8(FP), SI
	MOVQ  o+16(FP), DX
	MOVQ  n+24(FP), CX
	MOVQ  k+32(FP), R8
	MOVL  $0xAAAA, AX
	KMOVW AX, K1

s16step:
	STEP512(VPMOVSXBD)
	VPMOVSDB Z0, (DX)               // exact: the clamp kept int8 range
	ADDQ     $16, DI
	ADDQ     $16, SI
	ADDQ     $16, DX
	DECQ     CX
	JNZ      s16step
	VZEROUPPER
	RET

// func add8AVX512U(x, y, o *byte, n int, k *add8Consts)
TEXT ·add8AVX512U(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), DI
	MOVQ  y+8(FP), SI
	MOVQ  o+16(FP), DX
	MOVQ  n+24(FP), CX
	MOVQ  k+32(FP), R8
	MOVL  $0xAAAA, AX
	KMOVW AX, K1

u16step:
	STEP512(VPMOVZXBD)
	VPMOVUSDB Z0, (DX)              // exact: the clamp kept 0..255
	ADDQ      $16, DI
	ADDQ      $16, SI
	ADDQ      $16, DX
	DECQ      CX
	JNZ       u16step
	VZEROUPPER
	RET
