//go:build !purego

#include "textflag.h"

// VPERMD index that puts the dwords of a 32-byte VPACKSSDW+VPACKSSWB
// result of vectors A, B, C, D (lanes A0 B0 C0 D0 | A1 B1 C1 D1) in order.
DATA quantPerm<>+0x00(SB)/8, $0x0000000400000000
DATA quantPerm<>+0x08(SB)/8, $0x0000000500000001
DATA quantPerm<>+0x10(SB)/8, $0x0000000600000002
DATA quantPerm<>+0x18(SB)/8, $0x0000000700000003
GLOBL quantPerm<>(SB), RODATA|NOPTR, $32

// RHA rounds the 8 floats in y half away from zero, exactly as math.Round
// (t = trunc(y); d = y-t is exact; trunc(2d) is the ±1 or 0 to add), and
// converts them to int32 with truncation: NaN, ±Inf and out-of-range
// values become MinInt32 as Go's scalar conversion does. t is scratch.
#define RHA(y, t) \
	VROUNDPS   $3, y, t; \
	VSUBPS     t, y, y; \
	VADDPS     y, y, y; \
	VROUNDPS   $3, y, y; \
	VADDPS     y, t, y; \
	VCVTTPS2DQ y, y

// PACK32 packs the int32 vectors a, b, c, d to 32 saturated int8s in a,
// in element order (Y13 holds quantPerm).
#define PACK32(a, b, c, d) \
	VPACKSSDW b, a, a; \
	VPACKSSDW d, c, c; \
	VPACKSSWB c, a, a; \
	VPERMD    a, Y13, a

// PACK8 packs the int32 vector in Y0 (X0) to 8 saturated int8s in X0's low
// quadword; X1 is scratch.
#define PACK8 \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSDW    X1, X0, X0; \
	VPACKSSWB    X0, X0, X0

// func absMaxBitsAVX2(v *float32, n int) uint32
TEXT ·absMaxBitsAVX2(SB), NOSPLIT, $0-20
	MOVQ         v+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3

amb32:
	CMPQ    CX, $32
	JLT     amb8
	VPAND   (SI), Y15, Y4
	VPAND   32(SI), Y15, Y5
	VPAND   64(SI), Y15, Y6
	VPAND   96(SI), Y15, Y7
	VPMAXUD Y4, Y0, Y0
	VPMAXUD Y5, Y1, Y1
	VPMAXUD Y6, Y2, Y2
	VPMAXUD Y7, Y3, Y3
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     amb32

amb8:
	CMPQ    CX, $8
	JLT     ambdone
	VPAND   (SI), Y15, Y4
	VPMAXUD Y4, Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     amb8

ambdone:
	VPMAXUD      Y1, Y0, Y0
	VPMAXUD      Y3, Y2, Y2
	VPMAXUD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPMAXUD      X1, X0, X0
	VMOVD        X0, AX
	MOVL         AX, ret+16(FP)
	VZEROUPPER
	RET

// func minMaxAVX2(v *float32, n int) (lo, hi float32, nan bool)
TEXT ·minMaxAVX2(SB), NOSPLIT, $0-25
	MOVQ   v+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0 // lo
	VXORPS Y1, Y1, Y1 // lo
	VXORPS Y2, Y2, Y2 // hi
	VXORPS Y3, Y3, Y3 // hi
	VXORPS Y8, Y8, Y8 // unordered lanes seen

mm32:
	CMPQ    CX, $32
	JLT     mm8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VMINPS  Y4, Y0, Y0
	VMINPS  Y5, Y1, Y1
	VMAXPS  Y4, Y2, Y2
	VMAXPS  Y5, Y3, Y3
	VMINPS  Y6, Y0, Y0
	VMINPS  Y7, Y1, Y1
	VMAXPS  Y6, Y2, Y2
	VMAXPS  Y7, Y3, Y3
	VCMPPS  $3, Y5, Y4, Y9
	VCMPPS  $3, Y7, Y6, Y10
	VORPS   Y9, Y8, Y8
	VORPS   Y10, Y8, Y8
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     mm32

mm8:
	CMPQ    CX, $8
	JLT     mmdone
	VMOVUPS (SI), Y4
	VMINPS  Y4, Y0, Y0
	VMAXPS  Y4, Y2, Y2
	VCMPPS  $3, Y4, Y4, Y9
	VORPS   Y9, Y8, Y8
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     mm8

mmdone:
	VMINPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VMINPS       X1, X0, X0
	VEXTRACTF128 $1, Y2, X3
	VMAXPS       X3, X2, X2
	VPSHUFD      $0x4e, X0, X1
	VMINPS       X1, X0, X0
	VPSHUFD      $0x4e, X2, X3
	VMAXPS       X3, X2, X2
	VPSHUFD      $0xb1, X0, X1
	VMINPS       X1, X0, X0
	VPSHUFD      $0xb1, X2, X3
	VMAXPS       X3, X2, X2
	VMOVSS       X0, lo+16(FP)
	VMOVSS       X2, hi+20(FP)
	VMOVMSKPS    Y8, AX
	TESTL        AX, AX
	SETNE        nan+24(FP)
	VZEROUPPER
	RET

// func quantSymAVX2(v *float32, q *int8, n int, inv float32)
TEXT ·quantSymAVX2(SB), NOSPLIT, $0-28
	MOVQ         v+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Y15
	MOVL         $0x81818181, AX // int8 -127 in each byte
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU      quantPerm<>(SB), Y13

qs32:
	CMPQ    CX, $32
	JLT     qs8
	VMULPS  (SI), Y15, Y0
	VMULPS  32(SI), Y15, Y1
	VMULPS  64(SI), Y15, Y2
	VMULPS  96(SI), Y15, Y3
	RHA(Y0, Y4)
	RHA(Y1, Y5)
	RHA(Y2, Y6)
	RHA(Y3, Y7)
	PACK32(Y0, Y1, Y2, Y3)
	VPMAXSB Y14, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $128, SI
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     qs32

qs8:
	CMPQ    CX, $8
	JLT     qsdone
	VMULPS  (SI), Y15, Y0
	RHA(Y0, Y4)
	PACK8
	VPMAXSB X14, X0, X0
	VMOVQ   X0, (DI)
	ADDQ    $32, SI
	ADDQ    $8, DI
	SUBQ    $8, CX
	JMP     qs8

qsdone:
	VZEROUPPER
	RET

// func quantAsymAVX2(v *float32, q *int8, n int, inv, fzp float32)
TEXT ·quantAsymAVX2(SB), NOSPLIT, $0-32
	MOVQ         v+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Y15
	VBROADCASTSS fzp+28(FP), Y12
	VMOVDQU      quantPerm<>(SB), Y13

qa32:
	CMPQ    CX, $32
	JLT     qa8
	VMULPS  (SI), Y15, Y0
	VMULPS  32(SI), Y15, Y1
	VMULPS  64(SI), Y15, Y2
	VMULPS  96(SI), Y15, Y3
	VADDPS  Y12, Y0, Y0
	VADDPS  Y12, Y1, Y1
	VADDPS  Y12, Y2, Y2
	VADDPS  Y12, Y3, Y3
	RHA(Y0, Y4)
	RHA(Y1, Y5)
	RHA(Y2, Y6)
	RHA(Y3, Y7)
	PACK32(Y0, Y1, Y2, Y3)
	VMOVDQU Y0, (DI)
	ADDQ    $128, SI
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     qa32

qa8:
	CMPQ   CX, $8
	JLT    qadone
	VMULPS (SI), Y15, Y0
	VADDPS Y12, Y0, Y0
	RHA(Y0, Y4)
	PACK8
	VMOVQ  X0, (DI)
	ADDQ   $32, SI
	ADDQ   $8, DI
	SUBQ   $8, CX
	JMP    qa8

qadone:
	VZEROUPPER
	RET

// func quantAsymFMA(v *float32, q *int8, n int, inv, fzp float32)
TEXT ·quantAsymFMA(SB), NOSPLIT, $0-32
	MOVQ         v+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Y15
	VBROADCASTSS fzp+28(FP), Y12
	VMOVDQU      quantPerm<>(SB), Y13

qf32:
	CMPQ        CX, $32
	JLT         qf8
	VMOVUPS     (SI), Y0
	VMOVUPS     32(SI), Y1
	VMOVUPS     64(SI), Y2
	VMOVUPS     96(SI), Y3
	VFMADD213PS Y12, Y15, Y0
	VFMADD213PS Y12, Y15, Y1
	VFMADD213PS Y12, Y15, Y2
	VFMADD213PS Y12, Y15, Y3
	RHA(Y0, Y4)
	RHA(Y1, Y5)
	RHA(Y2, Y6)
	RHA(Y3, Y7)
	PACK32(Y0, Y1, Y2, Y3)
	VMOVDQU     Y0, (DI)
	ADDQ        $128, SI
	ADDQ        $32, DI
	SUBQ        $32, CX
	JMP         qf32

qf8:
	CMPQ        CX, $8
	JLT         qfdone
	VMOVUPS     (SI), Y0
	VFMADD213PS Y12, Y15, Y0
	RHA(Y0, Y4)
	PACK8
	VMOVQ       X0, (DI)
	ADDQ        $32, SI
	ADDQ        $8, DI
	SUBQ        $8, CX
	JMP         qf8

qfdone:
	VZEROUPPER
	RET
